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
            {"chest", "--out", "x", "--finding", "nodule"},
            {"chest", "--out", "x", "--size", "512"},
            {"chest", "--out", "x", "--size", "32x32"},
            {"chest", "--out", "x", "--labels", "l.u8"},
            {"mr", "--out", "x", "--finding", "diffuse"},
            {"mr", "--out", "x", "--labels"},
            {"mr", "--out", "x", "--dimensions", "35x51"},
            {"mr", "--out", "x", "--dimensions", "35x51x2.5"},
            {"mr", "--out", "x", "--spacing", "1,1,0"},
            {"mr", "--out", "x", "--orientation", "oblique"},
        };
        for (String[] args : bad) {
            assertEquals(2, run(args), String.join(" ", args));
            assertTrue(err.toString(StandardCharsets.UTF_8).contains("usage: SynthCli"), String.join(" ", args));
        }
        assertEquals(0, run("--help"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("usage: SynthCli"));
    }

    @Test
    void findingOptionWritesTheFinding() throws Exception {
        Path none = dir.resolve("n");
        Path diffuse = dir.resolve("d");
        assertEquals(0, run("chest", "--out", none.toString(), "--seed", "4", "--finding", "none"));
        assertEquals(0, run("chest", "--out", diffuse.toString(), "--seed", "4", "--finding", "diffuse"));
        Path sized = dir.resolve("s");
        assertEquals(0, run("chest", "--out", sized.toString(), "--size", "300x200"));
        try (var files = Files.list(sized)) {
            var l = DicomTools.read(files.findFirst().orElseThrow());
            assertEquals(300, DicomTools.integer(l, 0x0028, 0x0010));
            assertEquals(200, DicomTools.integer(l, 0x0028, 0x0011));
        }
        short[] a = onlyImage(none);
        short[] b = onlyImage(diffuse);
        long brighter = 0;
        for (int i = 0; i < a.length; i++) {
            brighter += b[i] > a[i] ? 1 : 0;
        }
        assertTrue(brighter > a.length / 20, "diffuse opacity brightens the lungs: " + brighter);
        // --finding none is the default: identical pixels to no option at all
        Path plain = dir.resolve("p");
        assertEquals(0, run("chest", "--out", plain.toString(), "--seed", "4"));
        org.junit.jupiter.api.Assertions.assertArrayEquals(a, onlyImage(plain));
    }

    @Test
    void labelsArePairedWithTheSlicesInPositionOrder() throws Exception {
        Path out = dir.resolve("mr");
        Path labels = dir.resolve("gt/labels.u8");
        assertEquals(0, run("mr", "--out", out.toString(), "--seed", "5", "--dimensions", "36x52x30",
                "--spacing", "0.9,0.9,1.2", "--labels", labels.toString()));
        byte[] raw = Files.readAllBytes(labels);
        assertEquals(30 * 52 * 36, raw.length);
        String json = Files.readString(labels.resolveSibling("labels.u8.json"));
        assertTrue(json.contains("\"slices\": 30") && json.contains("\"rows\": 52") && json.contains("\"columns\": 36"),
                json);
        assertTrue(json.contains("\"sliceSpacingMm\": 1.2") && json.contains("\"rowSpacingMm\": 0.9"), json);

        // The same options through the API give the same ground truth.
        GeneratedVolume v = Synth.brainMrWithLabels(dir.resolve("api"), MrOptions.defaults().withSeed(5)
                .withDimensions(36, 52, 30).withSpacing(0.9, 0.9, 1.2));
        int i = 0;
        for (byte[][] slice : v.labels()) {
            for (byte[] row : slice) {
                for (byte b : row) {
                    assertEquals(b, raw[i++]);
                }
            }
        }
        assertTrue(v.voxelCount(GeneratedVolume.ANTERIOR) > 100 && v.voxelCount(GeneratedVolume.POSTERIOR) > 100);

        // Pair by the JSON's file list: slice k is the k-th file, Instance Number k + 1, ascending position;
        // and labelled voxels have the phantom's intensities (anterior 360, posterior 500, plus noise and bias).
        String files = json.substring(json.indexOf("\"files\": [") + 10, json.lastIndexOf(']'));
        String[] names = files.replace("\"", "").replace("[", "").split(",\\s*");
        assertEquals(30, names.length);
        double previous = Double.NEGATIVE_INFINITY;
        double[] sum = new double[3];
        long[] count = new long[3];
        for (int k = 0; k < 30; k++) {
            var l = DicomTools.read(out.resolve(names[k].trim()));
            assertEquals(k + 1, DicomTools.integer(l, 0x0020, 0x0013));
            double z = DicomTools.doubles(l, 0x0020, 0x0032)[2];
            assertTrue(z > previous);
            previous = z;
            short[] px = DicomTools.pixels(l);
            for (int p = 0; p < px.length; p++) {
                int label = raw[k * px.length + p];
                sum[label] += px[p] & 0xFFFF;
                count[label]++;
            }
        }
        assertEquals(360, sum[1] / count[1], 30);
        assertEquals(500, sum[2] / count[2], 40);
    }

    private static short[] onlyImage(Path directory) throws Exception {
        try (var files = Files.list(directory)) {
            return DicomTools.pixels(DicomTools.read(files.findFirst().orElseThrow()));
        }
    }
}
