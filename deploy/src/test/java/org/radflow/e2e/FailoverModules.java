package org.radflow.e2e;

import org.radflow.api.AiModule;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * The two drop-in modules of {@link ClusterFailoverIT}, compiled in the test against module-api only (as an author
 * would) and packed one JAR per module folder: a slow series module that returns a finding (so that RadFlow writes an
 * SR for every job) and a study module that reports which series it was given.
 */
final class FailoverModules {

    /** Series trigger, ~1.5 s per job: long enough that a kill finds jobs queued and running. */
    static final String SLOW = "failover-slow";
    /** Study trigger: its summary lists the Series Instance UIDs of its input, sorted, so a test can see all arrived. */
    static final String STUDY = "failover-study";
    static final long SLOW_MILLIS = 1500;

    private static final String SLOW_SOURCE = """
            package org.example.failover;

            import org.radflow.api.*;

            import java.time.Duration;
            import java.util.List;
            import java.util.Map;

            public final class SlowFactory implements AiModuleFactory {
                static final Concept WAIT = new Concept("99RADFLOW", "FAILOVER-001", "Deliberate wait");
                static final Concept ELAPSED = new Concept("99RADFLOW", "FAILOVER-002", "Elapsed time");

                @Override
                public ModuleDescriptor descriptor() {
                    return ModuleDescriptor.builder("%s", "1.0.0", ApiVersion.MAJOR, ApiVersion.MINOR)
                            .displayName("Waits, then reports (failover test)")
                            .model(new ModelIdentity("failover-wait", "1.0.0", "Waits, then reports how long", true))
                            .trigger(Trigger.SERIES).timeout(Duration.ofSeconds(60)).build();
                }

                @Override
                public AiModule create(ModuleContext context) {
                    return (input, job) -> {
                        long start = System.nanoTime();
                        try {
                            Thread.sleep(%d);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new ModuleException("interrupted", e);
                        }
                        long ms = (System.nanoTime() - start) / 1_000_000;
                        List<String> evidence = input.series().stream().flatMap(s -> s.instances().stream())
                                .map(StudyInput.InstanceInput::sopInstanceUid).toList();
                        return ModuleResult.completed(List.of(new Finding.Measurement(WAIT, ELAPSED, ms,
                                Concept.ucum("ms", "millisecond"), WAIT, evidence)), List.of(), "waited " + ms + " ms", Map.of());
                    };
                }
            }
            """.formatted(SLOW, SLOW_MILLIS);

    private static final String STUDY_SOURCE = """
            package org.example.failover;

            import org.radflow.api.*;

            import java.util.List;
            import java.util.Map;

            public final class StudyFactory implements AiModuleFactory {
                static final Concept SERIES = new Concept("99RADFLOW", "FAILOVER-003", "Series in the input");
                static final Concept COUNT = new Concept("99RADFLOW", "FAILOVER-004", "Number of series");

                @Override
                public ModuleDescriptor descriptor() {
                    return ModuleDescriptor.builder("%s", "1.0.0", ApiVersion.MAJOR, ApiVersion.MINOR)
                            .displayName("Lists the series of a study (failover test)")
                            .model(new ModelIdentity("failover-series", "1.0.0", "Counts the series it is given", true))
                            .trigger(Trigger.STUDY).build();
                }

                @Override
                public AiModule create(ModuleContext context) {
                    return (input, job) -> {
                        List<String> series = input.series().stream().map(StudyInput.SeriesInput::seriesInstanceUid).sorted().toList();
                        List<String> evidence = input.series().stream().flatMap(s -> s.instances().stream())
                                .map(StudyInput.InstanceInput::sopInstanceUid).toList();
                        return ModuleResult.completed(List.of(new Finding.Measurement(SERIES, COUNT, series.size(),
                                Concept.ucum("1", "no units"), SERIES, evidence)), List.of(), "series: " + String.join(" ", series), Map.of());
                    };
                }
            }
            """.formatted(STUDY);

    private FailoverModules() {
    }

    /** Compiles both modules once into {@code work}; returns the JAR of each module id. */
    static java.util.Map<String, Path> build(Path work) throws Exception {
        Path src = Files.createDirectories(work.resolve("src/org/example/failover"));
        Files.writeString(src.resolve("SlowFactory.java"), SLOW_SOURCE);
        Files.writeString(src.resolve("StudyFactory.java"), STUDY_SOURCE);
        Path classes = Files.createDirectories(work.resolve("classes"));
        String api = Path.of(AiModule.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = javac.run(null, out, out, "--release", "17", "-cp", api, "-d", classes.toString(),
                src.resolve("SlowFactory.java").toString(), src.resolve("StudyFactory.java").toString());
        if (rc != 0) {
            throw new AssertionError("the test modules do not compile:\n" + out);
        }
        return java.util.Map.of(
                SLOW, jar(classes, work.resolve(SLOW + ".jar"), "SlowFactory"),
                STUDY, jar(classes, work.resolve(STUDY + ".jar"), "StudyFactory"));
    }

    /** Copies each module's JAR into {@code modulesDir/<id>/}, as an operator installs a drop-in module. */
    static void install(java.util.Map<String, Path> jars, Path modulesDir) throws Exception {
        for (var e : jars.entrySet()) {
            Path folder = Files.createDirectories(modulesDir.resolve(e.getKey()));
            Files.copy(e.getValue(), folder.resolve(e.getValue().getFileName()));
        }
    }

    /** One factory (with its nested/lambda classes) and its service entry. */
    private static Path jar(Path classes, Path jarFile, String factory) throws Exception {
        Path pkg = classes.resolve("org/example/failover");
        List<Path> own = new ArrayList<>();
        try (Stream<Path> files = Files.list(pkg)) {
            files.filter(f -> f.getFileName().toString().equals(factory + ".class")
                    || f.getFileName().toString().startsWith(factory + "$")).sorted().forEach(own::add);
        }
        try (OutputStream f = Files.newOutputStream(jarFile); JarOutputStream jar = new JarOutputStream(f)) {
            jar.putNextEntry(new JarEntry("META-INF/services/org.radflow.api.AiModuleFactory"));
            jar.write(("org.example.failover." + factory + "\n").getBytes(StandardCharsets.UTF_8));
            jar.closeEntry();
            for (Path c : own) {
                jar.putNextEntry(new JarEntry("org/example/failover/" + c.getFileName()));
                jar.write(Files.readAllBytes(c));
                jar.closeEntry();
            }
        }
        return jarFile;
    }
}
