package org.radflow.testdata;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The simulated lung findings: where they change the picture, and that NONE changes nothing. */
class ChestFindingTest {

    @TempDir
    Path dir;

    /**
     * Golden values written by the generator before findings existed (chest, seed 3, all other options default):
     * without a finding, the series UID and the pixel data must stay exactly what they were.
     */
    @Test
    void noFindingKeepsTheFilesOfBeforeFindingsExisted() throws Exception {
        GeneratedSeries g = Synth.chestRadiograph(Files.createDirectories(dir.resolve("none")),
                ChestOptions.defaults().withSeed(3));
        assertEquals("2.25.221360945863471806860948739158979741699", g.seriesInstanceUid());
        assertEquals("2.25.69101447410171162982118204954713779569", g.sopInstanceUids().get(0));
        short[] pixels = DicomTools.pixels(DicomTools.read(g.files().get(0)));
        byte[] le = new byte[pixels.length * 2];
        for (int i = 0; i < pixels.length; i++) {
            le[2 * i] = (byte) pixels[i];
            le[2 * i + 1] = (byte) (pixels[i] >> 8);
        }
        assertEquals("1de1a953e14c2061327444afabcaeb20a7f791984cdb03233f67fad93a909aae",
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(le)));
        assertEquals(ChestOptions.Finding.NONE, ChestOptions.defaults().finding());
        assertTrue(!ChestOptions.defaults().toString().contains("finding"));
    }

    @Test
    void consolidationIsADensePatchInOneLungOnly() {
        int n = 256;
        for (long seed = 1; seed <= 6; seed++) {
            short[] none = ChestPhantom.render(ChestOptions.View.PA, n, n, seed, ChestOptions.Finding.NONE);
            short[] cons = ChestPhantom.render(ChestOptions.View.PA, n, n, seed, ChestOptions.Finding.CONSOLIDATION);
            double[] gain = lungGain(none, cons, n); // viewer's left, viewer's right
            double hi = Math.max(gain[0], gain[1]);
            double lo = Math.min(gain[0], gain[1]);
            assertTrue(hi > 0.02 * ChestPhantom.MAX, "seed " + seed + ": one lung much brighter, gain " + hi);
            assertEquals(0, lo, 1e-9, "seed " + seed + ": the other lung unchanged");
            // max local brightening is large (dense): at least 0.15 of full scale somewhere
            int max = 0;
            for (int i = 0; i < none.length; i++) {
                max = Math.max(max, cons[i] - none[i]);
            }
            assertTrue(max > 0.15 * ChestPhantom.MAX, "seed " + seed + " densest " + max);
            assertOutsideLungsUnchanged(none, cons, n);
        }
    }

    @Test
    void diffuseOpacityIsHazyInBothLungs() {
        int n = 256;
        for (long seed = 1; seed <= 4; seed++) {
            short[] none = ChestPhantom.render(ChestOptions.View.AP, n, n, seed, ChestOptions.Finding.NONE);
            short[] diff = ChestPhantom.render(ChestOptions.View.AP, n, n, seed, ChestOptions.Finding.DIFFUSE_OPACITY);
            double[] gain = lungGain(none, diff, n);
            assertTrue(gain[0] > 0.02 * ChestPhantom.MAX && gain[1] > 0.02 * ChestPhantom.MAX,
                    "seed " + seed + ": both lungs brighter " + gain[0] + ", " + gain[1]);
            int max = 0;
            for (int i = 0; i < none.length; i++) {
                max = Math.max(max, diff[i] - none[i]);
            }
            assertTrue(max < 0.25 * ChestPhantom.MAX, "hazy, not dense: " + max);
            assertOutsideLungsUnchanged(none, diff, n);
        }
    }

    @Test
    void aLateralViewIgnoresTheFindingButGetsItsOwnSeries() throws Exception {
        short[] none = ChestPhantom.render(ChestOptions.View.LAT, 128, 128, 2, ChestOptions.Finding.NONE);
        short[] cons = ChestPhantom.render(ChestOptions.View.LAT, 128, 128, 2, ChestOptions.Finding.CONSOLIDATION);
        assertArrayEquals(none, cons);
        ChestOptions o = ChestOptions.defaults().withSize(128, 128);
        GeneratedSeries a = Synth.chestRadiograph(Files.createDirectories(dir.resolve("a")), o);
        GeneratedSeries b = Synth.chestRadiograph(Files.createDirectories(dir.resolve("b")),
                o.withFinding(ChestOptions.Finding.DIFFUSE_OPACITY));
        assertNotEquals(a.seriesInstanceUid(), b.seriesInstanceUid());
        assertEquals(a.studyInstanceUid(), b.studyInstanceUid());
        assertEquals(List.of(), DicomTools.assertValid(b.files().get(0)));
    }

    /** Mean brightening over each half of the lung fields (rows 30%..60%, |column offset| 8%..30% of the width). */
    private static double[] lungGain(short[] before, short[] after, int n) {
        double[] sum = new double[2];
        int[] count = new int[2];
        for (int r = (int) (0.30 * n); r < (int) (0.62 * n); r++) {
            for (int c = 0; c < n; c++) {
                double off = (c + 0.5 - n / 2.0) / n;
                if (Math.abs(off) < 0.08 || Math.abs(off) > 0.34) {
                    continue;
                }
                int side = off < 0 ? 0 : 1;
                sum[side] += after[r * n + c] - before[r * n + c];
                count[side]++;
            }
        }
        return new double[] {sum[0] / count[0], sum[1] / count[1]};
    }

    /** Above the lung apices and below the diaphragm, nothing changes. */
    private static void assertOutsideLungsUnchanged(short[] before, short[] after, int n) {
        for (int r = 0; r < n; r++) {
            double v = (r + 0.5 - n / 2.0) / n;
            if (v > -0.36 && v < 0.32) {
                continue;
            }
            for (int c = 0; c < n; c++) {
                assertEquals(before[r * n + c], after[r * n + c], "row " + r + " column " + c);
            }
        }
    }
}
