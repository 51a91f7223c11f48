package org.radflow.api;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * The module's own configuration scope ({@code modules.<id>.config.*}). The host has checked every value
 * against the module's {@link ConfigProperty declared properties} before the module is created, so the
 * typed getters ({@link #getInt(String)}, {@link #getDouble(String)}, {@link #getBoolean(String)},
 * {@link #getChoice(String)}, {@link #getPath(String)}) return a valid value or the default and need no
 * error handling: they throw {@link IllegalArgumentException} only for a key the descriptor does not declare
 * or a getter that does not fit the declared type, which is a mistake in the module.
 */
public interface ModuleConfig {

    /** The configured value as text, else the property's default; empty only for an undeclared key. */
    Optional<String> get(String name);

    default String require(String name) throws ModuleException {
        return get(name).orElseThrow(() -> new ModuleException("configuration key '" + name + "' is required"));
    }

    /** The 0.2 way: parses the text itself. Prefer {@link #getInt(String)} with an {@link ConfigProperty#integer} property. */
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

    /**
     * The value as text (any property type).
     *
     * @since API 0.3
     */
    default String getString(String name) {
        return value(this, name);
    }

    /**
     * The value of an {@link ConfigProperty.Type#INTEGER} property.
     *
     * @since API 0.3
     */
    default int getInt(String name) {
        String v = value(this, name);
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("configuration key '" + name + "' is '" + v + "', not a whole number:"
                    + " declare it with ConfigProperty.integer so that the host checks it");
        }
    }

    /**
     * The value of a {@link ConfigProperty.Type#NUMBER} (or integer) property.
     *
     * @since API 0.3
     */
    default double getDouble(String name) {
        String v = value(this, name);
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("configuration key '" + name + "' is '" + v + "', not a number:"
                    + " declare it with ConfigProperty.number so that the host checks it");
        }
    }

    /**
     * The value of a {@link ConfigProperty.Type#BOOLEAN} property.
     *
     * @since API 0.3
     */
    default boolean getBoolean(String name) {
        String v = value(this, name).trim().toLowerCase(Locale.ROOT);
        if (!v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException("configuration key '" + name + "' is '" + v + "', not true or false:"
                    + " declare it with ConfigProperty.bool so that the host checks it");
        }
        return Boolean.parseBoolean(v);
    }

    /**
     * The value of an {@link ConfigProperty.Type#ENUM} property, spelt as declared.
     *
     * @since API 0.3
     */
    default String getChoice(String name) {
        return value(this, name).trim();
    }

    /**
     * The value of an enum property as a constant of {@code type}: the allowed value with '-' read as '_',
     * ignoring case ({@code tensorflow-savedmodel} is {@code TENSORFLOW_SAVEDMODEL}).
     *
     * @since API 0.3
     */
    default <E extends Enum<E>> E getEnum(String name, Class<E> type) {
        String v = getChoice(name).replace('-', '_');
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(v)) {
                return e;
            }
        }
        throw new IllegalArgumentException("configuration key '" + name + "' is '" + getChoice(name) + "', which "
                + type.getSimpleName() + " has no constant for");
    }

    /**
     * The value of a {@link ConfigProperty.Type#PATH} property, as given (relative paths are the module's to resolve).
     *
     * @since API 0.3
     */
    default Path getPath(String name) {
        return Path.of(value(this, name).trim());
    }

    private static String value(ModuleConfig config, String name) {
        return config.get(name).orElseThrow(() -> new IllegalArgumentException("configuration key '" + name
                + "' has no value: the module's descriptor does not declare it"));
    }
}
