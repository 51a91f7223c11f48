package org.radflow.pixels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.TagFromName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.ImagePlane;
import org.radflow.api.PixelDataException;
import org.radflow.api.StudyInput.InstanceInput;
import org.radflow.api.StudyInput.PlaneOptions;
import org.radflow.dicom.TransferSyntaxes;
import org.radflow.pixels.TestFiles.Spec;
import org.radflow.testdata.ChestOptions;
import org.radflow.testdata.CtOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.Synth;

class PlaneDecodingTest {

    @TempDir
    Path dir;

    private static InstanceInput only(GeneratedSeries g) throws Exception {
        return only(g.studyInstanceUid(), g.files().get(0));
    }

    private static InstanceInput only(String study, Path file) throws Exception {
        SpoolStudyInput in = SpoolStudyInput.of(study, List.of(file));
        return in.series().get(0).instances().get(0);
    }

    private static InstanceInput onlyOwnStudy(Path file) throws Exception {
        AttributeList l = new AttributeList();
        l.read(file.toString(), TagFromName.PixelData);
        return only(com.pixelmed.dicom.Attribute.getSingleStringValueOrEmptyString(l, TagFromName.StudyInstanceUID), file);
    }

    private static InstanceInput only(Path file) throws Exception {
        return only(TestFiles.STUDY_UID, file);
    }

    // ------------------------------------------------------------------ CT: signed 16 bit, rescale to HU

    @Test
    void ctValuesAreHounsfieldUnits() throws Exception {
        GeneratedSeries ct = Synth.ctSeries(dir, CtOptions.defaults().withCount(1));
        ImagePlane p = only(ct).plane();
        assertEquals(512, p.rows());
        assertEquals(512, p.columns());
        assertEquals(0.703125, p.rowSpacingMm(), 1e-9);
        assertEquals(0.703125, p.columnSpacingMm(), 1e-9);
        assertEquals("MONOCHROME2", p.photometric());
        assertEquals(40, p.windowCenter(), 1e-9);
        assertEquals(400, p.windowWidth(), 1e-9);

        // Exactly the stored value + Rescale Intercept (-1024), slope 1, as PixelMed reads the raw samples.
        short[] raw = TestFiles.read(ct.files().get(0)).getPixelData().getShortValues();
        for (int[] rc : new int[][] {{0, 0}, {256, 256}, {100, 300}, {400, 50}, {511, 511}}) {
            int i = rc[0] * 512 + rc[1];
            assertEquals(raw[i] - 1024, p.at(rc[0], rc[1]), 0, "pixel " + rc[0] + "," + rc[1]);
        }
        // The phantom: air in the corner (-1000 HU), soft tissue in the middle (40 HU), noise sd 12 HU.
        assertEquals(-1000, mean(p, 0, 0, 8), 8);
        assertEquals(40, mean(p, 252, 252, 8), 8);
    }

    private static double mean(ImagePlane p, int row, int col, int size) {
        double sum = 0;
        for (int r = row; r < row + size; r++) {
            for (int c = col; c < col + size; c++) {
                sum += p.at(r, c);
            }
        }
        return sum / (size * size);
    }

    // ------------------------------------------------------------------ DX/CR: MONOCHROME1, spacing, window

    @Test
    void monochrome1IsFlaggedAndInvertedOnRequest() throws Exception {
        ChestOptions o = ChestOptions.defaults().withSize(256, 200);
        InstanceInput m2 = only(Synth.chestRadiograph(dir.resolve("m2"), o));
        InstanceInput m1 = only(Synth.chestRadiograph(dir.resolve("m1"),
                o.withPhotometric(ChestOptions.Photometric.MONOCHROME1)));

        ImagePlane ref = m2.plane();
        ImagePlane raw = m1.plane(0, PlaneOptions.DEFAULT);
        ImagePlane inverted = m1.plane(0, PlaneOptions.BRIGHTER_IS_HIGHER);

        assertEquals("MONOCHROME2", ref.photometric());
        assertFalse(ref.inverted());
        assertEquals("MONOCHROME1", raw.photometric());
        assertFalse(raw.inverted());
        assertEquals("MONOCHROME1", inverted.photometric());
        assertTrue(inverted.inverted());

        // 12 bits stored: MONOCHROME1 holds 4095 - value; inverting mirrors within [0, 4095] and gives it back.
        for (int i = 0; i < ref.pixels().length; i++) {
            assertEquals(4095, raw.pixels()[i] + ref.pixels()[i], 0, "pixel " + i);
        }
        assertArrayEquals(ref.pixels(), inverted.pixels());
        assertTrue(ref.hasWindow());
        assertEquals(ref.windowCenter(), inverted.windowCenter(), 1e-6);
        assertEquals(4095 - ref.windowCenter(), raw.windowCenter(), 1e-6);
        assertEquals(ref.windowWidth(), inverted.windowWidth(), 1e-6);

        // MONOCHROME2 is never inverted; DX spacing comes from Imager Pixel Spacing.
        ImagePlane m2Brighter = m2.plane(0, PlaneOptions.BRIGHTER_IS_HIGHER);
        assertFalse(m2Brighter.inverted());
        assertArrayEquals(ref.pixels(), m2Brighter.pixels());
        assertEquals(0.35, ref.rowSpacingMm(), 1e-9);
        assertEquals(0.35, ref.columnSpacingMm(), 1e-9);
        assertEquals(256, ref.rows());
        assertEquals(200, ref.columns());
    }

