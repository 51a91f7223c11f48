package org.radflow.covidnet;

import org.radflow.api.ImagePlane;
import org.radflow.api.VoiLut;

/**
 * COVID-Net's image preparation ({@code process_image_file} in the COVID-Net repository's {@code data.py}),
 * step by step, in plain Java:
 * <ol>
 *   <li>{@link #toEightBit}: the radiograph as 8-bit grey, as the training PNGs were;</li>
 *   <li>{@link #cropTop}: drop the top {@code int(rows * 0.08)} rows ({@code crop_top}, often burnt-in labels);</li>
 *   <li>{@link #centralCrop}: the centred square of side min(rows, columns) ({@code central_crop});</li>
 *   <li>{@link #resizeBilinear}: to 480 x 480 like {@code cv2.resize(..., INTER_LINEAR)};</li>
 *   <li>{@link #toNhwc}: float32 / 255, three identical channels, shape [1, 480, 480, 3].</li>
 * </ol>
 * The released models were trained on {@code cv2.imread} images, so their channel order is BGR; the three
 * channels here are identical copies of the grey image, which makes the order moot.
 */
public final class CovidNetPreprocessing {

    /** The side of the model's square input. */
    public static final int INPUT_SIZE = 480;
    /** COVID-Net's {@code top_percent}. */
    public static final double TOP_CROP_FRACTION = 0.08;

    private CovidNetPreprocessing() {
    }

    /** A grey image in 0..255, read pixel by pixel. */
    public interface Grey {
        int rows();

        int columns();

        int at(int row, int column);
    }

    /**
     * The 8-bit view of a plane computed only where it is read: the same levels as {@link #toEightBit} (each pixel
     * through the plane's {@link VoiLut}, a table built once), but the 480 x 480 resize and the key image read about a
     * million pixels of a 5-megapixel radiograph, so the other four million are never converted.
     */
    public static final class LazyEightBit implements Grey {
        private final int rows;
        private final int columns;
        private final float[] values;
        private final VoiLut lut;

        LazyEightBit(int rows, int columns, float[] values, VoiLut lut) {
            this.rows = rows;
            this.columns = columns;
            this.values = values;
            this.lut = lut;
        }

        @Override
        public int rows() {
            return rows;
        }

        @Override
        public int columns() {
            return columns;
        }

        float[] values() {
            return values;
        }

        VoiLut lut() {
            return lut;
        }

        @Override
        public int at(int row, int column) {
            return lut.level(values[row * columns + column]);
        }
    }

    /** An 8-bit grey image: {@code pixels[row * columns + column]} in 0..255. */
    public record EightBit(int rows, int columns, int[] pixels) implements Grey {
        public EightBit {
            if (rows < 1 || columns < 1 || pixels.length != rows * columns) {
                throw new IllegalArgumentException("pixels do not match " + rows + " x " + columns);
            }
        }

        public int at(int row, int column) {
            return pixels[row * columns + column];
        }
    }

    /** A rectangle in source pixel coordinates: top-left corner (x = column, y = row), width and height. */
    public record Rect(int x, int y, int width, int height) {
        public Rect {
            if (x < 0 || y < 0 || width < 1 || height < 1) {
                throw new IllegalArgumentException("empty or negative rectangle " + x + "," + y + " " + width + "x" + height);
            }
        }
    }

    /**
     * The model input and what it came from.
     *
     * @param nhwc      [1, 480, 480, 3] row-major, values 0..1
     * @param eightBit  the whole radiograph in 8 bits (for the key image)
     * @param crop      the region of the source that was resized into the input
     */
    public record Prepared(float[] nhwc, Grey eightBit, Rect crop) {
        public long[] shape() {
            return new long[] {1, INPUT_SIZE, INPUT_SIZE, 3};
        }
    }

    /**
     * All steps. MONOCHROME1 is not handled here: ask the platform for
     * {@code PlaneOptions.BRIGHTER_IS_HIGHER} planes, which are inverted with their window already mirrored,
     * so that bone is white as in COVID-Net's training images.
     */
    public static Prepared prepare(ImagePlane plane) {
        Grey grey = lazyEightBit(plane);
        Rect crop = centralCrop(cropTop(grey.rows(), grey.columns()));
        float[] resized = resizeBilinear(grey, crop, INPUT_SIZE, INPUT_SIZE);
        return new Prepared(toNhwc(resized), grey, crop);
    }

    /** The plane's first window when it has one, else its own minimum to maximum, for every pixel. */
    public static EightBit toEightBit(ImagePlane plane) {
        LazyEightBit l = (LazyEightBit) lazyEightBit(plane);
        return new EightBit(l.rows(), l.columns(), levels(l.values(), l.lut()));
    }

    /**
     * {@link #toEightBit}'s levels, computed where read (see {@link LazyEightBit}): the plane's own display function,
     * {@link ImagePlane#voiLut()} (module API 0.6).
     */
    public static Grey lazyEightBit(ImagePlane plane) {
        if (plane.samplesPerPixel() != 1) {
            throw new IllegalArgumentException("a grey image is needed, this one has " + plane.samplesPerPixel()
                    + " samples per pixel");
        }
        return new LazyEightBit(plane.rows(), plane.columns(), plane.pixels(), plane.voiLut());
    }

