package org.radflow.report;

import org.radflow.jobs.Job;

import org.radflow.api.ModuleResult;

/**
 * Receives each completed result before its job is marked SUCCEEDED, so a crash in between re-runs
 * the job (same output UIDs) instead of losing the result.
 */
@FunctionalInterface
public interface ResultSink {

    void completed(Job job, ModuleResult result) throws Exception;
}
