package org.radflow.routing;

import org.radflow.config.ConfigException;

import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Reading values as SnakeYAML's SafeConstructor produces them (Map, List, String, Integer, Long,
 * BigInteger, Double, Boolean, Date), with errors that name the key and the fix.
 */
final class RawYaml {

    private RawYaml() {
    }

    /** A section (mapping) with string keys, in file order; unknown keys are refused with {@link #refuseUnknown}. */
    static Map<String, Object> section(Object raw, String key, String expected) {
        if (!(raw instanceof Map<?, ?> map)) {
            throw new ConfigException(key + ": expected " + expected + ", got " + describe(raw));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getKey() instanceof String k)) {
                throw new ConfigException(key + ": the key " + describe(e.getKey()) + " is not a name; quote it if it is meant as text");
            }
            out.put(k, e.getValue());
        }
        return out;
    }

    static void refuseUnknown(Map<String, Object> section, Collection<String> known, String key) {
        for (String k : section.keySet()) {
            if (!known.contains(k)) {
                Optional<String> hint = closest(k, known);
                throw new ConfigException("unknown key '" + key + "." + k + "'"
                        + hint.map(h -> "; did you mean '" + h + "'?").orElse(".")
                        + " Known keys here: " + String.join(", ", known) + ".");
            }
        }
    }

    /** A required text value: a string, or a number YAML read from unquoted digits. */
    static String requiredText(Map<String, Object> section, String name, String key, String hint) {
        Object v = section.get(name);
        if (v == null || (v instanceof String s && s.isBlank())) {
            throw new ConfigException(key + "." + name + ": missing; " + hint);
        }
        return text(v, key + "." + name);
    }

    /**
     * One value as text. Whole numbers and decimals become their digits ({@code 3} → "3"); YAML
     * booleans and dates are refused, because the original spelling ({@code NO}, {@code off},
     * {@code 2024-01-02}) is lost and the value would never match what DICOM holds.
     */
    static String text(Object v, String key) {
        if (v instanceof String s) {
            return s.trim();
        }
        if (v instanceof Number) {
            return v.toString();
        }
        if (v instanceof Boolean) {
            throw new ConfigException(key + ": YAML read this as " + v + " (yes/no/on/off/true/false are booleans in YAML); "
                    + "put the value in quotes, e.g. \"NO\" or \"off\"");
        }
        if (v instanceof Date) {
            throw new ConfigException(key + ": YAML read this as a date; put the value in quotes, e.g. \"20240102\" as DICOM writes dates");
        }
        throw new ConfigException(key + ": expected a single value, got " + describe(v));
    }

    static String describe(Object v) {
        if (v == null) {
            return "nothing";
        }
        if (v instanceof Map<?, ?>) {
            return "a section of keys";
        }
        if (v instanceof List<?>) {
            return "a list";
        }
        if (v instanceof String s) {
            return "'" + s + "'";
        }
        if (v instanceof Boolean b) {
            return b + " (a YAML boolean)";
        }
        if (v instanceof Number n) {
            return "the number " + n;
        }
        return "'" + v + "'";
    }

    /** The closest of {@code candidates} to {@code word}, ignoring case, when it is plausibly a typo. */
    static Optional<String> closest(String word, Collection<String> candidates) {
        return org.radflow.config.Suggestions.closest(word, candidates);
    }
}