    /**
     * The linear VOI function of DICOM PS3.3 C.11.2.1.2.1 onto 0..255, rounded to the nearest level:
     * {@code x <= c - 0.5 - (w-1)/2 -> 0}, {@code x > c - 0.5 + (w-1)/2 -> 255}, else
     * {@code ((x - (c - 0.5)) / (w - 1) + 0.5) * 255} ({@link VoiLut#window}).
     */
    public static EightBit window(float[] values, int rows, int columns, double center, double width) {
        return new EightBit(rows, columns, levels(values, VoiLut.window(center, width)));
    }

    /** {@code (x - min) / (max - min) * 255}, rounded; a constant image is all 0 ({@link VoiLut#minMax}). */
    public static EightBit minMax(float[] values, int rows, int columns) {
        return new EightBit(rows, columns, levels(values, VoiLut.minMax(values)));
    }

    /** {@code lut} applied to every value. */
    static int[] levels(float[] values, VoiLut lut) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = lut.level(values[i]);
        }
        return out;
    }

    /** How many top rows COVID-Net drops: Python's {@code int(rows * 0.08)}, same double arithmetic. */
    public static int topRowsRemoved(int rows) {
        return (int) (rows * TOP_CROP_FRACTION);
    }

    /** The image without its top {@link #topRowsRemoved} rows. */
    public static Rect cropTop(int rows, int columns) {
        int offset = topRowsRemoved(rows);
        return new Rect(0, offset, columns, rows - offset);
    }

    /** The centred square of side min(width, height) of {@code r}; offsets rounded down as Python's {@code int()}. */
    public static Rect centralCrop(Rect r) {
        int size = Math.min(r.width(), r.height());
        return new Rect(r.x() + (r.width() - size) / 2, r.y() + (r.height() - size) / 2, size, size);
    }

    /**
     * Bilinear resize of {@code region} of {@code image} to {@code outWidth x outHeight}, with OpenCV's
     * {@code INTER_LINEAR} convention: pixel centres at half-integers, {@code src = (dst + 0.5) * scale - 0.5},
     * clamped to the region's edges. Results are rounded to whole levels 0..255 like cv2's uint8 output (cv2
     * uses 11-bit fixed-point weights, so a value may rarely differ by one level).
     *
     * @return {@code out[row * outWidth + column]}, whole numbers 0..255
     */
    public static float[] resizeBilinear(Grey image, Rect region, int outWidth, int outHeight) {
        if (region.x() + region.width() > image.columns() || region.y() + region.height() > image.rows()) {
            throw new IllegalArgumentException("region " + region + " exceeds the " + image.columns() + " x "
                    + image.rows() + " image");
        }
        int[] x0 = new int[outWidth];
        int[] x1 = new int[outWidth];
        double[] fx = new double[outWidth];
        axis(region.x(), region.width(), outWidth, x0, x1, fx);
        int[] y0 = new int[outHeight];
        int[] y1 = new int[outHeight];
        double[] fy = new double[outHeight];
        axis(region.y(), region.height(), outHeight, y0, y1, fy);
        float[] out = new float[outWidth * outHeight];
        for (int r = 0; r < outHeight; r++) {
            for (int c = 0; c < outWidth; c++) {
                double top = image.at(y0[r], x0[c]) * (1 - fx[c]) + image.at(y0[r], x1[c]) * fx[c];
                double bottom = image.at(y1[r], x0[c]) * (1 - fx[c]) + image.at(y1[r], x1[c]) * fx[c];
                out[r * outWidth + c] = clip((int) Math.round(top * (1 - fy[r]) + bottom * fy[r]));
            }
        }
        return out;
    }

    /** Source indices and weights along one axis, as cv2 computes them. */
    private static void axis(int start, int srcSize, int dstSize, int[] i0, int[] i1, double[] frac) {
        double scale = (double) srcSize / dstSize;
        for (int d = 0; d < dstSize; d++) {
            double s = (d + 0.5) * scale - 0.5;
            int lo = (int) Math.floor(s);
            double f = s - lo;
            if (lo < 0) {
                lo = 0;
                f = 0;
            }
            if (lo >= srcSize - 1) {
                lo = srcSize - 1;
                f = 0;
            }
            i0[d] = start + lo;
            i1[d] = start + Math.min(lo + 1, srcSize - 1);
            frac[d] = f;
        }
    }

    /**
     * A square grey image (0..255, {@code size x size}) as an NHWC tensor [1, size, size, 3] divided by 255,
     * the three channels identical (so BGR or RGB order does not matter).
     */
    public static float[] toNhwc(float[] grey) {
        float[] out = new float[grey.length * 3];
        for (int i = 0; i < grey.length; i++) {
            float v = grey[i] / 255f;
            out[3 * i] = v;
            out[3 * i + 1] = v;
            out[3 * i + 2] = v;
        }
        return out;
    }

    private static int clip(int v) {
        return Math.max(0, Math.min(255, v));
    }
}
