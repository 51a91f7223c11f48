package org.radflow.metrics;

import org.radflow.dispatch.Outbox;
import org.radflow.intake.ReceivedInstance;
import org.radflow.jobs.Job;
import org.radflow.jobs.JobJournal;
import org.radflow.jobs.JobState;
import org.radflow.jobs.ModuleRun;
import org.radflow.listener.AssociationSummary;
import org.radflow.pipeline.PipelineEvents;
import org.radflow.pipeline.Threads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Turns what the stages report into {@link Metrics}: instances and bytes received, associations, queue wait and run
 * time per module (from job state changes), deliveries and failed attempts per destination. A delivery's module comes
 * from the journal: that read runs on this observer's own thread.
 */
public final class MetricsObserver implements PipelineEvents, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MetricsObserver.class);

    private final Metrics metrics;
    private final JobJournal journal;
    /** Job start times for the run-time histogram: jobs seen RUNNING, by id. */
    private final Map<String, Instant> runningSince = new ConcurrentHashMap<>();
    private final ExecutorService thread = Threads.single("metrics-observer");

    public MetricsObserver(Metrics metrics, JobJournal journal) {
        this.metrics = metrics;
        this.journal = journal;
    }

    @Override
    public void instanceReceived(ReceivedInstance instance) {
        metrics.instanceReceived(instance.stored().size());
    }

    @Override
    public void associationEnded(AssociationSummary summary) {
        metrics.associationEnded();
    }

    @Override
    public void jobChanged(Job job, Job.Event e) {
        if (e.state() == JobState.RUNNING) {
            // a running job's later events (what ran its attempt) are RUNNING too: only the first starts the clock
            if (runningSince.putIfAbsent(job.id(), e.at()) == null) {
                Instant eligible = job.nextAttemptAt() == null ? job.createdAt() : job.nextAttemptAt();
                metrics.queueWait(job.moduleId(), Duration.between(eligible, e.at()).toMillis() / 1000.0);
            }
        } else {
            Instant since = runningSince.remove(job.id());
            if (since != null) {
                metrics.runTime(job.moduleId(), Duration.between(since, e.at()).toMillis() / 1000.0);
            }
        }
    }

    @Override
    public void moduleRan(Job job, ModuleRun run) {
        if (run.moduleMillis() >= 0) {
            metrics.moduleRun(job.moduleId(), run.moduleMillis() / 1000.0);
        }
    }

    @Override
    public void deliveryAttempted(Outbox.Delivery d) {
        if (!d.sent()) {
            metrics.deliveryFailed(d.destination());
            return;
        }
        try {
            thread.execute(() -> {
                String module = "unknown";
                try {
                    module = journal.find(d.jobId()).map(Job::moduleId).orElse("unknown");
                } catch (Exception e) {
                    LOG.debug("job {} not found for delivery metrics: {}", d.jobId(), e.toString());
                }
                metrics.delivered(module, d.destination(), d.sinceQueued().toMillis() / 1000.0);
            });
        } catch (RejectedExecutionException closed) {
            // shutting down
        }
    }

    @Override
    public void close() {
        Threads.shutdown(thread, 5, TimeUnit.SECONDS);
    }
}
