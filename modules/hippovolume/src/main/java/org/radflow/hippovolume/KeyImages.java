package org.radflow.hippovolume;

import org.radflow.api.KeyImage;
import org.radflow.api.Volume;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * Three stored slices across the segmented structure, grey from the MR with the anterior and posterior parts laid
 * over in two colours (filled at {@link #ALPHA}, outlined in full colour), shown at square pixels.
 */
final class KeyImages {

    static final double ALPHA = 0.40;
    /** Key images are enlarged (nearest neighbour) until their longer side reaches this many pixels. */
    static final int TARGET = 320;

    private KeyImages() {
    }

    /**
     * The slices to show: spread over the labelled extent (at 1/6, 1/2 and 5/6 of it), the one nearest the slice
     * with the largest labelled area replaced by that slice; neighbours of the widest slice when the extent is too
     * short; the middle slice when nothing is labelled.
     */
    static List<Integer> choose(byte[] labels, int slices, int sliceSize) {
        int[] area = new int[slices];
        int firstLabelled = -1;
        int lastLabelled = -1;
        int best = -1;
        for (int z = 0; z < slices; z++) {
            int base = z * sliceSize;
            for (int p = 0; p < sliceSize; p++) {
                if (labels[base + p] != 0) {
                    area[z]++;
                }
            }
            if (area[z] > 0) {
                firstLabelled = firstLabelled < 0 ? z : firstLabelled;
                lastLabelled = z;
                if (best < 0 || area[z] > area[best]) {
                    best = z;
                }
            }
        }
        if (best < 0) {
            return List.of(slices / 2);
        }
        // spread over the extent at 1/6, 1/2 and 5/6; the one nearest the widest slice becomes the widest slice
        int extent = lastLabelled - firstLabelled;
        int[] spread = new int[3];
        int nearest = 0;
        for (int i = 0; i < 3; i++) {
            spread[i] = firstLabelled + (int) Math.round(extent * (2 * i + 1) / 6.0);
            if (Math.abs(spread[i] - best) < Math.abs(spread[nearest] - best)) {
                nearest = i;
            }
        }
        spread[nearest] = best;
        TreeSet<Integer> chosen = new TreeSet<>();
        for (int z : spread) {
            chosen.add(z);
        }
        // too short an extent: widen within the labelled slices, then to any neighbour
        for (int d = 1; chosen.size() < Math.min(3, slices) && d < slices; d++) {
            for (int z : new int[] {best - d, best + d}) {
                if (chosen.size() < 3 && z >= 0 && z < slices) {
                    chosen.add(z);
                }
            }
        }
        return new ArrayList<>(chosen);
    }

    /** Display range: the first Window Center/Width when given, else the 0.5th to 99.5th percentile of the volume
     * (of at most about a million evenly spaced voxels). */
    static double[] window(Volume v, double center, double width) {
        if (Double.isFinite(center) && Double.isFinite(width) && width > 1) {
            return new double[] {center - width / 2, center + width / 2};
        }
        // at most about a million evenly spaced voxels: enough for percentiles, cheap on a whole head
        float[] voxels = v.voxels();
        int stride = Math.max(1, voxels.length / 1_000_000);
        float[] sorted = new float[(voxels.length + stride - 1) / stride];
        for (int i = 0, j = 0; i < voxels.length; i += stride, j++) {
            sorted[j] = voxels[i];
        }
        Arrays.sort(sorted);
        double lo = sorted[(int) Math.floor(0.005 * (sorted.length - 1))];
        double hi = sorted[(int) Math.ceil(0.995 * (sorted.length - 1))];
        if (hi <= lo) {
            hi = lo + 1;
        }
        return new double[] {lo, hi};
    }

    static KeyImage draw(Volume v, byte[] labels, int z, double[] window, long anterior, long posterior) {
        int rows = v.rows();
        int columns = v.columns();
        // square display pixels: each output pixel is `step` mm on both axes
        double step = Math.min(v.rowSpacingMm(), v.columnSpacingMm());
        double widthMm = columns * v.columnSpacingMm();
        double heightMm = rows * v.rowSpacingMm();
        double scale = Math.max(1.0, TARGET / Math.max(widthMm / step, heightMm / step));
        step /= scale;
        int width = Math.max(1, (int) Math.round(widthMm / step));
        int height = Math.max(1, (int) Math.round(heightMm / step));
        int[] srcRow = new int[height];
        int[] srcCol = new int[width];
        for (int y = 0; y < height; y++) {
            srcRow[y] = Math.min(rows - 1, (int) ((y + 0.5) * step / v.rowSpacingMm()));
        }
        for (int x = 0; x < width; x++) {
            srcCol[x] = Math.min(columns - 1, (int) ((x + 0.5) * step / v.columnSpacingMm()));
        }
        int base = z * rows * columns;
        int[] rgb = new int[width * height];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int p = base + srcRow[y] * columns + srcCol[x];
                double t = (v.voxels()[p] - window[0]) / (window[1] - window[0]);
                int g = (int) Math.round(255 * Math.max(0, Math.min(1, t)));
                int label = labels[p];
                int out = g << 16 | g << 8 | g;
                if (label != 0) {
                    int colour = label == 1 ? Codes.ANTERIOR_RGB : Codes.POSTERIOR_RGB;
                    boolean edge = false;
                    for (int[] d : new int[][] {{-1, 0}, {1, 0}, {0, -1}, {0, 1}}) {
                        int yy = y + d[0];
                        int xx = x + d[1];
                        if (yy < 0 || yy >= height || xx < 0 || xx >= width
                                || labels[base + srcRow[yy] * columns + srcCol[xx]] != label) {
                            edge = true;
                            break;
                        }
                    }
                    out = edge ? colour : blend(out, colour);
                }
                rgb[y * width + x] = out;
            }
        }
        int[] area = new int[3];
        for (int p = base; p < base + rows * columns; p++) {
            area[labels[p]]++;
        }
        double pixelMm2 = v.rowSpacingMm() * v.columnSpacingMm();
        String caption = String.format(Locale.ROOT,
                "Slice %d of %d; yellow: anterior (%.0f mm² here), blue: posterior (%.0f mm² here)",
                z + 1, v.slices(), area[1] * pixelMm2, area[2] * pixelMm2);
        if (anterior + posterior == 0) {
            caption = String.format(Locale.ROOT, "Slice %d of %d; no hippocampus voxel found", z + 1, v.slices());
        }
        return new KeyImage(caption, width, height, rgb, v.sopInstanceUids().get(z));
    }

    private static int blend(int grey, int colour) {
        int r = (int) Math.round((1 - ALPHA) * (grey >> 16 & 0xFF) + ALPHA * (colour >> 16 & 0xFF));
        int g = (int) Math.round((1 - ALPHA) * (grey >> 8 & 0xFF) + ALPHA * (colour >> 8 & 0xFF));
        int b = (int) Math.round((1 - ALPHA) * (grey & 0xFF) + ALPHA * (colour & 0xFF));
        return r << 16 | g << 8 | b;
    }
}
