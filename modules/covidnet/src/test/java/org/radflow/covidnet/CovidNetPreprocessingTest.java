package org.radflow.covidnet;

import org.junit.jupiter.api.Test;

import java.util.List;
import org.radflow.api.ImagePlane;
import org.radflow.covidnet.CovidNetPreprocessing.EightBit;
import org.radflow.covidnet.CovidNetPreprocessing.Prepared;
import org.radflow.covidnet.CovidNetPreprocessing.Rect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every step against values computed by hand on tiny images. */
class CovidNetPreprocessingTest {

    /** 10 rows x 12 columns, pixel i = 2 i (0..238). */
    private static float[] ramp() {
        float[] v = new float[120];
        for (int i = 0; i < v.length; i++) {
            v[i] = 2 * i;
        }
        return v;
    }

    @Test
    void windowIsTheLinearVoiFunctionWithItsHalfPixelTerms() {
        // c = 100, w = 51: below 74.5 -> 0, above 124.5 -> 255, between ((x - 99.5) / 50 + 0.5) * 255
        EightBit e = CovidNetPreprocessing.window(ramp(), 10, 12, 100, 51);
        assertEquals(0, e.pixels()[0]);
        assertEquals(0, e.pixels()[37]); // 74
        assertEquals(8, e.pixels()[38]); // 76: 7.65
        assertEquals(130, e.pixels()[50]); // 100: 130.05
        assertEquals(252, e.pixels()[62]); // 124: 252.45
        assertEquals(255, e.pixels()[63]); // 126
        assertEquals(255, e.pixels()[119]);
        assertEquals(e.pixels()[4 * 12 + 2], e.at(4, 2));
    }

    @Test
    void windowOfWidthOneIsAThresholdAtCentreMinusHalf() {
        EightBit e = CovidNetPreprocessing.window(new float[] {9, 9.5f, 10, 11}, 1, 4, 10, 1);
        assertArrayEquals(new int[] {0, 0, 255, 255}, e.pixels());
        assertThrows(IllegalArgumentException.class, () -> CovidNetPreprocessing.window(new float[] {1}, 1, 1, 0, 0.5));
    }

    @Test
    void withoutWindowTheImageSpansItsOwnMinimumToMaximum() {
        EightBit e = CovidNetPreprocessing.minMax(ramp(), 10, 12); // 0..238
        assertEquals(0, e.pixels()[0]);
        assertEquals(2, e.pixels()[1]); // 2 / 238 * 255 = 2.14
        assertEquals(129, e.pixels()[60]); // 120 / 238 * 255 = 128.57
        assertEquals(255, e.pixels()[119]);
        assertArrayEquals(new int[4], CovidNetPreprocessing.minMax(new float[] {7, 7, 7, 7}, 2, 2).pixels());
    }

    @Test
    void toEightBitUsesThePlanesWindowWhenItHasOne() {
        ImagePlane windowed = plane(ramp(), 10, 12, 100, 51);
        assertEquals(130, CovidNetPreprocessing.toEightBit(windowed).pixels()[50]);
        ImagePlane bare = plane(ramp(), 10, 12, Double.NaN, Double.NaN);
        assertEquals(129, CovidNetPreprocessing.toEightBit(bare).pixels()[60]);
    }

