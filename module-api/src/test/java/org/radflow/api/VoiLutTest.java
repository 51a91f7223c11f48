package org.radflow.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The table gives the functions' levels, checked against the formulas written out here, and by hand on a few values. */
class VoiLutTest {

    /** PS3.3 C.11.2.1.2.1 onto 0..255, rounded: the formula, independently of VoiLut. */
    private static int window(double x, double c, double w) {
        if (x <= c - 0.5 - (w - 1) / 2) {
            return 0;
        }
        if (x > c - 0.5 + (w - 1) / 2) {
            return 255;
        }
        return Math.max(0, Math.min(255, (int) Math.round(((x - (c - 0.5)) / (w - 1) + 0.5) * 255)));
    }

    private static int range(double x, double min, double max) {
        return max > min ? Math.max(0, Math.min(255, (int) Math.round((x - min) / (max - min) * 255))) : 0;
    }

    @Test
    void windowLevelsByHand() {
        // c = 100, w = 51: 0 up to 74.5, 255 above 124.5, between ((x - 99.5) / 50 + 0.5) * 255
        VoiLut lut = VoiLut.window(100, 51);
        assertEquals(0, lut.level(74));
        assertEquals(0, lut.level(74.5f));
        assertEquals(8, lut.level(76)); // 7.65
        assertEquals(130, lut.level(100)); // 130.05
        assertEquals(252, lut.level(124)); // 252.45
        assertEquals(255, lut.level(124.75f));
        assertEquals(255, lut.level(126));
        assertEquals(0, lut.level(-1e9f));
        assertEquals(255, lut.level(1e9f));
        // width 1: a threshold at c - 0.5
        VoiLut one = VoiLut.window(10, 1);
        assertArrayEquals(new byte[] {0, 0, (byte) 255, (byte) 255}, one.apply(new float[] {9, 9.5f, 10, 11}));
        assertThrows(IllegalArgumentException.class, () -> VoiLut.window(0, 0.5));
        assertThrows(IllegalArgumentException.class, () -> VoiLut.window(0, Double.NaN));
    }

    @Test
    void everyWholeAndFractionalValueMatchesTheFormula() {
        Random random = new Random(6);
        double[][] windows = {{100, 51}, {40, 400}, {-600, 1500}, {2047.5, 4096}, {0.3, 1}, {1e6, 3e6}, {32768, 65536},
                {-1000.25, 2.5}, {7, 1.5}};
        for (double[] w : windows) {
            VoiLut lut = VoiLut.window(w[0], w[1]);
            int span = (int) Math.min(4e6, w[1] * 1.2 + 10);
            for (int x = (int) (w[0] - span); x <= w[0] + span; x += Math.max(1, span / 50_000)) {
                assertEquals(window(x, w[0], w[1]), lut.level(x), "window " + w[0] + "/" + w[1] + " at " + x);
                float f = x + random.nextFloat();
                assertEquals(window(f, w[0], w[1]), lut.level(f), "window " + w[0] + "/" + w[1] + " at " + f);
            }
        }
        double[][] ranges = {{0, 238}, {-1024, 3071}, {0.5, 4095.25}, {-3.75, -1.5}, {0, 65535}, {12, 13}};
        for (double[] r : ranges) {
            VoiLut lut = VoiLut.range(r[0], r[1]);
            for (int x = (int) r[0] - 20; x <= r[1] + 20; x++) {
                assertEquals(range(x, r[0], r[1]), lut.level(x), "range " + r[0] + ".." + r[1] + " at " + x);
                float f = x + random.nextFloat();
                assertEquals(range(f, r[0], r[1]), lut.level(f), "range " + r[0] + ".." + r[1] + " at " + f);
            }
        }
    }

    @Test
    void minMaxSpansTheValuesAndAConstantImageIsBlack() {
        float[] ramp = new float[120];
        for (int i = 0; i < ramp.length; i++) {
            ramp[i] = 2 * i; // 0..238
        }
        VoiLut lut = VoiLut.minMax(ramp);
        assertEquals(0, lut.level(0));
        assertEquals(2, lut.level(2)); // 2.14
        assertEquals(129, lut.level(120)); // 128.57
        assertEquals(255, lut.level(238));
        assertArrayEquals(new byte[3], VoiLut.minMax(new float[] {7, 7, 7}).apply(new float[] {7, 7, 7}));
        assertEquals(0, VoiLut.window(100, 51).level(Float.NaN));
    }

    @Test
    void aPlaneUsesItsWindowElseItsOwnRange() {
        float[] v = {0, 50, 100, 150, 200, 250};
        ImagePlane windowed = new ImagePlane(2, 3, v, 1, 1, "MONOCHROME2", false, 100, 51, 1);
        assertArrayEquals(new byte[] {0, 0, (byte) 130, (byte) 255, (byte) 255, (byte) 255}, windowed.windowed8());
        ImagePlane bare = new ImagePlane(2, 3, v, 1, 1, "MONOCHROME2", false, Double.NaN, Double.NaN, 1);
        assertArrayEquals(new byte[] {0, 51, 102, (byte) 153, (byte) 204, (byte) 255}, bare.windowed8());
        assertArrayEquals(windowed.windowed8(), bare.windowed8(100, 51));
        ImagePlane rgb = new ImagePlane(1, 2, new float[6], 1, 1, "RGB", false, Double.NaN, Double.NaN, 3);
        assertThrows(IllegalArgumentException.class, rgb::voiLut);
    }
}
