package org.radflow.api;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A key a module accepts in its configuration scope {@code modules.<id>.config.*}, with its type, default,
 * range and help text. The host checks every configured value against it before the module is created (at
 * start and at a configuration reload) and refuses a wrong one naming the key, the value and the fix; keys
 * the descriptor does not declare are refused too. The module then reads typed values
 * ({@link ModuleConfig#getInt(String)}, {@link ModuleConfig#getDouble(String)}, ...) and never parses text.
 *
 * <pre>{@code
 * .config(ConfigProperty.number("threshold", "Probability above which a finding is reported", 0.5).range(0, 1))
 * .config(ConfigProperty.choice("backend", "Model format", "onnx", "onnx", "tensorflow-savedmodel"))
 * .config(ConfigProperty.secret("apiKey", "Key of the model server"))
 * }</pre>
 *
 * <p>A property made the 0.2 way ({@link #of} or the four-argument constructor) is a {@link Type#STRING}
 * property: any single value is accepted and handed over as text.
 *
 * @param description   the help text operators see (README tables, {@code /api/modules})
 * @param defaultValue  the default as text (as it would be written in YAML); null when the key is required
 * @param secret        never logged or shown by the API ({@link Type#SECRET} properties always are)
 * @param allowedValues the values a {@link Type#ENUM} property accepts, in the order shown; empty otherwise
 * @param min           the smallest value of an {@link Type#INTEGER} or {@link Type#NUMBER} property; null for none
 * @param max           the largest value; null for none
 * @since API 0.3 for everything beyond name, description, default and secret
 */
public record ConfigProperty(String name, String description, String defaultValue, boolean secret, Type type,
                             List<String> allowedValues, Double min, Double max) {

    /** What a value must be. */
    public enum Type {
        /** Any single value, as text. */
        STRING("text"),
        /** A whole number (fits a Java {@code int}). */
        INTEGER("whole number"),
        /** A finite decimal number. */
        NUMBER("number"),
        /** {@code true} or {@code false}. */
        BOOLEAN("true or false"),
        /** One of {@link ConfigProperty#allowedValues()} (matched ignoring case; the declared spelling is used). */
        ENUM("one of the allowed values"),
        /** A file system path (not checked for existence: where it is resolved is the module's choice). */
        PATH("path"),
        /** Text that is never logged or shown. */
        SECRET("secret");

        private final String phrase;

        Type(String phrase) {
            this.phrase = phrase;
        }

        /** How messages name the type ("a whole number"). */
        public String phrase() {
            return phrase;
        }
    }

    public ConfigProperty {
        Checks.require(name, "name");
        description = description == null ? "" : description;
        type = type == null ? Type.STRING : type;
        secret = secret || type == Type.SECRET;
        allowedValues = allowedValues == null ? List.of() : List.copyOf(allowedValues);
        if (type == Type.ENUM && allowedValues.isEmpty()) {
            throw new IllegalArgumentException("configuration key '" + name + "': an enum property needs its allowed values");
        }
        if (type != Type.ENUM && !allowedValues.isEmpty()) {
            throw new IllegalArgumentException("configuration key '" + name + "': only an enum property has allowed values");
        }
        if ((min != null || max != null) && type != Type.INTEGER && type != Type.NUMBER) {
            throw new IllegalArgumentException("configuration key '" + name + "': only integer and number properties have a range");
        }
        if (min != null && max != null && min > max) {
            throw new IllegalArgumentException("configuration key '" + name + "': minimum " + min + " is above maximum " + max);
        }
        if (defaultValue != null) {
            try {
                defaultValue = ConfigValues.text(ConfigValues.check(type, allowedValues, min, max, defaultValue));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("configuration key '" + name + "': the default " + e.getMessage(), e);
            }
        }
    }

    /** A text property, as in API 0.2 (source and binary compatible). */
    public ConfigProperty(String name, String description, String defaultValue, boolean secret) {
        this(name, description, defaultValue, secret, Type.STRING, List.of(), null, null);
    }

    /** A text property, as in API 0.2. */
    public static ConfigProperty of(String name, String description, String defaultValue) {
        return new ConfigProperty(name, description, defaultValue, false);
    }

    /** Text; {@code defaultValue} null makes the key required. */
    public static ConfigProperty string(String name, String description, String defaultValue) {
        return new ConfigProperty(name, description, defaultValue, false, Type.STRING, List.of(), null, null);
    }

    /** A whole number; narrow it with {@link #range}. */
    public static ConfigProperty integer(String name, String description, int defaultValue) {
        return new ConfigProperty(name, description, String.valueOf(defaultValue), false, Type.INTEGER, List.of(), null, null);
    }

    /** A decimal number; narrow it with {@link #range}. */
    public static ConfigProperty number(String name, String description, double defaultValue) {
        return new ConfigProperty(name, description, String.valueOf(defaultValue), false, Type.NUMBER, List.of(), null, null);
    }

    /** {@code true} or {@code false}. */
    public static ConfigProperty bool(String name, String description, boolean defaultValue) {
        return new ConfigProperty(name, description, String.valueOf(defaultValue), false, Type.BOOLEAN, List.of(), null, null);
    }

    /** One of the allowed values; {@code defaultValue} null makes the key required. */
    public static ConfigProperty choice(String name, String description, String defaultValue, String... allowed) {
        return new ConfigProperty(name, description, defaultValue, false, Type.ENUM, List.of(allowed), null, null);
    }

    /** A file system path; {@code defaultValue} null makes the key required. */
    public static ConfigProperty path(String name, String description, String defaultValue) {
        return new ConfigProperty(name, description, defaultValue, false, Type.PATH, List.of(), null, null);
    }

    /** A required secret (a password, a token): never logged or shown. */
    public static ConfigProperty secret(String name, String description) {
        return new ConfigProperty(name, description, null, true, Type.SECRET, List.of(), null, null);
    }

    /** The same property limited to {@code min..max} (inclusive); integer and number properties only. */
    public ConfigProperty range(double min, double max) {
        return new ConfigProperty(name, description, defaultValue, secret, type, allowedValues, min, max);
    }

    /** The same property with at least {@code min}; integer and number properties only. */
    public ConfigProperty atLeast(double min) {
        return new ConfigProperty(name, description, defaultValue, secret, type, allowedValues, min, max);
    }

    /** The same property with another default (null: required). */
    public ConfigProperty withDefault(String value) {
        return new ConfigProperty(name, description, value, secret, type, allowedValues, min, max);
    }

    /** True when there is no default: the configuration must give the key. */
    public boolean required() {
        return defaultValue == null;
    }

    /**
     * Checks a configured value, as read from YAML (a string, number or boolean) or as text, and returns it
     * in its canonical text form ({@code "16"}, {@code "0.5"}, {@code "true"}, the declared spelling of an
     * enum value). The host calls this for every configured key.
     *
     * @throws IllegalArgumentException saying what is wrong with the value and what to give instead, without
     *                                  the key (the caller knows where the key is): {@code '1.5' is above the
     *                                  maximum 1.0; give a number from 0 to 1}
     */
    public String check(Object value) {
        return ConfigValues.text(ConfigValues.check(type, allowedValues, min, max, value));
    }

    /** What a valid value looks like, for help text: "a whole number from 1 to 1024", "onnx, max or none". */
    public String expected() {
        return ConfigValues.expected(type, allowedValues, min, max);
    }

    /** True for a value YAML gives as a list or a section, never a single value. */
    static boolean isCompound(Object value) {
        return value instanceof Collection<?> || value instanceof Map<?, ?>;
    }

    /** The checks behind {@link #check}; static so that {@link ModuleConfig}'s defaults share them. */
    static final class ConfigValues {

        private ConfigValues() {
        }

        static Object check(Type type, List<String> allowed, Double min, Double max, Object value) {
            if (value == null) {
                throw new IllegalArgumentException("is empty; give " + expected(type, allowed, min, max));
            }
            if (isCompound(value)) {
                throw new IllegalArgumentException("is a " + (value instanceof Map ? "section" : "list")
                        + ", not a single value; give " + expected(type, allowed, min, max));
            }
            String text = String.valueOf(value);
            return switch (type) {
                case STRING, SECRET -> text;
                case INTEGER -> {
                    long n;
                    if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
                        n = ((Number) value).longValue();
                    } else {
                        try {
                            n = Long.parseLong(text.trim());
                        } catch (NumberFormatException e) {
                            throw new IllegalArgumentException("'" + text + "' is not a whole number; give "
                                    + expected(type, allowed, min, max));
                        }
                    }
                    if (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE) {
                        throw new IllegalArgumentException("'" + text + "' is too large; give " + expected(type, allowed, min, max));
                    }
                    inRange(type, allowed, min, max, text, n);
                    yield (int) n;
                }
                case NUMBER -> {
                    double d;
                    if (value instanceof Number number) {
                        d = number.doubleValue();
                    } else {
                        try {
                            d = Double.parseDouble(text.trim());
                        } catch (NumberFormatException e) {
                            d = Double.NaN;
                        }
                    }
                    if (!Double.isFinite(d)) {
                        throw new IllegalArgumentException("'" + text + "' is not a number; give " + expected(type, allowed, min, max));
                    }
                    inRange(type, allowed, min, max, text, d);
                    yield d;
                }
                case BOOLEAN -> {
                    if (value instanceof Boolean b) {
                        yield b;
                    }
                    String t = text.trim().toLowerCase(Locale.ROOT);
                    if (t.equals("true") || t.equals("false")) {
                        yield Boolean.parseBoolean(t);
                    }
                    throw new IllegalArgumentException("'" + text + "' is not true or false; give true or false");
                }
                case ENUM -> {
                    String t = text.trim();
                    for (String a : allowed) {
                        if (a.equalsIgnoreCase(t)) {
                            yield a;
                        }
                    }
                    throw new IllegalArgumentException("'" + text + "' is not allowed; give " + expected(type, allowed, min, max));
                }
                case PATH -> {
                    String t = text.trim();
                    if (t.isEmpty()) {
                        throw new IllegalArgumentException("is empty; give a path");
                    }
                    try {
                        Path.of(t);
                    } catch (InvalidPathException e) {
                        throw new IllegalArgumentException("'" + text + "' is not a path (" + e.getReason() + "); give a path");
                    }
                    yield t;
                }
            };
        }

        private static void inRange(Type type, List<String> allowed, Double min, Double max, String text, double v) {
            if (min != null && v < min) {
                throw new IllegalArgumentException("'" + text + "' is below the minimum " + bound(type, min) + "; give "
                        + expected(type, allowed, min, max));
            }
            if (max != null && v > max) {
                throw new IllegalArgumentException("'" + text + "' is above the maximum " + bound(type, max) + "; give "
                        + expected(type, allowed, min, max));
            }
        }

        /** A bound as declared: whole for integers, with its decimals for numbers ("1.0"). */
        private static String bound(Type type, double v) {
            return type == Type.INTEGER ? String.valueOf((long) v) : String.valueOf(v);
        }

        /** A bound in prose: "1", "0.5". */
        private static String compact(double v) {
            return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v);
        }

        static String expected(Type type, List<String> allowed, Double min, Double max) {
            return switch (type) {
                case ENUM -> "one of " + String.join(", ", allowed);
                case INTEGER, NUMBER -> {
                    String what = type == Type.INTEGER ? "a whole number" : "a number";
                    if (min != null && max != null) {
                        yield what + " from " + compact(min) + " to " + compact(max);
                    } else if (min != null) {
                        yield what + " of at least " + compact(min);
                    } else if (max != null) {
                        yield what + " of at most " + compact(max);
                    }
                    yield what;
                }
                case BOOLEAN -> "true or false";
                case PATH -> "a path";
                case STRING, SECRET -> "a single value";
            };
        }

        /** The canonical text of a checked value. */
        static String text(Object checked) {
            return String.valueOf(checked);
        }
    }
}
