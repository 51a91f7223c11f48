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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.radflow.modules.WorkerProbe.awaitJobs;
import static org.radflow.modules.WorkerProbe.module;
import static org.radflow.modules.WorkerProbe.send;
import static org.radflow.modules.WorkerProbe.terminal;
import static org.radflow.modules.WorkerProbe.workers;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Modules with {@code isolation: process} in real worker JVMs: a module that halts its JVM, one that spins past its
 * timeout ignoring interrupts and one that runs out of memory each cost a worker and get a reason on the job; the
 * server keeps answering and storing, a well-behaved module's jobs complete in a worker, and no spinning worker is
 * left burning CPU.
 */
class ProcessIsolationIT {

    private static final String HALT = """
            package org.example.faults;
            import org.radflow.api.*;
            public final class HaltFactory implements AiModuleFactory {
                public ModuleDescriptor descriptor() {
                    return ModuleDescriptor.builder("fault-halt", "1.0.0", ApiVersion.MAJOR, ApiVersion.MINOR).trigger(Trigger.SERIES).build();
                }
                public AiModule create(ModuleContext c) {
                    return (in, job) -> { Runtime.getRuntime().halt(3); return null; };
                }
            }
            """;
    private static final String SPIN = """
            package org.example.faults;
            import org.radflow.api.*;
            public final class SpinFactory implements AiModuleFactory {
                static volatile long spins;
                public ModuleDescriptor descriptor() {
                    return ModuleDescriptor.builder("fault-spin", "1.0.0", ApiVersion.MAJOR, ApiVersion.MINOR).trigger(Trigger.SERIES).build();
                }
                public AiModule create(ModuleContext c) {
                    return (in, job) -> { while (spins >= 0) { spins++; } return ModuleResult.failed("unreachable"); };
                }
            }
            """;
    private static final String OOM = """
            package org.example.faults;
            import org.radflow.api.*;
            import java.util.*;
            public final class OomFactory implements AiModuleFactory {
                public ModuleDescriptor descriptor() {
                    return ModuleDescriptor.builder("fault-oom", "1.0.0", ApiVersion.MAJOR, ApiVersion.MINOR).trigger(Trigger.SERIES).build();
                }
                public AiModule create(ModuleContext c) {
                    return (in, job) -> { List<long[]> hog = new ArrayList<>(); while (true) { hog.add(new long[1 << 20]); } };
                }
            }
            """;

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void faultsInWorkersCostAWorkerNeverTheServer() throws Exception {
        Path modules = dir.resolve("modules");
        TestJars.build(new TestJars.Spec().source("org.example.faults.HaltFactory", HALT).source("org.example.faults.SpinFactory", SPIN)
                        .source("org.example.faults.OomFactory", OOM).factory("org.example.faults.HaltFactory")
                        .factory("org.example.faults.SpinFactory").factory("org.example.faults.OomFactory"),
                Files.createDirectories(modules.resolve("faults")).resolve("faults.jar"));
        Path sampleJar = Path.of(System.getProperty("radflow.testModulesDir", "target/test-modules"), "sample", "radflow-sample-module.jar");
        assertTrue(Files.exists(sampleJar), "the build copies the sample module to " + sampleJar);
        Files.copy(sampleJar, Files.createDirectories(modules.resolve("sample")).resolve("sample.jar"));
        Path cfg = dir.resolve("radflow.yaml");
        Files.writeString(cfg, """
                server: {dataDir: %s}
                listener: {bindAddress: 127.0.0.1, port: 0, minFreeSpaceMb: 0, fsync: false}
                api: {port: 0}
                viewer: {enabled: false}
                tracking: {seriesQuietSeconds: 1, studyQuietSeconds: 3600}
                scheduler: {maxAttempts: 2, initialBackoffSeconds: 1}
                modules:
                  dir: %s
                  watch: false
                  fault-halt: {isolation: process, heapMb: 256, maxWorkerCrashes: 2}
                  fault-spin: {isolation: process, heapMb: 256, timeoutSeconds: 4}
                  fault-oom: {isolation: process, heapMb: 96}
                  sample: {isolation: process, heapMb: 256}
                  sample-fail: {isolation: process, heapMb: 256, config: {mode: permanent, failTimes: -1}}
                rules:
                  - {name: to-halt, module: fault-halt, match: {Modality: MR}}
                  - {name: to-spin, module: fault-spin, match: {Modality: MR}}
                  - {name: to-oom, module: fault-oom, match: {Modality: MR}}
                  - {name: to-sample, module: sample, match: {Modality: MR}}
                  - {name: to-fail, module: sample-fail, match: {Modality: MR}}
                """.formatted(dir.resolve("data"), modules));
        try (RadflowServer s = new RadflowServer(RadflowConfig.load(cfg), false)) {
            s.start().await(60, TimeUnit.SECONDS);
            GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withSeed(91).withDimensions(16, 16, 4));
            send(s.dicomPort(), mr.files());
            List<JsonObject> jobs = awaitJobs(s.httpPort(), l -> l.size() == 5 && l.stream().allMatch(j -> terminal(j.getString("state"))),
                    120_000);
            Map<String, JsonObject> byModule = new java.util.HashMap<>();
            jobs.forEach(j -> byModule.put(j.getString("module"), j));

            JsonObject halt = byModule.get("fault-halt");
            assertEquals("FAILED", halt.getString("state"), halt.encode());
            assertEquals("gave up after 2 attempts: worker exited with status 3 during the job", halt.getString("reason"));
            // its worker died mid-job, yet the job says which generation ran it (from the worker's READY frame); no module time
            assertEquals(1, halt.getInteger("generation"), halt.encode());
            assertEquals(null, halt.getValue("moduleRunMs"), halt.encode());

            // two workers died in a row: the module is paused, with the reason, until an operator enables it
            JsonObject haltModule = module(s.httpPort(), "fault-halt");
            assertEquals(false, haltModule.getBoolean("enabled"), haltModule.encode());
            assertTrue(haltModule.getString("pausedReason", "").startsWith("2 worker(s) in a row died during jobs or could not start "
                    + "(modules.fault-halt.maxWorkerCrashes: 2); the last: worker exited with status 3"), haltModule.encode());
            HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.httpPort() + "/api/modules/fault-halt/enable"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            haltModule = module(s.httpPort(), "fault-halt");
            assertEquals(true, haltModule.getBoolean("enabled"));
            assertEquals(null, haltModule.getString("pausedReason"), "an operator's enable clears the pause");

            JsonObject spin = byModule.get("fault-spin");
            assertEquals("TIMED_OUT", spin.getString("state"), spin.encode());

            JsonObject oom = byModule.get("fault-oom");
            assertEquals("FAILED", oom.getString("state"), oom.encode());
            assertTrue(oom.getString("reason").contains("worker ran out of memory (heap 96 MB; modules.fault-oom.heapMb)"),
                    oom.getString("reason"));

            JsonObject thrown = byModule.get("sample-fail");
            assertEquals("FAILED", thrown.getString("state"), thrown.encode());
            assertEquals("planned permanent failure, attempt 1 for this study", thrown.getString("reason"),
                    "a module's own exception comes back with its message; its worker is kept");

            JsonObject sample = byModule.get("sample");
            assertEquals("SUCCEEDED", sample.getString("state"), "a well-behaved module in a worker: " + sample.encode());
            assertTrue(s.results().read(sample.getString("id")).isPresent(), "its result was stored by the server");

            // no spinning worker keeps burning CPU after its timeout: every live fault-spin worker is a fresh one (kept
            // ready for its rule) that has run no job
            long end = System.currentTimeMillis() + 15_000;
            while (!onlyFreshWorkers(s.httpPort(), "fault-spin") && System.currentTimeMillis() < end) {
                Thread.sleep(200);
            }
            assertTrue(onlyFreshWorkers(s.httpPort(), "fault-spin"), "the timed-out worker was stopped: "
                    + workers("fault-spin ") + " " + module(s.httpPort(), "fault-spin").getJsonObject("workers"));

            // the server carries on: it answers, stores, and the well-behaved module runs again (in its kept worker)
            Dcmtk.echoscu("127.0.0.1", s.dicomPort(), "RADFLOW").assertOk();
            GeneratedSeries second = Synth.brainMr(dir.resolve("mr2"), MrOptions.defaults().withSeed(92).withDimensions(16, 16, 4));
            send(s.dicomPort(), second.files());
            List<JsonObject> again = awaitJobs(s.httpPort(), l -> l.stream().filter(j -> "sample".equals(j.getString("module"))
                    && "SUCCEEDED".equals(j.getString("state"))).count() == 2, 120_000);
            assertEquals(2, again.stream().filter(j -> "sample".equals(j.getString("module")) && "SUCCEEDED".equals(j.getString("state"))).count());
            JsonObject listed = new JsonObject().put("list", new JsonArray(HTTP.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + s.httpPort() + "/api/modules")).build(), HttpResponse.BodyHandlers.ofString()).body()));
            assertTrue(listed.encode().contains("\"id\":\"sample\"") && listed.getJsonArray("list").stream()
                    .map(o -> (JsonObject) o).filter(m -> "sample".equals(m.getString("id"))).allMatch(m -> "process".equals(m.getString("isolation"))),
                    "the API says which isolation is in force");
        }
        assertEquals(List.of(), workers("sample "), "workers end with the server");
    }

    /** Whether every live worker process of the module is one the API lists as having run no job. */
    private static boolean onlyFreshWorkers(int port, String moduleId) throws Exception {
        JsonArray listed = module(port, moduleId).getJsonObject("workers").getJsonArray("workers");
        return workers(moduleId + " ").stream().allMatch(p -> listed.stream().map(o -> (JsonObject) o)
                .anyMatch(w -> w.getLong("pid") == p.pid() && w.getInteger("jobs") == 0));
    }
}
