package org.radflow.report;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.Trigger;
import org.radflow.jobs.Job;
import org.radflow.jobs.JobJournal;
import org.radflow.jobs.JobState;
import org.radflow.routing.Priority;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Result retention against a real embedded journal and outbox: the outputs of old, finished, delivered jobs go and
 * their findings stay; undelivered, dead-lettered, awaiting-commitment, recent, running and held ones keep theirs.
 */
class ResultRetentionTest {

    @TempDir
    Path dir;
    private JobJournal journal;
    private Path results;
    private final java.util.Set<String> held = new java.util.HashSet<>();
    private ResultRetention retention;
    /** Jobs finish now (the journal's clock); sweeps look from 100 days later. */
    private final Instant later = Instant.now().plus(Duration.ofDays(100));

    @BeforeEach
    void open() throws Exception {
        journal = JobJournal.openEmbedded(dir.resolve("journal"));
        results = dir.resolve("results");
        retention = new ResultRetention(results, journal.store(), held::contains);
    }

    @AfterEach
    void close() {
        journal.close();
    }

    private Job job(String study, JobState state) throws Exception {
        Job j = journal.enqueue(new JobJournal.NewJob("series:" + study + "/" + study + ".1", Trigger.SERIES, study, study + ".1",
                null, "sample", "1.0", "r", Priority.NORMAL, List.of(), List.of(), "h-" + study), JobState.QUEUED, "planned")
                .orElseThrow();
        if (state != JobState.QUEUED) {
            assertTrue(journal.markRunning(j.id()));
            if (state != JobState.RUNNING) {
                assertTrue(journal.finish(j.id(), state, "done"));
            }
        }
        return j;
    }

    /** A result folder as ResultStore and ReportService leave it: findings, a label map, a key image, two objects. */
    private Path result(Job j) throws Exception {
        return result(j.id());
    }

    private Path result(String jobId) throws Exception {
        Path d = Files.createDirectories(results.resolve(jobId).resolve("dicom"));
        Files.writeString(d.getParent().resolve("result.json"), "{\"summary\": \"s\", \"findings\": []}");
        Files.write(d.getParent().resolve("labels-0.raw"), new byte[4096]);
        Files.write(d.getParent().resolve("key-image-0.rgb"), new byte[8192]);
        Files.write(d.resolve("sr.dcm"), new byte[1000]);
        Files.write(d.resolve("sc.dcm"), new byte[2000]);
        return d.getParent();
    }

    private void outbox(Job j, String destination, String state) throws Exception {
        journal.store().transaction(c -> {
            try (PreparedStatement u = c.prepareStatement("INSERT INTO outbox (destination, sop_instance_uid, job_id, file_path, state, "
                    + "attempts, next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)")) {
                Timestamp t = Timestamp.from(Instant.now());
                u.setString(1, destination);
                u.setString(2, "2.25." + Math.abs(j.id().hashCode()) + "." + destination.length() + state.length());
                u.setString(3, j.id());
                u.setString(4, "/x");
                u.setString(5, state);
                u.setTimestamp(6, t);
                u.setTimestamp(7, t);
                u.setTimestamp(8, t);
                return u.executeUpdate();
            }
        });
    }

    private static Set<String> names(Path d) throws Exception {
        try (var s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet());
        }
    }

    @Test
    void deliveredOutputsOfOldJobsGoTheirFindingsStayEverythingStillNeededStays() throws Exception {
        Job delivered = job("1.2.1", JobState.SUCCEEDED);
        Path deliveredDir = result(delivered);
        outbox(delivered, "pacs", "SENT");
        outbox(delivered, "archive", "COMMITTED");
        Job noDestinations = job("1.2.2", JobState.SUCCEEDED);
        Path noDestinationsDir = result(noDestinations);
        Job pending = job("1.2.3", JobState.SUCCEEDED);
        Path pendingDir = result(pending);
        outbox(pending, "pacs", "SENT");
        outbox(pending, "archive", "PENDING");
        Job dead = job("1.2.4", JobState.SUCCEEDED);
        Path deadDir = result(dead);
        outbox(dead, "pacs", "DEAD");
        Job committing = job("1.2.5", JobState.SUCCEEDED);
        Path committingDir = result(committing);
        outbox(committing, "pacs", "COMMITTING");
        Job running = job("1.2.6", JobState.RUNNING);
        Path runningDir = result(running);
        Job heldJob = job("1.2.7", JobState.SUCCEEDED);
        Path heldDir = result(heldJob);
        held.add("1.2.7");
        Path foreign = result("00000000-0000-0000-0000-000000000001"); // not in this journal: another node's copy

        ResultRetention.Sweep early = retention.sweep(Instant.now(), Duration.ofDays(90));
        assertEquals(0, early.removed(), "nothing finished 90 days ago yet");

        ResultRetention.Sweep s = retention.sweep(later, Duration.ofDays(90));
        assertEquals(2, s.removed());
        assertEquals(4096 + 8192 + 1000 + 2000, s.bytes() / 2);
        for (Path gone : List.of(deliveredDir, noDestinationsDir)) {
            assertEquals(Set.of("result.json", ResultRetention.REMOVED), names(gone), gone.toString());
            assertTrue(ResultRetention.removedAt(gone).isPresent());
        }
        for (Path kept : List.of(pendingDir, deadDir, committingDir, runningDir, heldDir, foreign)) {
            assertEquals(Set.of("result.json", "dicom", "labels-0.raw", "key-image-0.rgb"), names(kept), kept.toString());
            assertFalse(ResultRetention.removedAt(kept).isPresent());
        }
        assertEquals(6, s.kept());

        // the next sweep skips what is done; a delivery that completes later lets its job's outputs go then
        journal.store().transaction(c -> c.createStatement().executeUpdate("UPDATE outbox SET state = 'SENT' WHERE state = 'PENDING'"));
        held.clear();
        ResultRetention.Sweep next = retention.sweep(later, Duration.ofDays(90));
        assertEquals(2, next.removed(), "the now delivered job and the released study");
        assertEquals(Set.of("result.json", ResultRetention.REMOVED), names(pendingDir));
        assertEquals(Set.of("result.json", ResultRetention.REMOVED), names(heldDir));
    }

    @Test
    void aRemovalInterruptedAfterItsMarkerIsFinishedByTheNextSweep() throws Exception {
        Job j = job("1.3.1", JobState.SUCCEEDED);
        Path d = result(j);
        Files.writeString(d.resolve(ResultRetention.REMOVED), later + "\n"); // crashed right after the marker
        assertEquals(1, retention.sweep(later, Duration.ofDays(90)).removed());
        assertEquals(Set.of("result.json", ResultRetention.REMOVED), names(d));
        assertEquals(0, retention.sweep(later, Duration.ofDays(90)).removed());
    }
}
