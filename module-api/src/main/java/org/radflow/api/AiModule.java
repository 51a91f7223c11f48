package org.radflow.api;

/**
 * A working module. {@link #process} is called on the module's own worker pool, possibly from
 * several threads at once (up to the descriptor's {@code maxConcurrentJobs}); it blocks until done.
 * A module turns pixels and metadata into findings: it never encodes DICOM, opens sockets or
 * chooses destinations.
 */
public interface AiModule extends AutoCloseable {

    /**
     * @return the result; {@link ModuleResult#notApplicable} when the input turns out not to fit
     * @throws ModuleException for failures; {@link ModuleException#isTransient()} decides whether the job is retried
     */
    ModuleResult process(StudyInput input, JobContext job) throws ModuleException;

    /** Releases models and threads; the default does nothing. */
    @Override
    default void close() {
    }
}
