package org.radflow.modules;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.ApiVersion;
import org.radflow.api.InferenceEngine;
import org.radflow.api.JobContext;
import org.radflow.api.ModuleException;
import org.radflow.api.ModuleResult;
import org.radflow.api.StudyInput;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Loading, refusing with reasons, lookups and configuration scopes. */
class ModuleRegistryTest {

    static final BiFunction<String, Integer, InferenceEngine> NO_INFERENCE = (id, threads) -> {
        throw new UnsupportedOperationException("no inference in tests");
    };

    @TempDir
    Path tmp;
    Path modules;
    Path data;
    ModuleRegistry registry;

    @AfterEach
    void close() {
        if (registry != null) {
            registry.close();
        }
    }

    private ModuleRegistry start(Map<String, Map<String, Object>> config) {
        modules = tmp.resolve("modules");
        data = tmp.resolve("data");
        registry = new ModuleRegistry(new RegistrySettings(modules, null, data, config, Duration.ZERO, null), NO_INFERENCE)
                .start();
        return registry;
    }

    private Path build(TestJars.Spec spec, String directory) throws IOException {
        return Fixtures.build(spec, tmp.resolve("modules"), directory);
    }

    static StudyInput emptyStudy(String studyUid) {
        return new StudyInput() {
            @Override
            public String studyInstanceUid() {
                return studyUid;
            }

            @Override
            public org.radflow.api.DicomTags studyTags() {
                return keyword -> List.of();
            }

            @Override
            public List<SeriesInput> series() {
                return List.of();
            }
        };
    }

    static JobContext job(String id) {
        return new JobContext() {
            @Override
            public String jobId() {
                return id;
            }

            @Override
            public void progress(double fraction, String message) {
            }

            @Override
            public boolean isCancelled() {
                return false;
            }
        };
    }

    private String reasonFor(String directory) {
        List<LoadProblem> matching = registry.problems().stream()
                .filter(p -> p.directory() != null && p.directory().getFileName().toString().equals(directory)).toList();
        assertEquals(1, matching.size(), "one problem for " + directory + " in " + registry.problems());
        return matching.get(0).reason();
    }

    @Test
    void broken_directories_are_refused_with_their_reason_and_the_rest_still_load() throws Exception {
        build(Fixtures.wellBehaved("valid", "valid", "1.0"), "a-valid");
        build(Fixtures.wellBehaved("other", "other", "1.0"), "a-other");
        build(Fixtures.wellBehaved("bundles", "bundles-api", "1.0").bundleApi(), "bundles-api");
        build(Fixtures.descriptorIs("throwing", "Boom.describe()").source("fx.throwing.Boom", """
                package fx.throwing;

                final class Boom {
                    static org.radflow.api.ModuleDescriptor describe() {
                        throw new IllegalStateException("no descriptor today");
                    }
                }
                """), "throwing-descriptor");
        build(Fixtures.wellBehaved("duplicate", "valid", "9.9"), "b-duplicate-id");
        build(Fixtures.descriptorIs("newer", """
                new ModuleDescriptor("newer", "1.0", "Newer", 2, 0, new ModelIdentity("m", "1", "", true),
                        Selection.any(), Trigger.SERIES, Resources.defaults(), Duration.ofMinutes(1), List.of())"""),
                "newer-api");
        TestJars.corrupt(tmp.resolve("modules/corrupt/corrupt.jar"));
        build(Fixtures.descriptorIs("nulldescriptor", "null"), "null-descriptor");
        build(new TestJars.Spec().factory("fx.missing.DoesNotExist"), "missing-class");
        Files.createDirectories(tmp.resolve("modules/no-jar/models"));
        Files.copy(tmp.resolve("modules/a-valid/a-valid.jar"), tmp.resolve("modules/stray.jar"));

        start(Map.of());

        assertEquals(List.of("other", "valid"), registry.modules().stream().map(LoadedModule::id).toList());
        assertEquals("1.0", registry.require("valid").descriptor().version(), "the first directory keeps its id");

        assertTrue(reasonFor("bundles-api").contains("bundles-api.jar bundles the module API (org/radflow/api/"),
                reasonFor("bundles-api"));
        assertTrue(reasonFor("bundles-api").contains("'provided' scope"), reasonFor("bundles-api"));
        assertEquals("factory fx.throwing.Factory failed in descriptor(): IllegalStateException: no descriptor today",
                reasonFor("throwing-descriptor"));
        assertTrue(reasonFor("b-duplicate-id").contains("module id 'valid' is already provided by " + modules.resolve("a-valid")),
                reasonFor("b-duplicate-id"));
        assertTrue(reasonFor("newer-api").contains("module newer needs module API 2.x, this server has " + ApiVersion.string()),
                reasonFor("newer-api"));
        assertTrue(reasonFor("corrupt").startsWith("corrupt.jar is not a readable JAR: ZipException"), reasonFor("corrupt"));
        assertTrue(reasonFor("null-descriptor").contains("descriptor() returned null"), reasonFor("null-descriptor"));
        assertTrue(reasonFor("missing-class").contains("fx.missing.DoesNotExist"), reasonFor("missing-class"));
        assertEquals("no .jar file in the directory", reasonFor("no-jar"));
        assertTrue(reasonFor("stray.jar").contains("must be in a directory of its own: move it to "
                + modules.resolve("stray").resolve("stray.jar")), reasonFor("stray.jar"));

        // the survivors work
        try (ModuleLease lease = registry.acquire("valid")) {
            assertTrue(lease.process(emptyStudy("1.2.3"), job("j1")).summary().startsWith("1.0|true|true|module|hello|false"));
        }
    }

