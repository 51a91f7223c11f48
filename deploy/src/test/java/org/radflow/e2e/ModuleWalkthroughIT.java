package org.radflow.e2e;

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
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's "Adding a module" walkthrough, as written: docs/examples/mean-intensity/build.sh makes a JAR with the
 * JDK alone, the JAR is dropped into modules.dir/mean-intensity/ of a running server, and a series routed to it
 * comes back with the module's result.
 */
class ModuleWalkthroughIT {

    @TempDir
    Path dir;

    @Test
    void theExampleModuleBuildsWithTheJdkAloneAndRunsWhenDroppedIn() throws Exception {
        Process build = new ProcessBuilder("bash", "../docs/examples/mean-intensity/build.sh", dir.resolve("build").toString())
                .redirectErrorStream(true).start();
        String log = new String(build.getInputStream().readAllBytes());
        assertEquals(0, build.waitFor(), log);
        Path jar = dir.resolve("build").resolve("mean-intensity.jar");
        assertTrue(Files.isRegularFile(jar), log);

        Path modules = dir.resolve("modules");
        Files.createDirectories(modules);
        Path cfg = dir.resolve("radflow.yaml");
        Files.writeString(cfg, """
                server: {dataDir: %s}
                listener: {bindAddress: 127.0.0.1, port: 0, minFreeSpaceMb: 0, fsync: false}
                api: {port: 0}
                viewer: {enabled: false}
                tracking: {seriesQuietSeconds: 1, studyQuietSeconds: 2}
                modules: {dir: %s, watch: true}
                rules:
                  - {name: mr-mean, module: mean-intensity, match: {Modality: MR}}
                """.formatted(dir.resolve("data"), modules));
        try (RadflowServer s = new RadflowServer(RadflowConfig.load(cfg), false)) {
            s.start().await(60, TimeUnit.SECONDS);
            // dropped in while the server runs, as an operator would
            Path folder = Files.createDirectories(modules.resolve("mean-intensity"));
            Files.copy(jar, folder.resolve("mean-intensity.jar"));
            long end = System.currentTimeMillis() + 30_000;
            while (!Api.getArray(s.httpPort(), "/api/modules").toString().contains("mean-intensity")
                    && System.currentTimeMillis() < end) {
                Thread.sleep(300);
            }
            assertTrue(Api.getArray(s.httpPort(), "/api/modules").toString().contains("Mean intensity (example)"));

            GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withSeed(81));
            Dcmtk.storescu().host("127.0.0.1").port(s.dicomPort()).calledAe("RADFLOW").files(mr.files()).run().assertOk();
            List<JsonObject> jobs = Api.awaitJobs(s.httpPort(), "&module=mean-intensity",
                    l -> l.size() == 1 && Api.allTerminal(l), 60_000);
            assertEquals("SUCCEEDED", jobs.get(0).getString("state"), jobs.get(0).encode());
            JsonObject job = Api.get(s.httpPort(), "/api/jobs/" + jobs.get(0).getString("id"));
            assertTrue(job.encode().contains("Mean pixel value"), job.encode());
        }
    }
}
