package org.radflow.api;

/** The unit a module processes, and so when its job starts. */
public enum Trigger {
    /** Each instance as soon as it is stored. */
    INSTANCE,
    /** A series after its quiet period (no new instance for a while). */
    SERIES,
    /** A whole study after its quiet period. */
    STUDY
}