    @Test
    void crUsesPixelSpacingAndAbsentWindowIsNaN() throws Exception {
        ChestOptions o = ChestOptions.defaults().withSize(128, 128).withModality(ChestOptions.Modality.CR)
                .withPixelSpacingMm(0.2).withWindow(false);
        ImagePlane p = only(Synth.chestRadiograph(dir, o)).plane();
        assertEquals(0.2, p.rowSpacingMm(), 1e-9);
        assertEquals(0.2, p.columnSpacingMm(), 1e-9);
        assertTrue(Double.isNaN(p.windowCenter()));
        assertFalse(p.hasWindow());
    }

    @Test
    void noSpacingGivesNaN() throws Exception {
        Path f = TestFiles.image(dir.resolve("a.dcm"), "2.25.11", Spec.grey8(4, 4, 1), new int[16], null);
        ImagePlane p = only(f).plane();
        assertTrue(Double.isNaN(p.rowSpacingMm()) && Double.isNaN(p.columnSpacingMm()));
    }

    // ------------------------------------------------------------------ bit depths, sign, masking, LUT

    @Test
    void bitsStoredIsMaskedAndSignExtendedBeforeRescale() throws Exception {
        // Signed 12 bits in 16, garbage in the top 4 bits (overlay bits in old files).
        int[] values = {-2048, -1, 0, 1, 2047, -1000};
        int[] words = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            words[i] = (0xA << 12) | (values[i] & 0xFFF);
        }
        AttributeList lut = new AttributeList();
        TestFiles.put(lut, TagFromName.RescaleSlope, "2");
        TestFiles.put(lut, TagFromName.RescaleIntercept, "-10");
        TestFiles.put(lut, TagFromName.WindowCenter, "100", "50");
        TestFiles.put(lut, TagFromName.WindowWidth, "400", "200");
        Path f = TestFiles.image(dir.resolve("s12.dcm"), "2.25.12", Spec.grey16(2, 3, 12, 11, true), words, lut);
        ImagePlane p = only(f).plane();
        for (int i = 0; i < values.length; i++) {
            assertEquals(values[i] * 2 - 10, p.pixels()[i], 0, "sample " + i);
        }
        assertEquals(100, p.windowCenter(), 0);
        assertEquals(400, p.windowWidth(), 0);

