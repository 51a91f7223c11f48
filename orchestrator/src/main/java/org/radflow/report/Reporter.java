package org.radflow.report;

import org.radflow.api.ModuleResult;
import org.radflow.jobs.Job;
import org.radflow.jobs.JobJournal;
import org.radflow.jobs.JobState;
import org.radflow.jobs.Lease;
import org.radflow.scheduling.ResultHandoff;
import org.radflow.report.ResultSink;
import org.radflow.pipeline.Threads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The report stage: after a module returned a completed result, on RadFlow's own threads — outside the module's
 * timeout, its lane and its class loader — the result is stored, the report objects written and journaled in the
 * outbox ({@link ReportService}), and only then is the job marked SUCCEEDED. A failure here is RadFlow's, not the
 * module's: it is retried with back-off, and after the last attempt the job FAILS with a reason that says it was the
 * report. A crash before SUCCEEDED leaves the job RUNNING, so the next start runs it again (same output UIDs).
 *
 * <p>The job's lease stays with the scheduler's renewals while its reports are written ({@link #leasesHeld}). A job
 * whose lease was lost (another node took it over) is dropped: its reports are not written, and it is not finished.
 */
public final class Reporter implements ResultHandoff, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Reporter.class);

    /** Attempts at writing one job's reports, and the waits between them. */
    public record Retry(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
        public static Retry defaults() {
            return new Retry(3, Duration.ofSeconds(5), Duration.ofMinutes(1));
        }

        Duration delay(int attempt) {
            long ms = initialBackoff.toMillis() << Math.min(20, Math.max(0, attempt - 1));
            return Duration.ofMillis(Math.min(ms, maxBackoff.toMillis()));
        }
    }

    private final JobJournal journal;
    private final ResultSink writer;
    private volatile Retry retry;
    /** Jobs handed over and not finished yet, with their leases (jobs without a lease are not listed). */
    private final java.util.Map<String, Lease> held = new java.util.concurrent.ConcurrentHashMap<>();
    /** Jobs whose lease a renewal found gone while they were here. */
    private final java.util.Set<String> lost = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /**
     * The report threads: one per stripe, a job's stripe chosen by its unit, so that the jobs of one unit (a revision
     * and the one that supersedes it, whose SR names the earlier one as predecessor) are reported in order, and jobs
     * of different units in parallel. One thread was a ceiling on throughput: with two module jobs at once on a
     * 2-core machine, results queued behind it for seconds (bench/throughput.sh, docs/benchmarks.md).
     */
    private final ScheduledThreadPoolExecutor[] threads;

    /** As many report threads as {@link #defaultThreads()}. */
    public Reporter(JobJournal journal, ResultSink writer, Retry retry) {
        this(journal, writer, retry, defaultThreads());
    }

    /**
     * @param writer  stores the result and writes the report objects (normally a {@link ReportService}); called
     *                concurrently for jobs of different units
     * @param threads report threads (at least 1)
     */
    public Reporter(JobJournal journal, ResultSink writer, Retry retry, int threads) {
        this.journal = journal;
        this.writer = writer;
        this.retry = retry;
        this.threads = new ScheduledThreadPoolExecutor[Math.max(1, threads)];
        for (int i = 0; i < this.threads.length; i++) {
            this.threads[i] = new ScheduledThreadPoolExecutor(1, Threads.factory("reporter-" + (i + 1)));
            this.threads[i].setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        }
    }

    /** The processors the JVM may use, at most 4 (report writing is CPU-bound, the modules need CPU too). */
    public static int defaultThreads() {
        return Math.min(4, Runtime.getRuntime().availableProcessors());
    }

    /** The report thread of the job's unit. */
    private ScheduledThreadPoolExecutor threadOf(Job job) {
        return threads[Math.floorMod(job.unitKey().hashCode(), threads.length)];
    }

    /** New retry policy (configuration reload); applies to the next failure. */
    public void updateRetry(Retry next) {
        this.retry = next;
    }

    @Override
    public void handOff(Job job, ModuleResult result) {
        if (job.lease() != null) {
            held.put(job.id(), job.lease());
        }
        note(job, "writing reports");
        submit(job, result, 1, Duration.ZERO);
    }

    @Override
    public java.util.Collection<Lease> leasesHeld() {
        return java.util.List.copyOf(held.values());
    }

    @Override
    public void leaseLost(String jobId) {
        if (held.containsKey(jobId)) {
            lost.add(jobId);
            LOG.warn("Job {}: this node's lease on it is gone while its reports were being written (it was re-queued or taken "
                    + "over by another node); its result is dropped", jobId);
        }
    }

    /** Whether this node may still commit {@code job}: its lease was not found gone and still holds it in the journal. */
    private boolean stillHeld(Job job) {
        if (job.lease() == null) {
            return true;
        }
        if (lost.contains(job.id())) {
            return false;
        }
        try {
            return journal.holds(job.lease());
        } catch (SQLException e) {
            // cannot tell: the fenced finish decides, and the reports carry the same UIDs as any re-run's
            LOG.debug("lease of {} not checked: {}", job.id(), e.toString());
            return true;
        }
    }

    /** The job leaves the report stage: its lease is no longer renewed by this node. */
    private void release(Job job) {
        held.remove(job.id());
        lost.remove(job.id());
    }

    private void submit(Job job, ModuleResult result, int attempt, Duration delay) {
        try {
            threadOf(job).schedule(() -> attempt(job, result, attempt), delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closed) {
            // shutting down: the job stays RUNNING and runs again after the next start
        }
    }

    private void attempt(Job job, ModuleResult result, int attempt) {
        if (!stillHeld(job)) {
            LOG.warn("Job {} ({} on {}): this node's lease on it was lost before its reports were written; result dropped, "
                    + "nothing sent", job.id(), job.moduleId(), job.unitKey());
            release(job);
            return;
        }
        try {
            writer.completed(job, result);
        } catch (org.radflow.dispatch.Outbox.LeaseLostException lost) {
            LOG.warn("Job {} ({} on {}): {}; its reports were written here but not queued for sending", job.id(), job.moduleId(),
                    job.unitKey(), lost.getMessage());
            release(job);
            return;
        } catch (UnreportableResultException invalid) {
            // the module's wrong output, which no retry mends: logged once with the writer's stack, the job fails at once
            LOG.warn("Job {} ({} {} on {}) failed: {}", job.id(), job.moduleId(), job.moduleVersion(), job.unitKey(),
                    invalid.getMessage(), invalid.getCause());
            finish(job, JobState.FAILED, invalid.getMessage());
            return;
        } catch (Exception e) {
            Retry policy = retry;
            if (attempt < policy.maxAttempts()) {
                Duration delay = policy.delay(attempt);
                LOG.warn("Writing the reports of job {} failed (attempt {} of {}), retry in {} s: {}", job.id(), attempt,
                        policy.maxAttempts(), delay.toSeconds(), e.toString());
                note(job, "report writing failed (attempt " + attempt + " of " + policy.maxAttempts() + "), retry in "
                        + delay.toSeconds() + " s: " + e.getMessage());
                submit(job, result, attempt + 1, delay);
                return;
            }
            LOG.error("Writing the reports of job {} failed {} time(s); the job fails", job.id(), attempt, e);
            finish(job, JobState.FAILED, "RadFlow could not store or report the result (the module's part succeeded; "
                    + attempt + " attempt(s)): " + e + ". Fix the cause, then retry the job");
            return;
        }
        // the reason is the outcome, not the module's summary (that stays in the result: result.json, the API's outputs)
        String outcome = job.destinations().isEmpty() ? "reports written (the rule names no destination)"
                : "reports written and queued for " + String.join(", ", job.destinations());
        if (finish(job, JobState.SUCCEEDED, outcome)) {
            LOG.info("Job {} ({} on {}) succeeded", job.id(), job.moduleId(), job.unitKey());
        } else if (job.lease() != null) {
            LOG.warn("Job {} ({} on {}): reports written, but this node's lease on it was lost meanwhile (re-queued or taken "
                    + "over by another node): not marked SUCCEEDED here; its report objects carry the same UIDs as the new "
                    + "holder's", job.id(), job.moduleId(), job.unitKey());
        } else {
            LOG.info("Job {} ({} on {}): reports written, but the job had meanwhile changed state; result kept", job.id(),
                    job.moduleId(), job.unitKey());
        }
    }

    /** Ends the job, fenced by its lease when it has one; the job leaves the report stage either way. */
    private boolean finish(Job job, JobState state, String reason) {
        try {
            return job.lease() == null ? journal.finish(job.id(), state, reason) : journal.finish(job.lease(), state, reason);
        } catch (SQLException e) {
            LOG.error("Could not journal {} for job {}: {} (it runs again after the next start)", state, job.id(), e.toString());
            return false;
        } finally {
            release(job);
        }
    }

    private void note(Job job, String message) {
        String text = message.length() > 290 ? message.substring(0, 290) + "…" : message;
        try {
            if (job.lease() == null) {
                journal.progress(job.id(), 1, text);
            } else {
                journal.progress(job.lease(), 1, text);
            }
        } catch (SQLException e) {
            LOG.debug("progress of {} not recorded: {}", job.id(), e.toString());
        }
    }

    /** Finishes the reports under way (bounded); waiting retries are dropped (their jobs run again after a restart). */
    @Override
    public void close() {
        for (ScheduledThreadPoolExecutor t : threads) {
            t.shutdown();
        }
        boolean busy = false;
        for (ScheduledThreadPoolExecutor t : threads) {
            if (!Threads.shutdown(t, 30, TimeUnit.SECONDS)) {
                busy = true;
                t.shutdownNow();
            }
        }
        if (busy) {
            LOG.warn("Reports were still being written at shutdown; their jobs run again after the next start");
        }
    }
}
