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

    /**
     * The model this instance actually runs, when configuration decides it (for example the small demo
     * model shipped in the module's JAR, whose identity says {@code demo = true}); null means the
     * descriptor's {@link ModuleDescriptor#model()}. Reports, the API and the audit use this identity.
     *
     * @since API 0.2
     */
    default ModelIdentity model() {
        return null;
    }

    /** Releases models and threads; the default does nothing. */
    @Override
    default void close() {
    }
}
