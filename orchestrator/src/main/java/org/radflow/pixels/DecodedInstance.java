package org.radflow.pixels;

import static org.radflow.pixels.FrameAttributes.FRAME_VOI_LUT;
import static org.radflow.pixels.FrameAttributes.IMAGER_PIXEL_SPACING;
import static org.radflow.pixels.FrameAttributes.PIXEL_MEASURES;
import static org.radflow.pixels.FrameAttributes.PIXEL_SPACING;
import static org.radflow.pixels.FrameAttributes.PIXEL_VALUE_TRANSFORMATION;
import static org.radflow.pixels.FrameAttributes.RESCALE_INTERCEPT;
import static org.radflow.pixels.FrameAttributes.RESCALE_SLOPE;
import static org.radflow.pixels.FrameAttributes.WINDOW_CENTER;
import static org.radflow.pixels.FrameAttributes.WINDOW_WIDTH;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.OtherByteAttributeMultipleFrameArrays;
import com.pixelmed.dicom.OtherWordAttributeMultipleFrameArrays;
import com.pixelmed.dicom.TagFromName;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.radflow.api.ImagePlane;
import org.radflow.api.PixelDataException;
import org.radflow.api.StudyInput.PlaneOptions;
import org.radflow.dicom.Htj2kTranscoder;
import org.radflow.dicom.DcmtkTranscoder;
import org.radflow.dicom.TransferSyntaxes;

/**
 * One file read completely, its pixel data decompressed by PixelMed (which it does while reading), and frames
 * turned into {@link ImagePlane}s: Bits Stored masking, sign, modality LUT, MONOCHROME1 inversion on request,
 * colour planes interleaved.
 */
final class DecodedInstance {

    private static final AttributeTag FLOAT_PIXEL_DATA = new AttributeTag(0x7FE0, 0x0008);
    private static final AttributeTag DOUBLE_FLOAT_PIXEL_DATA = new AttributeTag(0x7FE0, 0x0009);

    private final String sopInstanceUid;
    private final AttributeList list;
    private final PixelFormat format;

    private DecodedInstance(String sopInstanceUid, AttributeList list, PixelFormat format) {
        this.sopInstanceUid = sopInstanceUid;
        this.list = list;
        this.format = format;
    }

    private static int bitsStored(AttributeList header) {
        return Attribute.getSingleIntegerValueOrDefault(header, TagFromName.BitsStored,
                Attribute.getSingleIntegerValueOrDefault(header, TagFromName.BitsAllocated, 16));
    }

    /** Reads the whole file; refuses transfer syntaxes PixelMed cannot decode before touching the pixel data. */
    static DecodedInstance read(Path file, String sopInstanceUid, AttributeList header, InputOpener opener)
            throws PixelDataException {
        String ts = Attribute.getSingleStringValueOrEmptyString(header, TagFromName.TransferSyntaxUID);
        if (!ts.isEmpty()) {
            TransferSyntaxes.checkDecodable(ts, bitsStored(header), sopInstanceUid);
        }
        AttributeList list = new AttributeList();
        Path decoded = null;
        try {
            if (TransferSyntaxes.isJpegLs(ts)) {
                // checkDecodable passed, so DCMTK's dcmdjpls is there: read its Explicit VR Little Endian output
                decoded = DcmtkTranscoder.jpegLs().orElseThrow().decode(file, Path.of(System.getProperty("java.io.tmpdir")));
            } else if (TransferSyntaxes.JPEG_EXTENDED.equals(ts) && bitsStored(header) > 8) {
                // 12-bit JPEG Extended (process 4): no Java decoder; checkDecodable passed, so DCMTK's dcmdjpeg is there
                decoded = DcmtkTranscoder.jpeg().orElseThrow().decode(file, Path.of(System.getProperty("java.io.tmpdir")));
            } else if (TransferSyntaxes.isHtj2k(ts)) {
                // likewise OpenJPEG's opj_decompress, frame by frame, into native pixel data
                decoded = Htj2kTranscoder.installed().orElseThrow().decode(file, Path.of(System.getProperty("java.io.tmpdir")));
            }
            try (com.pixelmed.dicom.DicomInputStream in = new com.pixelmed.dicom.DicomInputStream(decoded == null
                    ? opener.open(file) : new java.io.BufferedInputStream(Files.newInputStream(decoded)))) {
                list.read(in);
            }
            // After decompression the data may be RGB where the header said YBR_FULL_422: make the header say so.
            list.correctDecompressedImagePixelModule();
        } catch (IOException | DicomException | RuntimeException e) {
            throw new PixelDataException("Instance " + sopInstanceUid + ": cannot decode the pixel data of " + file
                    + (ts.isEmpty() ? "" : " (" + TransferSyntaxes.describe(ts) + ")") + ": " + e.getMessage(), e);
        } finally {
            if (decoded != null) {
                try {
                    Files.deleteIfExists(decoded);
                } catch (IOException e) {
                    decoded.toFile().deleteOnExit();
                }
            }
        }
        if (list.getPixelData() == null && list.get(FLOAT_PIXEL_DATA) == null && list.get(DOUBLE_FLOAT_PIXEL_DATA) == null) {
            // PixelMed logs a failed Pixel Data element and carries on without it.
            throw new PixelDataException("Instance " + sopInstanceUid + ": the Pixel Data of " + file
                    + " could not be read (truncated or corrupt file)");
        }
        return new DecodedInstance(sopInstanceUid, list, PixelFormat.of(list, sopInstanceUid));
    }