        // The same as MONOCHROME1, inverted: mirror within the stored range after the LUT,
        // (2 * -2048 - 10) + (2 * 2047 - 10) = -22; the window centre mirrors too.
        Path m1 = TestFiles.image(dir.resolve("s12m1.dcm"), "2.25.13",
                Spec.grey16(2, 3, 12, 11, true).withPhotometric("MONOCHROME1"), words, lut);
        ImagePlane inv = only(m1).plane(0, PlaneOptions.BRIGHTER_IS_HIGHER);
        for (int i = 0; i < values.length; i++) {
            assertEquals(-22 - (values[i] * 2 - 10), inv.pixels()[i], 0, "sample " + i);
        }
        assertEquals(-22 - 100, inv.windowCenter(), 0);
        assertEquals(400, inv.windowWidth(), 0);
    }

    /**
     * Frames with more samples than stored values possible go through a table of the modality LUT (and inversion)
     * built once; each value must be what the per-sample arithmetic gives: {@code (float) (s * slope + intercept)},
     * mirrored for MONOCHROME1 on request, for signed 12 bits with garbage above High Bit, unsigned 16 bits and 8 bits.
     */
    @Test
    void largeFramesGiveTheSameValuesAsPerSampleArithmetic() throws Exception {
        java.util.Random random = new java.util.Random(16);
        AttributeList lut = new AttributeList();
        TestFiles.put(lut, TagFromName.RescaleSlope, "0.37");
        TestFiles.put(lut, TagFromName.RescaleIntercept, "-1024.5");
        record Case(Spec spec, String uid) {
        }
        for (Case c : List.of(new Case(Spec.grey16(128, 64, 12, 11, true), "2.25.160"),
                new Case(Spec.grey16(128, 64, 12, 11, true).withPhotometric("MONOCHROME1"), "2.25.161"),
                new Case(Spec.grey16(256, 257, 16, 15, false).withPhotometric("MONOCHROME1"), "2.25.162"),
                new Case(Spec.grey16(256, 256, 16, 15, true), "2.25.163"),
                new Case(Spec.grey8(40, 30, 1).withPhotometric("MONOCHROME1"), "2.25.164"))) {
            Spec spec = c.spec();
            int n = spec.rows() * spec.columns();
            int[] words = new int[n];
            for (int i = 0; i < n; i++) {
                words[i] = random.nextInt(1 << spec.bitsAllocated());
            }
            Path f = TestFiles.image(dir.resolve(c.uid() + ".dcm"), c.uid(), spec, words, lut);
            boolean m1 = "MONOCHROME1".equals(spec.photometric());
            ImagePlane p = only(f).plane(0, PlaneOptions.BRIGHTER_IS_HIGHER);
            int bits = spec.bitsStored();
            int mask = (1 << bits) - 1;
            int min = spec.signed() ? -(1 << (bits - 1)) : 0;
            int max = spec.signed() ? (1 << (bits - 1)) - 1 : mask;
            double mirror = 0.37 * (min + max) + 2 * -1024.5;
            for (int i = 0; i < n; i++) {
                int v = words[i] & mask;
                int stored = spec.signed() && (v & (1 << (bits - 1))) != 0 ? v | ~mask : v;
                double m = stored * 0.37 + -1024.5;
                assertEquals((float) (m1 ? mirror - m : m), p.pixels()[i], 0, c.uid() + " sample " + i);
            }
        }
    }

    @Test
    void unsignedSixteenBitsAndHighBitAboveBitsStored() throws Exception {
        int[] words = {0, 65535, 40000, 12345};
        ImagePlane p = only(TestFiles.image(dir.resolve("u16.dcm"), "2.25.14", Spec.grey16(2, 2, 16, 15, false),
                words, null)).plane();
        assertArrayEquals(new float[] {0, 65535, 40000, 12345}, p.pixels());

        // 10 bits stored in bits 6..15 (High Bit 15): the value is the word shifted down by 6.
        int[] shifted = {0, 1023 << 6, 512 << 6 | 0x3F, 7 << 6};
        ImagePlane q = only(TestFiles.image(dir.resolve("hb.dcm"), "2.25.15", Spec.grey16(2, 2, 10, 15, false),
                shifted, null)).plane();
        assertArrayEquals(new float[] {0, 1023, 512, 7}, q.pixels());
    }

    @Test
    void eightBitGreyAndMultiFrame() throws Exception {
        int rows = 16;
        int cols = 20;
        int frames = 3;
        int[] samples = new int[rows * cols * frames];
        for (int f = 0; f < frames; f++) {
            for (int i = 0; i < rows * cols; i++) {
                samples[f * rows * cols + i] = (f * 50 + i) & 0xFF;
            }
        }
        Path file = TestFiles.image(dir.resolve("mf.dcm"), "2.25.16", Spec.grey8(rows, cols, frames), samples, null);
        Path rle = TestFiles.dcmtk("dcmcrle", file, dir.resolve("mf_rle.dcm"));
        for (Path p : List.of(file, rle)) {
            InstanceInput in = only(p);
            assertEquals(frames, in.frames());
            for (int f = 0; f < frames; f++) {
                ImagePlane plane = in.plane(f, PlaneOptions.DEFAULT);
                for (int i = 0; i < rows * cols; i++) {
                    assertEquals((f * 50 + i) & 0xFF, plane.pixels()[i], 0, p.getFileName() + " frame " + f + " sample " + i);
                }
            }
            assertThrows(IndexOutOfBoundsException.class, () -> in.plane(frames, PlaneOptions.DEFAULT));
        }
    }

    // ------------------------------------------------------------------ colour

    private static int[] rgbSamples(int rows, int cols, int planar) {
        int[] s = new int[rows * cols * 3];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int[] v = {r * 4, c * 4, 100};
                for (int k = 0; k < 3; k++) {
                    s[planar == 0 ? (r * cols + c) * 3 + k : k * rows * cols + r * cols + c] = v[k];
                }
            }
        }
        return s;
    }

    @Test
    void rgbInBothPlanarConfigurationsIsInterleaved() throws Exception {
        int rows = 32;
        int cols = 40;
        Path p0 = TestFiles.image(dir.resolve("rgb0.dcm"), "2.25.20", Spec.rgb8(rows, cols, 0), rgbSamples(rows, cols, 0), null);
        Path p1 = TestFiles.image(dir.resolve("rgb1.dcm"), "2.25.21", Spec.rgb8(rows, cols, 1), rgbSamples(rows, cols, 1), null);
        Path rle = TestFiles.dcmtk("dcmcrle", p1, dir.resolve("rgb1_rle.dcm"));
        for (Path f : List.of(p0, p1, rle)) {
            ImagePlane p = only(f).plane();
            assertEquals(3, p.samplesPerPixel());
            assertEquals("RGB", p.photometric());
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    int i = (r * cols + c) * 3;
                    assertEquals(r * 4, p.pixels()[i], 0, f.getFileName() + " red at " + r + "," + c);
                    assertEquals(c * 4, p.pixels()[i + 1], 0, f.getFileName() + " green");
                    assertEquals(100, p.pixels()[i + 2], 0, f.getFileName() + " blue");
                }
            }
            assertEquals(20, p.at(5, 0), 0);
        }
    }

    @Test
    void jpegBaselineGreyAndColourDecodeApproximately() throws Exception {
        int rows = 32;
        int cols = 40;
        Path rgb = TestFiles.image(dir.resolve("rgb.dcm"), "2.25.22", Spec.rgb8(rows, cols, 0), rgbSamples(rows, cols, 0), null);
        ImagePlane exact = only(rgb).plane();
        ImagePlane lossy = only(TestFiles.dcmtk("dcmcjpeg", rgb, dir.resolve("rgb_jpeg.dcm"), "--encode-baseline")).plane();
        assertEquals("RGB", lossy.photometric()); // YBR_FULL_422 in the file, RGB once decoded
        assertClose(exact, lossy, 3, 20);

        int[] grey = new int[rows * cols];
        for (int i = 0; i < grey.length; i++) {
            grey[i] = (i / cols) * 5 + (i % cols) * 2;
        }
        Path g = TestFiles.image(dir.resolve("g.dcm"), "2.25.23", Spec.grey8(rows, cols, 1), grey, null);
        ImagePlane gl = only(TestFiles.dcmtk("dcmcjpeg", g, dir.resolve("g_jpeg.dcm"), "--encode-baseline")).plane();
        assertEquals("MONOCHROME2", gl.photometric());
        assertClose(only(g).plane(), gl, 3, 20);
    }

    private static void assertClose(ImagePlane a, ImagePlane b, double meanError, double maxError) {
        assertEquals(a.pixels().length, b.pixels().length);
        double sum = 0;
        double max = 0;
        for (int i = 0; i < a.pixels().length; i++) {
            double d = Math.abs(a.pixels()[i] - b.pixels()[i]);
            sum += d;
            max = Math.max(max, d);
        }
        double mean = sum / a.pixels().length;
        assertTrue(mean <= meanError && max <= maxError, "mean error " + mean + ", max " + max);
    }

    // ------------------------------------------------------------------ transfer syntaxes

    @Test
    void rleAndJpegLosslessGiveTheUncompressedValues() throws Exception {
        GeneratedSeries ct = Synth.ctSeries(dir.resolve("ct"), CtOptions.defaults().withCount(1).withSize(96, 128));
        Path file = ct.files().get(0);
        ImagePlane ref = only(ct).plane();
        Path rle = TestFiles.dcmtk("dcmcrle", file, dir.resolve("ct_rle.dcm"));
        assertArrayEquals(ref.pixels(), only(ct.studyInstanceUid(), rle).plane().pixels());

        Path lossless = TestFiles.dcmtk("dcmcjpeg", file, dir.resolve("ct_jll.dcm"), "--encode-lossless-sv1");
        InstanceInput in = only(ct.studyInstanceUid(), lossless);
        if (ImageIO.getImageReadersByFormatName("jpeg-lossless").hasNext()) {
            assertArrayEquals(ref.pixels(), in.plane().pixels());
        } else {
            // Without pixelmed_imageio.jar on the class path the refusal says what is missing.
            PixelDataException e = assertThrows(PixelDataException.class, in::plane);
            assertTrue(e.getMessage().contains("pixelmed_imageio.jar"), e.getMessage());
            assertTrue(e.getMessage().contains("1.2.840.10008.1.2.4.70"), e.getMessage());
        }
    }

    @Test
    void jpegLsDecodesToTheSamePixelsThroughDcmtk() throws Exception {
        // JPEG-LS is decoded by DCMTK's dcmdjpls (scripts/setup.sh installs dcmtk), lossless exactly, near-lossless
        // within its NEAR bound of 2 stored values
        assertTrue(TransferSyntaxes.isDecodable(TransferSyntaxes.JPEG_LS_LOSSLESS), "dcmdjpls is not installed");
        GeneratedSeries ct = Synth.ctSeries(dir.resolve("ct"), CtOptions.defaults().withCount(1).withSize(64, 64));
        Path file = ct.files().get(0);
        ImagePlane ref = only(ct).plane();
        Path jls = TestFiles.dcmtk("dcmcjpls", file, dir.resolve("ct_jls.dcm"));
        assertArrayEquals(ref.pixels(), only(ct.studyInstanceUid(), jls).plane().pixels());
        // near-lossless needs unsigned data: the chest radiograph (stored values, no rescale)
        GeneratedSeries cx = Synth.chestRadiograph(dir.resolve("cx"), ChestOptions.defaults().withSize(128, 128));
        float[] cxRef = only(cx).plane().pixels();
        Path near = TestFiles.dcmtk("dcmcjpls", cx.files().get(0), dir.resolve("cx_jls_near.dcm"), "--encode-nearlossless");
        float[] lossy = only(cx.studyInstanceUid(), near).plane().pixels();
        double slope = 1;
        float worst = 0;
        for (int i = 0; i < lossy.length; i++) {
            worst = Math.max(worst, Math.abs(lossy[i] - cxRef[i]));
        }
        assertTrue(worst <= 2 * slope && worst > 0, "near-lossless error " + worst);
        // no temporary file is left behind
        try (var left = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            assertTrue(left.noneMatch(f -> f.getFileName().toString().startsWith("radflow-jpegls-")
                    && f.toFile().lastModified() > System.currentTimeMillis() - 60_000));
        }
    }

    @Test
    void pydicomCompressedTestFilesDecodeToTheUncompressedPixels() throws Exception {
        // pydicom's test files (Debian python3-pydicom, installed by scripts/setup.sh) were made by other encoders
        // (GDCM, CharLS, OpenJPEG) from the same MR image as MR_small.dcm
        Path files = Path.of("/usr/lib/python3/dist-packages/pydicom/data/test_files");
        assertTrue(Files.isDirectory(files), "python3-pydicom is not installed: run scripts/setup.sh");
        float[] ref = onlyOwnStudy(files.resolve("MR_small.dcm")).plane().pixels();
        assertEquals(64 * 64, ref.length);
        for (String name : List.of("MR_small_jp2klossless.dcm", "MR_small_jpeg_ls_lossless.dcm")) {
            InstanceInput in = onlyOwnStudy(files.resolve(name));
            assertArrayEquals(ref, in.plane().pixels(), name);
        }
        // lossy JPEG 2000 (1.2.840.10008.1.2.4.91), 1024 x 256
        ImagePlane lossy = onlyOwnStudy(files.resolve("JPEG2000.dcm")).plane();
        assertEquals(1024, lossy.rows());
        assertEquals(256, lossy.columns());
        float max = 0;
        for (float v : lossy.pixels()) {
            max = Math.max(max, v);
        }
        assertTrue(max > 0, "a blank image");
    }

    /**
     * HTJ2K (OpenJPH-made codestreams, tools/htj2k/make-samples.js) decoded by OpenJPEG's opj_decompress (scripts/setup.sh
     * installs libopenjp2-tools): lossless, so every stored value comes back, unsigned and signed.
     */
    @Test
    void htj2kDecodesToTheEncodedPixelsThroughOpenJpeg() throws Exception {
        assertTrue(TransferSyntaxes.isDecodable(TransferSyntaxes.HTJ2K_LOSSLESS), "opj_decompress (OpenJPEG 2.5+) is not installed");
        GeneratedSeries ct = Synth.ctSeries(dir.resolve("htj2k"), CtOptions.defaults().withCount(1).withSize(64, 64));
        for (boolean signed : new boolean[] {false, true}) {
            byte[] codestream;
            try (java.io.InputStream r = getClass().getResourceAsStream("/htj2k/ramp-64x64-" + (signed ? "s16" : "u16") + ".j2c")) {
                codestream = r.readAllBytes();
            }
            Path f = TestFiles.encapsulated(ct.files().get(0), dir.resolve("ct_htj2k_" + signed + ".dcm"),
                    TransferSyntaxes.HTJ2K_LOSSLESS, codestream, l -> {
                        TestFiles.us(l, TagFromName.BitsAllocated, 16);
                        TestFiles.us(l, TagFromName.BitsStored, 16);
                        TestFiles.us(l, TagFromName.HighBit, 15);
                        TestFiles.us(l, TagFromName.PixelRepresentation, signed ? 1 : 0);
                        l.remove(TagFromName.RescaleIntercept);
                        l.remove(TagFromName.RescaleSlope);
                        l.remove(TagFromName.RescaleType);
                    });
            ImagePlane p = only(ct.studyInstanceUid(), f).plane();
            assertEquals(64, p.rows());
            assertEquals(64, p.columns());
            for (int y = 0; y < 64; y++) {
                for (int x = 0; x < 64; x++) {
                    int expected = (x * 37 + y * 101) % 4096 - (signed ? 2048 : 0);
                    assertEquals(expected, p.pixels()[y * 64 + x], 0, "signed " + signed + " at " + x + "," + y);
                }
            }
        }
    }

    @Test
    void colourHtj2kWithTheReversibleColourTransformDecodesToExactRgb() throws Exception {
        assertTrue(TransferSyntaxes.isDecodable(TransferSyntaxes.HTJ2K_LOSSLESS), "opj_decompress (OpenJPEG 2.5+) is not installed");
        byte[] codestream;
        try (java.io.InputStream r = getClass().getResourceAsStream("/htj2k/rgb-64x48-u8.j2c")) {
            codestream = r.readAllBytes(); // OpenJPH, lossless with the RCT (tools/htj2k/make-samples.js)
        }
        int rows = 48;
        int cols = 64;
        Path rgb = TestFiles.image(dir.resolve("rgb.dcm"), "2.25.23", Spec.rgb8(rows, cols, 0), rgbSamples(rows, cols, 0), null);
        Path f = TestFiles.encapsulated(rgb, dir.resolve("rgb_htj2k.dcm"), TransferSyntaxes.HTJ2K_LOSSLESS, codestream,
                l -> TestFiles.put(l, TagFromName.PhotometricInterpretation, "YBR_RCT"));
        ImagePlane p = only(f).plane();
        assertEquals(3, p.samplesPerPixel());
        assertEquals("RGB", p.photometric(), "the decoder undid the colour transform");
        for (int y = 0; y < rows; y++) {
            for (int x = 0; x < cols; x++) {
                int i = (y * cols + x) * 3;
                assertEquals((x * 4) & 255, p.pixels()[i], 0, "red at " + x + "," + y);
                assertEquals((y * 5) & 255, p.pixels()[i + 1], 0, "green at " + x + "," + y);
                assertEquals((x * 3 + y * 2) & 255, p.pixels()[i + 2], 0, "blue at " + x + "," + y);
            }
        }
    }

    @Test
    void twelveBitJpegExtendedIsDecodedThroughDcmtk() throws Exception {
        assertTrue(TransferSyntaxes.isDecodable(TransferSyntaxes.JPEG_EXTENDED), "dcmdjpeg (Debian dcmtk) is not installed");
        GeneratedSeries cx = Synth.chestRadiograph(dir.resolve("cx"), ChestOptions.defaults().withSize(128, 128));
        // +rm: keep the modality values (DCMTK's default rescales the pixel range to start at 0 with an identity rescale)
        Path extended = TestFiles.dcmtk("dcmcjpeg", cx.files().get(0), dir.resolve("cx_ext.dcm"), "--encode-extended", "+rm");
        AttributeList header = new AttributeList();
        header.read(extended.toString(), TagFromName.PixelData); // the header only: PixelMed cannot decode the pixels
        assertEquals(TransferSyntaxes.JPEG_EXTENDED, Attribute.getSingleStringValueOrEmptyString(header, TagFromName.TransferSyntaxUID));
        int bits = Attribute.getSingleIntegerValueOrDefault(header, TagFromName.BitsStored, 0);
        assertTrue(bits > 8 && bits <= 12, "a 12-bit image (process 4), which PixelMed and the JDK cannot decode: " + bits);
        ImagePlane original = only(cx.studyInstanceUid(), cx.files().get(0)).plane();
        ImagePlane decoded = only(cx.studyInstanceUid(), extended).plane();
        assertEquals(original.rows(), decoded.rows());
        assertEquals(original.columns(), decoded.columns());
        double sum = 0;
        double max = 0;
        for (int i = 0; i < original.pixels().length; i++) {
            double d = Math.abs(original.pixels()[i] - decoded.pixels()[i]);
            sum += d;
            max = Math.max(max, d);
        }
        double mean = sum / original.pixels().length;
        // lossy at DCMTK's default quality: close to the original everywhere, never a shifted or garbled image
        assertTrue(mean < 0.01 * (1 << bits), "mean error " + mean);
        assertTrue(max < 0.1 * (1 << bits), "max error " + max);
    }

    @Test
    void undecodableTransferSyntaxesAreRefusedClearlyAndLazily() throws Exception {
        GeneratedSeries ct = Synth.ctSeries(dir.resolve("ct"), CtOptions.defaults().withCount(1).withSize(64, 64));
        Path file = ct.files().get(0);
        // a syntax no decoder here has (HTJ2K was the example until OpenJPEG's opj_decompress decoded it)
        // (12-bit JPEG Extended was the second example until DCMTK's dcmdjpeg decoded it)
        Path jpegXl = TestFiles.relabel(file, dir.resolve("ct_jxl.dcm"), "1.2.840.10008.1.2.4.110");

        record Case(String study, Path file, String name) {}
        for (Case c : List.of(new Case(ct.studyInstanceUid(), jpegXl, "JPEG XL Lossless (1.2.840.10008.1.2.4.110)"))) {
            InstanceInput in = only(c.study(), c.file()); // attributes are read without touching the pixels
            assertEquals(1, in.frames());
            assertTrue(in.tags().has("Modality"));
            PixelDataException e = assertThrows(PixelDataException.class, in::plane);
            assertTrue(e.getMessage().contains(c.name()) && e.getMessage().contains("cannot be decoded by RadFlow")
                    && e.getMessage().contains(in.sopInstanceUid()), e.getMessage());
        }
    }

    // ------------------------------------------------------------------ no pixels, broken pixels

    @Test
    void instanceWithoutPixelDataHasNoFrames() throws Exception {
        GeneratedSeries ct = Synth.ctSeries(dir.resolve("ct"), CtOptions.defaults().withCount(1).withSize(32, 32));
        Path noPixels = TestFiles.edit(ct.files().get(0), dir.resolve("nopx.dcm"), l -> l.remove(TagFromName.PixelData));
        InstanceInput in = only(ct.studyInstanceUid(), noPixels);
        assertEquals(0, in.frames());
        PixelDataException e = assertThrows(PixelDataException.class, in::plane);
        assertTrue(e.getMessage().contains("no pixel data"), e.getMessage());
    }

    @Test
    void truncatedPixelDataFailsOnlyWhenDecoded() throws Exception {
        GeneratedSeries ct = Synth.ctSeries(dir.resolve("ct"), CtOptions.defaults().withCount(1).withSize(64, 64));
        Path cut = dir.resolve("cut.dcm");
        byte[] bytes = Files.readAllBytes(ct.files().get(0));
        Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length - 3000));
        InstanceInput in = only(ct.studyInstanceUid(), cut);
        assertEquals("CT", in.tags().get("Modality").orElseThrow());
        PixelDataException e = assertThrows(PixelDataException.class, in::plane);
        assertTrue(e.getMessage().contains(in.sopInstanceUid()) && e.getMessage().contains("truncated or corrupt"),
                e.getMessage());
    }
}
