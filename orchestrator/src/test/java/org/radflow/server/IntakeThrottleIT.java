package org.radflow.server;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.config.RadflowConfig;
import org.radflow.testdata.CtOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.Synth;
import org.radflow.testkit.Dcmtk;
import org.radflow.testkit.ToolResult;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 16, bursts: a real server, the real sample-slow module in its worker, real storescu. Above
 * scheduler.intakeHighWaterMark the listener answers A700 "retry later" and the sender's retries get everything in
 * with no job failed; a stat study sent into a queued burst runs before the routine jobs queued ahead of it.
 */
class IntakeThrottleIT {

    @TempDir
    Path dir;

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private RadflowServer start(String schedulerAndModules) throws Exception {
        Path modules = dir.resolve("modules");
        OrchestratorIT.installSampleModule(modules);
        Path cfg = dir.resolve("radflow.yaml");
        Files.writeString(cfg, """
                server: {dataDir: %s}
                listener: {bindAddress: 127.0.0.1, port: 0, minFreeSpaceMb: 0, fsync: false}
                api: {port: 0}
                viewer: {enabled: false}
                tracking: {seriesQuietSeconds: 1, studyQuietSeconds: 2}
                """.formatted(dir.resolve("data")) + schedulerAndModules.replace("MODULES_DIR", modules.toString()));
        RadflowServer server = new RadflowServer(RadflowConfig.load(cfg), false);
        server.start().await(60, TimeUnit.SECONDS);
        return server;
    }

