package org.radflow.modules;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.radflow.modules.ModuleRegistryTest.NO_INFERENCE;
import static org.radflow.modules.ModuleRegistryTest.emptyStudy;
import static org.radflow.modules.ModuleRegistryTest.job;

/**
 * The module's lifecycle end: its {@code close()} runs once per created instance, when the generation is retired
 * (replaced JAR, configuration reload, removal, shutdown) and only after the generation's last running job; a
 * {@code close()} that throws is logged and changes nothing for the host.
 */
class ModuleCloseTest {

    @TempDir
    Path tmp;
    ModuleRegistry registry;

    @AfterEach
    void close() {
        if (registry != null) {
            registry.close();
        }
    }

    private void start(Map<String, Map<String, Object>> config) {
        registry = new ModuleRegistry(new RegistrySettings(tmp.resolve("modules"), null, tmp.resolve("data"), config,
                Duration.ZERO, null), NO_INFERENCE).start();
    }

    private Path install(String id, String version) throws IOException {
        Path jar = TestJars.build(Fixtures.countsCloses(id.replace("-", ""), id, version),
                tmp.resolve("built").resolve(id + "-" + version).resolve(id + ".jar"));
        return TestJars.copyInto(jar, tmp.resolve("modules").resolve(id));
    }

    private static int closes(String id) {
        return Integer.getInteger("fx.closes." + id, 0);
    }

    private String run(String id) throws Exception {
        try (ModuleLease lease = registry.acquire(id)) {
            return lease.process(emptyStudy("1.2.3"), job("job")).summary();
        }
    }

    @Test
    void a_replaced_jar_closes_the_old_instance_after_its_last_job_and_the_new_one_at_shutdown() throws Exception {
        System.clearProperty("fx.closes.swap");
        Path installed = install("swap", "1.0");
        start(Map.of());
        assertEquals("1.0|42", run("swap"));
        ModuleLease running = registry.acquire("swap");

        Files.write(installed, Files.readAllBytes(TestJars.build(Fixtures.countsCloses("swap", "swap", "2.0"),
                tmp.resolve("built").resolve("swap-2.0").resolve("swap.jar"))));
        registry.rescan();
        assertEquals("2.0|42", run("swap"));
        assertEquals(0, closes("swap"), "a job still runs on generation 1");
        assertEquals("1.0|42", running.process(emptyStudy("1.2.3"), job("late")).summary());
        running.release();
        assertEquals(1, closes("swap"), "closed with the last job of generation 1");
        running.release();
        assertEquals(1, closes("swap"), "a second release closes nothing");

        registry.close();
        assertEquals(2, closes("swap"), "generation 2 closed at shutdown");
        registry.close();
        assertEquals(2, closes("swap"));
    }

    @Test
    void a_configuration_reload_closes_the_instance_made_with_the_old_configuration() throws Exception {
        System.clearProperty("fx.closes.conf");
        install("conf", "1.0");
        start(Map.of("conf", Map.of("answer", 7)));
        assertEquals("1.0|7", run("conf"));

        assertEquals("modules.conf.config.answer: '700' is above the maximum 100; give a whole number from 0 to 100",
                registry.checkConfig("conf", Map.of("answer", 700)));
        assertEquals(null, registry.checkConfig("conf", Map.of("answer", 8)));
        ModuleLease running = registry.acquire("conf");
        assertTrue(registry.applyConfig("conf", Map.of("answer", 8)));
        assertEquals("1.0|8", run("conf"), "new jobs get an instance made with the new configuration");
        assertEquals(0, closes("conf"));
        running.close();
        assertEquals(1, closes("conf"));
    }

    @Test
    void a_close_that_throws_is_logged_and_the_host_carries_on() throws Exception {
        System.clearProperty("fx.closes.thrower");
        Path installed = install("thrower", "1.0");
        start(Map.of("thrower", Map.of("throwOnClose", true)));
        assertEquals("1.0|42", run("thrower"));
        ModuleClassLoader first;
        try (ModuleLease lease = registry.acquire("thrower")) {
            first = (ModuleClassLoader) lease.classLoader();
        }

        Files.write(installed, Files.readAllBytes(TestJars.build(Fixtures.countsCloses("thrower", "thrower", "2.0"),
                tmp.resolve("built").resolve("thrower-2.0").resolve("thrower.jar"))));
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        Logger generationLog = (Logger) LoggerFactory.getLogger(Generation.class);
        generationLog.addAppender(log);
        try {
            registry.rescan();
        } finally {
            generationLog.detachAppender(log);
        }
        assertEquals(1, closes("thrower"));
        assertTrue(log.list.stream().anyMatch(e -> e.getLevel() == Level.WARN
                && e.getFormattedMessage().equals("Module thrower failed while closing: IllegalStateException: close failed on purpose")
                && e.getThrowableProxy() != null), log.list.toString());
        assertTrue(first.isClosed(), "the class loader is closed although the module's close() threw");
        assertEquals("2.0|42", run("thrower"));
        assertTrue(registry.problems().isEmpty(), registry.problems().toString());

        registry.close();
        assertEquals(2, closes("thrower"), "shutdown goes on past a throwing close()");
    }

    @Test
    void a_removed_module_is_closed_and_one_never_created_is_not() throws Exception {
        System.clearProperty("fx.closes.gone");
        System.clearProperty("fx.closes.idle");
        Path gone = install("gone", "1.0");
        install("idle", "1.0");
        start(Map.of());
        assertEquals("1.0|42", run("gone"));

        Files.delete(gone);
        Files.delete(gone.getParent().resolve("models")); // made by RadFlow when it loaded the module (empty)
        Files.delete(gone.getParent());
        registry.rescan();
        assertEquals(1, closes("gone"));
        registry.close();
        assertEquals(0, closes("idle"), "no job ran, so no instance was created");
    }
}
