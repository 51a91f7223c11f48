package org.radflow.modules;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.config.RadflowConfig;
import org.radflow.server.RadflowServer;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;
import org.radflow.testkit.Dcmtk;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
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
 * The rest of issue 12's fault table, in real worker JVMs behind the real listener: a native crash (SIGSEGV from
 * {@code Unsafe}), a thread flood, an output flood, a worker that stops answering (SIGSTOP: no heartbeat) and a
 * module that cannot start (its model is missing). Each job ends with the reason; the worker is replaced (a new one
 * is running afterwards); the server answers C-ECHO and keeps storing during and after; a well-behaved module's
 * jobs keep completing.
 */
class WorkerFaultsIT {

    private static final String FACTORY = """
            package org.example.faults;
            import org.radflow.api.*;
            public final class %1$sFactory implements AiModuleFactory {
                public ModuleDescriptor descriptor() {
                    return ModuleDescriptor.builder("%2$s", "1.0.0", ApiVersion.MAJOR, ApiVersion.MINOR).trigger(Trigger.SERIES).build();
                }
                public AiModule create(ModuleContext c) throws ModuleException {
                    try { %3$s } catch (Exception e) { throw new ModuleException(e.getMessage(), e); }
                    return (in, job) -> { try { %4$s } catch (Exception e) { throw new RuntimeException(e); } };
                }
            }
            """;
    private static final String NATIVE = """
            java.lang.reflect.Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            sun.misc.Unsafe u = (sun.misc.Unsafe) f.get(null);
            u.putAddress(0L, 42L);
            return ModuleResult.failed("unreachable");
            """;
    private static final String THREADS = """
            for (int i = 0; i < 1000; i++) {
                Thread t = new Thread(() -> { try { Thread.sleep(600_000); } catch (InterruptedException e) { } });
                t.setDaemon(true);
                t.start();
            }
            Thread.sleep(5_000);
            return ModuleResult.failed("the thread limit did not stop this worker");
            """;
    private static final String OUTPUT = """
            String line = "x".repeat(1000);
            for (int i = 0; i < 100_000; i++) { System.out.println(line); }
            Thread.sleep(5_000);
            return ModuleResult.failed("the output limit did not stop this worker");
            """;
    private static final String SILENT = """
            new ProcessBuilder("kill", "-STOP", Long.toString(ProcessHandle.current().pid())).start().waitFor();
            return ModuleResult.failed("a stopped worker answered");
            """;

    @TempDir
    Path dir;

