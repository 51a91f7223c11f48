package org.radflow.jobs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.Trigger;
import org.radflow.routing.Priority;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobJournalTest {

    @TempDir
    Path dir;

    private static JobJournal.NewJob job(String unit, String hash, Priority p) {
        return new JobJournal.NewJob(unit, Trigger.SERIES, "1.2", "1.2.3", null, "sample", "1.0.0", "r1", p, List.of("pacs"),
                List.of(Path.of("/spool/a.dcm")), hash);
    }

    @Test
    void duplicatesAreIgnoredAndChangedInputsMakeANewRevision() throws Exception {
        try (JobJournal j = JobJournal.openEmbedded(dir)) {
            Job first = j.enqueue(job("series:1", "h1", Priority.NORMAL), JobState.QUEUED, null).orElseThrow();
            assertTrue(j.enqueue(job("series:1", "h1", Priority.NORMAL), JobState.QUEUED, null).isEmpty());
            Job second = j.enqueue(job("series:1", "h2", Priority.NORMAL), JobState.QUEUED, null).orElseThrow();
            assertEquals(2, second.revision());
            assertEquals(first.id(), second.supersedes());
            assertEquals(List.of("pacs"), second.destinations());
        }
    }

    @Test
    void stateChangesAreGuardedAndTimelined() throws Exception {
        try (JobJournal j = JobJournal.openEmbedded(dir)) {
            Job job = j.enqueue(job("series:2", "h", Priority.NORMAL), JobState.QUEUED, null).orElseThrow();
            assertTrue(j.markRunning(job.id()));
            assertFalse(j.markRunning(job.id()), "only one worker can take a job");
            assertTrue(j.retryLater(job.id(), Duration.ofHours(1), "busy"));
            assertTrue(j.startable("sample", 10).isEmpty(), "not before its back-off");
            assertTrue(j.requeue(job.id(), "operator retry"));
            assertTrue(j.markRunning(job.id()));
            assertTrue(j.finish(job.id(), JobState.SUCCEEDED, null));
            assertFalse(j.finish(job.id(), JobState.FAILED, "late"), "a finished job stays finished");
            Job done = j.find(job.id()).orElseThrow();
            assertEquals(JobState.SUCCEEDED, done.state());
            assertEquals(2, done.attempts());
            assertEquals(List.of(JobState.QUEUED, JobState.RUNNING, JobState.QUEUED, JobState.QUEUED, JobState.RUNNING,
                    JobState.SUCCEEDED), j.timeline(job.id()).stream().map(Job.Event::state).toList());
        }
    }

    @Test
    void statGoesFirstButOldJobsAgeAheadAndRunningJobsSurviveARestart() throws Exception {
        try (JobJournal j = JobJournal.openEmbedded(dir)) {
            j.enqueue(job("series:low", "h", Priority.LOW), JobState.QUEUED, null);
            j.enqueue(job("series:stat", "h", Priority.STAT), JobState.QUEUED, null);
            List<Job> order = j.startable("sample", 10);
            assertEquals("series:stat", order.get(0).unitKey());
            assertTrue(j.markRunning(order.get(0).id()));
        }
        try (JobJournal j = JobJournal.openEmbedded(dir)) {
            assertEquals(1, j.recoverRunning().size());
            assertEquals(2, j.startable("sample", 10).size());
            assertEquals(2, j.search(JobState.QUEUED, "sample", "1.2", 100).size());
        }
    }
}