    ImagePlane plane(int frame, PlaneOptions options) throws PixelDataException {
        PixelFormat f = format;
        if (frame < 0 || frame >= f.frames()) {
            throw new IndexOutOfBoundsException("frame " + frame + " of instance " + sopInstanceUid + " with "
                    + f.frames() + " frame(s)");
        }
        double[] spacing = pixelSpacing(frame);
        double windowCenter = FrameAttributes.first(list, frame, FRAME_VOI_LUT, WINDOW_CENTER, Double.NaN);
        double windowWidth = FrameAttributes.first(list, frame, FRAME_VOI_LUT, WINDOW_WIDTH, Double.NaN);
        if (f.samplesPerPixel() == 3) {
            float[] rgb = colour(storedValues(frame));
            return new ImagePlane(f.rows(), f.columns(), rgb, spacing[0], spacing[1], "RGB", false,
                    windowCenter, windowWidth, 3);
        }
        double slope = FrameAttributes.first(list, frame, PIXEL_VALUE_TRANSFORMATION, RESCALE_SLOPE, 1);
        double intercept = FrameAttributes.first(list, frame, PIXEL_VALUE_TRANSFORMATION, RESCALE_INTERCEPT, 0);
        if (slope == 0 || !Double.isFinite(slope)) {
            slope = 1; // a zero or malformed slope would flatten the image; treat as identity
        }
        if (!Double.isFinite(intercept)) {
            intercept = 0;
        }
        boolean invert = options.invertMonochrome1() && "MONOCHROME1".equals(f.photometric());
        // Inversion mirrors values within the range the stored bits can hold, after the modality LUT.
        double mirror = invert ? slope * (f.minStored() + f.maxStored()) + 2 * intercept : 0;
        float[] pixels = greyValues(frame, slope, intercept, invert, mirror);
        if (invert) {
            windowCenter = mirror - windowCenter;
        }
        return new ImagePlane(f.rows(), f.columns(), pixels, spacing[0], spacing[1], f.photometric(), invert,
                windowCenter, windowWidth, 1);
    }

    /** Row then column spacing: Pixel Spacing (or the Pixel Measures macro), else Imager Pixel Spacing, else NaN. */
    private double[] pixelSpacing(int frame) {
        double[] ps = FrameAttributes.doubles(list, frame, PIXEL_MEASURES, PIXEL_SPACING);
        if (ps == null) {
            ps = FrameAttributes.doubles(list, frame, PIXEL_MEASURES, IMAGER_PIXEL_SPACING);
        }
        if (ps == null) {
            return new double[] {Double.NaN, Double.NaN};
        }
        double row = ps[0] > 0 ? ps[0] : Double.NaN;
        double column = ps.length > 1 ? (ps[1] > 0 ? ps[1] : Double.NaN) : row;
        return new double[] {row, column};
    }