    private List<GeneratedSeries> studies(String prefix, int n, int seed, String description) throws Exception {
        List<GeneratedSeries> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            CtOptions o = CtOptions.defaults().withSeed(seed + i).withCount(1).withSize(64, 64);
            out.add(Synth.ctSeries(dir.resolve(prefix + i), description == null ? o : o.withStudyDescription(description)));
        }
        return out;
    }

    /** One storescu association for one file; {@code -d} prints the C-STORE-RSP with its error comment. */
    private static ToolResult sendOne(int port, GeneratedSeries s) {
        return Dcmtk.storescu().host("127.0.0.1").port(port).calledAe("RADFLOW").option("-d").files(s.files()).run();
    }

    private static JsonObject ready(int httpPort) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/api/health/ready"))
                .build(), HttpResponse.BodyHandlers.ofString());
        return new JsonObject(r.body());
    }

    private static String intakeStatus(int httpPort) throws Exception {
        return ready(httpPort).getJsonObject("components").getJsonObject("intake").getString("status");
    }

    @Test
    void aBurstAboveTheHighWaterMarkIsRefusedWithA700UntilItDrainsAndEveryAcceptedInstanceSucceeds() throws Exception {
        List<GeneratedSeries> burst = studies("burst", 60, 500, null);
        try (RadflowServer s = start("""
                scheduler: {initialBackoffSeconds: 1, intakeHighWaterMark: 3, intakeLowWaterMark: 1}
                modules:
                  dir: MODULES_DIR
                  watch: false
                  sample-slow: {maxConcurrentJobs: 1, config: {delayMs: 300}}
                rules:
                  - name: every-ct-image
                    module: sample-slow
                    trigger: instance
                    match: {Modality: CT}
                """)) {
            assertEquals("UP", intakeStatus(s.httpPort()));
            // the burst: one study per association, as a PACS catching up sends them, until the listener pushes back
            List<GeneratedSeries> sent = new ArrayList<>();
            List<GeneratedSeries> refused = new ArrayList<>();
            String refusal = null;
            int afterFirstRefusal = 0;
            for (GeneratedSeries study : burst) {
                ToolResult r = sendOne(s.dicomPort(), study);
                sent.add(study);
                if (!r.ok()) {
                    assertTrue(r.output().contains("0xa700"), "refused as out of resources: " + r.describe());
                    refused.add(study);
                    refusal = refusal == null ? r.output() : refusal;
                }
                if (!refused.isEmpty() && ++afterFirstRefusal > 5) {
                    break;
                }
            }
            assertFalse(refused.isEmpty(), "a burst of " + sent.size() + " studies against a high-water mark of 3 queued jobs "
                    + "was never throttled");
            assertTrue(refusal.contains("RadFlow is behind") && refusal.contains("retry later"),
                    "storescu shows the reason as the error comment: " + refusal);

            // the sender retries what was refused, as a PACS does with A700, until all of it is in
            List<GeneratedSeries> waiting = new ArrayList<>(refused);
            int retries = 0;
            long end = System.currentTimeMillis() + 180_000;
            while (!waiting.isEmpty() && System.currentTimeMillis() < end) {
                List<GeneratedSeries> still = new ArrayList<>();
                for (GeneratedSeries study : waiting) {
                    ToolResult r = sendOne(s.dicomPort(), study);
                    retries++;
                    if (!r.ok()) {
                        assertTrue(r.output().contains("0xa700"), r.describe());
                        still.add(study);
                    }
                }
                waiting = still;
                if (!waiting.isEmpty()) {
                    Thread.sleep(200); // the sender's retry interval
                }
            }
            assertTrue(waiting.isEmpty(), waiting.size() + " studies still refused after 180 s of retries");

            // nothing accepted is lost: one job per study sent, every one SUCCEEDED, every instance in the spool
            int expected = sent.size();
            List<JsonObject> jobs = OrchestratorIT.awaitJobs(s.httpPort(), "", l -> l.size() == expected
                    && OrchestratorIT.allIn(l, "SUCCEEDED", "FAILED", "NOT_APPLICABLE", "TIMED_OUT"), 180_000);
            assertTrue(OrchestratorIT.allIn(jobs, "SUCCEEDED"), "every accepted instance's job succeeded: " + jobs);
            assertEquals(sent.stream().map(GeneratedSeries::studyInstanceUid).collect(Collectors.toSet()),
                    jobs.stream().map(j -> j.getString("studyInstanceUid")).collect(Collectors.toSet()));
            Path incoming = dir.resolve("data").resolve("spool").resolve("incoming");
            for (GeneratedSeries study : sent) {
                assertTrue(Files.exists(incoming.resolve(study.studyInstanceUid()).resolve(study.seriesInstanceUid())
                        .resolve(study.sopInstanceUids().get(0) + ".dcm")), "spooled: " + study.studyInstanceUid());
            }

            // drained: the readiness check shows intake open, and a new study is taken at the first attempt
            long open = System.currentTimeMillis() + 10_000;
            while (!"UP".equals(intakeStatus(s.httpPort())) && System.currentTimeMillis() < open) {
                Thread.sleep(100);
            }
            assertEquals("UP", intakeStatus(s.httpPort()), ready(s.httpPort()).encode());
            GeneratedSeries late = studies("late", 1, 900, null).get(0);
            sendOne(s.dicomPort(), late).assertOk();
            OrchestratorIT.awaitJobs(s.httpPort(), "&study=" + late.studyInstanceUid(),
                    l -> l.size() == 1 && OrchestratorIT.allIn(l, "SUCCEEDED"), 60_000);
            System.out.printf("intake throttling: %d studies sent, %d refused at first, %d retries, all %d jobs SUCCEEDED%n",
                    sent.size(), refused.size(), retries, expected);
        }
    }

    @Test
    void aStatStudySentIntoAQueuedBurstRunsBeforeTheRoutineJobsQueuedAheadOfIt() throws Exception {
        List<GeneratedSeries> before = studies("routine", 12, 600, null);
        List<GeneratedSeries> after = studies("routine-after", 4, 700, null);
        GeneratedSeries stat = studies("stat", 1, 800, "STAT").get(0);
        try (RadflowServer s = start("""
                modules:
                  dir: MODULES_DIR
                  watch: false
                  sample-slow: {maxConcurrentJobs: 1, config: {delayMs: 400}}
                rules:
                  - name: stat-ct
                    module: sample-slow
                    trigger: instance
                    priority: stat
                    match: {Modality: CT, StudyDescription: STAT}
                  - name: routine-ct
                    module: sample-slow
                    trigger: instance
                    match: {Modality: CT, StudyDescription: {not: STAT}}
                """)) {
            List<Path> files = new ArrayList<>();
            before.forEach(b -> files.addAll(b.files()));
            OrchestratorIT.send(s.dicomPort(), files);
            // the burst is queued (and the lane busy) before the stat study arrives
            OrchestratorIT.awaitJobs(s.httpPort(), "", l -> l.size() == before.size()
                    && l.stream().filter(j -> "QUEUED".equals(j.getString("state"))).count() >= 6, 60_000);
            OrchestratorIT.send(s.dicomPort(), stat.files());
            List<Path> rest = new ArrayList<>();
            after.forEach(a -> rest.addAll(a.files()));
            OrchestratorIT.send(s.dicomPort(), rest);

            int total = before.size() + 1 + after.size();
            List<JsonObject> jobs = OrchestratorIT.awaitJobs(s.httpPort(), "", l -> l.size() == total
                    && OrchestratorIT.allIn(l, "SUCCEEDED", "FAILED", "NOT_APPLICABLE", "TIMED_OUT"), 120_000);
            assertTrue(OrchestratorIT.allIn(jobs, "SUCCEEDED"), jobs.toString());
            JsonObject statJob = jobs.stream().filter(j -> "stat-ct".equals(j.getString("rule"))).findFirst().orElseThrow();
            assertEquals("stat", statJob.getString("priority"));
            assertEquals(stat.studyInstanceUid(), statJob.getString("studyInstanceUid"));
            Instant statCreated = Instant.parse(statJob.getString("createdAt"));
            Instant statStarted = Instant.parse(statJob.getString("startedAt"));
            Instant statFinished = Instant.parse(statJob.getString("finishedAt"));
            Set<String> routineBefore = before.stream().map(GeneratedSeries::studyInstanceUid).collect(Collectors.toSet());
            List<JsonObject> queuedAhead = jobs.stream().filter(j -> routineBefore.contains(j.getString("studyInstanceUid")))
                    .filter(j -> Instant.parse(j.getString("createdAt")).isBefore(statCreated)).toList();
            assertEquals(before.size(), queuedAhead.size(), "every routine job of the first burst was journaled first: " + jobs);
            long overtaken = queuedAhead.stream().filter(j -> Instant.parse(j.getString("finishedAt")).isAfter(statFinished)).count();
            assertTrue(overtaken >= 4, "the stat job finished before most routine jobs queued ahead of it (" + overtaken
                    + " of " + queuedAhead.size() + "): " + jobs);
            // one lane slot: once the stat job is journaled, at most the one claim racing its insertion goes first
            long startedBetween = jobs.stream().filter(j -> !"stat-ct".equals(j.getString("rule")))
                    .map(j -> Instant.parse(j.getString("startedAt")))
                    .filter(t -> t.isAfter(statCreated) && t.isBefore(statStarted)).count();
            assertTrue(startedBetween <= 1, startedBetween + " routine jobs started after the stat job was queued and before it: "
                    + jobs);
        }
    }

    /**
     * Issue 16: 500 instance-level studies in one burst (the default queue limit is 100): every job SUCCEEDED, none
     * failed for arriving with many others, and a stat study sent in the middle overtakes the routine jobs still
     * waiting ahead of it. -Dradflow.burst=N changes the size.
     */
    @Test
    void fiveHundredStudiesInOneBurstAllSucceedAndAStatStudyInTheMiddleOvertakesTheQueue() throws Exception {
        int n = Integer.getInteger("radflow.burst", 500);
        List<GeneratedSeries> first = studies("burst-a", n / 2, 10_000, null);
        List<GeneratedSeries> second = studies("burst-b", n - n / 2, 20_000, null);
        GeneratedSeries stat = studies("burst-stat", 1, 30_000, "STAT").get(0);
        try (RadflowServer s = start("""
                modules:
                  dir: MODULES_DIR
                  watch: false
                  sample-slow: {maxConcurrentJobs: 1, config: {delayMs: 0}}
                rules:
                  - name: stat-ct
                    module: sample-slow
                    trigger: instance
                    priority: stat
                    match: {Modality: CT, StudyDescription: STAT}
                  - name: routine-ct
                    module: sample-slow
                    trigger: instance
                    match: {Modality: CT, StudyDescription: {not: STAT}}
                """)) {
            long t0 = System.nanoTime();
            List<Path> files = new ArrayList<>();
            first.forEach(b -> files.addAll(b.files()));
            OrchestratorIT.send(s.dicomPort(), files);
            OrchestratorIT.send(s.dicomPort(), stat.files());
            List<Path> rest = new ArrayList<>();
            second.forEach(b -> rest.addAll(b.files()));
            OrchestratorIT.send(s.dicomPort(), rest);

            int total = n + 1;
            List<JsonObject> jobs = OrchestratorIT.awaitJobs(s.httpPort(), "", l -> l.size() == total
                    && OrchestratorIT.allIn(l, "SUCCEEDED", "FAILED", "NOT_APPLICABLE", "TIMED_OUT"), 600_000);
            long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
            List<JsonObject> notOk = jobs.stream().filter(j -> !"SUCCEEDED".equals(j.getString("state"))).toList();
            assertTrue(notOk.isEmpty(), notOk.size() + " of " + total + " jobs did not succeed: " + notOk);
            JsonObject statJob = jobs.stream().filter(j -> "stat-ct".equals(j.getString("rule"))).findFirst().orElseThrow();
            Instant statCreated = Instant.parse(statJob.getString("createdAt"));
            Instant statFinished = Instant.parse(statJob.getString("finishedAt"));
            // routine jobs journaled before the stat one and still waiting when it was: all but at most the one claim
            // racing its insertion finish after it
            List<JsonObject> waiting = jobs.stream().filter(j -> "routine-ct".equals(j.getString("rule")))
                    .filter(j -> Instant.parse(j.getString("createdAt")).isBefore(statCreated))
                    .filter(j -> Instant.parse(j.getString("startedAt")).isAfter(statCreated)).toList();
            long overtaken = waiting.stream().filter(j -> Instant.parse(j.getString("finishedAt")).isAfter(statFinished)).count();
            assertTrue(waiting.size() >= n / 10, "a real queue was waiting when the stat study came: " + waiting.size());
            assertTrue(overtaken >= waiting.size() - 1, "the stat job finished before " + overtaken + " of the "
                    + waiting.size() + " routine jobs waiting ahead of it");
            System.out.printf("burst: %d studies + 1 stat, all SUCCEEDED in %d s; the stat job overtook %d of %d waiting%n",
                    n, seconds, overtaken, waiting.size());
        }
    }
}
