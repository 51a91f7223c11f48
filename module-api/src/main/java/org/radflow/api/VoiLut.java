package org.radflow.api;

/**
 * A grey value to 8-bit display level function (0..255), built once into a lookup table so that converting a plane
 * costs a table read per pixel instead of a division and a {@code Math.round}. Two functions:
 * <ul>
 *   <li>{@link #window}: the linear VOI function of DICOM PS3.3 C.11.2.1.2.1 onto 0..255, rounded to the nearest
 *       level: {@code x <= c - 0.5 - (w-1)/2 -> 0}, {@code x > c - 0.5 + (w-1)/2 -> 255}, else
 *       {@code round(((x - (c - 0.5)) / (w - 1) + 0.5) * 255)};</li>
 *   <li>{@link #range}: {@code round((x - min) / (max - min) * 255)}, clipped to 0..255; all 0 when
 *       {@code max <= min}.</li>
 * </ul>
 * The table holds the level of every whole number over the function's sloping part (at most {@link #MAX_TABLE}
 * entries; whole numbers below it are 0 and above it 255); a fractional value, or a function whose slope spans more
 * whole numbers than that, is computed exactly. Either way {@link #level} is the function above, so a module gets
 * the same levels as computing them itself. Immutable and safe to share between threads.
 *
 * @since module API 0.6
 */
public final class VoiLut {

    /** The widest table built: 2^20 whole numbers (1 MB). */
    public static final int MAX_TABLE = 1 << 20;

    private final boolean window;
    private final double a;
    private final double b;
    /** First whole number in the table; below it the level is 0. */
    private final int first;
    /** Last whole number in the table; above it the level is 255. */
    private final int last;
    private final byte[] table;

    /**
     * @param f a whole number at or below which every level is 0
     * @param l a whole number at or above which every level is 255
     */
    private VoiLut(boolean window, double a, double b, double f, double l) {
        this.window = window;
        this.a = a;
        this.b = b;
        if (Double.isFinite(f) && Double.isFinite(l) && l - f + 1 <= MAX_TABLE
                && f >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) {
            first = (int) f;
            last = (int) l;
            table = new byte[last - first + 1];
            for (int i = 0; i < table.length; i++) {
                table[i] = (byte) exact(first + i);
            }
        } else {
            first = 0;
            last = -1;
            table = null;
        }
    }

    /**
     * The linear VOI window (PS3.3 C.11.2.1.2.1) of this centre and width onto 0..255.
     *
     * @throws IllegalArgumentException when the width is under 1 (or NaN), as the standard requires it to be at least 1
     */
    public static VoiLut window(double center, double width) {
        if (!(width >= 1)) {
            throw new IllegalArgumentException("window width must be at least 1, was " + width);
        }
        // 0 up to low = c - 0.5 - (w-1)/2, 255 above high = c - 0.5 + (w-1)/2
        return new VoiLut(true, center, width, Math.floor(center - 0.5 - (width - 1) / 2),
                Math.floor(center - 0.5 + (width - 1) / 2) + 1);
    }

    /** {@code min} to {@code max} onto 0..255 (a constant function 0 when {@code max <= min} or either is not finite). */
    public static VoiLut range(double min, double max) {
        if (!(max > min) || !Double.isFinite(min) || !Double.isFinite(max)) {
            return new VoiLut(false, 0, 0, Double.NaN, Double.NaN);
        }
        // (x - min) / (max - min) * 255 is at most 0 up to min and at least 255 from max on
        return new VoiLut(false, min, max - min, Math.floor(min), Math.ceil(max));
    }

    /** The minimum to maximum of these values onto 0..255 (NaN values ignored; all 0 when they are constant). */
    public static VoiLut minMax(float[] values) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (float v : values) {
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
        }
        return range(min, max);
    }

    /** The display level, 0..255, of one value. */
    public int level(float value) {
        int i = (int) value;
        if (i == value && table != null) {
            if (i <= first) {
                return 0;
            }
            if (i >= last) {
                return 255;
            }
            return table[i - first] & 0xFF;
        }
        return exact(value);
    }

    /** {@link #level} of every value, as unsigned bytes. */
    public byte[] apply(float[] values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) level(values[i]);
        }
        return out;
    }

    /** The function itself, without the table. */
    int exact(double x) {
        if (window) {
            double center = a;
            double width = b;
            if (x <= center - 0.5 - (width - 1) / 2) {
                return 0;
            }
            if (x > center - 0.5 + (width - 1) / 2) {
                return 255;
            }
            // width 1 never gets here: both bounds are equal
            return clip((int) Math.round(((x - (center - 0.5)) / (width - 1) + 0.5) * 255));
        }
        if (b == 0) {
            return 0;
        }
        return clip((int) Math.round((x - a) / b * 255));
    }

    private static int clip(int v) {
        return Math.max(0, Math.min(255, v));
    }

    @Override
    public String toString() {
        return window ? "VoiLut[window centre " + a + " width " + b + "]" : "VoiLut[range " + a + " + " + b + "]";
    }
}
