package org.radflow.modules;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.radflow.modules.ModuleRegistryTest.NO_INFERENCE;
import static org.radflow.modules.ModuleRegistryTest.emptyStudy;
import static org.radflow.modules.ModuleRegistryTest.job;

/** Hot add, replacement as a new generation, removal, and the leases that keep old generations alive. */
class ModuleGenerationsTest {

    @TempDir
    Path tmp;
    Path modules;
    Path data;
    ModuleRegistry registry;

    @BeforeEach
    void dirs() {
        modules = tmp.resolve("modules");
        data = tmp.resolve("data");
    }

    @AfterEach
    void close() {
        if (registry != null) {
            registry.close();
        }
    }

    private ModuleRegistry start(Duration scanInterval) {
        registry = new ModuleRegistry(new RegistrySettings(modules, null, data, Map.of(), scanInterval, null), NO_INFERENCE)
                .start();
        return registry;
    }

    /** Builds a fixture JAR outside the modules directory, to be copied in. */
    private Path jar(String id, String version) throws IOException {
        return TestJars.build(Fixtures.wellBehaved(id.replace("-", ""), id, version),
                tmp.resolve("built").resolve(id + "-" + version).resolve(id + ".jar"));
    }

    private String run(ModuleLease lease) throws Exception {
        return lease.process(emptyStudy("1.2.3"), job("job")).summary();
    }

