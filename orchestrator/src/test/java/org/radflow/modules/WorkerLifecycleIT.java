package org.radflow.modules;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.config.RadflowConfig;
import org.radflow.server.RadflowServer;
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
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A module's life in worker processes (the default isolation), through the server's API: a worker is ready before
 * the first study and serves it; a running job's progress is relayed from its worker; cancelling a running job stops its
 * worker; a reload (a new generation) retires the idle worker and a new one takes its place; disabling the module
 * retires its workers and enabling it starts one again.
 */
class WorkerLifecycleIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void workersFollowTheModuleThroughJobsCancelReloadAndDisable() throws Exception {
        Path modules = dir.resolve("modules");
        Path sampleJar = Path.of(System.getProperty("radflow.testModulesDir", "target/test-modules"), "sample", "radflow-sample-module.jar");
        Files.copy(sampleJar, Files.createDirectories(modules.resolve("sample")).resolve("sample.jar"));
        Path cfg = dir.resolve("radflow.yaml");
        Files.writeString(cfg, """
                server: {dataDir: %s}
                listener: {bindAddress: 127.0.0.1, port: 0, minFreeSpaceMb: 0, fsync: false}
                api: {port: 0}
                viewer: {enabled: false}
                tracking: {seriesQuietSeconds: 1, studyQuietSeconds: 3600}
                modules:
                  dir: %s
                  watch: false
                  sample: {heapMb: 256}
                  sample-slow: {heapMb: 256, config: {delayMs: 60000}}
                rules:
                  - {name: sample, module: sample, match: {Modality: MR}}
                  - {name: slow, module: sample-slow, match: {Modality: MR, StudyDescription: SLOW}}
                """.formatted(dir.resolve("data"), modules));
        try (RadflowServer s = new RadflowServer(RadflowConfig.load(cfg), false)) {
            s.start().await(60, TimeUnit.SECONDS);
            int port = s.httpPort();
            // ready before the first study: a worker per routed module boots after the server starts
            await(() -> health(port, "sample").equals("ok") && health(port, "sample-slow").equals("ok"), 120_000, "workers ready");
            long first = pids(port, "sample").get(0);

            GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withSeed(81).withDimensions(16, 16, 4)
                    .withStudyDescription("SLOW"));
            Dcmtk.storescu().host("127.0.0.1").port(s.dicomPort()).calledAe("RADFLOW").files(mr.files()).run().assertOk();
            await(() -> job(port, "sample").map(j -> "SUCCEEDED".equals(j.getString("state"))).orElse(false), 60_000, "sample job done");
            assertEquals(List.of(first), pids(port, "sample"), "the job ran on the worker that was ready");
            assertEquals(1, worker(port, "sample", first).getInteger("jobs"));

            // cancel: the running job ends CANCELLED and its worker is stopped
            // the module's progress, relayed from its worker to the job
            await(() -> job(port, "sample-slow").map(j -> "RUNNING".equals(j.getString("state")) && "waiting".equals(j.getString("progressMessage"))
                    && j.getDouble("progress", 0.0) > 0).orElse(false), 60_000, "slow job running, with its progress");
            long slowWorker = pids(port, "sample-slow").get(0);
            assertEquals("busy", worker(port, "sample-slow", slowWorker).getString("state"));
            String slowId = job(port, "sample-slow").orElseThrow().getString("id");
            assertEquals(200, post(port, "/api/jobs/" + slowId + "/cancel").statusCode());
            await(() -> job(port, "sample-slow").map(j -> "CANCELLED".equals(j.getString("state"))).orElse(false), 30_000, "cancelled");
            await(() -> ProcessHandle.of(slowWorker).map(p -> !p.isAlive()).orElse(true), 15_000, "the cancelled job's worker stopped");

            // a reload makes a new generation: the idle worker is retired and a new one is ready in its place
            HttpResponse<String> reload = post(port, "/api/modules/sample/reload");
            assertEquals(200, reload.statusCode(), reload.body());
            await(() -> ProcessHandle.of(first).map(p -> !p.isAlive()).orElse(true), 15_000, "the old generation's worker retired");
            await(() -> health(port, "sample").equals("ok"), 60_000, "a worker of the new generation");
            assertNotEquals(first, pids(port, "sample").get(0));

            // disabled: its workers go; enabled: one is ready again
            long second = pids(port, "sample").get(0);
            assertEquals(200, post(port, "/api/modules/sample/disable").statusCode());
            await(() -> ProcessHandle.of(second).map(p -> !p.isAlive()).orElse(true), 15_000, "a disabled module's worker retired");
            assertEquals(List.of(), pids(port, "sample"));
            assertEquals(200, post(port, "/api/modules/sample/enable").statusCode());
            await(() -> health(port, "sample").equals("ok"), 60_000, "a worker once enabled again");
            Dcmtk.echoscu("127.0.0.1", s.dicomPort(), "RADFLOW").assertOk();
        }
        assertEquals(List.of(), WorkerProbe.workers("sample"), "workers end with the server");
    }

    private static java.util.Optional<JsonObject> job(int port, String module) throws Exception {
        JsonArray jobs = new JsonObject(get(port, "/api/jobs?limit=100&module=" + module)).getJsonArray("jobs");
        return jobs.stream().map(o -> (JsonObject) o).findFirst();
    }

    private static JsonObject workers(int port, String id) throws Exception {
        JsonArray all = new JsonArray(get(port, "/api/modules"));
        return all.stream().map(o -> (JsonObject) o).filter(m -> id.equals(m.getString("id"))).findFirst().orElseThrow()
                .getJsonObject("workers");
    }

    private static String health(int port, String id) throws Exception {
        return workers(port, id).getString("health");
    }

    private static List<Long> pids(int port, String id) throws Exception {
        return workers(port, id).getJsonArray("workers").stream().map(o -> ((JsonObject) o).getLong("pid")).toList();
    }

    private static JsonObject worker(int port, String id, long pid) throws Exception {
        return workers(port, id).getJsonArray("workers").stream().map(o -> (JsonObject) o).filter(w -> w.getLong("pid") == pid)
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

    private interface Check {
        boolean test() throws Exception;
    }

    private static void await(Check check, long millis, String what) throws Exception {
        long end = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < end) {
            if (check.test()) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError(what + ": not within " + millis + " ms");
    }
}
