package org.radflow.modules;

import java.util.List;
import java.util.NoSuchElementException;

/** A lookup by id found no module; the message lists the ones that exist. */
public final class UnknownModuleException extends NoSuchElementException {

    private final String id;
    private final List<String> available;

    UnknownModuleException(String id, List<String> available) {
        super("No module '" + id + "'. Available: " + (available.isEmpty() ? "none" : String.join(", ", available)));
        this.id = id;
        this.available = List.copyOf(available);
    }

    public String id() {
        return id;
    }

    public List<String> available() {
        return available;
    }
}