    @Test
    void the_watcher_loads_a_new_directory_without_a_restart() throws Exception {
        start(Duration.ofMillis(100));
        assertTrue(registry.modules().isEmpty());

        TestJars.copyInto(jar("late", "1.0"), modules.resolve("late"));

        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (registry.find("late").isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals("1.0", registry.require("late").descriptor().version());
        try (ModuleLease lease = registry.acquire("late")) {
            assertTrue(run(lease).startsWith("1.0|"));
        }
        assertTrue(registry.problems().isEmpty(), registry.problems().toString());
    }

    @Test
    void a_replaced_jar_is_a_new_generation_and_the_old_one_closes_after_its_last_lease() throws Exception {
        Path installed = TestJars.copyInto(jar("gen", "1.0"), modules.resolve("gen"));
        start(Duration.ZERO);
        ModuleLease old = registry.acquire("gen");
        assertEquals(1, old.loaded().generation());

        // overwrite in place (same file, new content), as an operator's cp would
        Files.write(installed, Files.readAllBytes(jar("gen", "2.0")));
        registry.rescan();

        LoadedModule current = registry.require("gen");
        assertEquals(2, current.generation());
        assertEquals("2.0", current.descriptor().version());
        ModuleLease fresh = registry.acquire("gen");
        assertEquals("2.0|true|true|module|hello|false|helper-2.0", run(fresh));
        // the running job keeps its generation; Helper is loaded only now, from the old generation's own copy
        assertEquals("1.0|true|true|module|hello|false|helper-1.0", run(old));

        ModuleClassLoader oldLoader = (ModuleClassLoader) old.classLoader();
        ModuleClassLoader freshLoader = (ModuleClassLoader) fresh.classLoader();
        assertFalse(oldLoader.isClosed(), "held by a lease");
        old.release();
        assertTrue(oldLoader.isClosed(), "closed with its last lease");
        assertEquals("with-module-tccl", System.getProperty("fx.closed.gen.1.0"));
        assertFalse(freshLoader.isClosed());
        assertFalse(Files.exists(data.resolve("work/.jars/gen-1")), "the old snapshot is removed");
        assertFalse(Files.exists(data.resolve("work/gen/gen-1")), "the old work directory is removed");
        assertTrue(Files.isDirectory(data.resolve("work/gen/gen-2")));

        // touched, same content: no new generation
        Files.setLastModifiedTime(installed, FileTime.from(Instant.now().plusSeconds(5)));
        registry.rescan();
        assertEquals(2, registry.require("gen").generation());

        // a broken replacement is reported; generation 2 stays in service
        TestJars.corrupt(installed);
        registry.rescan();
        assertEquals(2, registry.require("gen").generation());
        assertEquals(1, registry.problems().size());
        assertTrue(registry.problems().get(0).reason().endsWith("; generation 2 stays in service"),
                registry.problems().toString());
        assertEquals("2.0|true|true|module|hello|false|helper-2.0", run(fresh));

        // fixed again: generation 3, and the problem is gone
        Files.copy(jar("gen", "3.0"), installed, StandardCopyOption.REPLACE_EXISTING);
        registry.rescan();
        assertEquals(3, registry.require("gen").generation());
        assertTrue(registry.problems().isEmpty(), registry.problems().toString());
        assertFalse(freshLoader.isClosed(), "generation 2 is still leased");
        fresh.release();
        assertTrue(freshLoader.isClosed());
    }

    @Test
    void a_removed_directory_unloads_its_module_once_running_jobs_end() throws Exception {
        TestJars.copyInto(jar("gone", "1.0"), modules.resolve("gone"));
        TestJars.copyInto(jar("stays", "1.0"), modules.resolve("stays"));
        start(Duration.ZERO);
        ModuleLease running = registry.acquire("gone");

        Problems.deleteRecursively(modules.resolve("gone"));
        registry.rescan();

        assertTrue(registry.find("gone").isEmpty());
        assertEquals("No module 'gone'. Available: stays",
                org.junit.jupiter.api.Assertions.assertThrows(UnknownModuleException.class, () -> registry.acquire("gone"))
                        .getMessage());
        assertEquals("1.0|true|true|module|hello|false|helper-1.0", run(running), "the running job finishes");
        ModuleClassLoader loader = (ModuleClassLoader) running.classLoader();
        assertFalse(loader.isClosed());
        running.close();
        assertTrue(loader.isClosed());
        assertTrue(registry.find("stays").isPresent());
    }

    @Test
    void an_id_freed_by_a_removal_lets_a_refused_directory_load() throws Exception {
        TestJars.copyInto(jar("same", "1.0"), modules.resolve("a"));
        TestJars.copyInto(jar("same", "2.0"), modules.resolve("b"));
        start(Duration.ZERO);
        assertEquals("1.0", registry.require("same").descriptor().version());
        assertEquals(1, registry.problems().size());

        Problems.deleteRecursively(modules.resolve("a"));
        registry.rescan();

        assertEquals("2.0", registry.require("same").descriptor().version());
        assertEquals(modules.resolve("b"), registry.require("same").directory());
        assertTrue(registry.problems().isEmpty(), registry.problems().toString());
    }

    @Test
    void a_lease_never_released_is_released_by_the_garbage_collector() throws Exception {
        TestJars.copyInto(jar("leaky", "1.0"), modules.resolve("leaky"));
        start(Duration.ZERO);
        ModuleLease lease = registry.acquire("leaky");
        ModuleClassLoader loader = (ModuleClassLoader) lease.classLoader();
        lease = null;
        Problems.deleteRecursively(modules.resolve("leaky"));
        registry.rescan();

        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!loader.isClosed() && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertTrue(loader.isClosed());
        assertEquals("with-module-tccl", System.getProperty("fx.closed.leaky.1.0"));
    }

    @Test
    void an_unloaded_generation_can_be_garbage_collected() throws Exception {
        TestJars.copyInto(jar("collected", "1.0"), modules.resolve("collected"));
        start(Duration.ZERO);
        WeakReference<ClassLoader> loader;
        try (ModuleLease lease = registry.acquire("collected")) {
            assertTrue(run(lease).startsWith("1.0|"));
            loader = new WeakReference<>(lease.classLoader());
        }
        Problems.deleteRecursively(modules.resolve("collected"));
        registry.rescan();

        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (loader.get() != null && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertNull(loader.get(), "nothing keeps the module's classes alive after it is unloaded");
    }

    @Test
    void jobs_racing_replacements_always_run_on_an_open_generation() throws Exception {
        Path installed = TestJars.copyInto(jar("race", "1.0"), modules.resolve("race"));
        byte[][] versions = {Files.readAllBytes(jar("race", "2.0")), Files.readAllBytes(jar("race", "1.0"))};
        start(Duration.ZERO);
        Set<ModuleClassLoader> seen = ConcurrentHashMap.newKeySet();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService workers = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> jobs = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                jobs.add(workers.submit(() -> {
                    int done = 0;
                    while (!stop.get() || done == 0) {
                        try (ModuleLease lease = registry.acquire("race")) {
                            seen.add((ModuleClassLoader) lease.classLoader());
                            String summary = run(lease);
                            assertTrue(summary.startsWith(lease.descriptor().version() + "|"), summary);
                            done++;
                        }
                    }
                    return done;
                }));
            }
            for (int i = 0; i < 10; i++) {
                Files.write(installed, versions[i % 2]);
                registry.rescan();
                Thread.sleep(10);
            }
            stop.set(true);
            for (Future<Integer> job : jobs) {
                assertTrue(job.get(30, TimeUnit.SECONDS) > 0);
            }
        } finally {
            workers.shutdownNow();
        }
        assertEquals(11, registry.require("race").generation());
        ModuleClassLoader current;
        try (ModuleLease lease = registry.acquire("race")) {
            current = (ModuleClassLoader) lease.classLoader();
        }
        for (ModuleClassLoader loader : seen) {
            assertEquals(loader != current, loader.isClosed(), loader.getName());
        }
    }
}
