package org.radflow.api;

/**
 * A module failure. Transient failures (a resource briefly unavailable) are retried with back-off;
 * permanent ones (bad input, missing model) fail the job at once with this message as the reason.
 */
public class ModuleException extends Exception {

    private final boolean transientFailure;

    public ModuleException(String message) {
        this(message, false, null);
    }

    public ModuleException(String message, Throwable cause) {
        this(message, false, cause);
    }

    public ModuleException(String message, boolean transientFailure, Throwable cause) {
        super(message, cause);
        this.transientFailure = transientFailure;
    }

    public static ModuleException transientFailure(String message, Throwable cause) {
        return new ModuleException(message, true, cause);
    }

    public boolean isTransient() {
        return transientFailure;
    }
}
