package org.radflow.jobs;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.Trigger;
import org.radflow.routing.Priority;
import org.radflow.store.Store;
import org.radflow.store.StoreSettings;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The journal's behaviour, the same on every database the store supports (subclasses: H2, PostgreSQL). */
abstract class JobJournalContract {

    @TempDir
    Path dir;

    private StoreSettings settings;

    /** A new, empty database for one test. */
    abstract StoreSettings freshStore();

    @BeforeEach
    void newStore() {
        settings = freshStore();
    }

    /** A journal and its queries on their own store (a node): closing closes all three. */
    record Opened(Store store, JobJournal journal, JobQueries queries) implements AutoCloseable {
        @Override
        public void close() {
            journal.close();
            store.close();
        }
    }

    private Opened open() {
        Store store = Store.open(settings);
        return new Opened(store, new JobJournal(store), new JobQueries(store));
    }

    private static JobJournal.NewJob job(String unit, String hash, Priority p) {
        return new JobJournal.NewJob(unit, Trigger.SERIES, "1.2", "1.2.3", null, "sample", "1.0.0", "r1", p, List.of("pacs"),
                List.of(Path.of("/spool/a.dcm")), hash);
    }

    @Test
    void duplicatesAreIgnoredAndChangedInputsMakeANewRevision() throws Exception {
        try (Opened o = open()) {
            JobJournal j = o.journal();
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
        try (Opened o = open()) {
            JobJournal j = o.journal();
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
                    JobState.SUCCEEDED), o.queries().timeline(job.id()).stream().map(Job.Event::state).toList());
        }
    }

    @Test
    void statGoesFirstButOldJobsAgeAheadAndRunningJobsSurviveARestart() throws Exception {
        try (Opened o = open()) {
            JobJournal j = o.journal();
            j.enqueue(job("series:low", "h", Priority.LOW), JobState.QUEUED, null);
            j.enqueue(job("series:stat", "h", Priority.STAT), JobState.QUEUED, null);
            List<Job> order = j.startable("sample", 10);
            assertEquals("series:stat", order.get(0).unitKey());
            assertTrue(j.markRunning(order.get(0).id()));
        }
        try (Opened o = open()) {
            JobJournal j = o.journal();
            assertEquals(1, j.recoverRunning(3).size());
            assertEquals(2, j.startable("sample", 10).size());
            assertEquals(2, o.queries().search(JobState.QUEUED, "sample", "1.2", 100).size());
        }
    }

    @Test
    void aJobThatKeepsStoppingTheServerFailsAfterItsAttemptsInsteadOfACrashLoop() throws Exception {
        String id;
        try (Opened o = open()) {
            id = o.journal().enqueue(job("series:poison", "h", Priority.NORMAL), JobState.QUEUED, null).orElseThrow().id();
        }
        for (int start = 1; start <= 3; start++) {
            try (Opened o = open()) {
                JobJournal j = o.journal();
                List<JobJournal.Recovered> recovered = j.recoverRunning(3);
                if (start > 1) {
                    assertEquals(1, recovered.size(), "the job cut off by the previous stop");
                    assertEquals(start - 1, recovered.get(0).serverStops());
                    assertFalse(recovered.get(0).failed(), "attempt " + (start - 1) + " of 3: queued again");
                }
                assertEquals(List.of(id), j.claim("sample", 10).stream().map(Job::id).toList());
                // ... and the server dies while the job runs
            }
        }
        try (Opened o = open()) {
            List<JobJournal.Recovered> recovered = o.journal().recoverRunning(3);
            assertEquals(1, recovered.size());
            assertTrue(recovered.get(0).failed());
            Job j = o.queries().find(id).orElseThrow();
            assertEquals(JobState.FAILED, j.state());
            assertEquals(3, j.attempts(), "attempts never exceed the maximum");
            assertTrue(j.reason().startsWith("the server stopped while this job ran (3 times; attempt 3 of 3): not run again"),
                    j.reason());
            assertTrue(o.journal().claim("sample", 10).isEmpty(), "it is not run a fourth time");
        }
    }

    @Test
    void twoSchedulersOnOneStoreNeverClaimTheSameJob() throws Exception {
        int jobs = 120;
        try (Opened a = open(); Opened b = open()) {
            for (int i = 0; i < jobs; i++) {
                a.journal().enqueue(job("series:c" + i, "h", i % 2 == 0 ? Priority.NORMAL : Priority.HIGH), JobState.QUEUED, null)
                        .orElseThrow();
            }
            CountDownLatch go = new CountDownLatch(1);
            AtomicInteger total = new AtomicInteger();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            // both keep claiming until every job is taken (an empty answer only means the other holds the rows now)
            java.util.function.Function<JobJournal, Callable<List<String>>> claimer = journal -> () -> {
                List<String> mine = new ArrayList<>();
                go.await();
                while (total.get() < jobs && System.nanoTime() < deadline) {
                    for (Job c : journal.claim("sample", 3)) {
                        assertEquals(JobState.RUNNING, c.state());
                        mine.add(c.id());
                        total.incrementAndGet();
                    }
                }
                return mine;
            };
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Future<List<String>> first = pool.submit(claimer.apply(a.journal()));
                Future<List<String>> second = pool.submit(claimer.apply(b.journal()));
                go.countDown();
                List<String> all = new ArrayList<>(first.get(60, TimeUnit.SECONDS));
                all.addAll(second.get(60, TimeUnit.SECONDS));
                Set<String> distinct = new HashSet<>(all);
                assertEquals(all.size(), distinct.size(), "a job was claimed twice");
                assertEquals(jobs, distinct.size(), "every queued job is claimed once");
            } finally {
                pool.shutdownNow();
            }
            for (Job j : a.queries().search(null, "sample", null, 1000)) {
                assertEquals(1, j.attempts(), j.id());
                assertEquals(1, a.queries().timeline(j.id()).stream().filter(e -> e.state() == JobState.RUNNING).count(), j.id());
            }
            assertTrue(b.journal().claim("sample", 10).isEmpty());
        }
    }

    @Test
    void claimTakesQueueOrderAndSkipsJobsInBackOff() throws Exception {
        try (Opened o = open()) {
            JobJournal j = o.journal();
            Job low = j.enqueue(job("series:low", "h", Priority.LOW), JobState.QUEUED, null).orElseThrow();
            Job stat = j.enqueue(job("series:stat", "h", Priority.STAT), JobState.QUEUED, null).orElseThrow();
            Job later = j.enqueue(job("series:later", "h", Priority.STAT), JobState.QUEUED, null).orElseThrow();
            assertTrue(j.markRunning(later.id()));
            assertTrue(j.retryLater(later.id(), Duration.ofHours(1), "busy"));
            List<Job> claimed = j.claim("sample", 10);
            assertEquals(List.of(stat.id(), low.id()), claimed.stream().map(Job::id).toList());
            assertTrue(j.claim("sample", 10).isEmpty());
            assertTrue(j.claim("other", 10).isEmpty());
        }
    }

    @Test
    void aWriterThatLosesTheRaceForARevisionReadsTheUnitAgain() throws Exception {
        try (Opened a = open(); Opened b = open()) {
            JobJournal.NewJob n = job("series:race", "h", Priority.NORMAL);
            // another node has written revision 1 of this unit, not yet committed, when this one enqueues it
            try (java.sql.Connection other = b.store().connection()) {
                other.setAutoCommit(false);
                try (java.sql.PreparedStatement ins = other.prepareStatement("""
                        INSERT INTO jobs (id, unit_key, trigger_kind, study_uid, module_id, module_version, rule_name, priority,
                          destinations, input_files, input_hash, revision, state, attempts, progress, sort_key, created_at,
                          updated_at, next_attempt_at)
                        VALUES ('other-node', ?, 'SERIES', '1.2', 'sample', '1.0.0', 'r1', 'NORMAL', '["pacs"]', '[]', 'h', 1,
                          'QUEUED', 0, 0, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)""")) {
                    ins.setString(1, n.unitKey());
                    ins.executeUpdate();
                }
                ExecutorService pool = Executors.newSingleThreadExecutor();
                try {
                    Future<Optional<Job>> mine = pool.submit(() -> a.journal().enqueue(n, JobState.QUEUED, null));
                    Thread.sleep(500); // this enqueue now waits on the other's uncommitted revision 1
                    other.commit();
                    assertTrue(mine.get(30, TimeUnit.SECONDS).isEmpty(), "the same inputs are journaled once, by the other node");
                } finally {
                    pool.shutdownNow();
                }
            }
            assertEquals(List.of("other-node"), a.queries().search(null, "sample", null, 100).stream().map(Job::id).toList());
            Job next = a.journal().enqueue(job("series:race", "h2", Priority.NORMAL), JobState.QUEUED, null).orElseThrow();
            assertEquals(2, next.revision());
        }
    }

    @Test
    void listenersHearEveryChangeInCommitOrder() throws Exception {
        try (Opened o = open()) {
            JobJournal j = o.journal();
            List<String> heard = java.util.Collections.synchronizedList(new ArrayList<>());
            j.addListener((job, e) -> heard.add(job.unitKey() + ":" + e.state()));
            Job job = j.enqueue(job("series:l", "h", Priority.NORMAL), JobState.QUEUED, null).orElseThrow();
            assertEquals(1, j.claim("sample", 1).size());
            assertTrue(j.finish(job.id(), JobState.SUCCEEDED, null));
            long end = System.currentTimeMillis() + 10_000;
            while (heard.size() < 3 && System.currentTimeMillis() < end) {
                Thread.sleep(20);
            }
            assertEquals(List.of("series:l:QUEUED", "series:l:RUNNING", "series:l:SUCCEEDED"), heard);
        }
    }
}
