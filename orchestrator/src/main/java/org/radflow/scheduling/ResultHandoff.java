package org.radflow.scheduling;

import org.radflow.jobs.Job;

import org.radflow.api.ModuleResult;

/**
 * The scheduler's port to the report stage: a module's completed result, handed over once the module returned. From
 * then on the job belongs to the report stage, which marks it SUCCEEDED once its result is stored, its report objects
 * written and journaled in the outbox (or FAILED with a report failure's own reason). Returns at once.
 */
@FunctionalInterface
public interface ResultHandoff {

    void handOff(Job job, ModuleResult result);
}
