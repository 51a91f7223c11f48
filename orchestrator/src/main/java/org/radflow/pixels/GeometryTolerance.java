package org.radflow.pixels;

/**
 * How far the slices of a series may stray from a regular grid before {@code volume()} refuses it.
 *
 * @param spacingFraction      allowed deviation of a gap between slice positions from the median gap, as a fraction
 *                             of the median (0.01 = 1 %)
 * @param spacingMinimumMm     the allowed deviation is never smaller than this (absorbs rounding in Image Position)
 * @param directionCosine      allowed difference of each Image Orientation (Patient) value between slices
 * @param pixelSpacingFraction allowed relative difference of Pixel Spacing between slices
 */
public record GeometryTolerance(double spacingFraction, double spacingMinimumMm, double directionCosine,
                                double pixelSpacingFraction) {

    /** 1 % of the median slice gap or 0.01 mm, whichever is larger; 1e-4 on direction cosines; 0.1 % on pixel spacing. */
    public static final GeometryTolerance DEFAULT = new GeometryTolerance(0.01, 0.01, 1e-4, 1e-3);

    public GeometryTolerance {
        if (!(spacingFraction >= 0 && spacingMinimumMm >= 0 && directionCosine >= 0 && pixelSpacingFraction >= 0)) {
            throw new IllegalArgumentException("tolerances must be >= 0");
        }
    }

    /** The allowed deviation of one slice gap, in mm, for a series whose median gap is {@code medianGapMm}. */
    public double spacingToleranceMm(double medianGapMm) {
        return Math.max(spacingFraction * medianGapMm, spacingMinimumMm);
    }
}
