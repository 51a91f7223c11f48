package org.radflow.server;

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
        RadflowServer s = new RadflowServer(RadflowConfig.load(cfg), false);
        try {
            assertEquals(Math.min(4, Math.max(1, cores / 2)), s.inferenceThreads("two-at-once", 4));
            assertEquals(1, s.inferenceThreads("many-at-once", 4), "never less than one");
            assertEquals(Math.min(2, cores), s.inferenceThreads("unconfigured", 2), "one job at a time: up to the cores");
            assertEquals(1, s.inferenceThreads("unconfigured", 1), "never more than declared");
        } finally {
            s.vertx().close();
        }
    }
}
