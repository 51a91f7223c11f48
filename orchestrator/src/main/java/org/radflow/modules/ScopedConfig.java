package org.radflow.modules;

import org.radflow.api.ConfigProperty;
import org.radflow.api.ModuleConfig;
import org.radflow.api.ModuleDescriptor;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * One module's configuration scope ({@code modules.<id>.*}), checked against the keys its descriptor
 * declares. Secret values never appear in {@link #toString()} or in any message.
 */
final class ScopedConfig implements ModuleConfig {

    private final String id;
    private final Map<String, ConfigProperty> properties;
    private final Map<String, String> values;

    private ScopedConfig(String id, Map<String, ConfigProperty> properties, Map<String, String> values) {
        this.id = id;
        this.properties = properties;
        this.values = values;
    }

    /** Thrown with every problem of the scope at once, each naming its full key. */
    static final class InvalidConfigException extends Exception {
        InvalidConfigException(String message) {
            super(message);
        }
    }

    /**
     * @param scope the values under {@code modules.<id>} as read from YAML: scalars, or nested maps whose
     *              keys join with dots ({@code inference: {threads: 2}} is {@code inference.threads})
     */
    static ScopedConfig of(ModuleDescriptor descriptor, Map<String, ?> scope) throws InvalidConfigException {
        String id = descriptor.id();
        Map<String, ConfigProperty> properties = new LinkedHashMap<>();
        for (ConfigProperty p : descriptor.configProperties()) {
            properties.put(p.name(), p);
        }
        Map<String, Object> flat = new TreeMap<>(); // sorted: the same messages whatever the map's order
        flatten("", scope, flat);

        List<String> problems = new ArrayList<>();
        Map<String, String> values = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : flat.entrySet()) {
            String key = e.getKey();
            if (!properties.containsKey(key)) {
                problems.add("unknown key " + key(id, key) + "; " + known(id, properties.keySet()));
            } else if (e.getValue() instanceof Collection<?>) {
                problems.add(key(id, key) + " must be a single value, not a list");
            } else if (e.getValue() != null) {
                values.put(key, String.valueOf(e.getValue()));
            }
        }
        for (ConfigProperty p : properties.values()) {
            if (p.defaultValue() == null && !values.containsKey(p.name())) {
                problems.add(key(id, p.name()) + " is required" + (p.description().isEmpty() ? "" : " (" + p.description() + ")")
                        + " and has no default");
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidConfigException(String.join("; ", problems));
        }
        return new ScopedConfig(id, properties, values);
    }

    private static void flatten(String prefix, Map<String, ?> map, Map<String, Object> into) {
        for (Map.Entry<String, ?> e : map.entrySet()) {
            String key = prefix + e.getKey();
            if (e.getValue() instanceof Map<?, ?> nested) {
                Map<String, Object> asStrings = new LinkedHashMap<>();
                nested.forEach((k, v) -> asStrings.put(String.valueOf(k), v));
                flatten(key + ".", asStrings, into);
            } else {
                into.put(key, e.getValue());
            }
        }
    }

    private static String key(String id, String name) {
        return "modules." + id + "." + name;
    }

    private static String known(String id, Collection<String> names) {
        return names.isEmpty() ? "module '" + id + "' takes no configuration"
                : "known keys: " + names.stream().map(n -> key(id, n)).collect(Collectors.joining(", "));
    }

    @Override
    public Optional<String> get(String name) {
        String v = values.get(name);
        if (v != null) {
            return Optional.of(v);
        }
        ConfigProperty p = properties.get(name);
        return p == null ? Optional.empty() : Optional.ofNullable(p.defaultValue());
    }

    /** The effective values, secrets masked: for logs and the API. */
    Map<String, String> describe() {
        Map<String, String> shown = new LinkedHashMap<>();
        for (ConfigProperty p : properties.values()) {
            get(p.name()).ifPresent(v -> shown.put(p.name(), p.secret() ? "****" : v));
        }
        return shown;
    }

    @Override
    public String toString() {
        return "modules." + id + " " + describe();
    }
}
