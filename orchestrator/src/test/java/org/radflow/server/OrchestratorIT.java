package org.radflow.server;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.config.RadflowConfig;
import org.radflow.testdata.ChestOptions;
import org.radflow.testdata.CtOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;
import org.radflow.testkit.Dcmtk;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The orchestrator end to end, in process: storescu → listener → tracker → rules → journal →
 * scheduler → the real sample drop-in module (loaded from its JAR, not the class path) → results,
 * observed through the HTTP API.
 */
class OrchestratorIT {

    @TempDir
    Path dir;

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    static Path installSampleModule(Path modulesDir) throws Exception {
        Path jar = Path.of(System.getProperty("radflow.testModulesDir", "target/test-modules"), "sample", "radflow-sample-module.jar");
        assertTrue(Files.exists(jar), "the build copies the sample module to " + jar);
        Path target = modulesDir.resolve("sample").resolve(jar.getFileName());
        Files.createDirectories(target.getParent());
        Files.copy(jar, target);
        return target;
    }

    private RadflowServer start(String extraYaml) throws Exception {
        Path modules = dir.resolve("modules");
        installSampleModule(modules);
        Path cfg = dir.resolve("radflow.yaml");
        Files.writeString(cfg, """
                server: {dataDir: %s}
                listener: {bindAddress: 127.0.0.1, port: 0, minFreeSpaceMb: 0, fsync: false}
                api: {port: 0}
                tracking: {seriesQuietSeconds: 1, studyQuietSeconds: 2}
                scheduler: {initialBackoffSeconds: 1}
                """.formatted(dir.resolve("data")) + "modules:\n  dir: " + modules + "\n  watch: false\n" + extraYaml);
        RadflowServer server = new RadflowServer(RadflowConfig.load(cfg), false);
        server.start().await(60, TimeUnit.SECONDS);
        return server;
    }

    static void send(int port, List<Path> files) {
        Dcmtk.storescu().host("127.0.0.1").port(port).calledAe("RADFLOW").files(files).run().assertOk();
    }

