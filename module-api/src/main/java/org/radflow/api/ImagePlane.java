package org.radflow.api;

/**
 * One decoded 2D frame, row by row ({@code pixels[row * columns + column]}), with the modality LUT
 * (rescale slope/intercept) applied, so CT values are in HU.
 *
 * @param rowSpacingMm        distance between rows (first value of Pixel Spacing, or Imager Pixel Spacing); NaN if unknown
 * @param columnSpacingMm     distance between columns; NaN if unknown
 * @param photometric         as stored, e.g. MONOCHROME1, MONOCHROME2, RGB
 * @param inverted            true when a MONOCHROME1 image was inverted on request (higher is brighter)
 * @param windowCenter        first Window Center, NaN when absent (already inverted along with the pixels)
 * @param windowWidth         first Window Width, NaN when absent
 * @param samplesPerPixel     1 for grey images; 3 for colour, interleaved per pixel
 */
public record ImagePlane(int rows, int columns, float[] pixels, double rowSpacingMm, double columnSpacingMm,
                         String photometric, boolean inverted, double windowCenter, double windowWidth, int samplesPerPixel) {

    public ImagePlane {
        if (rows < 1 || columns < 1 || pixels == null || pixels.length != rows * columns * samplesPerPixel) {
            throw new IllegalArgumentException("pixels do not match " + rows + " x " + columns + " x " + samplesPerPixel);
        }
    }

    public float at(int row, int column) {
        return pixels[(row * columns + column) * samplesPerPixel];
    }

    public boolean hasWindow() {
        return !Double.isNaN(windowCenter) && !Double.isNaN(windowWidth) && windowWidth > 0;
    }
}
