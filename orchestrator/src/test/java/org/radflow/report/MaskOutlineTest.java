package org.radflow.report;

import org.junit.jupiter.api.Test;
import org.radflow.api.Concept;
import org.radflow.api.Finding;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The SR's segment outline, traced from synthetic label maps whose outline is known. */
class MaskOutlineTest {

    /** A label map from rows of characters, one string per slice row, slices separated by "|"; '.' is 0, digits labels. */
    static Finding.Segmentation map(String... slices) {
        List<String[]> rows = new ArrayList<>();
        for (String s : slices) {
            rows.add(s.split("/"));
        }
        int r = rows.get(0).length;
        int c = rows.get(0)[0].length();
        byte[] labels = new byte[c * r * slices.length];
        for (int z = 0; z < slices.length; z++) {
            for (int y = 0; y < r; y++) {
                for (int x = 0; x < c; x++) {
                    char ch = rows.get(z)[y].charAt(x);
                    labels[(z * r + y) * c + x] = (byte) (ch == '.' ? 0 : ch - '0');
                }
            }
        }
        List<String> sops = new ArrayList<>();
        for (int z = 0; z < slices.length; z++) {
            sops.add("1.2.3." + (z + 1));
        }
        Concept t = Concept.sct("5366008", "Hippocampus");
        return new Finding.Segmentation(t, c, r, slices.length, labels,
                List.of(new Finding.Segment(1, "one", t, t, 0xFFD700), new Finding.Segment(2, "two", t, t, 0x1E90FF)), sops);
    }

    @Test
    void aSquareIsItsFourCornersClosed() {
        MaskOutline.Outline o = MaskOutline.of(map("..../.11./.11./...."), 1);
        assertEquals(0, o.slice());
        assertEquals(4, o.pixels());
        // pixel (1,1)..(2,2) covers [1,3] x [1,3]: clockwise on the screen from the top left corner, then closed
        assertArrayEquals(new float[] {1, 1, 3, 1, 3, 3, 1, 3, 1, 1}, o.graphicData());
        assertEquals(5, o.points());
    }

    @Test
    void anLShapeHasSixCorners() {
        // 1..
        // 1..
        // 111
        MaskOutline.Outline o = MaskOutline.of(map("1../1../111"), 1);
        assertArrayEquals(new float[] {0, 0, 1, 0, 1, 2, 3, 2, 3, 3, 0, 3, 0, 0}, o.graphicData());
    }

    @Test
    void aSinglePixelAtTheEdgeOfTheImage() {
        MaskOutline.Outline o = MaskOutline.of(map("..2"), 2);
        assertArrayEquals(new float[] {2, 0, 3, 0, 3, 1, 2, 1, 2, 0}, o.graphicData());
    }

    @Test
    void theSliceWhereTheSegmentIsLargestAndOnlyThatLabel() {
        MaskOutline.Outline o = MaskOutline.of(map("1../.../...", "11./11./222", "1../.../..."), 1);
        assertEquals(1, o.slice());
        assertArrayEquals(new float[] {0, 0, 2, 0, 2, 2, 0, 2, 0, 0}, o.graphicData());
        MaskOutline.Outline two = MaskOutline.of(map("1../.../...", "11./11./222", "1../.../..."), 2);
        assertArrayEquals(new float[] {0, 2, 3, 2, 3, 3, 0, 3, 0, 2}, two.graphicData());
    }

    @Test
    void theLargestPartOfASliceOnly() {
        MaskOutline.Outline o = MaskOutline.of(map("1...../....../...111/...111"), 1);
        assertEquals(6, o.pixels());
        assertArrayEquals(new float[] {3, 2, 6, 2, 6, 4, 3, 4, 3, 2}, o.graphicData());
    }

    @Test
    void aHoleIsNotOutlinedAndDiagonalNeighboursAreSeparateParts() {
        // a ring with a hole: only the outer square
        MaskOutline.Outline ring = MaskOutline.of(map("111/1.1/111"), 1);
        assertArrayEquals(new float[] {0, 0, 3, 0, 3, 3, 0, 3, 0, 0}, ring.graphicData());
        // pixels touching only at a corner are not 4-connected: {(0,0),(1,0),(0,1)} and {(2,1),(1,2),(2,2)}, 3 pixels
        // each; the first in raster order is outlined
        MaskOutline.Outline pinch = MaskOutline.of(map("11./1.1/.11"), 1);
        assertEquals(3, pinch.pixels());
        assertArrayEquals(new float[] {0, 0, 2, 0, 2, 1, 1, 1, 1, 2, 0, 2, 0, 0}, pinch.graphicData());
    }

    @Test
    void aNotchOpenToTheOutsideThroughACornerIsWalkedInto() {
        // 111.
        // 1.1.
        // 1..1     the empty (1,1), (1,2), (2,2) reach the outside (3,1) through corner (3,2) only
        // 1111
        MaskOutline.Outline o = MaskOutline.of(map("111./1.1./1..1/1111"), 1);
        assertEquals(11, o.pixels());
        assertArrayEquals(new float[] {0, 0, 3, 0, 3, 2, 2, 2, 2, 1, 1, 1, 1, 3, 3, 3, 3, 2, 4, 2, 4, 4, 0, 4, 0, 0},
                o.graphicData());
    }

    @Test
    void aPinchedSetIsWalkedRoundEachPixel() {
        // 4-connected through the bottom row, and (1,1) touches (2,2) at corner (2,2) only
        // 11..
        // 11..
        // 1.11
        // 1111
        MaskOutline.Outline o = MaskOutline.of(map("11../11../1.11/1111"), 1);
        assertEquals(11, o.pixels());
        // at corner (2,2) the walk (coming down the right side of (1,1)) turns right, round (1,1), not on to (2,2)'s top:
        // the polygon touches itself at (2,2) but does not cross
        assertArrayEquals(new float[] {0, 0, 2, 0, 2, 2, 1, 2, 1, 3, 2, 3, 2, 2, 4, 2, 4, 4, 0, 4, 0, 0},
                o.graphicData());
    }

    @Test
    void noOutlineWithoutAVoxel() {
        assertNull(MaskOutline.of(map("1../..."), 2));
    }
}