    static JsonObject get(int port, String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), path + ": " + r.body());
        return new JsonObject(r.body());
    }

    static List<JsonObject> jobs(int port, String query) throws Exception {
        JsonArray a = get(port, "/api/jobs?limit=1000" + query).getJsonArray("jobs");
        return a.stream().map(o -> (JsonObject) o).toList();
    }

    /** Polls the API until the condition holds for the job list, or fails after the timeout. */
    static List<JsonObject> awaitJobs(int port, String query, Predicate<List<JsonObject>> done, long millis) throws Exception {
        long end = System.currentTimeMillis() + millis;
        List<JsonObject> last = List.of();
        while (System.currentTimeMillis() < end) {
            last = jobs(port, query);
            if (done.test(last)) {
                return last;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("timed out waiting; jobs: " + last);
    }

    static boolean allIn(List<JsonObject> jobs, String... states) {
        return jobs.stream().allMatch(j -> List.of(states).contains(j.getString("state")));
    }

    @Test
    void theSampleModuleGetsExactlyTheUnitsItsRulesSelectAndARefusalIsRecorded() throws Exception {
        GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withSeed(21));
        GeneratedSeries dx = Synth.chestRadiograph(dir.resolve("dx"), ChestOptions.defaults().withSeed(21).withSize(256, 256));
        GeneratedSeries ct = Synth.ctSeries(dir.resolve("ct"), CtOptions.defaults().withSeed(21).withCount(3).withSize(64, 64));
        try (RadflowServer s = start("""
                rules:
                  - name: mr-to-sample
                    module: sample
                    match: {Modality: MR, SeriesDescription: {regex: ".*hippo.*"}}
                  - name: dx-to-sample
                    module: sample
                    match: {Modality: DX}
                """)) {
            send(s.dicomPort(), mr.files());
            send(s.dicomPort(), dx.files());
            send(s.dicomPort(), ct.files());
            List<JsonObject> jobs = awaitJobs(s.httpPort(), "", l -> l.size() == 2 && allIn(l, "SUCCEEDED", "NOT_APPLICABLE"), 30_000);
            JsonObject mrJob = jobs.stream().filter(j -> "mr-to-sample".equals(j.getString("rule"))).findFirst().orElseThrow();
            assertEquals("SUCCEEDED", mrJob.getString("state"));
            assertEquals(mr.seriesInstanceUid(), mrJob.getString("seriesInstanceUid"));
            assertEquals("SERIES", mrJob.getString("trigger"));
            JsonObject detail = get(s.httpPort(), "/api/jobs/" + mrJob.getString("id"));
            assertEquals(32, detail.getInteger("inputs"), "the whole series, once");
            assertFalse(detail.getJsonArray("timeline").isEmpty());
            assertEquals(3, detail.getJsonObject("outputs").getJsonArray("objects").size(), "SR, report page and SEG: " + detail);
            JsonObject result = s.results().read(mrJob.getString("id")).orElseThrow();
            assertEquals(3, result.getJsonArray("findings").stream().map(o -> ((JsonObject) o).getString("type")).distinct().count(),
                    "measurement, classification and segmentation: " + result);

            JsonObject dxJob = jobs.stream().filter(j -> "dx-to-sample".equals(j.getString("rule"))).findFirst().orElseThrow();
            assertEquals("NOT_APPLICABLE", dxJob.getString("state"));
            assertTrue(dxJob.getString("reason").contains("Modality"), dxJob.getString("reason"));
            // the CT series matched no rule: no job
            assertTrue(jobs(s.httpPort(), "&study=" + ct.studyInstanceUid()).isEmpty());

            JsonArray modules = new JsonArray(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.httpPort()
                    + "/api/modules")).build(), HttpResponse.BodyHandlers.ofString()).body());
            assertEquals(4, modules.size(), "sample, sample-slow, sample-fail, sample-hang: " + modules);

            // rule tester over the received study: which rules match and why not
            HttpResponse<String> t = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.httpPort() + "/api/rules/test"))
                    .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("studyInstanceUid", dx.studyInstanceUid()).encode()))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, t.statusCode(), t.body());
            assertTrue(t.body().contains("Modality"), t.body());
        }
    }

    @Test
    void jpeg2000AndJpegLsStudiesFromOtherEncodersGiveTheSameResultAsTheUncompressedOne() throws Exception {
        // issue 14: pydicom's test files (Debian python3-pydicom) made by OpenJPEG and CharLS from one MR image; each
        // copy gets its own UIDs (dcmodify keeps the encapsulated pixel data as it is) and goes through the listener
        Path source = Path.of("/usr/lib/python3/dist-packages/pydicom/data/test_files");
        assertTrue(Files.isDirectory(source), "python3-pydicom is not installed: run scripts/setup.sh");
        List<String> names = List.of("MR_small.dcm", "MR_small_jp2klossless.dcm", "MR_small_jpeg_ls_lossless.dcm");
        List<Path> files = new java.util.ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            Path copy = Files.copy(source.resolve(names.get(i)), dir.resolve(names.get(i)));
            String root = "2.25." + (4242000 + i);
            Dcmtk.run(java.time.Duration.ofSeconds(30), "dcmodify", "-nb", "-m", "(0020,000d)=" + root + ".1",
                    "-m", "(0020,000e)=" + root + ".2", "-m", "(0008,0018)=" + root + ".3", copy.toString())
                    .assertOk(); // the meta header's Media Storage SOP Instance UID follows (dcmodify's default)
            files.add(copy);
        }
        try (RadflowServer s = start("""
                rules:
                  - name: every-mr
                    module: sample
                    match: {Modality: MR}
                """)) {
            // each compressed file proposed in its own encoding first (storescu -xv: JPEG 2000 lossless, -xt: JPEG-LS
            // lossless, each followed by the uncompressed ones): RadFlow can decode both, so it takes them as they are
            List<String> proposals = List.of("-x=", "-xv", "-xt");
            for (int i = 0; i < files.size(); i++) {
                Dcmtk.storescu().host("127.0.0.1").port(s.dicomPort()).calledAe("RADFLOW").option(proposals.get(i))
                        .files(List.of(files.get(i))).run().assertOk();
            }
            List<JsonObject> jobs = awaitJobs(s.httpPort(), "", l -> l.size() == 3
                    && allIn(l, "SUCCEEDED", "NOT_APPLICABLE", "FAILED"), 60_000);
            assertTrue(allIn(jobs, "SUCCEEDED"), jobs.toString());
            java.util.Set<Double> means = new java.util.HashSet<>();
            for (JsonObject j : jobs) {
                JsonObject result = s.results().read(j.getString("id")).orElseThrow();
                JsonObject mean = result.getJsonArray("findings").stream().map(o -> (JsonObject) o)
                        .filter(f -> "measurement".equals(f.getString("type"))).findFirst().orElseThrow();
                means.add(mean.getDouble("value"));
            }
            assertEquals(1, means.size(), "the same pixels, whatever the encoding: " + means);
            assertEquals(3, jobs.stream().map(j -> j.getString("studyInstanceUid")).distinct().count());
            // stored as received: the spool keeps each sender's encoding
            try (var stored = Files.walk(dir.resolve("data"))) {
                List<String> syntaxes = stored.filter(f -> f.toString().endsWith(".dcm") && f.toString().contains("2.25.424200"))
                        .map(f -> Dcmtk.dcmdump(f, "+P", "0002,0010").assertOk().output()).toList();
                assertEquals(3, syntaxes.size(), syntaxes.toString());
                assertTrue(syntaxes.stream().anyMatch(t -> t.contains("JPEG2000LosslessOnly")), syntaxes.toString());
                assertTrue(syntaxes.stream().anyMatch(t -> t.contains("JPEGLSLossless")), syntaxes.toString());
            }
        }
    }

    @Test
    void aBurstFarBeyondTheQueueLimitQueuesEveryJobAndAllSucceed() throws Exception {
        // issue 16: 57 of 200 burst jobs used to end FAILED "queue is full"; now they wait in the journal
        int studies = 12;
        List<Path> files = new java.util.ArrayList<>();
        for (int i = 0; i < studies; i++) {
            files.addAll(Synth.ctSeries(dir.resolve("ct" + i), CtOptions.defaults().withSeed(100 + i).withCount(1)
                    .withSize(64, 64)).files());
        }
        try (RadflowServer s = start("""
                  sample: {queueLimit: 2, maxConcurrentJobs: 1}
                rules:
                  - name: every-ct-image
                    module: sample
                    trigger: instance
                    match: {Modality: CT}
                """)) {
            send(s.dicomPort(), files);
            List<JsonObject> jobs = awaitJobs(s.httpPort(), "", l -> l.size() == studies
                    && allIn(l, "SUCCEEDED", "NOT_APPLICABLE", "FAILED"), 120_000);
            assertTrue(allIn(jobs, "SUCCEEDED"), "no job fails for arriving in a burst: " + jobs);
            assertTrue(jobs.stream().noneMatch(j -> String.valueOf(j.getString("reason")).contains("queue")), jobs.toString());
        }
    }

    @Test
    void slowFailingAndHangingModulesRunSideBySideWithoutDelayingEachOther() throws Exception {
        GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withSeed(22));
        try (RadflowServer s = start("""
                  sample-slow: {config: {delayMs: 8000}}
                  sample-fail: {config: {mode: permanent, failTimes: -1}}
                rules:
                  - {name: to-hang, module: sample-hang, match: {Modality: MR}}
                  - {name: to-slow, module: sample-slow, match: {Modality: MR}}
                  - {name: to-fail, module: sample-fail, match: {Modality: MR}}
                  - {name: to-sample, module: sample, match: {Modality: MR}}
                """)) {
            // what is measured is lanes side by side, not workers starting: each module's worker is ready first
            awaitWorkersReady(s.httpPort(), List.of("sample-hang", "sample-slow", "sample-fail", "sample"));
            Instant sent = Instant.now();
            send(s.dicomPort(), mr.files());
            List<JsonObject> jobs = awaitJobs(s.httpPort(), "", l -> l.size() == 4 && allIn(l, "SUCCEEDED", "FAILED", "TIMED_OUT"), 40_000);
            JsonObject sample = byRule(jobs, "to-sample");
            JsonObject slow = byRule(jobs, "to-slow");
            assertEquals("SUCCEEDED", sample.getString("state"));
            assertEquals("SUCCEEDED", slow.getString("state"));
            assertEquals("FAILED", byRule(jobs, "to-fail").getString("state"));
            assertEquals("TIMED_OUT", byRule(jobs, "to-hang").getString("state"));
            assertTrue(Instant.parse(sample.getString("finishedAt")).isBefore(Instant.parse(slow.getString("finishedAt"))),
                    "the sample module finished while the slow one was still working");
            // not held up: it started before the hanging module's job timed out (3 s) and before the slow one finished
            // (how long the module itself takes depends on the machine: a worker's JIT starts cold)
            JsonObject hang = byRule(jobs, "to-hang");
            assertTrue(Instant.parse(sample.getString("startedAt")).isBefore(Instant.parse(hang.getString("finishedAt"))),
                    "sample was not held up by the hanging module: " + sample + " " + hang);
            assertTrue(Instant.parse(sample.getString("startedAt")).isBefore(sent.plusSeconds(3 + 1)),
                    "sample started within the series' quiet time and a second: " + sample);
        }
    }

    @Test
    void aLateInstanceReopensItsSeriesAndTheNewJobSupersedesTheOld() throws Exception {
        GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withSeed(23));
        try (RadflowServer s = start("""
                rules:
                  - {name: mr, module: sample, match: {Modality: MR}}
                """)) {
            send(s.dicomPort(), mr.files().subList(0, 31));
            JsonObject first = awaitJobs(s.httpPort(), "", l -> l.size() == 1 && allIn(l, "SUCCEEDED"), 30_000).get(0);
            send(s.dicomPort(), mr.files().subList(31, 32));
            List<JsonObject> jobs = awaitJobs(s.httpPort(), "", l -> l.size() == 2 && allIn(l, "SUCCEEDED"), 30_000);
            JsonObject second = jobs.stream().filter(j -> j.getInteger("revision") == 2).findFirst().orElseThrow();
            JsonObject detail = get(s.httpPort(), "/api/jobs/" + second.getString("id"));
            assertEquals(first.getString("id"), detail.getString("supersedes"));
            assertEquals(32, detail.getInteger("inputs"));
            // the new report has new UIDs and names the one it supersedes
            JsonObject firstSr = sr(get(s.httpPort(), "/api/jobs/" + first.getString("id")));
            JsonObject secondSr = sr(detail);
            assertFalse(firstSr.getString("sopInstanceUid").equals(secondSr.getString("sopInstanceUid")));
            com.pixelmed.dicom.AttributeList list = new com.pixelmed.dicom.AttributeList();
            list.read(secondSr.getString("file"));
            com.pixelmed.dicom.Attribute predecessors = list.get(com.pixelmed.dicom.TagFromName.PredecessorDocumentsSequence);
            assertTrue(predecessors != null && predecessors.toString().contains(firstSr.getString("sopInstanceUid"))
                    || list.toString().contains(firstSr.getString("sopInstanceUid")), "Predecessor Documents name the first SR");
        }
    }

    private static JsonObject sr(JsonObject jobDetail) {
        return jobDetail.getJsonObject("outputs").getJsonArray("objects").stream().map(o -> (JsonObject) o)
                .filter(o -> "1.2.840.10008.5.1.4.1.1.88.33".equals(o.getString("sopClassUid"))).findFirst()
                .orElseThrow(() -> new AssertionError("no SR in " + jobDetail));
    }

    private static void awaitWorkersReady(int port, List<String> modules) throws Exception {
        long end = System.currentTimeMillis() + 120_000;
        while (System.currentTimeMillis() < end) {
            io.vertx.core.json.JsonArray all = new io.vertx.core.json.JsonArray(HTTP.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/api/modules")).build(), HttpResponse.BodyHandlers.ofString()).body());
            if (all.stream().map(o -> (JsonObject) o).filter(m -> modules.contains(m.getString("id")))
                    .filter(m -> m.getJsonObject("workers") != null && "ok".equals(m.getJsonObject("workers").getString("health")))
                    .count() == modules.size()) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the workers of " + modules + " were not ready within 120 s");
    }

    private static JsonObject byRule(List<JsonObject> jobs, String rule) {
        return jobs.stream().filter(j -> rule.equals(j.getString("rule"))).findFirst().orElseThrow(() -> new AssertionError(rule + ": " + jobs));
    }
}
