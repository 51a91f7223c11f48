package org.radflow.e2e;

import io.vertx.core.json.JsonObject;
import org.apiguardian.api.API;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;
import org.opentest4j.AssertionFailedError;
import org.radflow.api.AiModule;
import org.radflow.config.RadflowConfig;
import org.radflow.moduletest.TestModuleContext;
import org.radflow.server.RadflowServer;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;
import org.radflow.testkit.Dcmtk;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's "Adding a module" walkthrough, as written: docs/examples/mean-intensity/build.sh makes a JAR with the
 * JDK alone, the example's tests pass on the module test kit, the JAR is dropped into modules.dir/mean-intensity/ of a
 * running server, and a series routed to it comes back with the module's result.
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

        // the example's own tests, on the module test kit, as the author's build runs them before dropping the JAR in
        TestExecutionSummary tests = runExampleTests(jar);
        StringWriter failures = new StringWriter();
        tests.printFailuresTo(new PrintWriter(failures), 20);
        assertEquals(0, tests.getTotalFailureCount(), failures.toString());
        assertEquals(3, tests.getTestsSucceededCount(), "MeanIntensityTest's three tests");

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

    /** Compiles docs/examples/mean-intensity/test against the JAR, module-api, the module test kit and JUnit, and runs it. */
    private TestExecutionSummary runExampleTests(Path jar) throws Exception {
        List<Path> sources;
        try (Stream<Path> files = Files.walk(Path.of("../docs/examples/mean-intensity/test"))) {
            sources = files.filter(f -> f.toString().endsWith(".java")).toList();
        }
        assertFalse(sources.isEmpty(), "the example has tests");
        String classPath = Stream.of(AiModule.class, TestModuleContext.class, Test.class, Assertions.class,
                        AssertionFailedError.class, API.class)
                .map(c -> {
                    try {
                        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
                    } catch (URISyntaxException e) {
                        throw new IllegalStateException(e);
                    }
                })
                .distinct().collect(Collectors.joining(File.pathSeparator, jar + File.pathSeparator, ""));
        Path classes = Files.createDirectories(dir.resolve("test-classes"));
        List<String> args = new ArrayList<>(List.of("--release", "17", "-d", classes.toString(), "-cp", classPath));
        sources.forEach(f -> args.add(f.toString()));
        ByteArrayOutputStream javacOutput = new ByteArrayOutputStream();
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int compiled = javac.run(null, javacOutput, javacOutput, args.toArray(String[]::new));
        assertEquals(0, compiled, javacOutput.toString());

        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL(), jar.toUri().toURL()},
                getClass().getClassLoader())) {
            Class<?> test = loader.loadClass("org.example.meanintensity.MeanIntensityTest");
            SummaryGeneratingListener listener = new SummaryGeneratingListener();
            LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request()
                    .selectors(DiscoverySelectors.selectClass(test)).build(), listener);
            return listener.getSummary();
        }
    }
}
