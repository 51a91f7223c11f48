package org.radflow.scheduling;

import org.radflow.jobs.Job;
import org.radflow.jobs.JobJournal;
import org.radflow.jobs.JobQueries;
import org.radflow.jobs.JobState;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.AiModule;
import org.radflow.api.ApiVersion;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleException;
import org.radflow.api.ModuleResult;
import org.radflow.api.Resources;
import org.radflow.api.Trigger;
import org.radflow.report.Reporter;
import org.radflow.routing.Priority;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The scheduler with real in-process modules: isolation, timeouts, retries, recovery. */
class SchedulerTest {

    @TempDir
    Path dir;

    private JobJournal journal;
    private Scheduler scheduler;
    private final Map<String, AiModule> modules = new ConcurrentHashMap<>();
    private final Map<String, ModuleDescriptor> descriptors = new ConcurrentHashMap<>();
    /** The generation each module's handle says it holds (a replaced JAR is a new one). */
    private final Map<String, Integer> generations = new ConcurrentHashMap<>();
    private final List<String> sunk = new java.util.concurrent.CopyOnWriteArrayList<>();

    private final ModuleCatalog catalog = new ModuleCatalog() {
        @Override
        public Optional<ModuleDescriptor> descriptor(String id) {
            return Optional.ofNullable(descriptors.get(id));
        }

        @Override
        public List<ModuleDescriptor> descriptors() {
            return List.copyOf(descriptors.values());
        }

        @Override
        public Handle acquire(String id) {
            return new Handle() {
                public AiModule module() {
                    return modules.get(id);
                }

                public ModuleDescriptor descriptor() {
                    return descriptors.get(id);
                }

                public ClassLoader classLoader() {
                    return SchedulerTest.class.getClassLoader();
                }

                public int generation() {
                    return generations.getOrDefault(id, 0);
                }

                public String sha256() {
                    return "ab".repeat(32);
                }

                public void close() {
                }
            };
        }
    };

    private void module(String id, int concurrency, Duration timeout, AiModule m) {
        descriptors.put(id, ModuleDescriptor.builder(id, "1.0", ApiVersion.MAJOR, ApiVersion.MINOR).trigger(Trigger.SERIES)
                .resources(new Resources(concurrency, 100, 1, 64)).timeout(timeout).build());
        modules.put(id, m);
    }

    private Reporter reporter;
    /** The next this many report writings fail. */
    private volatile int failReports;
    /** When set, report writing waits for it (a report stage still busy). */
    private volatile java.util.concurrent.CountDownLatch reportGate;

    private Scheduler start(SchedulerSettings s) throws Exception {
        journal = JobJournal.openEmbedded(dir);
        reporter = new Reporter(journal, (job, result) -> {
            java.util.concurrent.CountDownLatch gate = reportGate;
            if (gate != null) {
                gate.await(30, java.util.concurrent.TimeUnit.SECONDS);
            }
            if (failReports > 0) {
                failReports--;
                throw new java.io.IOException("disk full");
            }
            if (result.summary().startsWith("invalid")) {
                throw new org.radflow.report.UnreportableResultException("sr", new IllegalArgumentException(
                        "a measurement refers to segment 'x', which is not a segment of any segmentation in the same result"));
            }
            sunk.add(job.id());
        }, new Reporter.Retry(2, Duration.ofMillis(50), Duration.ofMillis(100)));
        scheduler = new Scheduler(journal, catalog, job -> null, reporter, s);
        scheduler.start();
        return scheduler;
    }

    private Job enqueue(String module, String unit) throws Exception {
        Job j = journal.enqueue(new JobJournal.NewJob(unit, Trigger.SERIES, "1.2", "1.2.3", null, module, "1.0", "rule",
                Priority.NORMAL, List.of(), List.of(), unit), JobState.QUEUED, null).orElseThrow();
        scheduler.wake();
        return j;
    }

    private JobState await(Job job, JobState wanted, long millis) throws Exception {
        long end = System.currentTimeMillis() + millis;
        JobState s = null;
        while (System.currentTimeMillis() < end) {
            s = journal.find(job.id()).orElseThrow().state();
            if (s == wanted) {
                return s;
            }
            Thread.sleep(20);
        }
        return s;
    }

