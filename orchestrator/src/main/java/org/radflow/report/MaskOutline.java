package org.radflow.report;

import org.radflow.api.Finding;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The outline of one segment of a label map, for the SR's image region (SCOORD POLYLINE): on the slice where the segment
 * has most pixels, the outer boundary of its largest 4-connected part, traced along pixel edges.
 *
 * <p>Coordinates are DICOM's 2D image coordinates (PS3.3 C.18.6.1.2): column then row, (0,0) the top left corner of the
 * top left pixel, so pixel (c, r) covers [c, c+1] x [r, r+1] and every vertex is a pixel corner. The polygon runs
 * clockwise on the screen, starts at the top left corner of the topmost (then leftmost) pixel of the part, keeps only
 * its corners (no collinear points) and is closed (the last point is the first), as a closed POLYLINE is in DICOM.
 * Holes are not outlined; other parts of the segment on the same slice are left out (the SEG has all of them).
 */
public final class MaskOutline {

    /** The outlined slice (index into the segmentation's slices) and the closed polygon, x0, y0, x1, y1, ... */
    public record Outline(int slice, float[] graphicData, int pixels) {
        /** Number of points, the closing one included. */
        public int points() {
            return graphicData.length / 2;
        }
    }

    private MaskOutline() {
    }

    /** The outline of {@code label} in the segmentation, or null when no voxel has that label. */
    public static Outline of(Finding.Segmentation s, int label) {
        int frame = s.columns() * s.rows();
        byte[] labels = s.labels();
        int best = -1;
        int bestCount = 0;
        for (int z = 0; z < s.slices(); z++) {
            int count = 0;
            for (int p = z * frame, end = p + frame; p < end; p++) {
                count += (labels[p] & 0xFF) == label ? 1 : 0;
            }
            if (count > bestCount) {
                best = z;
                bestCount = count;
            }
        }
        if (best < 0) {
            return null;
        }
        boolean[] in = new boolean[frame];
        for (int p = 0; p < frame; p++) {
            in[p] = (labels[best * frame + p] & 0xFF) == label;
        }
        boolean[] part = largestPart(in, s.columns(), s.rows());
        int count = 0;
        for (boolean b : part) {
            count += b ? 1 : 0;
        }
        return new Outline(best, trace(part, s.columns(), s.rows()), count);
    }

    /** The largest 4-connected set of true pixels (the first in raster order among equals). */
    static boolean[] largestPart(boolean[] in, int columns, int rows) {
        int[] component = new int[in.length];
        int bestId = 0;
        int bestSize = 0;
        int id = 0;
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        for (int start = 0; start < in.length; start++) {
            if (!in[start] || component[start] != 0) {
                continue;
            }
            id++;
            int size = 0;
            component[start] = id;
            queue.add(start);
            while (!queue.isEmpty()) {
                int p = queue.poll();
                size++;
                int c = p % columns;
                int r = p / columns;
                int[] next = {c > 0 ? p - 1 : -1, c < columns - 1 ? p + 1 : -1, r > 0 ? p - columns : -1,
                        r < rows - 1 ? p + columns : -1};
                for (int q : next) {
                    if (q >= 0 && in[q] && component[q] == 0) {
                        component[q] = id;
                        queue.add(q);
                    }
                }
            }
            if (size > bestSize) {
                bestSize = size;
                bestId = id;
            }
        }
        boolean[] out = new boolean[in.length];
        for (int p = 0; p < in.length; p++) {
            out[p] = component[p] == bestId && bestId != 0;
        }
        return out;
    }

    // directions, clockwise on the screen (rows grow downwards): right, down, left, up
    private static final int[] DX = {1, 0, -1, 0};
    private static final int[] DY = {0, 1, 0, -1};

    /**
     * The outer boundary of a 4-connected set: its pixel edges that border a pixel outside the set, directed so that the
     * set is on the right, followed from the top edge of the first pixel in raster order. Where the set touches itself
     * only at a corner the walk turns right, so it goes round each pixel and the polygon does not cross itself.
     */
    static float[] trace(boolean[] part, int columns, int rows) {
        // outgoing boundary edges per corner (corner index y * (columns + 1) + x), as a bit set of directions
        Map<Integer, Integer> out = new HashMap<>();
        int first = -1;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < columns; c++) {
                if (!part[r * columns + c]) {
                    continue;
                }
                if (first < 0) {
                    first = corner(c, r, columns);
                }
                if (r == 0 || !part[(r - 1) * columns + c]) {
                    out.merge(corner(c, r, columns), 1 << 0, (a, b) -> a | b); // top edge, walking right
                }
                if (c == columns - 1 || !part[r * columns + c + 1]) {
                    out.merge(corner(c + 1, r, columns), 1 << 1, (a, b) -> a | b); // right edge, walking down
                }
                if (r == rows - 1 || !part[(r + 1) * columns + c]) {
                    out.merge(corner(c + 1, r + 1, columns), 1 << 2, (a, b) -> a | b); // bottom edge, walking left
                }
                if (c == 0 || !part[r * columns + c - 1]) {
                    out.merge(corner(c, r + 1, columns), 1 << 3, (a, b) -> a | b); // left edge, walking up
                }
            }
        }
        if (first < 0) {
            return new float[0];
        }
        List<int[]> vertices = new ArrayList<>();
        int at = first;
        int dir = 0;
        int stride = columns + 1;
        do {
            int x = at % stride;
            int y = at / stride;
            int edges = out.getOrDefault(at, 0);
            // prefer a right turn, then straight on, then a left turn (never back)
            int chosen = -1;
            for (int turn : new int[] {1, 0, 3}) {
                int d = (dir + turn) % 4;
                if ((edges & (1 << d)) != 0) {
                    chosen = d;
                    break;
                }
            }
            if (chosen < 0) {
                throw new IllegalStateException("outline broken at corner (" + x + ", " + y + ")");
            }
            if (chosen != dir || vertices.isEmpty()) {
                vertices.add(new int[] {x, y});
            }
            out.put(at, edges & ~(1 << chosen));
            dir = chosen;
            at = corner(x + DX[dir], y + DY[dir], columns);
        } while (at != first);
        float[] data = new float[(vertices.size() + 1) * 2];
        for (int i = 0; i < vertices.size(); i++) {
            data[2 * i] = vertices.get(i)[0];
            data[2 * i + 1] = vertices.get(i)[1];
        }
        data[data.length - 2] = vertices.get(0)[0];
        data[data.length - 1] = vertices.get(0)[1];
        return data;
    }

    private static int corner(int x, int y, int columns) {
        return y * (columns + 1) + x;
    }
}