    /**
     * A grey frame's values after the modality LUT (and the inversion, when asked), in one pass over the samples as
     * PixelMed holds them: each stored value (masked to Bits Stored, sign-extended) goes through a table of the
     * float each possible stored value becomes, built once per frame, when the frame has more samples than the
     * table has entries (12-16-bit images: 4,096-65,536 entries against millions of samples); smaller frames compute
     * each sample. Either way every value is {@code (float) (invert ? mirror - (s * slope + intercept) : s * slope +
     * intercept)} in double arithmetic, as before the table existed.
     */
    private float[] greyValues(int frame, double slope, double intercept, boolean invert, double mirror)
            throws PixelDataException {
        PixelFormat f = format;
        int count = f.rows() * f.columns();
        int shift = f.highBit() + 1 - f.bitsStored();
        int bits = f.bitsStored();
        int mask = bits >= 32 ? -1 : (1 << bits) - 1;
        int signBit = 1 << (bits - 1);
        boolean signed = f.signed();
        float[] out = new float[count];
        Samples samples = samples(frame, count);
        boolean table = bits <= 16 && count >= (1 << bits);
        float[] lut = null;
        if (table) {
            lut = new float[1 << bits];
            for (int v = 0; v < lut.length; ) {
                int s = signed && (v & signBit) != 0 ? v | ~mask : v;
                double m = s * slope + intercept;
                lut[v] = (float) (invert ? mirror - m : m);
                v++;
            }
        }
        int b = samples.base;
        if (samples.words != null) {
            short[] data = samples.words;
            if (table) {
                for (int i = 0; i < count; i++) {
                    out[i] = lut[((data[b + i] & 0xFFFF) >>> shift) & mask];
                }
            } else {
                for (int i = 0; i < count; i++) {
                    int v = ((data[b + i] & 0xFFFF) >>> shift) & mask;
                    double m = (signed && (v & signBit) != 0 ? v | ~mask : v) * slope + intercept;
                    out[i] = (float) (invert ? mirror - m : m);
                }
            }
        } else if (samples.littleEndianBytes) {
            // 16-bit samples PixelMed kept as bytes: read them as little-endian shorts through a buffer view
            java.nio.ShortBuffer data = java.nio.ByteBuffer.wrap(samples.bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                    .asShortBuffer();
            for (int i = 0; i < count; i++) {
                int v = ((data.get(b + i) & 0xFFFF) >>> shift) & mask;
                if (table) {
                    out[i] = lut[v];
                } else {
                    double m = (signed && (v & signBit) != 0 ? v | ~mask : v) * slope + intercept;
                    out[i] = (float) (invert ? mirror - m : m);
                }
            }
        } else {
            byte[] data = samples.bytes;
            for (int i = 0; i < count; i++) {
                int v = ((data[b + i] & 0xFF) >>> shift) & mask;
                if (table) {
                    out[i] = lut[v];
                } else {
                    double m = (signed && (v & signBit) != 0 ? v | ~mask : v) * slope + intercept;
                    out[i] = (float) (invert ? mirror - m : m);
                }
            }
        }
        return out;
    }

    /**
     * Where a frame's samples are, without copying them: PixelMed's short array (16 bit, OW), its byte array holding
     * 16-bit little-endian samples (OB or a per-frame byte array), or its byte array of 8-bit samples; base is the
     * frame's first sample.
     */
    private record Samples(short[] words, byte[] bytes, boolean littleEndianBytes, int base) {
    }

    private Samples samples(int frame, int count) throws PixelDataException {
        PixelFormat f = format;
        Attribute pd = pixelData();
        try {
            if (f.bitsAllocated() == 16) {
                if (pd instanceof OtherWordAttributeMultipleFrameArrays m) {
                    short[] data = m.getShortValuesPerFrame()[frame];
                    checkLength(data == null ? 0 : data.length, 0, count);
                    return new Samples(data, null, false, 0);
                } else if (pd instanceof OtherByteAttributeMultipleFrameArrays m) {
                    byte[] data = m.getByteValuesPerFrame()[frame];
                    checkLength(data == null ? 0 : data.length / 2, 0, count);
                    return new Samples(null, data, true, 0);
                } else if ("OW".equals(new String(pd.getVR()))) {
                    short[] data = pd.getShortValues();
                    long base = (long) frame * count;
                    checkLength(data == null ? 0 : data.length, base, count);
                    return new Samples(data, null, false, (int) base);
                } else {
                    byte[] data = pd.getByteValues();
                    long base = (long) frame * count;
                    checkLength(data == null ? 0 : data.length / 2, base, count);
                    return new Samples(null, data, true, (int) base);
                }
            }
            byte[] data;
            long base;
            if (pd instanceof OtherByteAttributeMultipleFrameArrays m) {
                data = m.getByteValuesPerFrame()[frame];
                base = 0;
            } else {
                data = pd.getByteValues();
                base = (long) frame * count;
            }
            checkLength(data == null ? 0 : data.length, base, count);
            return new Samples(null, data, false, (int) base);
        } catch (DicomException e) {
            throw new PixelDataException("Instance " + sopInstanceUid + ": cannot read Pixel Data: " + e.getMessage(), e);
        }
    }

    private Attribute pixelData() throws PixelDataException {
        Attribute pd = list.getPixelData();
        if (pd == null) {
            if (list.get(FLOAT_PIXEL_DATA) != null || list.get(DOUBLE_FLOAT_PIXEL_DATA) != null) {
                throw new PixelDataException("Instance " + sopInstanceUid + ": Float Pixel Data is not supported");
            }
            throw new PixelDataException("Instance " + sopInstanceUid + " has no Pixel Data");
        }
        return pd;
    }

    /** The frame's samples as stored, masked to Bits Stored and sign-extended, in the file's sample order. */
    private int[] storedValues(int frame) throws PixelDataException {
        PixelFormat f = format;
        int count = f.rows() * f.columns() * f.samplesPerPixel();
        Attribute pd = list.getPixelData();
        if (pd == null) {
            if (list.get(FLOAT_PIXEL_DATA) != null || list.get(DOUBLE_FLOAT_PIXEL_DATA) != null) {
                throw new PixelDataException("Instance " + sopInstanceUid + ": Float Pixel Data is not supported");
            }
            throw new PixelDataException("Instance " + sopInstanceUid + " has no Pixel Data");
        }
        int[] out = new int[count];
        int shift = f.highBit() + 1 - f.bitsStored();
        int mask = f.bitsStored() == 32 ? -1 : (1 << f.bitsStored()) - 1;
        int signBit = 1 << (f.bitsStored() - 1);
        boolean signed = f.signed();
        try {
            if (f.bitsAllocated() == 16) {
                short[] data;
                long base;
                if (pd instanceof OtherWordAttributeMultipleFrameArrays m) {
                    data = m.getShortValuesPerFrame()[frame];
                    base = 0;
                } else if (pd instanceof OtherByteAttributeMultipleFrameArrays m) {
                    data = littleEndianShorts(m.getByteValuesPerFrame()[frame]);
                    base = 0;
                } else if ("OW".equals(new String(pd.getVR()))) {
                    data = pd.getShortValues();
                    base = (long) frame * count;
                } else {
                    data = littleEndianShorts(pd.getByteValues());
                    base = (long) frame * count;
                }
                checkLength(data == null ? 0 : data.length, base, count);
                int b = (int) base;
                for (int i = 0; i < count; i++) {
                    int v = ((data[b + i] & 0xFFFF) >>> shift) & mask;
                    out[i] = signed && (v & signBit) != 0 ? v | ~mask : v;
                }
            } else {
                byte[] data;
                long base;
                if (pd instanceof OtherByteAttributeMultipleFrameArrays m) {
                    data = m.getByteValuesPerFrame()[frame];
                    base = 0;
                } else {
                    data = pd.getByteValues();
                    base = (long) frame * count;
                }
                checkLength(data == null ? 0 : data.length, base, count);
                int b = (int) base;
                for (int i = 0; i < count; i++) {
                    int v = ((data[b + i] & 0xFF) >>> shift) & mask;
                    out[i] = signed && (v & signBit) != 0 ? v | ~mask : v;
                }
            }
        } catch (DicomException e) {
            throw new PixelDataException("Instance " + sopInstanceUid + ": cannot read Pixel Data: " + e.getMessage(), e);
        }
        return out;
    }

    private void checkLength(int available, long base, int count) throws PixelDataException {
        if (base + count > available) {
            PixelFormat f = format;
            throw new PixelDataException("Instance " + sopInstanceUid + ": Pixel Data holds " + available
                    + " samples, fewer than Rows x Columns x Samples per Pixel x Frames = " + f.rows() + " x "
                    + f.columns() + " x " + f.samplesPerPixel() + " x " + f.frames());
        }
    }

    private static short[] littleEndianShorts(byte[] b) {
        if (b == null) {
            return null;
        }
        short[] s = new short[b.length / 2];
        for (int i = 0; i < s.length; i++) {
            s[i] = (short) ((b[2 * i] & 0xFF) | (b[2 * i + 1] & 0xFF) << 8);
        }
        return s;
    }

    /** Interleaved RGB from RGB or YBR_FULL samples in either planar configuration. */
    private float[] colour(int[] stored) {
        PixelFormat f = format;
        int n = f.rows() * f.columns();
        float[] out = new float[n * 3];
        boolean planar = f.planarConfiguration() == 1;
        boolean ybr = "YBR_FULL".equals(f.photometric());
        double max = f.maxStored();
        double half = (max + 1) / 2;
        for (int p = 0; p < n; p++) {
            int a = planar ? stored[p] : stored[3 * p];
            int b = planar ? stored[n + p] : stored[3 * p + 1];
            int c = planar ? stored[2 * n + p] : stored[3 * p + 2];
            if (ybr) { // PS3.3 C.7.6.3.1.2, inverted
                double y = a;
                double cb = b - half;
                double cr = c - half;
                out[3 * p] = (float) clamp(Math.round(y + 1.402 * cr), max);
                out[3 * p + 1] = (float) clamp(Math.round(y - 0.344136 * cb - 0.714136 * cr), max);
                out[3 * p + 2] = (float) clamp(Math.round(y + 1.772 * cb), max);
            } else {
                out[3 * p] = a;
                out[3 * p + 1] = b;
                out[3 * p + 2] = c;
            }
        }
        return out;
    }

    private static double clamp(double v, double max) {
        return Math.max(0, Math.min(max, v));
    }
}
