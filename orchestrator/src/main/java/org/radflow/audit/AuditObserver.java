package org.radflow.audit;

import io.vertx.core.json.JsonObject;
import org.radflow.dicom.AttributeListTags;
import org.radflow.dicom.LogText;
import org.radflow.dispatch.Outbox;
import org.radflow.jobs.Job;
import org.radflow.jobs.JobJournal;
import org.radflow.listener.AssociationSummary;
import org.radflow.pipeline.PipelineEvents;
import org.radflow.pipeline.Threads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Writes what the stages report to the audit trail: every association, every job state change and every delivery
 * attempt. A delivery's record needs the job and the object's series (a journal and a file read): that work runs on
 * this observer's own thread, never on the outbox's or the event loop.
 */
public final class AuditObserver implements PipelineEvents, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AuditObserver.class);

    private final AuditLog audit;
    private final JobJournal journal;
    private final ExecutorService thread = Threads.single("audit-observer");

    public AuditObserver(AuditLog audit, JobJournal journal) {
        this.audit = audit;
        this.journal = journal;
    }

    @Override
    public void associationEnded(AssociationSummary s) {
        Instant end = Instant.now();
        // AE titles and the outcome come from the peer: escaped like log lines, so an audit reader that shows
        // the values as text cannot be fooled by control characters either
        audit.record("dicom.association", new JsonObject()
                .put("callingAeTitle", LogText.escape(s.callingAeTitle()))
                .put("calledAeTitle", LogText.escape(s.calledAeTitle()))
                .put("peerAddress", s.peerAddress())
                .put("instancesStored", s.stored())
                .put("instancesRefused", s.refused())
                .put("bytes", s.bytes())
                .put("start", end.minus(s.duration()).toString())
                .put("end", end.toString())
                .put("outcome", LogText.escape(s.outcome())));
    }

    @Override
    public void jobChanged(Job job, Job.Event e) {
        audit.record("job.state", new JsonObject()
                .put("jobId", job.id())
                .put("module", job.moduleId())
                .put("moduleVersion", job.moduleVersion())
                .put("generation", job.run() == null ? null : job.run().generation())
                .put("moduleRunMs", job.run() == null || job.run().moduleMillis() < 0 ? null : job.run().moduleMillis())
                .put("rule", job.ruleName())
                .put("studyInstanceUid", job.studyUid())
                .put("seriesInstanceUid", job.seriesUid())
                .put("state", e.state().name())
                .put("attempts", job.attempts())
                .put("message", e.message()));
    }

    @Override
    public void deliveryAttempted(Outbox.Delivery d) {
        try {
            thread.execute(() -> record(d));
        } catch (RejectedExecutionException closed) {
            // shutting down
        }
    }

    private void record(Outbox.Delivery d) {
        Job job = null;
        try {
            job = journal.find(d.jobId()).orElse(null);
        } catch (Exception e) {
            LOG.debug("job {} not found for the audit trail: {}", d.jobId(), e.toString());
        }
        String series = null;
        String sopClass = null;
        try {
            AttributeListTags tags = AttributeListTags.read(d.file());
            series = tags.values("SeriesInstanceUID").stream().findFirst().orElse(null);
            sopClass = tags.values("SOPClassUID").stream().findFirst().orElse(null);
        } catch (Exception e) {
            LOG.debug("cannot read {} for the audit trail: {}", d.file(), e.toString());
        }
        audit.record("object.sent", new JsonObject()
                .put("destination", d.destination())
                .put("jobId", d.jobId())
                .put("module", job == null ? null : job.moduleId())
                .put("studyInstanceUid", job == null ? null : job.studyUid())
                .put("seriesInstanceUid", series)
                .put("sopInstanceUid", d.sopInstanceUid())
                .put("sopClassUid", sopClass)
                .put("status", d.state().name())
                .put("attempt", d.attempts())
                .put("error", d.error() == null ? null : LogText.escape(d.error(), 1000)));
    }

    /** Writes the records still queued (bounded). */
    @Override
    public void close() {
        Threads.shutdown(thread, 5, TimeUnit.SECONDS);
    }
}
