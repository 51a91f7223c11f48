package org.radflow.api;

/** The running job, as the module sees it. */
public interface JobContext {

    String jobId();

    /** Reports progress (0..1) and a short phrase for the dashboard; cheap, call it freely. */
    void progress(double fraction, String message);

    /** True once the job was cancelled or timed out: stop soon, the result will be discarded. */
    boolean isCancelled();

    /** Throws when cancelled, for use between steps. */
    default void checkCancelled() throws ModuleException {
        if (isCancelled()) {
            throw new ModuleException("job " + jobId() + " was cancelled");
        }
    }
}
