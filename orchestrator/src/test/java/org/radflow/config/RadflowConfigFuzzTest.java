package org.radflow.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Fuzzing the configuration loader ({@link RadflowConfig#load(Path, Map)}) with arbitrary file contents: any file
 * either loads or is refused with a {@link ConfigException} (naming the key and the fix); any other exception is a
 * bug — a start-up or {@code config check} that dies with a stack trace instead of a message. Seeds (the example
 * configuration, bad values, wrong shapes) in {@code src/test/resources/org/radflow/config/RadflowConfigFuzzTestInputs/config/};
 * {@code JAZZER_FUZZ=1} fuzzes (README, "Fuzzing"). No environment overrides: the empty map stands for the environment.
 */
class RadflowConfigFuzzTest {

    private static Path dir;

    @BeforeAll
    static void folder() throws IOException {
        dir = Files.createTempDirectory("radflow-config-fuzz");
    }

    @AfterAll
    static void clean() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @FuzzTest(maxDuration = "60s")
    void config(byte[] input) throws IOException {
        Path file = dir.resolve("radflow.yaml");
        Files.write(file, input);
        try {
            RadflowConfig.load(file, Map.of());
        } catch (ConfigException expected) {
            // refused with a message
        }
    }
}
