package org.radflow.moduletest;

import org.radflow.api.JobContext;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A {@link JobContext} that records what the module reports and is cancelled when the test says so: at once
 * ({@link #cancel()}) or once the module has reported a given progress ({@link #cancelAtProgress}).
 */
public final class TestJob implements JobContext {

    private final String id;
    private final List<Double> progress = new ArrayList<>();
    private final List<String> messages = new ArrayList<>();
    private volatile boolean cancelled;
    private volatile double cancelAt = Double.NaN;

    public TestJob() {
        this("test-job");
    }

    public TestJob(String id) {
        this.id = id;
    }

    @Override
    public String jobId() {
        return id;
    }

    @Override
    public synchronized void progress(double fraction, String message) {
        progress.add(fraction);
        messages.add(message);
        if (fraction >= cancelAt) {
            cancelled = true;
        }
    }

    @Override
    public boolean isCancelled() {
        return cancelled;
    }

    /** Cancels the job now: {@link #isCancelled()} is true from here on. */
    public void cancel() {
        cancelled = true;
    }

    /** Cancels the job when the module reports at least this fraction, as an operator clicking Cancel mid-run. */
    public TestJob cancelAtProgress(double fraction) {
        cancelAt = fraction;
        return this;
    }

    /** The fractions reported, in order. */
    public synchronized List<Double> progress() {
        return List.copyOf(progress);
    }

    /** The phrases reported with them. */
    public synchronized List<String> messages() {
        return Collections.unmodifiableList(new ArrayList<>(messages)); // a module may report no phrase (null)
    }

    @Override
    public String toString() {
        return "TestJob[" + id + (cancelled ? ", cancelled" : "") + ", progress " + progress() + "]";
    }
}
