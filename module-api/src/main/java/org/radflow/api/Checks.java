package org.radflow.api;

import java.util.List;
import java.util.stream.Collectors;

/** Argument checks and message helpers the API's own types share; not part of the contract. */
final class Checks {

    private Checks() {
    }

    /** Refuses a missing or blank value, naming it. */
    static void require(String value, String what) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(what + " is required");
        }
    }

    /** For messages: attribute values quoted and bounded. */
    static String show(List<String> values) {
        if (values.isEmpty()) {
            return "absent";
        }
        String s = values.stream().map(v -> "'" + v.trim() + "'").collect(Collectors.joining("\\"));
        return s.length() > 80 ? s.substring(0, 80) + "…" : s;
    }
}
