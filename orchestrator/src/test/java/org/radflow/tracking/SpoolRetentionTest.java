package org.radflow.tracking;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.Trigger;
import org.radflow.jobs.Job;
import org.radflow.jobs.JobJournal;
import org.radflow.jobs.JobQueries;
import org.radflow.jobs.JobState;
import org.radflow.routing.Priority;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Spool retention against a real embedded journal: old and finished studies go; recent, busy and held ones stay. */
class SpoolRetentionTest {

    @TempDir
    Path dir;
    private JobJournal journal;
    private Path incoming;
    private SpoolRetention retention;
    private final Instant now = Instant.parse("2026-12-04T12:00:00Z");

    @BeforeEach
    void open() throws Exception {
        journal = JobJournal.openEmbedded(dir.resolve("journal"));
        incoming = dir.resolve("spool").resolve("incoming");
        retention = new SpoolRetention(incoming, dir.resolve("spool").resolve("tmp"), new JobQueries(journal.store()));
    }

    @AfterEach
    void close() {
        journal.close();
    }

    /** A study folder with one series of {@code files} instances, every file and folder dated {@code at}. */
    private Path study(String uid, int files, Instant at) throws Exception {
        Path series = Files.createDirectories(incoming.resolve(uid).resolve(uid + ".1"));
        for (int i = 0; i < files; i++) {
            Path f = Files.write(series.resolve(uid + ".1." + i + ".dcm"), new byte[1000]);
            Files.setLastModifiedTime(f, FileTime.from(at));
        }
        Files.setLastModifiedTime(series, FileTime.from(at));
        Files.setLastModifiedTime(series.getParent(), FileTime.from(at));
        return series.getParent();
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

    @Test
    void oldFinishedStudiesGoRecentBusyAndHeldOnesStay() throws Exception {
        Instant old = now.minus(Duration.ofDays(40));
        Path done = study("1.2.1", 3, old);
        job("1.2.1", JobState.SUCCEEDED);
        Path noJobs = study("1.2.2", 2, old);             // matched no rule
        Path running = study("1.2.3", 2, old);
        job("1.2.3", JobState.RUNNING);
        Path queued = study("1.2.4", 1, old);
        job("1.2.4", JobState.QUEUED);
        Path recent = study("1.2.5", 1, now.minus(Duration.ofDays(3)));
        Path held = study("1.2.6", 1, old);
        assertTrue(retention.hold("1.2.6", true));
        Files.setLastModifiedTime(held, FileTime.from(old));
        Path failed = study("1.2.7", 1, old);
        job("1.2.7", JobState.FAILED);

        SpoolRetention.Sweep s = retention.sweep(now, Duration.ofDays(30));
        assertEquals(3, s.removed(), s.toString());
        assertEquals(2, s.busy());
        assertEquals(1, s.held());
        assertEquals(6000, s.bytes());
        assertFalse(Files.exists(done));
        assertFalse(Files.exists(noJobs));
        assertFalse(Files.exists(failed));
        for (Path kept : List.of(running, queued, recent, held)) {
            assertTrue(Files.isDirectory(kept), kept + " kept");
        }
        try (var left = Files.list(dir.resolve("spool").resolve("tmp"))) {
            assertEquals(0, left.count(), "nothing left in tmp/");
        }
        // released: the next sweep removes it
        assertTrue(retention.hold("1.2.6", false));
        assertEquals(1, retention.sweep(now, Duration.ofDays(30)).removed());
        assertFalse(retention.hold("9.9.9", true), "no such study");
    }

    @Test
    void aStudyWithOneRecentInstanceStays() throws Exception {
        Path s = study("1.3.1", 2, now.minus(Duration.ofDays(40)));
        Path late = Files.write(s.resolve("1.3.1.1").resolve("late.dcm"), new byte[10]);
        Files.setLastModifiedTime(late, FileTime.from(now.minus(Duration.ofHours(1))));
        assertEquals(0, retention.sweep(now, Duration.ofDays(30)).removed());
        assertTrue(Files.exists(late));
    }

    @Test
    void aRemovalInterruptedByACrashIsFinishedAtTheNextSweep() throws Exception {
        Path leftover = Files.createDirectories(dir.resolve("spool").resolve("tmp").resolve("retention-crashed").resolve("s"));
        Files.write(leftover.resolve("x.dcm"), new byte[10]);
        Files.createDirectories(incoming);
        retention.sweep(now, Duration.ofDays(30));
        assertFalse(Files.exists(leftover.getParent()));
    }
}
