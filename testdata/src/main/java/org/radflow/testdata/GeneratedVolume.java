package org.radflow.testdata;

/**
 * An MR series together with its ground truth.
 *
 * @param series           the files written
 * @param labels           {@code [slice][row][col]}, slices in position order (the order of
 *                         {@code series.files()}): 0 background, {@link #ANTERIOR} 1,
 *                         {@link #POSTERIOR} 2
 * @param rowSpacingMm     distance between adjacent rows (Pixel Spacing value 1)
 * @param columnSpacingMm  distance between adjacent columns (Pixel Spacing value 2)
 * @param sliceSpacingMm   distance between adjacent slice centres along the normal
 */
public record GeneratedVolume(GeneratedSeries series, byte[][][] labels,
                              double rowSpacingMm, double columnSpacingMm, double sliceSpacingMm) {

    public static final int BACKGROUND = 0;
    public static final int ANTERIOR = 1;
    public static final int POSTERIOR = 2;

    public double voxelVolumeMm3() {
        return rowSpacingMm * columnSpacingMm * sliceSpacingMm;
    }

    /** Number of voxels carrying the label. */
    public long voxelCount(int label) {
        long n = 0;
        for (byte[][] slice : labels) {
            for (byte[] row : slice) {
                for (byte v : row) {
                    if (v == label) {
                        n++;
                    }
                }
            }
        }
        return n;
    }

    /** Exact volume of the label in the generated voxel grid, in mm³. */
    public double volumeMm3(int label) {
        return voxelCount(label) * voxelVolumeMm3();
    }
}
