package org.radflow.e2e;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The colour test DashboardBrowserIT reads OHIF's SEG overlay with: a segment's colour blended over grey, nothing else. */
class SegmentColourTest {

    private static final int GOLD = 0xFFD700;
    private static final int BLUE = 0x1E90FF;

    @Test
    void aSegmentColourBlendedOverAnyGreyIsThatSegment() {
        for (double alpha : new double[] {0.3, 0.5, 0.7, 1.0}) {
            for (int grey = 20; grey <= 240; grey += 20) {
                assertEquals(1, DashboardBrowserIT.segmentOfColour(blend(GOLD, grey, alpha)), "gold at " + alpha + " over " + grey);
                assertEquals(2, DashboardBrowserIT.segmentOfColour(blend(BLUE, grey, alpha)), "blue at " + alpha + " over " + grey);
            }
        }
    }

    @Test
    void greysAndOtherColoursAreNoSegment() {
        for (int grey = 0; grey <= 255; grey += 5) {
            assertEquals(0, DashboardBrowserIT.segmentOfColour(grey << 16 | grey << 8 | grey), "grey " + grey);
        }
        // a near-grey with a little tint (chroma under the floor), brown, red, green, OHIF's own cyan, purple
        for (int rgb : new int[] {0x8A8278, 0x8B4513, 0xFF0000, 0x00C000, 0x5ACCE6, 0x800080}) {
            assertEquals(0, DashboardBrowserIT.segmentOfColour(rgb), Integer.toHexString(rgb));
        }
    }

    private static int blend(int rgb, int grey, double alpha) {
        int r = (int) Math.round(alpha * ((rgb >> 16) & 0xFF) + (1 - alpha) * grey);
        int g = (int) Math.round(alpha * ((rgb >> 8) & 0xFF) + (1 - alpha) * grey);
        int b = (int) Math.round(alpha * (rgb & 0xFF) + (1 - alpha) * grey);
        return r << 16 | g << 8 | b;
    }
}
