package org.radflow.host;

import org.radflow.api.ModuleException;

/**
 * The module's own {@code process()} call failed (it threw, or returned nothing): a reason a person can read, and what
 * the module threw (in a worker: its stack trace as text) for the log, which records it once, at WARN, with the job.
 */
public final class ModuleFailure extends ModuleException {

    /**
     * @param thrown the module's exception, a {@link WorkerStackTrace}, or null when there is nothing more to show
     */
    public ModuleFailure(String reason, boolean transientFailure, Throwable thrown) {
        super(reason, transientFailure, thrown);
    }

    /** The module's exception as a job's reason: its own words for a ModuleException, else what it threw and where. */
    public static String reason(Throwable t) {
        if (t instanceof ModuleException) {
            return t.getMessage() == null || t.getMessage().isBlank() ? "the module failed without saying why" : t.getMessage();
        }
        String message = t.getMessage() == null || t.getMessage().isBlank() ? "" : ": " + t.getMessage();
        StackTraceElement[] stack = t.getStackTrace();
        String where = stack.length == 0 ? "" : " (at " + stack[0].getClassName() + "." + stack[0].getMethodName()
                + (stack[0].getLineNumber() > 0 ? " line " + stack[0].getLineNumber() : "") + ")";
        return "the module threw " + t.getClass().getSimpleName() + message + where + "; its stack trace is in RadFlow's log";
    }

    /** The stack trace a worker sent with its FAILURE frame, shown in the host's log as the failure's cause. */
    public static final class WorkerStackTrace extends Exception {
        /** The worker's text is the message; this exception has no stack of its own (it was made by the host). */
        public WorkerStackTrace(String text) {
            super(text.strip(), null, false, false);
        }
    }
}
