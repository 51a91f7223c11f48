package org.radflow.host;

import org.radflow.api.ModelIdentity;

/**
 * Told by a {@link ModuleHost} what runs a job: which generation of the module the attempt holds (before its
 * {@code process()} call) and how long that call took (once it returned or threw). The scheduler turns it into the
 * attempt's {@link org.radflow.jobs.ModuleRun}.
 */
public interface RunRecorder {

    /** Ignores everything (tools and benchmarks that call a host directly). */
    RunRecorder NONE = new RunRecorder() {
        @Override
        public void running(String version, int generation, String sha256, ModelIdentity model, String isolation) {
        }

        @Override
        public void moduleTime(long nanos) {
        }
    };

    /**
     * @param generation the registry's generation of the module's directory (0 for built-ins)
     * @param isolation  {@code process} or {@code in-process}
     */
    void running(String version, int generation, String sha256, ModelIdentity model, String isolation);

    /** The module's {@code process()} call returned or threw after this many nanoseconds. */
    void moduleTime(long nanos);
}
