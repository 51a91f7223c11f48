package org.radflow.host;

import org.radflow.api.JobContext;
import org.radflow.api.ModuleException;
import org.radflow.api.ModuleResult;
import org.radflow.jobs.Job;

/**
 * Where a job's module call runs: the scheduler decides when (lanes, limits, timeouts, retries), the host decides how
 * (which generation of the module, its class loader, its decoded input). The seam for running modules in worker
 * processes: the scheduler does not know which host it has.
 */
public interface ModuleHost {

    /**
     * Runs the job's module on the calling thread and returns what it returned (null when it returned nothing).
     *
     * @param recorder told which module generation runs the job and how long its {@code process()} call took
     * @throws ModuleException for the module's own failures and for inputs that cannot be read
     */
    ModuleResult run(Job job, JobContext context, RunRecorder recorder) throws Exception;

    /** {@link #run(Job, JobContext, RunRecorder)} without recording what ran. */
    default ModuleResult run(Job job, JobContext context) throws Exception {
        return run(job, context, RunRecorder.NONE);
    }
}
