package org.radflow.server;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;
import org.radflow.testkit.FreePorts;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real RadFlow process killed with SIGKILL in the middle of a job: after the restart the job is
 * queued again from the journal and completes exactly once.
 */
class RestartIT {

    @TempDir
    Path dir;

    private Process launch(Path config, Path log) throws Exception {
        Path target = Path.of("target");
        String cp = target.resolve("radflow-orchestrator.jar") + File.pathSeparator + target.resolve("lib") + File.separator + "*";
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        return new ProcessBuilder(java.toString(), "-Xmx1g", "-cp", cp, "org.radflow.Main", "serve", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    private static void awaitHealth(int port, Process p, Path log) throws Exception {
        long end = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < end) {
            if (!p.isAlive()) {
                throw new AssertionError("RadFlow exited: " + Files.readString(log));
            }
            try {
                HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/api/health")).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (java.io.IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("RadFlow did not come up: " + Files.readString(log));
    }

    @Test
    void aJobInterruptedByAKillRunsAgainAfterTheRestartAndCompletesOnce() throws Exception {
        try (org.radflow.testkit.OrthancServer pacs = new org.radflow.testkit.OrthancServer().withName("RestartIT-pacs").start()) {
            run(pacs);
        }
    }

    private void run(org.radflow.testkit.OrthancServer pacs) throws Exception {
        assertTrue(Files.exists(Path.of("target", "radflow-orchestrator.jar")), "runs after package (failsafe)");
        Path modules = dir.resolve("modules");
        OrchestratorIT.installSampleModule(modules);
        int dicom = FreePorts.find();
        int api = FreePorts.find();
        Path config = dir.resolve("radflow.yaml");
        Files.writeString(config, """
                server: {dataDir: %s}
                listener: {bindAddress: 127.0.0.1, port: %d, minFreeSpaceMb: 0}
                api: {port: %d}
                tracking: {seriesQuietSeconds: 1, studyQuietSeconds: 2}
                modules:
                  dir: %s
                  watch: false
                  sample-slow: {config: {delayMs: 5000}}
                destinations:
                  pacs: {type: dicom, aeTitle: %s, host: 127.0.0.1, port: %d}
                rules:
                  - {name: slow, module: sample-slow, destinations: [pacs], match: {Modality: MR}}
                """.formatted(dir.resolve("data"), dicom, api, modules, pacs.aeTitle(), pacs.dicomPort()));
        Path log = Path.of("target", "restart-it-radflow.log");
        Files.deleteIfExists(log);
        GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withSeed(31));

        Process first = launch(config, log);
        try {
            awaitHealth(api, first, log);
            OrchestratorIT.send(dicom, mr.files());
            OrchestratorIT.awaitJobs(api, "", l -> l.size() == 1 && "RUNNING".equals(l.get(0).getString("state")), 30_000);
        } finally {
            first.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL: no shutdown hook, no graceful stop
        }

        Process second = launch(config, log);
        try {
            awaitHealth(api, second, log);
            List<JsonObject> jobs = OrchestratorIT.awaitJobs(api, "", l -> l.size() == 1 && "SUCCEEDED".equals(l.get(0).getString("state")),
                    30_000);
            JsonObject job = OrchestratorIT.get(api, "/api/jobs/" + jobs.get(0).getString("id"));
            assertEquals(2, job.getInteger("attempts"), job.encodePrettily());
            assertTrue(job.getJsonArray("timeline").stream().anyMatch(e -> String.valueOf(((JsonObject) e).getString("message"))
                    .contains("the server stopped while it was running")), job.encodePrettily());
            Thread.sleep(3000); // quiet periods pass again after the restart's spool rescan: still one job
            assertEquals(1, OrchestratorIT.jobs(api, "").size());
            try (var s = Files.list(dir.resolve("data/results"))) {
                assertEquals(1, s.count(), "one result");
            }
            // exactly one report set in the PACS: the SR and the report page, once each
            long end = System.currentTimeMillis() + 20_000;
            java.util.Map<String, Long> modalities = java.util.Map.of();
            while (System.currentTimeMillis() < end) {
                modalities = pacs.instancesOfStudy(mr.studyInstanceUid()).stream().collect(java.util.stream.Collectors.groupingBy(
                        org.radflow.testkit.OrthancServer.StoredInstance::modality, java.util.stream.Collectors.counting()));
                if (modalities.containsKey("SR") && modalities.containsKey("OT")) {
                    break;
                }
                Thread.sleep(200);
            }
            assertEquals(java.util.Map.of("SR", 1L, "OT", 1L), modalities);
        } finally {
            second.destroy();
            second.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
