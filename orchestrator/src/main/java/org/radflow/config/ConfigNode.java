package org.radflow.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A section of the YAML configuration that remembers which keys were read, so that
 * {@link #finish()} can refuse a misspelt or unknown key by its full name.
 */
final class ConfigNode {

    private final String path;
    private final Map<String, Object> values;
    private final Set<String> known = new LinkedHashSet<>();
    /** Every key read, with its kind, when the schema is being collected (null otherwise). */
    private final Map<String, Kind> schema;

    /** What a key holds, so that an environment variable's text can be given the right shape. */
    enum Kind { VALUE, BOOLEAN, LIST, SECTION }

    ConfigNode(String path, Map<String, Object> values) {
        this(path, values, null);
    }

    ConfigNode(String path, Map<String, Object> values, Map<String, Kind> schema) {
        this.path = path;
        this.values = values == null ? Map.of() : values;
        this.schema = schema;
    }

    /** A node for one entry of a list of sections (e.g. api.auth.tokens[0]), sharing this node's schema collection. */
    ConfigNode entry(String entryPath, Map<String, Object> entryValues) {
        return new ConfigNode(entryPath, entryValues, schema);
    }

    private void note(String name, Kind kind) {
        if (schema != null) {
            schema.putIfAbsent(key(name), kind);
        }
    }

    /**
     * A secret given either in the YAML ({@code name}) or, better, in a file ({@code nameFile}) that is read now.
     * Null when neither is set.
     */
    String secret(String name) {
        String inline = string(name, null);
        String file = string(name + "File", null);
        if (inline != null && file != null) {
            throw new ConfigException(key(name) + "/" + key(name + "File") + ": give one of them, not both (the file is "
                    + "better: it keeps the secret out of the configuration)");
        }
        return file == null ? inline : SecretFiles.read(key(name + "File"), file);
    }

    String key(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    boolean has(String name) {
        known.add(name);
        return values.containsKey(name) && values.get(name) != null;
    }

    private Object raw(String name) {
        known.add(name);
        return values.get(name);
    }

    String string(String name, String defaultValue) {
        note(name, Kind.VALUE);
        Object v = raw(name);
        if (v == null) {
            return defaultValue;
        }
        if (v instanceof Map || v instanceof List) {
            throw new ConfigException(key(name) + ": expected a single value, got a " + (v instanceof Map ? "section" : "list"));
        }
        return String.valueOf(v);
    }

    String requiredString(String name, String hint) {
        String v = string(name, null);
        if (v == null || v.isBlank()) {
            throw new ConfigException(key(name) + ": missing; " + hint);
        }
        return v;
    }

    int integer(String name, int defaultValue, int min, int max) {
        long v = longValue(name, defaultValue, min, max);
        return (int) v;
    }

    long longValue(String name, long defaultValue, long min, long max) {
        note(name, Kind.VALUE);
        Object v = raw(name);
        if (v == null) {
            return defaultValue;
        }
        long n;
        if (v instanceof Integer || v instanceof Long) {
            n = ((Number) v).longValue();
        } else {
            try {
                n = Long.parseLong(String.valueOf(v).trim());
            } catch (NumberFormatException e) {
                throw new ConfigException(key(name) + ": expected a whole number between " + min + " and " + max + ", got '" + v + "'");
            }
        }
        if (n < min || n > max) {
            throw new ConfigException(key(name) + ": " + n + " is out of range; use a whole number between " + min + " and " + max);
        }
        return n;
    }

    boolean bool(String name, boolean defaultValue) {
        note(name, Kind.BOOLEAN);
        Object v = raw(name);
        if (v == null) {
            return defaultValue;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw new ConfigException(key(name) + ": expected true or false, got '" + v + "'");
    }

    List<String> strings(String name, List<String> defaultValue) {
        note(name, Kind.LIST);
        Object v = raw(name);
        if (v == null) {
            return defaultValue;
        }
        if (!(v instanceof List<?> list)) {
            throw new ConfigException(key(name) + ": expected a list (e.g. [A, B]), got '" + v + "'");
        }
        List<String> out = new ArrayList<>();
        for (Object o : list) {
            if (o == null || o instanceof Map || o instanceof List) {
                throw new ConfigException(key(name) + ": every list entry must be a single value");
            }
            out.add(String.valueOf(o));
        }
        return out;
    }

    /** A list of anything (entries checked by the caller); empty when absent. */
    List<Object> list(String name) {
        note(name, Kind.SECTION);
        Object v = raw(name);
        if (v == null) {
            return List.of();
        }
        if (!(v instanceof List<?> l)) {
            throw new ConfigException(key(name) + ": expected a list, got '" + v + "'");
        }
        return new ArrayList<>(l);
    }

    @SuppressWarnings("unchecked")
    ConfigNode child(String name) {
        note(name, Kind.SECTION);
        Object v = raw(name);
        if (v == null) {
            return new ConfigNode(key(name), Map.of(), schema);
        }
        if (!(v instanceof Map)) {
            throw new ConfigException(key(name) + ": expected a section with keys, got '" + v + "'");
        }
        return new ConfigNode(key(name), (Map<String, Object>) v, schema);
    }

    /** The entries of a section whose keys are names chosen by the user (e.g. destinations). */
    Map<String, ConfigNode> namedChildren(String name) {
        ConfigNode section = child(name);
        Map<String, ConfigNode> out = new LinkedHashMap<>();
        for (String k : section.values.keySet()) {
            section.known.add(k);
            out.put(k, section.child(k));
        }
        return out;
    }

    /** The keys present in this section. */
    java.util.Set<String> keys() {
        return values.keySet();
    }

    /** A section handed on as raw values (a module's own configuration, validated by its descriptor). */
    @SuppressWarnings("unchecked")
    Map<String, Object> rawMap(String name) {
        note(name, Kind.SECTION);
        Object v = raw(name);
        if (v == null) {
            return Map.of();
        }
        if (!(v instanceof Map)) {
            throw new ConfigException(key(name) + ": expected a section with keys, got '" + v + "'");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        ((Map<Object, Object>) v).forEach((k, val) -> out.put(String.valueOf(k), val));
        return out;
    }

    /** Refuses keys that nothing read: they are typos or options this version does not have. */
    void finish() {
        finish(k -> "");
    }

    /**
     * {@link #finish()}, with {@code hint} saying more about an unknown key that is no near miss of a known one
     * (e.g. where a module's own keys belong).
     */
    void finish(java.util.function.Function<String, String> hint) {
        for (String k : values.keySet()) {
            if (!known.contains(k)) {
                String suggestion = closest(k);
                throw new ConfigException("unknown key '" + key(k) + "'"
                        + (suggestion == null ? hint.apply(k) : "; did you mean '" + key(suggestion) + "'?")
                        + " Known keys" + (path.isEmpty() ? "" : " in '" + path + "'") + ": " + String.join(", ", known)
                        + ". See deploy/radflow.example.yaml.");
            }
        }
    }

    private String closest(String k) {
        return Suggestions.closest(k, known).orElse(null);
    }
}
