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

    /** A node named {@code node} on the shared store. */
    private Opened open(String node) {
        Store store = Store.open(settings);
        return new Opened(store, new JobJournal(store, node), new JobQueries(store));
    }

    @Test
    void inAClusterAJobIsClaimedOnlyByTheNodeWhoseSpoolHasItsInputs() throws Exception {
        try (Opened a = open("node-a"); Opened b = open("node-b")) {
            a.journal().inputsLocal(true);
            b.journal().inputsLocal(true);
            Job mine = a.journal().enqueue(job("series:local", "h", Priority.NORMAL), JobState.QUEUED, null).orElseThrow();
            assertTrue(b.journal().claim("sample", 5).isEmpty(), "node-b has not got node-a's spooled files");
            assertEquals(List.of(mine.id()), a.journal().claim("sample", 5).stream().map(Job::id).toList());

            // jobs planned where inputs are not node-local (a single node, older rows) are anyone's
            a.journal().inputsLocal(false);
            Job anyones = a.journal().enqueue(job("series:any", "h2", Priority.NORMAL), JobState.QUEUED, null).orElseThrow();
            assertEquals(List.of(anyones.id()), b.journal().claim("sample", 5).stream().map(Job::id).toList());
        }
    }

    /** A claim scope that leaves node-a's jobs to it while {@code aRuns} is true, with the given steal delay. */
    private static JobJournal.ClaimScope leavingTo(java.util.concurrent.atomic.AtomicBoolean aRuns, Duration steal) {
        return new JobJournal.ClaimScope() {
            @Override
            public java.util.Set<String> leaveTo(String moduleId) {
                return aRuns.get() ? java.util.Set.of("node-a") : java.util.Set.of();
            }

            @Override
            public Duration stealAfter() {
                return steal;
            }
        };
    }

    @Test
    void aNodeTakesAnotherNodesJobOnlyWhenThatNodeIsGoneDoesNotRunTheModuleOrLeftItQueuedTooLong() throws Exception {
        try (Opened a = open("node-a"); Opened b = open("node-b")) {
            a.journal().inputsLocal(true);
            java.util.concurrent.atomic.AtomicBoolean aRuns = new java.util.concurrent.atomic.AtomicBoolean(true);
            b.journal().inputsLocal(true).claimScope(leavingTo(aRuns, Duration.ofHours(1)));
            Job ofA = a.journal().enqueue(job("series:of-a", "h", Priority.NORMAL), JobState.QUEUED, null).orElseThrow();
            assertTrue(b.journal().claim("sample", 5).isEmpty(), "node-a is up and runs the module: its job is left to it");
            aRuns.set(false); // node-a left the cluster (or switched the module off, or drains)
            Job taken = b.journal().claim("sample", 5).get(0);
            assertEquals(ofA.id(), taken.id());
            assertEquals("node-b", taken.lease().owner());
            assertEquals("node-a", b.journal().inputNode(taken.id()), "planned on node-a: its inputs are fetched from there");

            // relocating the inputs (fetched to node-b) is fenced by node-b's lease
            List<java.nio.file.Path> here = List.of(java.nio.file.Path.of("/b/spool/incoming/1.2/1.2.3/1.2.3.4.dcm"));
            Job moved = b.journal().relocate(taken.lease(), here, "node-a").orElseThrow();
            assertEquals(here, moved.inputFiles());
            assertEquals("node-b", b.journal().inputNode(taken.id()));
            Lease stale = new Lease(taken.id(), "node-b", taken.lease().token() - 1, taken.lease().expiresAt());
            assertTrue(b.journal().relocate(stale, List.of(), "node-a").isEmpty(), "an older lease moves nothing");

            // a job left to a live node is taken anyway once it waited longer than stealAfter
            aRuns.set(true);
            b.journal().claimScope(leavingTo(aRuns, Duration.ofMillis(200)));
            Job waiting = a.journal().enqueue(job("series:waits", "h3", Priority.NORMAL), JobState.QUEUED, null).orElseThrow();
            assertTrue(b.journal().claim("sample", 5).isEmpty(), "not yet");
            Thread.sleep(400);
            assertEquals(List.of(waiting.id()), b.journal().claim("sample", 5).stream().map(Job::id).toList(), "node-a is busy: taken");
        }
    }

    private static final Duration SHORT_LEASE = Duration.ofMillis(300);

    /** Waits until a lease of {@link #SHORT_LEASE} taken before this call has surely lapsed. */
    private static void letLapse() throws InterruptedException {
        Thread.sleep(SHORT_LEASE.toMillis() + 150);
    }

    @Test
    void aLapsedLeaseIsTakenOverByAnotherNodeAndTheFirstHolderCanNoLongerCommit() throws Exception {
        try (Opened a = open("node-a"); Opened b = open("node-b")) {
            Job queued = a.journal().enqueue(job("series:lease", "h", Priority.NORMAL), JobState.QUEUED, null).orElseThrow();
            Job first = a.journal().claim("sample", 1, SHORT_LEASE).get(0);
            Lease held = first.lease();
            assertEquals(queued.id(), held.jobId());
            assertEquals("node-a", held.owner());
            assertTrue(held.expiresAt().isAfter(first.startedAt()), "the lease ends after the claim");
            assertTrue(b.journal().recoverExpired(3).isEmpty(), "a live lease is not taken");
            assertTrue(b.journal().claim("sample", 1, SHORT_LEASE).isEmpty(), "nor is a running job claimed twice");

            letLapse(); // node-a stops renewing: it hangs, or lost the store
            List<JobJournal.Recovered> swept = b.journal().recoverExpired(3);
            assertEquals(1, swept.size());
            assertEquals("node-a", swept.get(0).owner());
            assertFalse(swept.get(0).failed(), "attempt 1 of 3: queued again");
            assertTrue(b.journal().recoverExpired(3).isEmpty(), "swept once");
            Job second = b.journal().claim("sample", 1, Duration.ofMinutes(1)).get(0);
            Lease taken = second.lease();
            assertEquals(queued.id(), second.id());
            assertEquals("node-b", taken.owner());
            assertTrue(taken.token() > held.token(), "each claim has a higher token: " + held.token() + " then " + taken.token());
            assertEquals(2, second.attempts(), "the lapsed run counted as an attempt");

            // node-a wakes up: nothing it writes about the job takes effect
            assertFalse(a.journal().holds(held));
            assertEquals(Set.of(queued.id()), a.journal().renew(List.of(held), Duration.ofMinutes(1)), "its renewal finds the lease gone");
            assertFalse(a.journal().progress(held, 0.5, "half way"));
            assertFalse(a.journal().retryLater(held, Duration.ZERO, "busy"));
            assertFalse(a.journal().finish(held, JobState.SUCCEEDED, "node-a's result"));
            Job now = a.journal().find(queued.id()).orElseThrow();
            assertEquals(JobState.RUNNING, now.state(), "still node-b's running job");
            assertEquals("node-b", now.lease().owner());
            assertEquals(taken.token(), now.lease().token());

            assertTrue(b.journal().progress(taken, 0.5, "half way"));
            assertTrue(b.journal().finish(taken, JobState.SUCCEEDED, "node-b's result"));
            Job done = b.journal().find(queued.id()).orElseThrow();
            assertEquals(JobState.SUCCEEDED, done.state());
            assertEquals("node-b's result", done.reason());
            assertEquals(null, done.lease(), "a finished job holds no lease");
            assertTrue(b.queries().timeline(queued.id()).stream().map(Job.Event::message)
                    .anyMatch(m -> m.startsWith("re-queued: the lease of node node-a expired")), "the timeline names the node");
        }
    }

    @Test
    void renewalKeepsALeaseAliveAndTheSweepAwayFromIt() throws Exception {
        try (Opened a = open("node-a"); Opened b = open("node-b")) {
            a.journal().enqueue(job("series:renewed", "h", Priority.NORMAL), JobState.QUEUED, null).orElseThrow();
            Lease held = a.journal().claim("sample", 1, SHORT_LEASE).get(0).lease();
            long end = System.nanoTime() + SHORT_LEASE.multipliedBy(5).toNanos();
            while (System.nanoTime() < end) {
                Thread.sleep(SHORT_LEASE.toMillis() / 3);
                assertTrue(a.journal().renew(List.of(held), SHORT_LEASE).isEmpty(), "renewed");
                assertTrue(b.journal().recoverExpired(3).isEmpty(), "a renewed lease is never swept");
            }
            assertTrue(a.journal().holds(held));
            assertTrue(a.journal().finish(held, JobState.SUCCEEDED, null));
            assertEquals(1, a.journal().find(held.jobId()).orElseThrow().attempts());

            // without renewals the next job's lease lapses, and this node's own sweep takes it back too
            a.journal().enqueue(job("series:unrenewed", "h", Priority.NORMAL), JobState.QUEUED, null).orElseThrow();
            Lease lapsed = a.journal().claim("sample", 1, SHORT_LEASE).get(0).lease();
            letLapse();
            assertEquals(List.of(lapsed.jobId()), a.journal().recoverExpired(3).stream().map(JobJournal.Recovered::jobId).toList());
            assertEquals(Set.of(lapsed.jobId()), a.journal().renew(List.of(lapsed), SHORT_LEASE), "a swept lease is not renewed");
        }
    }

    @Test
    void atStartANodeTakesBackItsOwnRunningJobsAtOnceButLeavesOtherNodesLiveLeases() throws Exception {
        String mine;
        String theirs;
        Lease theirLease;
        try (Opened a = open("node-a"); Opened b = open("node-b")) {
            mine = a.journal().enqueue(job("series:mine", "h", Priority.NORMAL), JobState.QUEUED, null).orElseThrow().id();
            assertEquals(List.of(mine), a.journal().claim("sample", 1, Duration.ofHours(1)).stream().map(Job::id).toList());
            theirs = b.journal().enqueue(job("series:theirs", "h", Priority.NORMAL), JobState.QUEUED, null).orElseThrow().id();
            Job t = b.journal().claim("sample", 1, Duration.ofHours(1)).get(0);
            assertEquals(theirs, t.id());
            theirLease = t.lease();
        }
        // node-a dies and starts again; node-b lives on
        try (Opened a = open("node-a"); Opened b = open("node-b")) {
            List<JobJournal.Recovered> recovered = a.journal().recoverRunning(3);
            assertEquals(List.of(mine), recovered.stream().map(JobJournal.Recovered::jobId).toList(), "its own job, not node-b's");
            assertEquals("node-a", recovered.get(0).owner());
            assertEquals(JobState.QUEUED, a.journal().find(mine).orElseThrow().state());
            assertEquals(JobJournal.SERVER_STOPPED, a.queries().timeline(mine).get(a.queries().timeline(mine).size() - 1).message());
            assertTrue(a.journal().recoverExpired(3).isEmpty(), "node-b's lease is live");
            assertEquals(JobState.RUNNING, a.journal().find(theirs).orElseThrow().state());
            assertTrue(b.journal().finish(theirLease, JobState.SUCCEEDED, null), "node-b still holds its job");
        }
    }

    @Test
    void lapsedLeasesNeverMakeAJobRunMoreThanItsAttempts() throws Exception {
        try (Opened a = open("node-a"); Opened b = open("node-b")) {
            String id = a.journal().enqueue(job("series:lapses", "h", Priority.NORMAL), JobState.QUEUED, null).orElseThrow().id();
            for (int attempt = 1; attempt <= 3; attempt++) {
                Opened holder = attempt % 2 == 1 ? a : b;
                Opened other = holder == a ? b : a;
                assertEquals(List.of(id), holder.journal().claim("sample", 1, SHORT_LEASE).stream().map(Job::id).toList());
                letLapse();
                List<JobJournal.Recovered> swept = other.journal().recoverExpired(3);
                assertEquals(1, swept.size());
                assertEquals(attempt, swept.get(0).serverStops());
                assertEquals(attempt == 3, swept.get(0).failed(), "attempt " + attempt + " of 3");
            }
            Job failed = a.queries().find(id).orElseThrow();
            assertEquals(JobState.FAILED, failed.state());
            assertEquals(3, failed.attempts(), "attempts never exceed the maximum");
            assertTrue(failed.reason().startsWith("node node-a stopped while this job ran (3 times; attempt 3 of 3): not run again"),
                    failed.reason());
            assertTrue(b.journal().claim("sample", 10).isEmpty(), "it is not run a fourth time");
            assertTrue(a.journal().recoverRunning(3).isEmpty(), "nothing left running");
        }
    }

    private static JobJournal.NewJob job(String unit, String hash, Priority p) {
        return new JobJournal.NewJob(unit, Trigger.SERIES, "1.2", "1.2.3", null, "sample", "1.0.0", "r1", p, List.of("pacs"),
                List.of(Path.of("/spool/a.dcm")), hash);
    }

    @Test
    void countQueuedCountsEveryModulesQueuedJobsOnlyTheBacklogIntakeThrottlingWatches() throws Exception {
        try (Opened o = open()) {
            JobJournal j = o.journal();
            assertEquals(0, j.countQueued());
            j.enqueue(job("series:q1", "h", Priority.NORMAL), JobState.QUEUED, null).orElseThrow();
            j.enqueue(job("series:q2", "h", Priority.STAT), JobState.QUEUED, null).orElseThrow();
            j.enqueue(new JobJournal.NewJob("series:q3", Trigger.SERIES, "1.2", "1.2.3", null, "other", "1.0.0", "r1",
                    Priority.LOW, List.of(), List.of(Path.of("/spool/b.dcm")), "h"), JobState.QUEUED, null).orElseThrow();
            j.enqueue(job("series:na", "h", Priority.NORMAL), JobState.NOT_APPLICABLE, "not for this module").orElseThrow();
            assertEquals(3, j.countQueued(), "both modules' QUEUED jobs, not the NOT_APPLICABLE one");
            j.claim("sample", 1);
            assertEquals(2, j.countQueued(), "a claimed (RUNNING) job no longer waits");
        }
    }

    @Test
    void whatRanAnAttemptBecomesTheJobsVersionFencedByItsLease() throws Exception {
        try (Opened a = open("node-a"); Opened b = open("node-b")) {
            Job queued = a.journal().enqueue(job("series:ran", "h", Priority.NORMAL), JobState.QUEUED, null).orElseThrow();
            assertEquals("1.0.0", queued.plannedModuleVersion());
            assertEquals(null, queued.run());
            Job first = a.journal().claim("sample", 1, SHORT_LEASE).get(0);
            ModuleRun run = new ModuleRun(1, "1.0.1", 3, "cd".repeat(32), "sample-model", "7", true, 123, "process", "node-a");
            Job ran = a.journal().moduleRan(first, run).orElseThrow();
            assertEquals("1.0.1", ran.moduleVersion(), "the version that ran");
            assertEquals("1.0.0", ran.plannedModuleVersion(), "the version it was planned with");
            assertEquals(run, ran.run());
            assertEquals(run, ModuleRun.fromJson(run.toJson().encode()));
            assertEquals(first.lease(), ran.lease());
            assertTrue(a.queries().timeline(queued.id()).stream().map(Job.Event::message).anyMatch(m -> m.equals(
                    "attempt 1 ran sample 1.0.1 (generation 3, sha256 cdcdcdcdcdcd; model sample-model 7, DEMO MODEL; process on "
                            + "node-a): module time 123 ms")));
            // the same unit planned again with the version that ran is the same job, not a new revision
            assertTrue(a.journal().enqueue(new JobJournal.NewJob("series:ran", Trigger.SERIES, "1.2", "1.2.3", null, "sample",
                    "1.0.1", "r1", Priority.NORMAL, List.of("pacs"), List.of(Path.of("/spool/a.dcm")), "h"), JobState.QUEUED, null)
                    .isEmpty());

            // a holder whose lease was taken over records nothing
            letLapse();
            assertEquals(1, b.journal().recoverExpired(3).size());
            Job second = b.journal().claim("sample", 1, Duration.ofMinutes(1)).get(0);
            ModuleRun stale = new ModuleRun(1, "9.9.9", 4, "", "sample-model", "7", false, 5, "in-process", "node-a");
            assertTrue(a.journal().moduleRan(first, stale).isEmpty());
            Job now = b.journal().find(queued.id()).orElseThrow();
            assertEquals("1.0.1", now.moduleVersion());
            assertEquals(run, now.run());
            assertTrue(b.journal().moduleRan(second, new ModuleRun(2, "1.0.2", 4, "", "sample-model", "7", false, -1,
                    "in-process", "node-b")).isPresent());
            Job after = b.journal().find(queued.id()).orElseThrow();
            assertEquals("1.0.2", after.moduleVersion());
            assertEquals(-1, after.run().moduleMillis(), "a call that never returned has no module time");
        }
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
