package org.radflow.notify;

import org.radflow.dispatch.Outbox;
import org.radflow.jobs.Job;
import org.radflow.jobs.JobJournal;
import org.radflow.jobs.JobState;
import org.radflow.pipeline.PipelineEvents;
import org.radflow.pipeline.Threads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Turns what the stages report into notifications: a job failed or timed out (job.failed), a job succeeded and its
 * results are written (result.available), a report object was dead-lettered (delivery.dead-letter; its job is read
 * from the journal on this observer's own thread), a module was paused (module.paused).
 */
public final class NotificationObserver implements PipelineEvents, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NotificationObserver.class);

    private final Notifier notifier;
    private final JobJournal journal;
    private final ExecutorService thread = Threads.single("notification-observer");

    public NotificationObserver(Notifier notifier, JobJournal journal) {
        this.notifier = notifier;
        this.journal = journal;
    }

    @Override
    public void jobChanged(Job job, Job.Event e) {
        String event = switch (e.state()) {
            case FAILED, TIMED_OUT -> "job.failed";
            case SUCCEEDED -> "result.available";
            default -> null;
        };
        if (event != null) {
            notifier.publish(new Notification(event, e.at(), job.id(), job.moduleId(), job.ruleName(), job.studyUid(), null,
                    e.state() == JobState.SUCCEEDED ? null : e.message()));
        }
    }

    @Override
    public void deliveryAttempted(Outbox.Delivery d) {
        if (d.state() != Outbox.State.DEAD) {
            return;
        }
        Instant at = Instant.now();
        try {
            thread.execute(() -> {
                Job job = null;
                try {
                    job = journal.find(d.jobId()).orElse(null);
                } catch (Exception e) {
                    LOG.debug("job {} not found for a dead-letter notification: {}", d.jobId(), e.toString());
                }
                notifier.publish(new Notification("delivery.dead-letter", at, d.jobId(), job == null ? null : job.moduleId(),
                        job == null ? null : job.ruleName(), job == null ? null : job.studyUid(), d.destination(), d.error()));
            });
        } catch (RejectedExecutionException closed) {
            // shutting down
        }
    }

    @Override
    public void modulePaused(String moduleId, String reason) {
        notifier.publish(new Notification("module.paused", Instant.now(), null, moduleId, null, null, null, reason));
    }

    @Override
    public void close() {
        Threads.shutdown(thread, 5, TimeUnit.SECONDS);
    }
}
