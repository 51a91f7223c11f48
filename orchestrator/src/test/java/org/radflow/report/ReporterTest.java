package org.radflow.report;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.ModuleResult;
import org.radflow.api.Trigger;
import org.radflow.jobs.Job;
import org.radflow.jobs.JobJournal;
import org.radflow.jobs.JobState;
import org.radflow.routing.Priority;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The report stage's threads: jobs of different units are reported in parallel, those of one unit one after another. */
class ReporterTest {

    @TempDir
    Path dir;
    private JobJournal journal;

    @BeforeEach
    void open() {
        journal = JobJournal.openEmbedded(dir.resolve("journal"));
    }

    @AfterEach
    void close() {
        journal.close();
    }

    private Job running(String unit, String hash) throws Exception {
        return running(unit, "m", hash);
    }

    /** A running job; jobs of one unit differ by module (one job per unit, module, rule and revision). */
    private Job running(String unit, String module, String hash) throws Exception {
        Job j = journal.enqueue(new JobJournal.NewJob(unit, Trigger.SERIES, "1.2", "1.2.3", null, module, "1.0", "r",
                Priority.NORMAL, List.of(), List.of(), hash), JobState.QUEUED, "planned").orElseThrow();
        assertTrue(journal.markRunning(j.id()));
        return journal.find(j.id()).orElseThrow();
    }

    /** Two unit keys on different report threads of {@code threads}. */
    private static String[] unitsOnDifferentThreads(int threads) {
        String a = "series:1.2/1.2.3.0";
        for (int k = 1; ; k++) {
            String b = "series:1.2/1.2.3." + k;
            if (Math.floorMod(a.hashCode(), threads) != Math.floorMod(b.hashCode(), threads)) {
                return new String[] {a, b};
            }
        }
    }

    private JobState awaitFinished(Job j) throws Exception {
        long end = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < end) {
            JobState s = journal.find(j.id()).orElseThrow().state();
            if (s.terminal()) {
                return s;
            }
            Thread.sleep(20);
        }
        return journal.find(j.id()).orElseThrow().state();
    }

    @Test
    void jobsOfDifferentUnitsAreReportedInParallel() throws Exception {
        String[] units = unitsOnDifferentThreads(2);
        CountDownLatch bothInside = new CountDownLatch(2);
        ResultSink writer = (job, result) -> {
            bothInside.countDown();
            // with one report thread the second job never gets in while the first waits here
            if (!bothInside.await(5, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the other job's reports were not being written at the same time");
            }
        };
        try (Reporter r = new Reporter(journal, writer, new Reporter.Retry(1, Duration.ofMillis(10), Duration.ofMillis(10)), 2)) {
            Job a = running(units[0], "ha");
            Job b = running(units[1], "hb");
            r.handOff(a, ModuleResult.completed(List.of(), List.of(), "a", Map.of()));
            r.handOff(b, ModuleResult.completed(List.of(), List.of(), "b", Map.of()));
            assertEquals(JobState.SUCCEEDED, awaitFinished(a));
            assertEquals(JobState.SUCCEEDED, awaitFinished(b));
        }
    }

    @Test
    void jobsOfOneUnitAreReportedOneAfterAnotherInOrder() throws Exception {
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
        ResultSink writer = (job, result) -> {
            if (inside.incrementAndGet() > 1) {
                overlaps.incrementAndGet();
            }
            Thread.sleep(30);
            order.add(result.summary());
            inside.decrementAndGet();
        };
        Map<String, Job> jobs = new ConcurrentHashMap<>();
        try (Reporter r = new Reporter(journal, writer, new Reporter.Retry(1, Duration.ofMillis(10), Duration.ofMillis(10)), 4)) {
            for (int i = 0; i < 5; i++) {
                Job j = running("series:1.2/1.2.3.9", "m" + i, "h" + i);
                jobs.put("r" + i, j);
                r.handOff(j, ModuleResult.completed(List.of(), List.of(), "r" + i, Map.of()));
            }
            for (Job j : jobs.values()) {
                assertEquals(JobState.SUCCEEDED, awaitFinished(j));
            }
        }
        assertEquals(0, overlaps.get());
        assertEquals(List.of("r0", "r1", "r2", "r3", "r4"), order);
    }
}
