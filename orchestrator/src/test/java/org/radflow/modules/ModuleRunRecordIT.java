package org.radflow.modules;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.radflow.config.RadflowConfig;
import org.radflow.server.RadflowServer;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;
import org.radflow.testkit.Dcmtk;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The version on record is the one that ran (issue 18): a job planned with module 1.0.0 fails transiently on that
 * version; its JAR is replaced by 2.0.0 and reloaded (a new generation); the attempt that then succeeds is recorded as
 * 2.0.0, generation 2 in the job (API), its timeline (each attempt's event names its version and generation),
 * result.json, the audit trail and the SR's algorithm identification, with the module's own run time in the job and
 * the {@code radflow_module_run_seconds} metric. In the server's JVM and in worker processes (the RAN frame).
 */
class ModuleRunRecordIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String ID = "fxrun";

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"in-process", "process"})
    void anAttemptRunByAReplacedJarIsRecordedWithTheNewVersionEverywhere(String isolation) throws Exception {
        Path modules = dir.resolve("modules");
        Path v1 = TestJars.build(Fixtures.failsUntilReplaced("fxrun", ID, "1.0.0"), dir.resolve("built/1/fxrun.jar"));
        Path v2 = TestJars.build(Fixtures.failsUntilReplaced("fxrun", ID, "2.0.0"), dir.resolve("built/2/fxrun.jar"));
        Path installed = TestJars.copyInto(v1, modules.resolve(ID));
        Path data = dir.resolve("data");
        Path cfg = dir.resolve("radflow.yaml");
        Files.writeString(cfg, """
                server: {dataDir: %s}
                listener: {bindAddress: 127.0.0.1, port: 0, minFreeSpaceMb: 0, fsync: false}
                api: {port: 0}
                viewer: {enabled: false}
                tracking: {seriesQuietSeconds: 1, studyQuietSeconds: 3600}
                scheduler: {maxAttempts: 20, initialBackoffSeconds: 1, maxBackoffSeconds: 1}
                modules:
                  dir: %s
                  watch: false
                  %s: {isolation: %s, heapMb: 256}
                rules:
                  - {name: fx, module: %s, match: {Modality: MR}}
                """.formatted(data, modules, ID, isolation, ID));
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> log = new ch.qos.logback.core.read.ListAppender<>();
        log.start();
        ch.qos.logback.classic.Logger schedulerLog = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
                org.radflow.scheduling.Scheduler.class);
        schedulerLog.addAppender(log);
        try (RadflowServer s = new RadflowServer(RadflowConfig.load(cfg), false)) {
            s.start().await(60, TimeUnit.SECONDS);
            int port = s.httpPort();
            GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withSeed(18).withDimensions(16, 16, 3));
            Dcmtk.storescu().host("127.0.0.1").port(s.dicomPort()).calledAe("RADFLOW").files(mr.files()).run().assertOk();

            // attempt 1 ran 1.0.0 of generation 1 and failed transiently
            await(() -> jobId(port) != null && timeline(port, jobId(port)).contains("attempt 1 ran " + ID + " 1.0.0 (generation 1"),
                    120_000, "the first attempt, run by 1.0.0");
            String id = jobId(port);
            JsonObject queued = detail(port, id);
            assertEquals("1.0.0", queued.getString("moduleVersion"));
            assertEquals(1, queued.getInteger("generation"));

            // the JAR is replaced: the next attempt runs 2.0.0 of generation 2
            Files.write(installed, Files.readAllBytes(v2));
            HttpResponse<String> reload = post(port, "/api/modules/" + ID + "/reload");
            assertEquals(200, reload.statusCode(), reload.body());
            await(() -> "SUCCEEDED".equals(detail(port, id).getString("state")), 120_000, "the job succeeded on 2.0.0");
            int generation = module(port).getInteger("generation");
            assertEquals(2, generation);

            JsonObject job = detail(port, id);
            assertEquals("2.0.0", job.getString("moduleVersion"), job.encodePrettily());
            assertEquals("1.0.0", job.getString("plannedVersion"));
            assertEquals(generation, job.getInteger("generation"));
            assertTrue(job.getLong("moduleRunMs") >= 0, job.encodePrettily());
            JsonObject run = job.getJsonObject("run");
            assertEquals(job.getInteger("attempts"), run.getInteger("attempt"));
            assertEquals("2.0.0", run.getString("version"));
            assertEquals(isolation, run.getString("isolation"));
            assertEquals("m-2.0.0", run.getJsonObject("model").getString("version"));
            assertFalse(run.getString("sha256").isEmpty());
            // a SUCCEEDED job's reason is not its summary
            assertFalse(job.getString("reason", "").contains("measured 42"), job.encodePrettily());
            String timeline = timeline(port, id);
            assertTrue(timeline.contains("attempt " + run.getInteger("attempt") + " ran " + ID + " 2.0.0 (generation 2"), timeline);

            Path results = data.resolve("results").resolve(id);
            JsonObject resultJson = new JsonObject(Files.readString(results.resolve("result.json")));
            assertEquals("2.0.0", resultJson.getString("moduleVersion"));
            assertEquals("1.0.0", resultJson.getString("plannedVersion"));
            assertEquals(2, resultJson.getJsonObject("run").getInteger("generation"));
            assertEquals(List.of("zeta", "alpha"), List.copyOf(resultJson.getJsonObject("parameters").fieldNames()));

            Path sr;
            try (Stream<Path> files = Files.list(results.resolve("dicom"))) {
                sr = files.filter(f -> f.getFileName().toString().startsWith("SR_")).findFirst().orElseThrow();
            }
            String dump = run("dsrdump", "+Pc", "+Pl", sr.toString());
            assertTrue(dump.contains("\"2.0.0 (model m-2.0.0)\""), dump);
            assertFalse(dump.contains("1.0.0 (model"), dump);

            // the audit trail is written on its own thread: wait for the job's SUCCEEDED record
            await(() -> audit(data, id).stream().anyMatch(r -> "SUCCEEDED".equals(r.getString("state"))), 10_000, "audited");
            List<JsonObject> audited = audit(data, id);
            assertTrue(audited.stream().allMatch(r -> "job.state".equals(r.getString("type"))), audited.toString());
            assertTrue(audited.stream().anyMatch(r -> String.valueOf(r.getString("message")).contains("ran " + ID + " 1.0.0 (generation 1")),
                    "the audit trail has attempt 1's event naming 1.0.0: " + audited);
            JsonObject succeeded = audited.stream().filter(r -> "SUCCEEDED".equals(r.getString("state"))).findFirst().orElseThrow();
            assertEquals("2.0.0", succeeded.getString("moduleVersion"));
            assertEquals(2, succeeded.getInteger("generation"));
            assertTrue(succeeded.getLong("moduleRunMs") >= 0, succeeded.encode());

            // each failed attempt is logged once, at WARN, with the job, the version that ran and the module's stack trace
            // (from the worker: the trace it sent in its FAILURE frame)
            List<ch.qos.logback.classic.spi.ILoggingEvent> failures = List.copyOf(log.list).stream()
                    .filter(e -> e.getFormattedMessage().contains(id) && e.getFormattedMessage().contains("failed")).toList();
            assertEquals(job.getInteger("attempts") - 1, failures.size(), failures.toString());
            for (ch.qos.logback.classic.spi.ILoggingEvent e : failures) {
                assertEquals(ch.qos.logback.classic.Level.WARN, e.getLevel());
                assertTrue(e.getFormattedMessage().contains("(" + ID + " 1.0.0 generation 1 on "), e.getFormattedMessage());
                var thrown = e.getThrowableProxy();
                String trace = thrown.getMessage() + "\n" + java.util.Arrays.stream(thrown.getStackTraceElementProxyArray())
                        .map(Object::toString).collect(java.util.stream.Collectors.joining("\n"));
                assertTrue(trace.contains("fx.fxrun.Factory"), "the module's own frame: " + trace);
                assertEquals(isolation.equals("process") ? org.radflow.host.ModuleFailure.WorkerStackTrace.class.getName()
                        : org.radflow.api.ModuleException.class.getName(), thrown.getClassName());
            }

            String metrics = get(port, "/metrics");
            String count = metrics.lines().filter(l -> l.startsWith("radflow_module_run_seconds_count{module=\"" + ID + "\"}"))
                    .findFirst().orElseThrow(() -> new AssertionError(metrics));
            assertTrue(Double.parseDouble(count.substring(count.lastIndexOf(' ') + 1)) >= 2, count);
        } finally {
            schedulerLog.detachAppender(log);
        }
    }

    /** The audit trail's records of one job. */
    private static List<JsonObject> audit(Path data, String jobId) throws Exception {
        Path dir = data.resolve("audit");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<JsonObject> out = new java.util.ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                for (String line : Files.readAllLines(f)) {
                    JsonObject r;
                    try {
                        r = new JsonObject(line);
                    } catch (io.vertx.core.json.DecodeException partial) {
                        continue; // a line being written
                    }
                    if (jobId.equals(r.getString("jobId"))) {
                        out.add(r);
                    }
                }
            }
        }
        return out;
    }

    private static String jobId(int port) throws Exception {
        JsonArray jobs = new JsonObject(get(port, "/api/jobs?limit=10&module=" + ID)).getJsonArray("jobs");
        return jobs.isEmpty() ? null : jobs.getJsonObject(0).getString("id");
    }

    private static JsonObject detail(int port, String id) throws Exception {
        return new JsonObject(get(port, "/api/jobs/" + id));
    }

    private static String timeline(int port, String id) throws Exception {
        return detail(port, id).getJsonArray("timeline").encodePrettily();
    }

    private static JsonObject module(int port) throws Exception {
        return new JsonArray(get(port, "/api/modules")).stream().map(o -> (JsonObject) o).filter(m -> ID.equals(m.getString("id")))
                .findFirst().orElseThrow();
    }

    private static String get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static HttpResponse<String> post(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).POST(HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        p.waitFor();
        return out.toString(StandardCharsets.UTF_8);
    }

    private interface Check {
        boolean test() throws Exception;
    }

    private static void await(Check check, long millis, String what) throws Exception {
        long until = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < until) {
            if (check.test()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("timed out waiting for: " + what);
    }
}
