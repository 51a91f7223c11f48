package org.radflow.testdata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SynthCliTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        out.reset();
        err.reset();
        return SynthCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void writesSeriesAndPrintsUids() throws Exception {
        assertEquals(0, run("chest", "--out", dir.resolve("c").toString(), "--modality", "CR", "--view", "LAT",
                "--photometric", "MONOCHROME1", "--seed", "7"));
        String printed = out.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("StudyInstanceUID=2.25."), printed);
        assertTrue(printed.contains("SeriesInstanceUID=2.25."), printed);
        assertTrue(printed.contains("Files=1"), printed);
        try (var files = Files.list(dir.resolve("c"))) {
            Path f = files.findFirst().orElseThrow();
            var l = DicomTools.read(f);
            assertEquals("CR", DicomTools.string(l, 0x0008, 0x0060));
            assertEquals("MONOCHROME1", DicomTools.string(l, 0x0028, 0x0004));
        }
        assertEquals(0, run("mr", "--out", dir.resolve("m").toString(), "--seed", "3"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("Files=32"));
        assertEquals(0, run("ct", "--out", dir.resolve("t").toString(), "--count", "2"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("Files=2"));
    }

    @Test
    void badArgumentsPrintUsageAndFail() {
        String[][] bad = {
            {},
            {"xray", "--out", "x"},
            {"chest"},
            {"chest", "--out"},
            {"chest", "--out", "x", "--view", "OBLIQUE"},
            {"chest", "--out", "x", "--count", "3"},
            {"ct", "--out", "x"},
            {"ct", "--out", "x", "--count", "many"},
            {"ct", "--out", "x", "--count", "0"},
            {"mr", "--out", "x", "--seed", "1.5"},
        };
        for (String[] args : bad) {
            assertEquals(2, run(args), String.join(" ", args));
            assertTrue(err.toString(StandardCharsets.UTF_8).contains("usage: SynthCli"), String.join(" ", args));
        }
        assertEquals(0, run("--help"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("usage: SynthCli"));
    }
}
