package org.radflow.report;

import org.radflow.api.ModuleResult;
import org.radflow.jobs.Job;
import org.radflow.jobs.JobJournal;
import org.radflow.jobs.JobState;
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
    private final ScheduledThreadPoolExecutor thread = new ScheduledThreadPoolExecutor(1, Threads.factory("reporter"));

    /**
     * @param writer stores the result and writes the report objects (normally a {@link ReportService})
     */
    public Reporter(JobJournal journal, ResultSink writer, Retry retry) {
        this.journal = journal;
        this.writer = writer;
        this.retry = retry;
        thread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    /** New retry policy (configuration reload); applies to the next failure. */
    public void updateRetry(Retry next) {
        this.retry = next;
    }

    @Override
    public void handOff(Job job, ModuleResult result) {
        try {
            journal.progress(job.id(), 1, "writing reports");
        } catch (SQLException e) {
            LOG.debug("progress of {} not recorded: {}", job.id(), e.toString());
        }
        submit(job, result, 1, Duration.ZERO);
    }

    private void submit(Job job, ModuleResult result, int attempt, Duration delay) {
        try {
            thread.schedule(() -> attempt(job, result, attempt), delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closed) {
            // shutting down: the job stays RUNNING and runs again after the next start
        }
    }

    private void attempt(Job job, ModuleResult result, int attempt) {
        try {
            writer.completed(job, result);
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
        String summary = result.summary().isEmpty() ? null : result.summary();
        if (finish(job, JobState.SUCCEEDED, summary)) {
            LOG.info("Job {} ({} on {}) succeeded", job.id(), job.moduleId(), job.unitKey());
        } else {
            LOG.info("Job {} ({} on {}): reports written, but the job had meanwhile changed state; result kept", job.id(),
                    job.moduleId(), job.unitKey());
        }
    }

    private boolean finish(Job job, JobState state, String reason) {
        try {
            return journal.finish(job.id(), state, reason);
        } catch (SQLException e) {
            LOG.error("Could not journal {} for job {}: {} (it runs again after the next start)", state, job.id(), e.toString());
            return false;
        }
    }

    private void note(Job job, String message) {
        try {
            journal.progress(job.id(), 1, message.length() > 290 ? message.substring(0, 290) + "…" : message);
        } catch (SQLException e) {
            LOG.debug("progress of {} not recorded: {}", job.id(), e.toString());
        }
    }

    /** Finishes the reports under way (bounded); waiting retries are dropped (their jobs run again after a restart). */
    @Override
    public void close() {
        if (!Threads.shutdown(thread, 30, TimeUnit.SECONDS)) {
            LOG.warn("Reports were still being written at shutdown; their jobs run again after the next start");
            thread.shutdownNow();
        }
    }
}