    @Test
    void eachFaultEndsItsJobWithAReasonAndItsWorkerIsReplaced() throws Exception {
        Path modules = dir.resolve("modules");
        TestJars.Spec jar = new TestJars.Spec();
        for (String[] m : new String[][]{{"Native", "fault-native", "", NATIVE}, {"Threads", "fault-threads", "", THREADS},
                {"Output", "fault-output", "", OUTPUT}, {"Silent", "fault-silent", "", SILENT},
                {"NoModel", "fault-nomodel", "if (!java.nio.file.Files.exists(c.modelDirectory().resolve(\"weights.onnx\"))) "
                        + "throw new java.io.FileNotFoundException(\"model file weights.onnx is missing from \" + c.modelDirectory());",
                        "return ModuleResult.failed(\"unreachable\");"}}) {
            String cls = "org.example.faults." + m[0] + "Factory";
            jar.source(cls, FACTORY.formatted(m[0], m[1], m[2], m[3])).factory(cls);
        }
        TestJars.build(jar, Files.createDirectories(modules.resolve("faults")).resolve("faults.jar"));
        Path sampleJar = Path.of(System.getProperty("radflow.testModulesDir", "target/test-modules"), "sample", "radflow-sample-module.jar");
        Files.copy(sampleJar, Files.createDirectories(modules.resolve("sample")).resolve("sample.jar"));
        Path cfg = dir.resolve("radflow.yaml");
        Files.writeString(cfg, """
                server: {dataDir: %s}
                listener: {bindAddress: 127.0.0.1, port: 0, minFreeSpaceMb: 0, fsync: false}
                api: {port: 0}
                viewer: {enabled: false}
                tracking: {seriesQuietSeconds: 1, studyQuietSeconds: 3600}
                scheduler: {maxAttempts: 1}
                workers: {heartbeatTimeoutSeconds: 3, outputLimitMb: 2}
                modules:
                  dir: %s
                  watch: false
                  fault-native: {heapMb: 128}
                  fault-threads: {heapMb: 128, maxThreads: 200}
                  fault-output: {heapMb: 128}
                  fault-silent: {heapMb: 128}
                  fault-nomodel: {heapMb: 128}
                  sample: {heapMb: 256, cpus: "0"}
                rules:
                  - {name: native, module: fault-native, match: {Modality: MR, StudyDescription: FAULTS}}
                  - {name: threads, module: fault-threads, match: {Modality: MR, StudyDescription: FAULTS}}
                  - {name: output, module: fault-output, match: {Modality: MR, StudyDescription: FAULTS}}
                  - {name: silent, module: fault-silent, match: {Modality: MR, StudyDescription: FAULTS}}
                  - {name: nomodel, module: fault-nomodel, match: {Modality: MR, StudyDescription: FAULTS}}
                  - {name: sample, module: sample, match: {Modality: MR}}
                """.formatted(dir.resolve("data"), modules));
        try (RadflowServer s = new RadflowServer(RadflowConfig.load(cfg), false)) {
            s.start().await(60, TimeUnit.SECONDS);
            GeneratedSeries faults = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withSeed(71).withDimensions(16, 16, 4)
                    .withStudyDescription("FAULTS"));
            send(s.dicomPort(), faults.files());
            // while the faults happen, the server answers and stores
            awaitJobs(s.httpPort(), l -> l.size() == 6, 60_000);
            Dcmtk.echoscu("127.0.0.1", s.dicomPort(), "RADFLOW").assertOk();
            GeneratedSeries during = Synth.brainMr(dir.resolve("mr2"), MrOptions.defaults().withSeed(72).withDimensions(16, 16, 4)
                    .withStudyDescription("CALM"));
            send(s.dicomPort(), during.files());

            List<JsonObject> jobs = awaitJobs(s.httpPort(), l -> l.size() == 7 && l.stream().allMatch(j -> terminal(j.getString("state"))),
                    180_000);
            Map<String, JsonObject> byModule = new HashMap<>();
            jobs.stream().filter(j -> j.getString("module").startsWith("fault-")).forEach(j -> byModule.put(j.getString("module"), j));

            JsonObject nat = byModule.get("fault-native");
            assertEquals("FAILED", nat.getString("state"), nat.encode());
            assertTrue(nat.getString("reason").replaceFirst("^gave up after 1 attempt: ", "").matches("worker crashed \\(signal 11, SIGSEGV\\) during the job; crash report .*"
                    + "hs_err_fault-native_pid\\d+\\.log"), nat.getString("reason").replaceFirst("^gave up after 1 attempt: ", ""));
            Path report = Path.of(nat.getString("reason").replaceAll(".*crash report ", ""));
            assertTrue(Files.isRegularFile(report), "the JVM's crash report is kept where the reason says: " + report);

            JsonObject threads = byModule.get("fault-threads");
            assertEquals("FAILED", threads.getString("state"), threads.encode());
            assertEquals("the module started more threads than its limit (modules.fault-threads.maxThreads: 200); "
                    + "the worker was stopped", threads.getString("reason").replaceFirst("^gave up after 1 attempt: ", ""));

            JsonObject output = byModule.get("fault-output");
            assertEquals("FAILED", output.getString("state"), output.encode());
            assertEquals("the module wrote more than 2 MB of output (workers.outputLimitMb) during the job; the worker was "
                    + "stopped (the first 200 lines are in RadFlow's log)", output.getString("reason").replaceFirst("^gave up after 1 attempt: ", ""));

            JsonObject silent = byModule.get("fault-silent");
            assertEquals("FAILED", silent.getString("state"), silent.encode());
            assertTrue(silent.getString("reason").replaceFirst("^gave up after 1 attempt: ", "").startsWith("the worker stopped answering: no heartbeat for "), silent.getString("reason").replaceFirst("^gave up after 1 attempt: ", ""));

            JsonObject noModel = byModule.get("fault-nomodel");
            assertEquals("FAILED", noModel.getString("state"), noModel.encode());
            assertTrue(noModel.getString("reason").replaceFirst("^gave up after 1 attempt: ", "").startsWith("worker could not start: the module cannot start in its worker")
                    && noModel.getString("reason").replaceFirst("^gave up after 1 attempt: ", "").contains("model file weights.onnx is missing"), noModel.getString("reason").replaceFirst("^gave up after 1 attempt: ", ""));
            JsonObject noModelStatus = module(s.httpPort(), "fault-nomodel").getJsonObject("workers");
            assertEquals("unhealthy", noModelStatus.getString("health"), noModelStatus.encode());
            assertTrue(noModelStatus.getString("problem").contains("model file weights.onnx is missing"), noModelStatus.encode());

            assertEquals(2, jobs.stream().filter(j -> "sample".equals(j.getString("module")) && "SUCCEEDED".equals(j.getString("state")))
                    .count(), "the well-behaved module's jobs completed, during the faults too: " + jobs);
            assertTrue(jobs.stream().allMatch(j -> j.getInteger("attempts", 1) <= 1), "attempts never exceed scheduler.maxAttempts");

            // each crashed module gets a fresh worker (kept ready for its rule), and a stopped one burns nothing
            for (String id : List.of("fault-native", "fault-threads", "fault-output", "fault-silent")) {
                long end = System.currentTimeMillis() + 60_000;
                while (System.currentTimeMillis() < end && !"ok".equals(module(s.httpPort(), id).getJsonObject("workers").getString("health"))) {
                    Thread.sleep(300);
                }
                JsonObject st = module(s.httpPort(), id).getJsonObject("workers");
                assertEquals("ok", st.getString("health"), id + ": a new worker after the fault: " + st.encode());
                assertEquals(1, st.getJsonArray("workers").size(), st.encode());
                assertEquals(1, workers(id + " ").size(), id + ": the faulty worker is gone (killed, not left stopped or spinning)");
            }
            Dcmtk.echoscu("127.0.0.1", s.dicomPort(), "RADFLOW").assertOk();

            // the limits the host applies, as the kernel sees them (this machine has prlimit, taskset and nice)
            ProcessHandle sample = workers("sample ").get(0);
            String status = Files.readString(Path.of("/proc", Long.toString(sample.pid()), "status"));
            assertTrue(status.lines().anyMatch(l -> l.matches("Cpus_allowed_list:\\s+0\\s*")), "modules.sample.cpus: \"0\": " + status);
            String limits = Files.readString(Path.of("/proc", Long.toString(sample.pid()), "limits"));
            assertTrue(limits.lines().anyMatch(l -> l.matches("Max core file size\\s+0\\s+0\\s+bytes\\s*")), limits);
            assertTrue(limits.lines().anyMatch(l -> l.matches("Max open files\\s+16384\\s+16384\\s+files\\s*")), limits);
            String[] stat = Files.readString(Path.of("/proc", Long.toString(sample.pid()), "stat")).replaceFirst(".*\\) ", "").split(" ");
            assertEquals("5", stat[16], "nice 5: the server comes first under contention");
        }
        assertEquals(List.of(), workers("fault-"), "workers end with the server");
    }
}