    @Test
    void theLazyEightBitPathGivesExactlyTheTensorOfConvertingEveryPixelFirst() {
        java.util.Random random = new java.util.Random(7);
        for (boolean whole : new boolean[] {true, false}) {
            float[] v = new float[731 * 517];
            for (int i = 0; i < v.length; i++) {
                v[i] = whole ? random.nextInt(4096) : random.nextFloat() * 4096;
            }
            for (ImagePlane p : List.of(plane(v, 731, 517, 1800, 2400), plane(v, 731, 517, Double.NaN, Double.NaN))) {
                EightBit eager = CovidNetPreprocessing.toEightBit(p);
                CovidNetPreprocessing.Rect crop = CovidNetPreprocessing.centralCrop(CovidNetPreprocessing.cropTop(731, 517));
                float[] expected = CovidNetPreprocessing.toNhwc(CovidNetPreprocessing.resizeBilinear(eager, crop, 480, 480));
                CovidNetPreprocessing.Prepared lazy = CovidNetPreprocessing.prepare(p);
                assertArrayEquals(expected, lazy.nhwc(), "whole=" + whole + " window=" + p.hasWindow());
                assertEquals(crop, lazy.crop());
                for (int i = 0; i < 1000; i++) {
                    int r = random.nextInt(731);
                    int c = random.nextInt(517);
                    assertEquals(eager.at(r, c), lazy.eightBit().at(r, c));
                }
            }
        }
    }

    @Test
    void cropTopRemovesPythonsIntOfEightPercentOfTheRows() {
        assertEquals(0, CovidNetPreprocessing.topRowsRemoved(10)); // 0.8
        assertEquals(0, CovidNetPreprocessing.topRowsRemoved(12)); // 0.96
        assertEquals(1, CovidNetPreprocessing.topRowsRemoved(13)); // 1.04
        assertEquals(2, CovidNetPreprocessing.topRowsRemoved(25)); // 2.0 in double, as in Python
        assertEquals(8, CovidNetPreprocessing.topRowsRemoved(100));
        assertEquals(81, CovidNetPreprocessing.topRowsRemoved(1024)); // 81.92
        assertEquals(new Rect(0, 81, 800, 943), CovidNetPreprocessing.cropTop(1024, 800));
    }

    @Test
    void centralCropIsTheCentredSquareOfTheShorterSide() {
        // 10 rows x 12 columns: no top rows removed, square 10 starting at column 1
        assertEquals(new Rect(1, 0, 10, 10), CovidNetPreprocessing.centralCrop(CovidNetPreprocessing.cropTop(10, 12)));
        // 13 rows x 10 columns: one top row removed, 12 x 10 left, square 10 starting at row 1 + 1
        assertEquals(new Rect(0, 2, 10, 10), CovidNetPreprocessing.centralCrop(CovidNetPreprocessing.cropTop(13, 10)));
        // odd difference rounds down: 10 x 13 -> column offset 1
        assertEquals(new Rect(1, 0, 10, 10), CovidNetPreprocessing.centralCrop(new Rect(0, 0, 13, 10)));
    }

    @Test
    void bilinearTwoByTwoToFourByFourFollowsOpenCvsHalfPixelCentres() {
        // src = (dst + 0.5) * 0.5 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1) on both axes
        EightBit src = new EightBit(2, 2, new int[] {0, 100, 200, 240});
        float[] out = CovidNetPreprocessing.resizeBilinear(src, new Rect(0, 0, 2, 2), 4, 4);
        assertArrayEquals(new float[] {
                0, 25, 75, 100,
                50, 71, 114, 135, // 71.25, 113.75
                150, 164, 191, 205, // 163.75, 191.25
                200, 210, 230, 240}, out);
    }

    @Test
    void bilinearReadsOnlyTheRegion() {
        // the same 2 x 2 at row 1, column 2 of a 4 x 4 full of 255
        int[] big = new int[16];
        java.util.Arrays.fill(big, 255);
        big[1 * 4 + 2] = 0;
        big[1 * 4 + 3] = 100;
        big[2 * 4 + 2] = 200;
        big[2 * 4 + 3] = 240;
        float[] out = CovidNetPreprocessing.resizeBilinear(new EightBit(4, 4, big), new Rect(2, 1, 2, 2), 4, 4);
        assertEquals(71, out[5]);
        assertEquals(240, out[15]);
        assertThrows(IllegalArgumentException.class,
                () -> CovidNetPreprocessing.resizeBilinear(new EightBit(4, 4, big), new Rect(3, 1, 2, 2), 4, 4));
    }

