package org.radflow.api;

/**
 * A picture for the visual report, drawn by the module (e.g. the input with an overlay):
 * {@code rgb[row * width + column]} as 0xRRGGBB.
 */
public record KeyImage(String caption, int width, int height, int[] rgb, String sourceSopInstanceUid) {

    public KeyImage {
        if (width < 1 || height < 1 || rgb == null || rgb.length != width * height) {
            throw new IllegalArgumentException("key image pixels do not match " + width + " x " + height);
        }
        caption = caption == null ? "" : caption;
    }
}