    @Test
    void lookups_fail_fast_and_say_what_exists() throws Exception {
        build(Fixtures.wellBehaved("valid", "valid", "1.0"), "valid");
        build(Fixtures.wellBehaved("other", "other", "1.0"), "other");
        start(Map.of());

        UnknownModuleException e = assertThrows(UnknownModuleException.class, () -> registry.require("valid2"));
        assertEquals("No module 'valid2'. Available: other, valid", e.getMessage());
        assertEquals(List.of("other", "valid"), e.available());
        assertThrows(UnknownModuleException.class, () -> registry.acquire("valid2"));
        assertTrue(registry.find("valid2").isEmpty());
        LoadedModule valid = registry.require("valid");
        assertEquals(modules.resolve("valid"), valid.directory());
        assertEquals(1, valid.generation());
        assertEquals(64, valid.sha256().length());
        assertFalse(valid.builtIn());
    }

    @Test
    void a_lease_runs_the_module_with_its_context_and_class_loader() throws Exception {
        build(Fixtures.wellBehaved("valid", "valid", "1.0"), "valid");
        start(Map.of("valid", Map.of("greeting", "bonjour", "token", "s3cret")));

        ModuleResult result;
        ClassLoader before = Thread.currentThread().getContextClassLoader();
        try (ModuleLease lease = registry.acquire("valid")) {
            result = lease.module().process(emptyStudy("1.2.3"), job("j1"));
            assertTrue(lease.classLoader() instanceof ModuleClassLoader);
            assertEquals("valid", lease.id());
        }
        assertEquals(before, Thread.currentThread().getContextClassLoader(), "the caller's context class loader is restored");
        // version | TCCL in create | TCCL in process | Twin resolved in the module | configured value | secret given | helper
        assertEquals("1.0|true|true|module|bonjour|true|helper-1.0", result.summary());
        Path work = Path.of(result.parameters().get("work"));
        assertTrue(work.startsWith(data.resolve("work").resolve("valid")), work.toString());
        assertTrue(Files.isDirectory(work));
        assertEquals(modules.resolve("valid").resolve("models"), Path.of(result.parameters().get("models")));
        assertTrue(Files.isDirectory(modules.resolve("valid").resolve("models")), "RadFlow makes the drop-in's models/ folder");
    }

    @Test
    void the_model_an_instance_says_it_runs_replaces_the_descriptors_once_it_is_created() throws Exception {
        build(Fixtures.wellBehaved("valid", "valid", "1.0"), "valid");
        start(Map.of("valid", Map.of("greeting", "demo")));
        assertEquals("valid", registry.require("valid").descriptor().model().name(), "before creation: the descriptor's");
        try (ModuleLease lease = registry.acquire("valid")) {
            lease.module();
            assertEquals("fixture-model", lease.descriptor().model().name());
            assertTrue(lease.descriptor().model().demo(), "reports of this job say DEMO MODEL");
        }
        assertEquals("demo", registry.require("valid").descriptor().model().version());
        assertTrue(registry.require("valid").descriptor().model().demo());
    }

    @Test
    void a_released_lease_cannot_be_used() throws Exception {
        build(Fixtures.wellBehaved("valid", "valid", "1.0"), "valid");
        start(Map.of());
        ModuleLease lease = registry.acquire("valid");
        lease.release();
        lease.release(); // idempotent
        assertTrue(lease.isReleased());
        IllegalStateException e = assertThrows(IllegalStateException.class, lease::module);
        assertEquals("the lease of module valid was released", e.getMessage());
    }

