package org.radflow.jobs;

/** Where a job is. Terminal states never change again, except by an operator's retry (a new attempt). */
public enum JobState {
    QUEUED, RUNNING, SUCCEEDED, NOT_APPLICABLE, FAILED, TIMED_OUT, CANCELLED;

    public boolean terminal() {
        return this != QUEUED && this != RUNNING;
    }
}
