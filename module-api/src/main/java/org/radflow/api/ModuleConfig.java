package org.radflow.api;

import java.util.Optional;

/** The module's own configuration scope ({@code modules.<id>.*}), validated against its declared properties. */
public interface ModuleConfig {

    /** The configured value, else the property's default; empty only for an optional key without default. */
    Optional<String> get(String name);

    default String require(String name) throws ModuleException {
        return get(name).orElseThrow(() -> new ModuleException("configuration key '" + name + "' is required"));
    }

    default int getInt(String name, int defaultValue) throws ModuleException {
        Optional<String> v = get(name);
        if (v.isEmpty()) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(v.get().trim());
        } catch (NumberFormatException e) {
            throw new ModuleException("configuration key '" + name + "' must be a whole number, not '" + v.get() + "'");
        }
    }
}
