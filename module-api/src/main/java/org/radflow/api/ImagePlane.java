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

    /**
     * The plane's display function as a lookup table: its first window ({@link VoiLut#window}) when it has one,
     * else its own minimum to maximum ({@link VoiLut#minMax}). Built on each call; keep it for the plane's pixels.
     *
     * @throws IllegalArgumentException for a colour plane, or a window narrower than 1
     * @since module API 0.6
     */
    public VoiLut voiLut() {
        requireGrey();
        return hasWindow() ? VoiLut.window(windowCenter, windowWidth) : VoiLut.minMax(pixels);
    }

    /**
     * Every pixel as an 8-bit display level (0..255 as unsigned bytes, {@code [row * columns + column]}) through
     * {@link #voiLut()}.
     *
     * @since module API 0.6
     */
    public byte[] windowed8() {
        return voiLut().apply(pixels);
    }

    /**
     * Every pixel through the window of this centre and width ({@link VoiLut#window}), as unsigned bytes.
     *
     * @since module API 0.6
     */
    public byte[] windowed8(double center, double width) {
        requireGrey();
        return VoiLut.window(center, width).apply(pixels);
    }

    private void requireGrey() {
        if (samplesPerPixel != 1) {
            throw new IllegalArgumentException("a grey plane is needed, this one has " + samplesPerPixel
                    + " samples per pixel");
        }
    }
}
