package org.radflow.e2e;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.AiModule;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;
import org.radflow.testkit.Dcmtk;
import org.radflow.testkit.FreePorts;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A drop-in module that halts the JVM on every job, in the real product started by {@code bin/radflow} (restarted
 * after each death, as systemd would): the job that takes the server down is run again at each start until it has
 * used {@code scheduler.maxAttempts}, then it ends FAILED with the reason and the server stays up. No crash loop, and
 * {@code attempts} never exceeds the maximum.
 */
class CrashLoopIT {

    private static final String MODULE = """
            package org.example.halt;

            import org.radflow.api.*;

            public final class HaltFactory implements AiModuleFactory {
                @Override
                public ModuleDescriptor descriptor() {
                    return ModuleDescriptor.builder("halt-on-job", "1.0.0", ApiVersion.MAJOR, ApiVersion.MINOR)
                            .displayName("Halts its JVM (test)").trigger(Trigger.SERIES).build();
                }

                @Override
                public AiModule create(ModuleContext context) {
                    return (input, job) -> {
                        Runtime.getRuntime().halt(3);
                        return null;
                    };
                }
            }
            """;

    @TempDir
    Path dir;

    @Test
    void aModuleThatHaltsTheServerOnEveryJobFailsAfterMaxAttemptsAndTheServerStaysUp() throws Exception {
        Path modules = dir.resolve("modules");
        buildModule(modules.resolve("halt-on-job"));
        int dicomPort = FreePorts.find();
        int apiPort = FreePorts.find();
        Path cfg = dir.resolve("radflow.yaml");
        Files.writeString(cfg, """
                server: {dataDir: %s}
                listener: {bindAddress: 127.0.0.1, port: %d, minFreeSpaceMb: 0, fsync: false}
                api: {port: %d}
                viewer: {enabled: false}
                tracking: {seriesQuietSeconds: 1, studyQuietSeconds: 3600}
                modules: {dir: %s, watch: false, halt-on-job: {isolation: in-process}}
                scheduler: {maxAttempts: 3}
                rules:
                  - {name: to-halt, module: halt-on-job, match: {Modality: MR}}
                """.formatted(dir.resolve("data"), dicomPort, apiPort, modules));

        // start 1: the series arrives, its job halts the server
        Process first = start(cfg, 1);
        try {
            awaitHealthy(first, apiPort);
            GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withSeed(71).withDimensions(16, 16, 4));
            Dcmtk.storescu().host("127.0.0.1").port(dicomPort).calledAe("RADFLOW").files(mr.files()).run().assertOk();
            assertTrue(first.waitFor(60, TimeUnit.SECONDS), "the module halted the server");
            assertEquals(3, first.exitValue(), "halt(3)");
        } finally {
            first.destroyForcibly();
        }
        // starts 2 and 3: the job is queued again at start (attempts 2 and 3) and halts the server again
        for (int n = 2; n <= 3; n++) {
            Process p = start(cfg, n);
            try {
                assertTrue(p.waitFor(90, TimeUnit.SECONDS), "start " + n + ": the re-queued job halted the server again");
                assertEquals(3, p.exitValue());
            } finally {
                p.destroyForcibly();
            }
        }
        // start 4: the job used its three attempts: FAILED with the reason, not run again; the server stays up
        Process last = start(cfg, 4);
        try {
            awaitHealthy(last, apiPort);
            List<JsonObject> jobs = Api.awaitJobs(apiPort, "&module=halt-on-job", l -> l.size() == 1 && Api.allTerminal(l), 30_000);
            JsonObject job = jobs.get(0);
            assertEquals("FAILED", job.getString("state"), job.encode());
            assertEquals(3, job.getInteger("attempts"), "attempts never exceed scheduler.maxAttempts");
            assertTrue(job.getString("reason").startsWith("the server stopped while this job ran (3 times; attempt 3 of 3)"),
                    job.getString("reason"));
            Thread.sleep(3000);
            assertTrue(last.isAlive(), "no crash loop: the server is still up");
            Dcmtk.echoscu("127.0.0.1", dicomPort, "RADFLOW").assertOk();
            String log = Files.readString(dir.resolve("radflow-4.log"));
            assertTrue(log.contains("of module halt-on-job was running when the server stopped (3 time(s)); it used all 3 attempts"),
                    "the log names the module");
        } finally {
            last.destroy();
            if (!last.waitFor(30, TimeUnit.SECONDS)) {
                last.destroyForcibly();
            }
        }
    }

    /**
     * The same module with the default isolation, in the installed product: each job's halt costs a worker (started by
     * {@code bin/radflow}'s server from its own lib/), the job ends FAILED after its attempts with the worker's exit
     * status, and the server never stops.
     */
    @Test
    void inItsWorkerProcessTheSameModuleNeverStopsTheServer() throws Exception {
        Path modules = dir.resolve("modules");
        buildModule(modules.resolve("halt-on-job"));
        int dicomPort = FreePorts.find();
        int apiPort = FreePorts.find();
        Path cfg = dir.resolve("radflow.yaml");
        Files.writeString(cfg, """
                server: {dataDir: %s}
                listener: {bindAddress: 127.0.0.1, port: %d, minFreeSpaceMb: 0, fsync: false}
                api: {port: %d}
                viewer: {enabled: false}
                tracking: {seriesQuietSeconds: 1, studyQuietSeconds: 3600}
                modules: {dir: %s, watch: false, halt-on-job: {heapMb: 128}}
                scheduler: {maxAttempts: 3, initialBackoffSeconds: 1}
                rules:
                  - {name: to-halt, module: halt-on-job, match: {Modality: MR}}
                """.formatted(dir.resolve("data"), dicomPort, apiPort, modules));
        Process server = start(cfg, 1);
        try {
            awaitHealthy(server, apiPort);
            GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withSeed(72).withDimensions(16, 16, 4));
            Dcmtk.storescu().host("127.0.0.1").port(dicomPort).calledAe("RADFLOW").files(mr.files()).run().assertOk();
            List<JsonObject> jobs = Api.awaitJobs(apiPort, "&module=halt-on-job", l -> l.size() == 1 && Api.allTerminal(l), 120_000);
            JsonObject job = jobs.get(0);
            assertEquals("FAILED", job.getString("state"), job.encode());
            assertEquals(3, job.getInteger("attempts"), job.encode());
            assertEquals("gave up after 3 attempts: worker exited with status 3 during the job", job.getString("reason"));
            assertTrue(server.isAlive(), "the server is still up");
            Dcmtk.echoscu("127.0.0.1", dicomPort, "RADFLOW").assertOk();
            String log = Files.readString(dir.resolve("radflow-1.log"));
            assertTrue(log.contains("Module halt-on-job: worker halt-on-job (pid "), "the server started workers from its installation");
            // the operator sees it in the metrics: each attempt's worker was started and lost
            String metrics = Api.fetch(apiPort, "/metrics").body();
            assertEquals(3, sample(metrics, "radflow_module_worker_crashes_total{module=\"halt-on-job\"}"), metrics);
            assertTrue(sample(metrics, "radflow_module_worker_starts_total{module=\"halt-on-job\"}") >= 3, metrics);
            assertEquals(0, sample(metrics, "radflow_module_worker_start_failures_total{module=\"halt-on-job\"}"), metrics);
        } finally {
            server.destroy();
            if (!server.waitFor(30, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
    }

    /** The value of one sample line ("name{labels} value") of a Prometheus text exposition. */
    private static double sample(String exposition, String series) {
        return exposition.lines().filter(l -> l.startsWith(series + " ")).map(l -> Double.parseDouble(l.substring(series.length() + 1)))
                .findFirst().orElseThrow(() -> new AssertionError("no sample " + series + " in\n" + exposition));
    }

    private Process start(Path cfg, int n) throws Exception {
        return new ProcessBuilder("bash", "../bin/radflow", "serve", "--config", cfg.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("radflow-" + n + ".log").toFile()).start();
    }

    private static void awaitHealthy(Process p, int apiPort) throws Exception {
        long end = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < end) {
            assertTrue(p.isAlive(), "the server died while starting");
            try {
                if (Api.fetch(apiPort, "/api/health").statusCode() == 200) {
                    return;
                }
            } catch (java.io.IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the server did not answer /api/health within 60 s");
    }

    /** Compiles the halting module against module-api and packs it as a drop-in JAR with its service entry. */
    private void buildModule(Path folder) throws Exception {
        Path src = Files.createDirectories(dir.resolve("src/org/example/halt")).resolve("HaltFactory.java");
        Files.writeString(src, MODULE);
        Path classes = Files.createDirectories(dir.resolve("classes"));
        String api = Path.of(AiModule.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertEquals(0, javac.run(null, out, out, "--release", "17", "-cp", api, "-d", classes.toString(), src.toString()),
                out.toString());
        Files.createDirectories(folder);
        try (OutputStream f = Files.newOutputStream(folder.resolve("halt-on-job.jar")); JarOutputStream jar = new JarOutputStream(f)) {
            jar.putNextEntry(new JarEntry("META-INF/services/org.radflow.api.AiModuleFactory"));
            jar.write("org.example.halt.HaltFactory\n".getBytes(StandardCharsets.UTF_8));
            jar.closeEntry();
            jar.putNextEntry(new JarEntry("org/example/halt/HaltFactory.class"));
            jar.write(Files.readAllBytes(classes.resolve("org/example/halt/HaltFactory.class")));
            jar.closeEntry();
        }
    }
}