    @AfterEach
    void stop() {
        if (scheduler != null) {
            scheduler.close();
        }
        if (reporter != null) {
            reporter.close();
        }
        if (journal != null) {
            journal.close();
        }
    }

    private static ModuleResult ok() {
        return ModuleResult.completed(List.of(), List.of(), "done", Map.of());
    }

    @Test
    void aHangingASlowAndAFailingModuleDoNotDelayAFastOne() throws Exception {
        module("hang", 1, Duration.ofSeconds(2), (in, job) -> {
            while (true) {
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException ignored) {
                    // a badly behaved module ignores interrupts
                }
            }
        });
        module("slow", 1, Duration.ofSeconds(30), (in, job) -> {
            try {
                Thread.sleep(3000);
            } catch (InterruptedException e) {
                throw new ModuleException("interrupted");
            }
            return ok();
        });
        module("fail", 1, Duration.ofSeconds(30), (in, job) -> {
            throw new ModuleException("model file missing");
        });
        module("fast", 2, Duration.ofSeconds(30), (in, job) -> ok());
        start(SchedulerSettings.defaults());

        Job hang = enqueue("hang", "h1");
        Job hang2 = enqueue("hang", "h2");
        Job slow = enqueue("slow", "s1");
        Job fail = enqueue("fail", "f1");
        long t0 = System.currentTimeMillis();
        Job fast = enqueue("fast", "x1");
        assertEquals(JobState.SUCCEEDED, await(fast, JobState.SUCCEEDED, 5000));
        assertTrue(System.currentTimeMillis() - t0 < 2000, "the fast module's job waited for no other module (slow takes 3 s)");
        assertEquals(JobState.FAILED, await(fail, JobState.FAILED, 5000));
        assertEquals("model file missing", journal.find(fail.id()).orElseThrow().reason());
        assertEquals(JobState.SUCCEEDED, await(slow, JobState.SUCCEEDED, 5000));
        assertEquals(JobState.TIMED_OUT, await(hang, JobState.TIMED_OUT, 8000));
        // the abandoned thread does not block the lane: the second hanging job gets a fresh thread, and times out too
        assertEquals(JobState.TIMED_OUT, await(hang2, JobState.TIMED_OUT, 8000));
        assertEquals(2, scheduler.laneStatus("hang").get("abandonedThreads"));
        assertEquals(List.of(slow.id()).size() + 1, sunk.size());
    }

    @Test
    void aClosedClaimGateLeavesWorkQueuedUntilItOpens() throws Exception {
        module("fast", 1, Duration.ofSeconds(30), (in, job) -> ok());
        start(SchedulerSettings.defaults());
        java.util.concurrent.atomic.AtomicReference<String> gate = new java.util.concurrent.atomic.AtomicReference<>("draining");
        scheduler.claimGate(gate::get);
        // a dispatch already under way when the gate closed may still claim; wait until the dispatcher has seen it
        long until = System.currentTimeMillis() + 5000;
        while (!"draining".equals(scheduler.notClaimingBecause()) && System.currentTimeMillis() < until) {
            Thread.sleep(10);
        }
        Job j = enqueue("fast", "g1");
        Thread.sleep(1500);
        assertEquals(JobState.QUEUED, journal.find(j.id()).orElseThrow().state(), "not claimed while the gate is closed");
        assertEquals("draining", scheduler.notClaimingBecause());
        gate.set(null);
        scheduler.wake();
        assertEquals(JobState.SUCCEEDED, await(j, JobState.SUCCEEDED, 5000));
        assertEquals(null, scheduler.notClaimingBecause());
    }

    @Test
    void aTimedOutCallThatReturnsIsNoLongerCountedAbandoned() throws Exception {
        // as the process host does: the interrupt stops the worker and the call returns at once
        module("polite", 1, Duration.ofSeconds(1), (in, job) -> {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                throw new ModuleException("stopped");
            }
            return ok();
        });
        start(SchedulerSettings.defaults());
        Job j = enqueue("polite", "p1");
        assertEquals(JobState.TIMED_OUT, await(j, JobState.TIMED_OUT, 8000));
        org.radflow.jobs.ModuleRun ran = journal.find(j.id()).orElseThrow().run();
        assertEquals("1.0", ran.version(), "a timed-out attempt still says what ran it");
        assertEquals(-1, ran.moduleMillis(), "its module time is unknown: it did not return in time");
        long end = System.currentTimeMillis() + 5000;
        while (!Integer.valueOf(0).equals(scheduler.laneStatus("polite").get("abandonedThreads")) && System.currentTimeMillis() < end) {
            Thread.sleep(50);
        }
        assertEquals(0, scheduler.laneStatus("polite").get("abandonedThreads"),
                "counted back when the call returns, not when the pool retires its thread a minute later");
    }

    @Test
    void transientFailuresAreRetriedWithBackOffAndPermanentOnesAreNot() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        module("flaky", 1, Duration.ofSeconds(30), (in, job) -> {
            if (calls.incrementAndGet() < 3) {
                throw ModuleException.transientFailure("GPU busy", null);
            }
            return ok();
        });
        start(new SchedulerSettings(Duration.ofMillis(50), 3, Duration.ofMillis(100), Duration.ofSeconds(1), 4, Map.of()));
        Job j = enqueue("flaky", "u1");
        assertEquals(JobState.SUCCEEDED, await(j, JobState.SUCCEEDED, 5000));
        Job done = journal.find(j.id()).orElseThrow();
        assertEquals(3, done.attempts());
        assertTrue(new JobQueries(journal.store()).timeline(j.id()).stream().anyMatch(e -> e.message() != null && e.message().startsWith("retry in")));
        assertEquals(Duration.ofMillis(400), scheduler.backoff(3));
    }

    @Test
    void eachAttemptRecordsTheGenerationThatRanItAndTheModulesOwnTime() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        generations.put("gen", 1);
        module("gen", 1, Duration.ofSeconds(30), (in, job) -> {
            try {
                Thread.sleep(40);
            } catch (InterruptedException e) {
                throw new ModuleException("interrupted");
            }
            if (calls.incrementAndGet() == 1) {
                // the JAR is replaced while the job waits for its retry: the next attempt holds generation 2, version 2.0
                descriptors.put("gen", ModuleDescriptor.builder("gen", "2.0", ApiVersion.MAJOR, ApiVersion.MINOR)
                        .trigger(Trigger.SERIES).resources(new Resources(1, 100, 1, 64)).timeout(Duration.ofSeconds(30)).build());
                generations.put("gen", 2);
                throw ModuleException.transientFailure("GPU busy", null);
            }
            return ok();
        });
        start(new SchedulerSettings(Duration.ofMillis(50), 3, Duration.ofMillis(100), Duration.ofSeconds(1), 4, Map.of()));
        List<org.radflow.jobs.ModuleRun> told = new java.util.concurrent.CopyOnWriteArrayList<>();
        scheduler.onModuleRan((job, run) -> told.add(run));
        Job j = enqueue("gen", "g1");
        assertEquals(JobState.SUCCEEDED, await(j, JobState.SUCCEEDED, 5000));

        Job done = journal.find(j.id()).orElseThrow();
        assertEquals("2.0", done.moduleVersion(), "the version that ran, not the one planned");
        assertEquals("1.0", done.plannedModuleVersion());
        org.radflow.jobs.ModuleRun run = done.run();
        assertEquals(2, run.attempt());
        assertEquals("2.0", run.version());
        assertEquals(2, run.generation());
        assertEquals("in-process", run.isolation());
        assertTrue(run.moduleMillis() >= 40 && run.moduleMillis() < 5000, "the module's own time: " + run.moduleMillis());
        List<String> timeline = new JobQueries(journal.store()).timeline(j.id()).stream().map(Job.Event::message)
                .filter(m -> m != null && m.contains(" ran gen ")).toList();
        assertEquals(2, timeline.size(), timeline.toString());
        assertTrue(timeline.get(0).startsWith("attempt 1 ran gen 1.0 (generation 1, sha256 abababababab;"), timeline.get(0));
        assertTrue(timeline.get(1).startsWith("attempt 2 ran gen 2.0 (generation 2, sha256 abababababab;"), timeline.get(1));
        assertEquals(List.of(1, 2), told.stream().map(org.radflow.jobs.ModuleRun::attempt).toList());
        assertEquals("reports written (the rule names no destination)", done.reason(), "the outcome, not the summary");
        // the lane counts attempts (the failed one too), the journal counts jobs
        assertEquals(1, scheduler.laneStatus("gen").get("failed"));
        assertEquals(1, scheduler.laneStatus("gen").get("succeeded"));
    }

    @Test
    void aModuleThatThrowsIsLoggedOnceAtWarnWithItsStackTraceAndAReadableReason() throws Exception {
        module("shape", 1, Duration.ofSeconds(30), (in, job) -> {
            throw new IllegalStateException("wrong tensor shape [1, 3], expected [1, 2]");
        });
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> log = new ch.qos.logback.core.read.ListAppender<>();
        log.start();
        ch.qos.logback.classic.Logger schedulerLog = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(Scheduler.class);
        schedulerLog.addAppender(log);
        try {
            start(SchedulerSettings.defaults());
            Job j = enqueue("shape", "s1");
            assertEquals(JobState.FAILED, await(j, JobState.FAILED, 5000));
            String reason = journal.find(j.id()).orElseThrow().reason();
            assertTrue(reason.startsWith("the module threw IllegalStateException: wrong tensor shape [1, 3], expected [1, 2] (at "
                    + "org.radflow.scheduling.SchedulerTest."), reason);
            long end = System.currentTimeMillis() + 5000;
            while (log.list.stream().noneMatch(e -> e.getFormattedMessage().contains(j.id())) && System.currentTimeMillis() < end) {
                Thread.sleep(20);
            }
            List<ch.qos.logback.classic.spi.ILoggingEvent> aboutJob = log.list.stream()
                    .filter(e -> e.getFormattedMessage().contains(j.id())).toList();
            assertEquals(1, aboutJob.size(), aboutJob.toString());
            ch.qos.logback.classic.spi.ILoggingEvent e = aboutJob.get(0);
            assertEquals(ch.qos.logback.classic.Level.WARN, e.getLevel());
            assertTrue(e.getFormattedMessage().contains("shape 1.0 generation 0"), e.getFormattedMessage());
            assertEquals(IllegalStateException.class.getName(), e.getThrowableProxy().getClassName());
            assertTrue(e.getThrowableProxy().getStackTraceElementProxyArray().length > 0);
        } finally {
            schedulerLog.detachAppender(log);
        }
    }

    @Test
    void aResultThatCannotBeReportedFailsAtOnceAsTheModulesWrongOutput() throws Exception {
        module("wrong", 1, Duration.ofSeconds(30), (in, job) -> ModuleResult.completed(List.of(), List.of(), "invalid", Map.of()));
        start(SchedulerSettings.defaults());
        Job j = enqueue("wrong", "w1");
        assertEquals(JobState.FAILED, await(j, JobState.FAILED, 5000));
        assertEquals("the module's result cannot be turned into reports (sr): a measurement refers to segment 'x', which is "
                + "not a segment of any segmentation in the same result", journal.find(j.id()).orElseThrow().reason());
        assertEquals(1, journal.find(j.id()).orElseThrow().attempts(), "not retried: the same result would fail again");
    }

    @Test
    void givesUpAfterMaxAttempts() throws Exception {
        module("down", 1, Duration.ofSeconds(30), (in, job) -> {
            throw ModuleException.transientFailure("service unavailable", null);
        });
        start(new SchedulerSettings(Duration.ofMillis(50), 2, Duration.ofMillis(50), Duration.ofMillis(100), 4, Map.of()));
        Job j = enqueue("down", "u1");
        assertEquals(JobState.FAILED, await(j, JobState.FAILED, 5000));
        assertEquals("gave up after 2 attempts: service unavailable", journal.find(j.id()).orElseThrow().reason());
    }

    @Test
    void aJobRunningWhenTheServerStoppedRunsOnceMoreAfterTheRestart() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        module("once", 1, Duration.ofSeconds(30), (in, job) -> {
            runs.incrementAndGet();
            return ok();
        });
        journal = JobJournal.openEmbedded(dir);
        Job j = journal.enqueue(new JobJournal.NewJob("u", Trigger.SERIES, "1.2", "1.2.3", null, "once", "1.0", "rule",
                Priority.NORMAL, List.of(), List.of(), "u"), JobState.QUEUED, null).orElseThrow();
        assertTrue(journal.markRunning(j.id()), "as if a crash happened mid-job");
        journal.close();
        start(SchedulerSettings.defaults());
        assertEquals(JobState.SUCCEEDED, await(j, JobState.SUCCEEDED, 5000));
        assertEquals(1, runs.get());
        assertEquals(2, journal.find(j.id()).orElseThrow().attempts());
    }

    @Test
    void reportsAreWrittenAfterTheModuleOutsideItsTimeoutAndAReportFailureIsRetriedThenNamed() throws Exception {
        module("quick", 1, Duration.ofSeconds(30), (in, job) -> ok());
        start(SchedulerSettings.defaults());
        failReports = 1;
        Job retried = enqueue("quick", "u1");
        assertEquals(JobState.SUCCEEDED, await(retried, JobState.SUCCEEDED, 10_000), "one report failure, then a retry that works");
        assertTrue(sunk.contains(retried.id()));

        failReports = 2;
        Job failed = enqueue("quick", "u2");
        assertEquals(JobState.FAILED, await(failed, JobState.FAILED, 10_000), "two attempts, both failed");
        String reason = journal.find(failed.id()).orElseThrow().reason();
        assertTrue(reason.startsWith("RadFlow could not store or report the result (the module's part succeeded; 2 attempt(s))"), reason);
        assertEquals(0, scheduler.laneStatus("quick").get("running"), "the module's slot came free when the module returned");
        assertEquals(2, scheduler.laneStatus("quick").get("succeeded"), "the module did its part both times");
        assertEquals(0, scheduler.laneStatus("quick").get("failed"), "a report failure is not the module's");
    }

    /**
     * Another node takes the job over as if this node's lease had lapsed, been swept and the job claimed by node-b
     * (that sequence itself is in JobJournalContract): done in one statement here, so that this node's own sweep
     * and dispatcher cannot step in between. Returns node-b's lease.
     */
    private org.radflow.jobs.Lease takeOver(Job job) throws Exception {
        int changed = journal.store().read(c -> {
            try (var u = c.prepareStatement("UPDATE jobs SET lease_owner = 'node-b', lease_token = lease_token + 1, "
                    + "lease_expires_at = ?, attempts = attempts + 1 WHERE id = ? AND state = 'RUNNING'")) {
                u.setTimestamp(1, java.sql.Timestamp.from(java.time.Instant.now().plusSeconds(300)));
                u.setString(2, job.id());
                return u.executeUpdate();
            }
        });
        assertEquals(1, changed, "the job was running");
        org.radflow.jobs.Lease taken = journal.find(job.id()).orElseThrow().lease();
        assertEquals("node-b", taken.owner());
        return taken;
    }

    /** Waits until a lane runs this many jobs (or the time is up). */
    private void awaitRunning(String moduleId, int running, long millis) throws Exception {
        long end = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < end && !Integer.valueOf(running).equals(scheduler.laneStatus(moduleId).get("running"))) {
            Thread.sleep(20);
        }
    }

    @Test
    void aNodeCutOffFromTheStoreForAWholeLeaseStopsItsJobs() throws Exception {
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
        module("long", 1, Duration.ofSeconds(60), (in, ctx) -> {
            started.countDown();
            try {
                Thread.sleep(30_000);
            } catch (InterruptedException e) {
                stopped.countDown(); // asked to stop
            }
            return ok();
        });
        start(SchedulerSettings.defaults().withLease(Duration.ofMillis(900)));
        enqueue("long", "u-cut");
        assertTrue(started.await(10, java.util.concurrent.TimeUnit.SECONDS));
        journal.store().close(); // the store is out of reach (a partition): renewals fail from now on
        scheduler.renewLeases();
        assertEquals(1L, stopped.getCount(), "one failed renewal within the lease changes nothing");
        assertTrue(stopped.await(5, java.util.concurrent.TimeUnit.SECONDS),
                "after a whole lease without a renewal the job is taken as lost and its module asked to stop");
        awaitRunning("long", 0, 5000);
        assertTrue(sunk.isEmpty(), "nothing reported");
    }

    @Test
    void aResultWhoseLeaseWasLostIsDiscardedAndNothingIsReported() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean toldToStop = new java.util.concurrent.atomic.AtomicBoolean();
        module("held", 1, Duration.ofSeconds(60), (in, ctx) -> {
            started.countDown();
            try {
                release.await(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                // asked to stop: answer as if the work were done, so that only the lease decides
            }
            toldToStop.set(ctx.isCancelled());
            return ok();
        });
        start(SchedulerSettings.defaults());
        Job job = enqueue("held", "u-lost");
        assertTrue(started.await(10, java.util.concurrent.TimeUnit.SECONDS));
        JobJournal nodeB = new JobJournal(journal.store(), "node-b");
        try {
            org.radflow.jobs.Lease taken = takeOver(job);
            scheduler.renewLeases(); // this node's next renewal finds its lease gone
            release.countDown();
            awaitRunning("held", 0, 5000);
            assertEquals(0, scheduler.laneStatus("held").get("running"), "the slot came free");
            Thread.sleep(300); // room for a wrong hand-over to the report stage
            assertTrue(toldToStop.get(), "the module was asked to stop");
            assertTrue(sunk.isEmpty(), "no reports written for a result whose lease was lost");
            Job now = journal.find(job.id()).orElseThrow();
            assertEquals(JobState.RUNNING, now.state(), "still node-b's job");
            assertEquals("node-b", now.lease().owner());
            assertTrue(nodeB.finish(taken, JobState.SUCCEEDED, "node-b's result"));
            assertEquals("node-b's result", journal.find(job.id()).orElseThrow().reason());
        } finally {
            nodeB.close();
        }
    }

    @Test
    void aJobTakenOverWhileItsReportsAreWrittenIsNotFinishedByTheOldHolder() throws Exception {
        module("quick", 1, Duration.ofSeconds(30), (in, job) -> ok());
        start(SchedulerSettings.defaults());
        reportGate = new java.util.concurrent.CountDownLatch(1);
        Job job = enqueue("quick", "u-report");
        awaitRunning("quick", 0, 5000);
        long end = System.currentTimeMillis() + 5000;
        while (reporter.leasesHeld().isEmpty() && System.currentTimeMillis() < end) {
            Thread.sleep(20);
        }
        assertEquals(1, reporter.leasesHeld().size(), "the report stage holds the job's lease, renewed by the scheduler");
        JobJournal nodeB = new JobJournal(journal.store(), "node-b");
        try {
            org.radflow.jobs.Lease taken = takeOver(job);
            reportGate.countDown(); // the reports are written, then the fenced finish fails
            end = System.currentTimeMillis() + 5000;
            while (!reporter.leasesHeld().isEmpty() && System.currentTimeMillis() < end) {
                Thread.sleep(20);
            }
            assertTrue(reporter.leasesHeld().isEmpty(), "the report stage let go of the job");
            Job now = journal.find(job.id()).orElseThrow();
            assertEquals(JobState.RUNNING, now.state(), "not SUCCEEDED by the old holder");
            assertEquals(taken.token(), now.lease().token());
            assertTrue(nodeB.finish(taken, JobState.SUCCEEDED, null));
        } finally {
            nodeB.close();
        }
    }

    @Test
    void leasesAreRenewedWhileTheModuleRunsAndWhileItsReportsAreWritten() throws Exception {
        module("slow", 1, Duration.ofSeconds(30), (in, job) -> {
            try {
                Thread.sleep(1500);
            } catch (InterruptedException e) {
                throw new ModuleException("interrupted");
            }
            return ok();
        });
        // three lease lengths in the module, two in the report stage; the scheduler's own sweep runs every 200 ms
        start(SchedulerSettings.defaults().withLease(Duration.ofMillis(600)));
        reportGate = new java.util.concurrent.CountDownLatch(1);
        Job job = enqueue("slow", "u-renewed");
        JobJournal nodeB = new JobJournal(journal.store(), "node-b");
        try {
            long end = System.currentTimeMillis() + 1500 + 1200;
            while (System.currentTimeMillis() < end) {
                assertTrue(nodeB.recoverExpired(3).isEmpty(), "the lease never lapsed");
                Thread.sleep(100);
            }
            reportGate.countDown();
            assertEquals(JobState.SUCCEEDED, await(job, JobState.SUCCEEDED, 5000));
            assertEquals(1, journal.find(job.id()).orElseThrow().attempts(), "never re-queued");
            assertTrue(sunk.contains(job.id()));
        } finally {
            nodeB.close();
        }
    }
}
