package org.radflow.modules;

import org.radflow.api.ConfigProperty;
import org.radflow.config.Suggestions;
import org.radflow.api.ModuleConfig;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One module's configuration scope ({@code modules.<id>.config.*}), checked against the properties its
 * descriptor declares, with the same "key, value, fix" messages as the server configuration: each value by
 * {@link ConfigProperty#check} (type, range, allowed values), unknown keys with the nearest known key
 * suggested, required keys without a value. Secret values never appear in {@link #toString()} or in any message.
 * The module test kit builds its contexts with it, so a module's tests check configuration exactly as the host does.
 */
public final class ScopedConfig implements ModuleConfig {

    private final String id;
    private final Map<String, ConfigProperty> properties;
    private final Map<String, String> values;

    private ScopedConfig(String id, Map<String, ConfigProperty> properties, Map<String, String> values) {
        this.id = id;
        this.properties = properties;
        this.values = values;
    }

    /** Thrown with every problem of the scope at once, each naming its full key. */
    public static final class InvalidConfigException extends Exception {
        InvalidConfigException(String message) {
            super(message);
        }
    }

    /**
     * @param scope the values under {@code modules.<id>.config} as read from YAML: scalars, or nested maps whose
     *              keys join with dots ({@code inference: {threads: 2}} is {@code inference.threads})
     */
    public static ScopedConfig of(ModuleDescriptor descriptor, Map<String, ?> scope) throws InvalidConfigException {
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
            ConfigProperty p = properties.get(key);
            if (p == null) {
                problems.add(unknown(id, key, properties.keySet()));
            } else if (e.getValue() != null) {
                try {
                    values.put(key, p.check(e.getValue()));
                } catch (IllegalArgumentException invalid) {
                    String why = p.secret() ? secretProblem(p, invalid.getMessage()) : invalid.getMessage();
                    problems.add(key(id, key) + (why.startsWith("'") ? ": " : " ") + why);
                }
            }
        }
        for (ConfigProperty p : properties.values()) {
            if (p.required() && flat.get(p.name()) == null) { // a wrong value was reported above
                problems.add(key(id, p.name()) + " is required" + (p.description().isEmpty() ? "" : " (" + p.description() + ")")
                        + " and has no default; give " + p.expected());
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidConfigException(String.join("; ", problems));
        }
        return new ScopedConfig(id, properties, values);
    }

    /** A secret's value never appears in a message: only what is expected. */
    private static String secretProblem(ConfigProperty p, String message) {
        return message.startsWith("'") ? "is not valid; give " + p.expected() : message;
    }

    private static String unknown(String id, String key, Collection<String> known) {
        if (known.isEmpty()) {
            return "unknown key '" + key(id, key) + "'; module '" + id + "' takes no configuration";
        }
        String suggestion = Suggestions.closest(key, known).orElse(null);
        return "unknown key '" + key(id, key) + "'" + (suggestion == null ? "" : "; did you mean '" + key(id, suggestion) + "'?")
                + " Known keys in 'modules." + id + ".config': " + String.join(", ", known);
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

    /** Where the key lives in the server configuration. */
    static String key(String id, String name) {
        return "modules." + id + ".config." + name;
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

    // The getters below are module-api's, with each message naming the key where the operator writes it
    // (modules.<id>.config.<key>) instead of the bare name: a module that parses a text property itself
    // ("fatLowHu: fatty" read with getInt) then fails at load with a message that says which line to fix.

    @Override
    public String require(String name) throws ModuleException {
        try {
            return ModuleConfig.super.require(name);
        } catch (ModuleException e) {
            throw new ModuleException(located(e.getMessage(), name) + "; set it in the server configuration");
        }
    }

    @Override
    public int getInt(String name, int defaultValue) throws ModuleException {
        try {
            return ModuleConfig.super.getInt(name, defaultValue);
        } catch (ModuleException e) {
            throw new ModuleException(located(e.getMessage(), name) + fix(name));
        }
    }

    @Override
    public String getString(String name) {
        try {
            return ModuleConfig.super.getString(name);
        } catch (IllegalArgumentException e) {
            throw located(e, name);
        }
    }

    @Override
    public int getInt(String name) {
        try {
            return ModuleConfig.super.getInt(name);
        } catch (IllegalArgumentException e) {
            throw located(e, name);
        }
    }

    @Override
    public double getDouble(String name) {
        try {
            return ModuleConfig.super.getDouble(name);
        } catch (IllegalArgumentException e) {
            throw located(e, name);
        }
    }

    @Override
    public boolean getBoolean(String name) {
        try {
            return ModuleConfig.super.getBoolean(name);
        } catch (IllegalArgumentException e) {
            throw located(e, name);
        }
    }

    @Override
    public String getChoice(String name) {
        try {
            return ModuleConfig.super.getChoice(name);
        } catch (IllegalArgumentException e) {
            throw located(e, name);
        }
    }

    @Override
    public <E extends Enum<E>> E getEnum(String name, Class<E> type) {
        try {
            return ModuleConfig.super.getEnum(name, type);
        } catch (IllegalArgumentException e) {
            throw located(e, name);
        }
    }

    @Override
    public Path getPath(String name) {
        try {
            return ModuleConfig.super.getPath(name);
        } catch (IllegalArgumentException e) {
            throw located(e, name);
        }
    }

    private IllegalArgumentException located(IllegalArgumentException e, String name) {
        return new IllegalArgumentException(located(e.getMessage(), name), e);
    }

    /** "configuration key 'x' ..." becomes "modules.<id>.config.x ..."; a secret's value is never repeated. */
    private String located(String message, String name) {
        String bare = "configuration key '" + name + "'";
        String m = message == null ? bare + " is not valid" : message;
        ConfigProperty p = properties.get(name);
        if (p != null && p.secret()) {
            String v = values.get(name);
            if (v != null && !v.isEmpty()) {
                m = m.replace(v, "****");
            }
        }
        return m.replace(bare, key(id, name));
    }

    /**
     * A module's own message with each "configuration key 'x'" of a declared key written as the key's place in the server
     * configuration, {@code modules.<id>.config.x}: what the operator edits. Other text is left as the module wrote it.
     */
    public String locateKeys(String message) {
        if (message == null) {
            return null;
        }
        String m = message;
        for (String name : properties.keySet()) {
            m = m.replace("configuration key '" + name + "'", key(id, name));
        }
        return m;
    }

    private String fix(String name) {
        ConfigProperty p = properties.get(name);
        return p == null || p.description().isEmpty() ? "" : " (" + p.description() + ")";
    }

    /** The effective values, secrets masked: for logs and the API. */
    public Map<String, String> describe() {
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
