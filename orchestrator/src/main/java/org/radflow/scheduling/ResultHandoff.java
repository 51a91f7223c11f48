package org.radflow.scheduling;

import org.radflow.jobs.Job;
import org.radflow.jobs.Lease;

import org.radflow.api.ModuleResult;

/**
 * The scheduler's port to the report stage: a module's completed result, handed over once the module returned. From
 * then on the job belongs to the report stage, which marks it SUCCEEDED once its result is stored, its report objects
 * written and journaled in the outbox (or FAILED with a report failure's own reason), fenced by the job's lease. Returns at once.
 */
@FunctionalInterface
public interface ResultHandoff {

    void handOff(Job job, ModuleResult result);

    /** The leases of the jobs handed over and not finished yet: the scheduler renews them while their reports are written. */
    default java.util.Collection<Lease> leasesHeld() {
        return java.util.List.of();
    }

    /** A renewal found this job's lease gone (another node took it over): its result must not be committed or sent. */
    default void leaseLost(String jobId) {
    }
}
