package org.radflow.host;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.config.RadflowConfig;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A module's model sessions get no more threads than the cores shared by the jobs its lane runs at once. */
class InferenceThreadsTest {

    @TempDir
    Path dir;

    @Test
    void threadsAreTheDeclaredOnesCappedByCoresPerConcurrentJob() throws Exception {
        Path cfg = dir.resolve("radflow.yaml");
        Files.writeString(cfg, """
                server: {dataDir: %s}
                modules:
                  two-at-once: {maxConcurrentJobs: 2}
                  many-at-once: {maxConcurrentJobs: 64}
                """.formatted(dir.resolve("data")));
        int cores = Runtime.getRuntime().availableProcessors();
        RadflowConfig c = RadflowConfig.load(cfg);
        java.util.function.Function<String, java.util.Optional<org.radflow.api.ModuleDescriptor>> none = id -> java.util.Optional.empty();
        assertEquals(Math.min(4, Math.max(1, cores / 2)), InferenceThreads.forModule(c, none, "two-at-once", 4));
        assertEquals(1, InferenceThreads.forModule(c, none, "many-at-once", 4), "never less than one");
        assertEquals(Math.min(2, cores), InferenceThreads.forModule(c, none, "unconfigured", 2), "one job at a time: up to the cores");
        assertEquals(1, InferenceThreads.forModule(c, none, "unconfigured", 1), "never more than declared");
    }
}
