package org.radflow.api;

import java.util.List;

/**
 * A series as a 3D grid: {@code voxels[(slice * rows + row) * columns + column]}, slices sorted by
 * position along the slice normal (row direction x column direction), modality LUT applied.
 * Geometry is in the patient coordinate system (LPS, millimetres).
 *
 * @param rowSpacingMm     distance between rows (Pixel Spacing first value)
 * @param columnSpacingMm  distance between columns (Pixel Spacing second value)
 * @param sliceSpacingMm   distance between slice positions along the normal (from Image Position, not Slice Thickness)
 * @param origin           Image Position (Patient) of the first slice
 * @param rowDirection     direction cosines along a row (first triplet of Image Orientation)
 * @param columnDirection  direction cosines down a column (second triplet)
 * @param sopInstanceUids  the instance of each slice, in slice order
 */
public record Volume(int columns, int rows, int slices, float[] voxels,
                     double rowSpacingMm, double columnSpacingMm, double sliceSpacingMm,
                     double[] origin, double[] rowDirection, double[] columnDirection,
                     List<String> sopInstanceUids) {

    public Volume {
        if (voxels.length != (long) columns * rows * slices) {
            throw new IllegalArgumentException("voxels do not match " + columns + " x " + rows + " x " + slices);
        }
        if (sopInstanceUids.size() != slices) {
            throw new IllegalArgumentException(sopInstanceUids.size() + " SOP instance UIDs for " + slices + " slices");
        }
        sopInstanceUids = List.copyOf(sopInstanceUids);
    }

    public float at(int slice, int row, int column) {
        return voxels[(slice * rows + row) * columns + column];
    }

    /** The slice normal: row direction x column direction. */
    public double[] normal() {
        double[] r = rowDirection;
        double[] c = columnDirection;
        return new double[] {r[1] * c[2] - r[2] * c[1], r[2] * c[0] - r[0] * c[2], r[0] * c[1] - r[1] * c[0]};
    }

    /** The volume of one voxel in mm³. */
    public double voxelVolumeMm3() {
        return rowSpacingMm * columnSpacingMm * sliceSpacingMm;
    }
}
