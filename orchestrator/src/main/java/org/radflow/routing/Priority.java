package org.radflow.routing;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * How urgent a rule's jobs are. Declared most urgent first, so the natural order (and
 * {@link #ordinal()}) sorts a queue: STAT before HIGH before NORMAL before LOW.
 */
public enum Priority {
    /** Emergency reads: jump every queue. */
    STAT,
    HIGH,
    NORMAL,
    /** Research and back-fill work: runs when nothing else waits. */
    LOW;

    /** The word used in configuration and the API: {@code stat}, {@code high}, {@code normal}, {@code low}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a configuration word, ignoring case; empty when it is not one. */
    public static Optional<Priority> fromConfig(String value) {
        if (value == null) {
            return Optional.empty();
        }
        String v = value.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(p -> p.configName().equals(v)).findFirst();
    }

    /** {@code stat, high, normal, low}, for error messages. */
    static String choices() {
        return Arrays.stream(values()).map(Priority::configName).collect(Collectors.joining(", "));
    }
}