    @Test
    void sameSizeResizeIsTheIdentity() {
        EightBit e = CovidNetPreprocessing.minMax(ramp(), 10, 12);
        float[] out = CovidNetPreprocessing.resizeBilinear(e, new Rect(0, 0, 12, 10), 12, 10);
        for (int i = 0; i < out.length; i++) {
            assertEquals(e.pixels()[i], out[i]);
        }
    }

    @Test
    void nhwcRepeatsTheGreyValueInThreeChannelsOverTwoHundredFiftyFive() {
        assertArrayEquals(new float[] {0, 0, 0, 1, 1, 1, 0.2f, 0.2f, 0.2f},
                CovidNetPreprocessing.toNhwc(new float[] {0, 255, 51}), 1e-7f);
    }

    @Test
    void prepareCropsAwayTheSidesAndGivesTheModelShape() {
        // 10 x 12: columns 0 and 11 are outside the centred square; inside, every pixel is the window centre - 0.5
        float[] v = new float[120];
        for (int r = 0; r < 10; r++) {
            for (int c = 0; c < 12; c++) {
                v[r * 12 + c] = c == 0 || c == 11 ? 1000 : 99.5f;
            }
        }
        Prepared p = CovidNetPreprocessing.prepare(plane(v, 10, 12, 100, 51));
        assertEquals(new Rect(1, 0, 10, 10), p.crop());
        assertArrayEquals(new long[] {1, 480, 480, 3}, p.shape());
        assertEquals(480 * 480 * 3, p.nhwc().length);
        for (float f : p.nhwc()) {
            assertEquals(128 / 255f, f, 1e-7f); // 127.5 rounds to 128
        }
        assertEquals(255, p.eightBit().at(0, 0));
    }

    @Test
    void wholeNumberImagesGoThroughATableWithThePerPixelResult() {
        // 12-bit values, whole numbers: the table path; the same values with one fractional pixel: per pixel
        java.util.Random random = new java.util.Random(3);
        float[] whole = new float[64 * 64];
        for (int i = 0; i < whole.length; i++) {
            whole[i] = random.nextInt(4096) - 1024;
        }
        float[] fractional = whole.clone();
        fractional[0] = 0.5f;
        int[] table = CovidNetPreprocessing.window(whole, 64, 64, 700, 1501).pixels();
        int[] perPixel = CovidNetPreprocessing.window(fractional, 64, 64, 700, 1501).pixels();
        assertEquals(java.util.Arrays.stream(table).skip(1).boxed().toList(),
                java.util.Arrays.stream(perPixel).skip(1).boxed().toList());
        // and the table holds the formula: ((x - (c - 0.5)) / (w - 1) + 0.5) * 255, rounded and clipped
        for (int i = 0; i < 50; i++) {
            long level = Math.round(((whole[i] - 699.5) / 1500 + 0.5) * 255);
            assertEquals(Math.max(0, Math.min(255, level)), table[i], "pixel " + i + " = " + whole[i]);
        }
        int[] minMaxTable = CovidNetPreprocessing.minMax(whole, 64, 64).pixels();
        float[] shifted = whole.clone();
        shifted[1] += 0.25f; // neither the minimum nor the maximum (checked below), so the scale stays the same
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        for (float v : whole) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertTrue(whole[1] > min && whole[1] + 0.25f < max);
        int[] minMaxPerPixel = CovidNetPreprocessing.minMax(shifted, 64, 64).pixels();
        for (int i = 2; i < whole.length; i++) {
            assertEquals(minMaxTable[i], minMaxPerPixel[i], "pixel " + i);
        }
        assertEquals(Math.round((whole[7] - min) / (max - min) * 255), minMaxTable[7]);
    }

    private static ImagePlane plane(float[] pixels, int rows, int columns, double center, double width) {
        return new ImagePlane(rows, columns, pixels, 0.2, 0.2, "MONOCHROME2", false, center, width, 1);
    }
}
