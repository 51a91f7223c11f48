package org.radflow.routing;

import java.util.Locale;

/** Queue priority of a rule's jobs; STAT first. Waiting jobs age, so LOW is never starved. */
public enum Priority {
    STAT, HIGH, NORMAL, LOW;

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