    @Test
    void configuration_is_checked_against_the_declared_keys() throws Exception {
        build(Fixtures.wellBehaved("valid", "valid", "1.0"), "valid");
        build(Fixtures.wellBehaved("other", "other", "1.0"), "other");
        build(Fixtures.descriptorIs("needs", """
                ModuleDescriptor.builder("needs", "1.0", ApiVersion.MAJOR, ApiVersion.MINOR)
                        .config(new ConfigProperty("endpoint", "Where the model server is", null, false))
                        .config(new ConfigProperty("password", "The model server's password", null, true))
                        .build()"""), "needs");
        start(Map.of(
                "valid", Map.of("greting", "typo"),
                "other", Map.of("greeting", "hi", "token", "top-secret-value"),
                "needs", Map.of("password", "hunter2"),
                "covidnet2", Map.of("threshold", 0.5)));

        assertEquals(List.of("other"), registry.modules().stream().map(LoadedModule::id).toList());
        String problems = registry.problems().stream().map(LoadProblem::toString).collect(Collectors.joining("\n"));
        assertTrue(problems.contains("module valid is not offered: unknown key 'modules.valid.config.greting'; did you mean "
                + "'modules.valid.config.greeting'? Known keys in 'modules.valid.config': greeting, token"), problems);
        assertTrue(problems.contains("module needs is not offered: modules.needs.config.endpoint is required (Where the model server is) "
                + "and has no default; give a single value"), problems);
        assertTrue(problems.contains("modules.covidnet2 is configured, but no module 'covidnet2' is installed. Available: other"),
                problems);
        assertFalse(problems.contains("hunter2") || problems.contains("top-secret-value"), problems);
    }

    @Test
    void a_module_that_cannot_start_is_reported_and_tried_again() throws Exception {
        build(Fixtures.createFails("broken"), "broken");
        build(Fixtures.wellBehaved("valid", "valid", "1.0"), "valid");
        start(Map.of());

        ModuleException e = assertThrows(ModuleException.class, () -> registry.acquire("broken"));
        assertEquals("module broken could not be started: model file " + modules.resolve("broken/models/model.onnx")
                + " is missing", e.getMessage());
        assertFalse(e.isTransient());
        assertEquals(List.of(modules.resolve("broken") + ": module broken could not be started: model file "
                + modules.resolve("broken/models/model.onnx") + " is missing"),
                registry.problems().stream().map(LoadProblem::toString).toList());
        assertThrows(ModuleException.class, () -> registry.acquire("broken"), "tried again, fails again");
        try (ModuleLease lease = registry.acquire("valid")) {
            assertEquals(ModuleResult.Status.COMPLETED, lease.process(emptyStudy("1"), job("j")).status());
        }
    }

    @Test
    void built_in_modules_come_from_the_class_path_and_keep_their_ids() throws Exception {
        Path builtInJar = TestJars.build(Fixtures.wellBehaved("builtin", "builtin", "1.0"), tmp.resolve("lib/builtin.jar"));
        build(Fixtures.wellBehaved("clash", "builtin", "2.0"), "clash");
        modules = tmp.resolve("modules");
        data = tmp.resolve("data");
        try (URLClassLoader classPath = new URLClassLoader(new URL[] {builtInJar.toUri().toURL()},
                ModuleRegistryTest.class.getClassLoader())) {
            registry = new ModuleRegistry(RegistrySettings.of(modules, data).withScanInterval(Duration.ZERO)
                    .withModelsDir(tmp.resolve("models")).withBuiltInLoader(classPath), NO_INFERENCE).start();

            LoadedModule builtIn = registry.require("builtin");
            assertTrue(builtIn.builtIn());
            assertEquals("1.0", builtIn.descriptor().version());
            assertEquals("class path", builtIn.source());
            assertTrue(reasonFor("clash").contains("module id 'builtin' is already provided by a built-in module"),
                    reasonFor("clash"));
            try (ModuleLease lease = registry.acquire("builtin")) {
                ModuleResult r = lease.process(emptyStudy("1"), job("j"));
                // a built-in module lives on the server's class path: the server's Twin is the one it sees
                assertEquals("1.0|true|true|platform|hello|false|helper-1.0", r.summary());
                assertEquals(tmp.resolve("models/builtin"), Path.of(r.parameters().get("models")));
                assertTrue(lease.classLoader() == classPath);
            }
            registry.close();
            assertEquals("with-module-tccl", System.getProperty("fx.closed.builtin.1.0"), "closed at shutdown");
        }
    }
}
