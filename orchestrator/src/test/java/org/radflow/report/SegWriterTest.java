package org.radflow.report;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.display.SuperimposedDicomSegments;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.ApiVersion;
import org.radflow.api.Concept;
import org.radflow.api.Finding;
import org.radflow.api.ModelIdentity;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleResult;
import org.radflow.api.Trigger;
import org.radflow.api.Volume;
import org.radflow.jobs.Job;
import org.radflow.jobs.JobState;
import org.radflow.pixels.SpoolStudyInput;
import org.radflow.routing.Priority;
import org.radflow.testdata.GeneratedVolume;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;
import org.radflow.testkit.Dciodvfy;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SEG of a synthetic hippocampus crop: valid per dciodvfy, and its frames give back the ground-truth
 * label map on the source's grid and Frame of Reference.
 *
 * <p>Codes: category SCT 123037004 "Anatomical Structure" (CID 7150), type SCT 5366008 "Hippocampus" (CID 7140)
 * for both segments (HippoVolume itself adds the type modifiers SCT 255549009 "Anterior" / 255551008 "Posterior").
 * The default 35 x 51 crop is written FRACTIONAL (frames not byte-aligned), the sagittal 51 x 32 one BINARY.
 */
class SegWriterTest {

    static final Concept ANATOMICAL_STRUCTURE = Concept.sct("123037004", "Anatomical Structure");
    static final Concept HIPPOCAMPUS = Concept.sct("5366008", "Hippocampus");

    record Case(Path seg, GeneratedVolume truth, Volume volume, ReportInput input, Map<String, AttributeList> sources) {
    }

    static Case make(Path dir, MrOptions options) throws Exception {
        GeneratedVolume truth = Synth.brainMrWithLabels(dir.resolve("in"), options);
        List<Path> files = truth.series().files();
        Volume volume = SpoolStudyInput.of(truth.series().studyInstanceUid(), files).series().get(0).volume();

        byte[] labels = new byte[volume.columns() * volume.rows() * volume.slices()];
        byte[][][] gt = truth.labels();
        for (int z = 0; z < volume.slices(); z++) {
            for (int r = 0; r < volume.rows(); r++) {
                for (int c = 0; c < volume.columns(); c++) {
                    labels[(z * volume.rows() + r) * volume.columns() + c] = gt[z][r][c];
                }
            }
        }
        Finding.Segmentation seg = new Finding.Segmentation(HIPPOCAMPUS, volume.columns(), volume.rows(), volume.slices(),
                labels, List.of(
                        new Finding.Segment(GeneratedVolume.ANTERIOR, "Anterior hippocampus", ANATOMICAL_STRUCTURE, HIPPOCAMPUS, 0xFFD700),
                        new Finding.Segment(GeneratedVolume.POSTERIOR, "Posterior hippocampus", ANATOMICAL_STRUCTURE, HIPPOCAMPUS, 0x1E90FF)),
                volume.sopInstanceUids());
        ModuleResult result = ModuleResult.completed(List.of(seg), List.of(), "Hippocampus segmented", Map.of());

        Map<String, AttributeList> sources = new LinkedHashMap<>();
        AttributeList first = null;
        for (Path f : files) {
            AttributeList a = new AttributeList();
            a.read(f.toString(), TagFromName.PixelData);
            sources.put(Attribute.getSingleStringValueOrEmptyString(a, TagFromName.SOPInstanceUID), a);
            if (first == null) {
                first = a;
            }
        }
        Instant now = Instant.parse("2026-01-02T03:04:05Z");
        Job job = new Job("job-1", "series:" + truth.series().studyInstanceUid() + "/" + truth.series().seriesInstanceUid(),
                Trigger.SERIES, truth.series().studyInstanceUid(), truth.series().seriesInstanceUid(), null,
                "hippovolume", "1.0.0", "rule", Priority.NORMAL, List.of(), files, "hash-" + options.seed()
                        + options.orientation() + options.sliceSpacingMm(),
                1, null, JobState.SUCCEEDED, 1, null, 1.0, null, now, now, now, now, null);
        ModuleDescriptor module = ModuleDescriptor.builder("hippovolume", "1.0.0", ApiVersion.MAJOR, ApiVersion.MINOR)
                .displayName("Hippocampus volume")
                .model(new ModelIdentity("hippodeep-lite", "0.1", "test model", true))
                .build();
        ReportInput input = new ReportInput(job, module, result, sources, first, now, null);
        Path out = Files.createDirectories(dir.resolve("out"));
        List<Path> written = new SegWriter().write(input, out);
        assertEquals(1, written.size());
        return new Case(written.get(0), truth, volume, input, sources);
    }

    @Test
    void axialCropIsValidAndRoundTrips(@TempDir Path dir) throws Exception {
        Case c = make(dir, MrOptions.defaults());
        checkValid(c);
        checkRoundTrip(c);
        String keep = System.getenv("RADFLOW_SEG_KEEP");
        if (keep != null) {
            Files.copy(c.seg(), Path.of(keep), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    @Test
    void anisotropicSpacing(@TempDir Path dir) throws Exception {
        Case c = make(dir, MrOptions.defaults().withSpacing(0.9, 0.9, 1.2));
        checkValid(c);
        checkRoundTrip(c);
        AttributeList seg = read(c.seg());
        AttributeList measures = item(item(seg, SegWriter.SHARED_FUNCTIONAL_GROUPS_SEQUENCE), SegWriter.PIXEL_MEASURES_SEQUENCE);
        assertEquals(1.2, Double.parseDouble(Attribute.getSingleStringValueOrEmptyString(measures, SegWriter.SLICE_THICKNESS)), 1e-6);
        double[] ps = Attribute.getDoubleValues(measures, SegWriter.PIXEL_SPACING);
        assertArrayEquals(new double[] {0.9, 0.9}, ps, 1e-6);
    }

    @Test
    void sagittalOrientation(@TempDir Path dir) throws Exception {
        Case c = make(dir, MrOptions.defaults().withOrientation(MrOptions.Orientation.SAGITTAL));
        checkValid(c);
        checkRoundTrip(c);
        AttributeList seg = read(c.seg());
        AttributeList orientation = item(item(seg, SegWriter.SHARED_FUNCTIONAL_GROUPS_SEQUENCE), SegWriter.PLANE_ORIENTATION_SEQUENCE);
        assertArrayEquals(new double[] {0, 1, 0, 0, 0, -1},
                Attribute.getDoubleValues(orientation, SegWriter.IMAGE_ORIENTATION_PATIENT), 1e-6);
    }

    @Test
    void uidsAreDeterministic(@TempDir Path dir) throws Exception {
        Case a = make(dir.resolve("a"), MrOptions.defaults());
        Case b = make(dir.resolve("b"), MrOptions.defaults());
        AttributeList sa = read(a.seg());
        AttributeList sb = read(b.seg());
        for (AttributeTag t : new AttributeTag[] {TagFromName.SOPInstanceUID, TagFromName.SeriesInstanceUID}) {
            assertEquals(Attribute.getSingleStringValueOrEmptyString(sa, t), Attribute.getSingleStringValueOrEmptyString(sb, t));
        }
        assertEquals(a.input().uid("seg.instance"), Attribute.getSingleStringValueOrEmptyString(sa, TagFromName.SOPInstanceUID));
        assertEquals(a.input().uid("seg.series"), Attribute.getSingleStringValueOrEmptyString(sa, TagFromName.SeriesInstanceUID));
        assertTrue(Attribute.getSingleStringValueOrEmptyString(sa, TagFromName.SOPInstanceUID).startsWith("2.25."));
        assertNotEquals(Attribute.getSingleStringValueOrEmptyString(sa, TagFromName.SeriesInstanceUID),
                Attribute.getSingleStringValueOrEmptyString(a.input().first(), TagFromName.SeriesInstanceUID));
        assertArrayEquals(Files.readAllBytes(a.seg()), Files.readAllBytes(b.seg()), "same input, same bytes");
    }

    @Test
    void noSegmentationNoObject(@TempDir Path dir) throws Exception {
        Case c = make(dir, MrOptions.defaults());
        ReportInput in = c.input();
        ReportInput none = new ReportInput(in.job(), in.module(), ModuleResult.completed(List.of(), List.of(), "", Map.of()),
                in.sources(), in.first(), in.createdAt(), null);
        assertTrue(new SegWriter().write(none, Files.createDirectories(dir.resolve("none"))).isEmpty());
    }

    @Test
    void twoSegmentationsTwoInstancesOfOneSeries(@TempDir Path dir) throws Exception {
        Case c = make(dir, MrOptions.defaults());
        ReportInput in = c.input();
        Finding.Segmentation seg = (Finding.Segmentation) in.result().findings().get(0);
        Finding.Segmentation anteriorOnly = new Finding.Segmentation(seg.finding(), seg.columns(), seg.rows(), seg.slices(),
                seg.labels(), List.of(seg.segments().get(0)), seg.sopInstanceUids());
        ReportInput two = new ReportInput(in.job(), in.module(),
                ModuleResult.completed(List.of(seg, anteriorOnly), List.of(), "", Map.of()), in.sources(), in.first(),
                in.createdAt(), null);
        List<Path> files = new SegWriter().write(two, Files.createDirectories(dir.resolve("two")));
        assertEquals(2, files.size());
        AttributeList a = read(files.get(0));
        AttributeList b = read(files.get(1));
        assertEquals(Attribute.getSingleStringValueOrEmptyString(a, TagFromName.SeriesInstanceUID),
                Attribute.getSingleStringValueOrEmptyString(b, TagFromName.SeriesInstanceUID));
        assertNotEquals(Attribute.getSingleStringValueOrEmptyString(a, TagFromName.SOPInstanceUID),
                Attribute.getSingleStringValueOrEmptyString(b, TagFromName.SOPInstanceUID));
        assertEquals(2, Attribute.getSingleIntegerValueOrDefault(b, TagFromName.InstanceNumber, 0));
        assertEquals(1, ((SequenceAttribute) b.get(SegWriter.SEGMENT_SEQUENCE)).getNumberOfItems());
        Dciodvfy.check(files.get(1)).assertNoErrors();
    }

    @Test
    void cielabOfPrimaries() {
        // white: L*=100, a*=b*=0
        int[] white = SegWriter.rgbToDicomLab(0xFFFFFF);
        assertEquals(65535, white[0]);
        assertEquals(32896, white[1], 2);
        assertEquals(32896, white[2], 2);
        // sRGB red: L*≈53.24, a*≈80.09, b*≈67.20
        int[] red = SegWriter.rgbToDicomLab(0xFF0000);
        assertEquals(53.24, red[0] * 100.0 / 65535, 0.05);
        assertEquals(80.09, red[1] * 255.0 / 65535 - 128, 0.05);
        assertEquals(67.20, red[2] * 255.0 / 65535 - 128, 0.05);
    }

    static void checkValid(Case c) {
        Dciodvfy.Result r = Dciodvfy.check(c.seg());
        System.out.println("dciodvfy " + c.seg().getFileName() + ": " + r.warnings().size() + " warning(s)\n" + r.output() + "\n"
                + String.join("\n", r.warnings()));
        r.assertNoErrors();
    }

    /** Decodes the packed frames and rebuilds the label map on the source grid, by frame position and reference. */
    static void checkRoundTrip(Case c) throws Exception {
        AttributeList seg = read(c.seg());
        Volume v = c.volume();
        AttributeList first = c.input().first();
        assertEquals(Attribute.getSingleStringValueOrEmptyString(first, TagFromName.FrameOfReferenceUID),
                Attribute.getSingleStringValueOrEmptyString(seg, TagFromName.FrameOfReferenceUID));
        assertEquals(Attribute.getSingleStringValueOrEmptyString(first, TagFromName.StudyInstanceUID),
                Attribute.getSingleStringValueOrEmptyString(seg, TagFromName.StudyInstanceUID));
        assertEquals("SEG", Attribute.getSingleStringValueOrEmptyString(seg, TagFromName.Modality));
        // BINARY when frames are byte-aligned, else FRACTIONAL OCCUPANCY with values 0/255 (what OHIF draws)
        boolean fractional = SegWriter.fractional(v.rows(), v.columns());
        assertEquals(fractional ? 8 : 1, Attribute.getSingleIntegerValueOrDefault(seg, SegWriter.BITS_ALLOCATED, -1));
        assertEquals(fractional ? "FRACTIONAL" : "BINARY",
                Attribute.getSingleStringValueOrEmptyString(seg, SegWriter.SEGMENTATION_TYPE));
        if (fractional) {
            assertEquals("OCCUPANCY", Attribute.getSingleStringValueOrEmptyString(seg, SegWriter.SEGMENTATION_FRACTIONAL_TYPE));
            assertEquals(255, Attribute.getSingleIntegerValueOrDefault(seg, SegWriter.MAXIMUM_FRACTIONAL_VALUE, -1));
        }
        int bitsPerPixel = fractional ? 8 : 1;

        SequenceAttribute segments = (SequenceAttribute) seg.get(SegWriter.SEGMENT_SEQUENCE);
        assertEquals(2, segments.getNumberOfItems());
        int[] labelOfSegment = {0, GeneratedVolume.ANTERIOR, GeneratedVolume.POSTERIOR};

        Map<String, Integer> sliceOf = new HashMap<>();
        for (int z = 0; z < v.slices(); z++) {
            sliceOf.put(v.sopInstanceUids().get(z), z);
        }
        int frameSize = v.rows() * v.columns();
        int frames = Attribute.getSingleIntegerValueOrDefault(seg, SegWriter.NUMBER_OF_FRAMES, 0);
        byte[] pixels = seg.get(SegWriter.PIXEL_DATA).getByteValues();
        assertTrue(pixels.length >= ((long) frames * frameSize * bitsPerPixel + 7) / 8);
        SequenceAttribute perFrame = (SequenceAttribute) seg.get(SegWriter.PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE);
        assertEquals(frames, perFrame.getNumberOfItems());

        byte[][][] rebuilt = new byte[v.slices()][v.rows()][v.columns()];
        long bit = 0;
        for (int f = 0; f < frames; f++) {
            AttributeList group = perFrame.getItem(f).getAttributeList();
            int segmentNumber = Attribute.getSingleIntegerValueOrDefault(item(group, SegWriter.SEGMENT_IDENTIFICATION_SEQUENCE),
                    SegWriter.REFERENCED_SEGMENT_NUMBER, -1);
            String ref = Attribute.getSingleStringValueOrEmptyString(
                    item(item(group, SegWriter.DERIVATION_IMAGE_SEQUENCE), SegWriter.SOURCE_IMAGE_SEQUENCE),
                    SegWriter.REFERENCED_SOP_INSTANCE_UID);
            Integer z = sliceOf.get(ref);
            assertNotNull(z, "frame " + f + " references " + ref);
            double[] ipp = Attribute.getDoubleValues(item(group, SegWriter.PLANE_POSITION_SEQUENCE), SegWriter.IMAGE_POSITION_PATIENT);
            double[] sourceIpp = Attribute.getDoubleValues(c.sources().get(ref), TagFromName.ImagePositionPatient);
            assertArrayEquals(sourceIpp, ipp, 1e-6, "frame " + f + " position");
            // the position also lies on the Volume's grid: origin + z * spacing * normal
            double[] n = v.normal();
            for (int i = 0; i < 3; i++) {
                assertEquals(v.origin()[i] + z * v.sliceSpacingMm() * n[i], ipp[i], 1e-3);
            }
            long[] div = Attribute.getLongValues(item(group, SegWriter.FRAME_CONTENT_SEQUENCE), SegWriter.DIMENSION_INDEX_VALUES);
            assertArrayEquals(new long[] {segmentNumber, z + 1}, div);
            boolean any = false;
            for (int p = 0; p < frameSize; p++, bit += bitsPerPixel) {
                int value = fractional ? pixels[(int) (bit >>> 3)] & 0xFF : pixels[(int) (bit >>> 3)] >> (bit & 7) & 1;
                assertTrue(value == 0 || value == (fractional ? 255 : 1), "pseudo-binary value " + value);
                if (value != 0) {
                    int r = p / v.columns();
                    int col = p % v.columns();
                    assertEquals(0, rebuilt[z][r][col], "voxel in two segments");
                    rebuilt[z][r][col] = (byte) labelOfSegment[segmentNumber];
                    any = true;
                }
            }
            assertTrue(any, "frame " + f + " is empty");
        }
        // padding bits are zero
        for (long b = bit; b < pixels.length * 8L; b++) {
            assertEquals(0, pixels[(int) (b >>> 3)] >> (b & 7) & 1);
        }
        byte[][][] truth = c.truth().labels();
        assertTrue(c.truth().voxelCount(GeneratedVolume.ANTERIOR) > 0 && c.truth().voxelCount(GeneratedVolume.POSTERIOR) > 0);
        for (int z = 0; z < v.slices(); z++) {
            for (int r = 0; r < v.rows(); r++) {
                assertArrayEquals(truth[z][r], rebuilt[z][r], "slice " + z + " row " + r);
            }
        }
        // and PixelMed's own SEG reader understands it: one superimposed image per segment
        assertEquals(2, pixelmedSegmentCount(c.seg()));
    }

    /**
     * {@link SuperimposedDicomSegments} needs javax.vecmath, which is not on the test class path (no Maven
     * dependency); PixelMed's jar and Debian's vecmath.jar are loaded in a class loader of their own.
     */
    static int pixelmedSegmentCount(Path seg) throws Exception {
        Path vecmath = Path.of("/usr/share/java/vecmath.jar");
        assertTrue(Files.isRegularFile(vecmath), "Debian libvecmath-java is needed to read SEGs with PixelMed");
        URL pixelmed = SuperimposedDicomSegments.class.getProtectionDomain().getCodeSource().getLocation();
        ClassLoader parent = SegWriterTest.class.getClassLoader();
        // PixelMed and vecmath from this loader (child first), everything else (slf4j ...) from the tests'
        try (URLClassLoader loader = new URLClassLoader(new URL[] {pixelmed, vecmath.toUri().toURL()}, parent) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                if (!name.startsWith("com.pixelmed.") && !name.startsWith("javax.vecmath.")) {
                    return super.loadClass(name, resolve);
                }
                synchronized (getClassLoadingLock(name)) {
                    Class<?> c = findLoadedClass(name);
                    if (c == null) {
                        c = findClass(name);
                    }
                    if (resolve) {
                        resolveClass(c);
                    }
                    return c;
                }
            }
        }) {
            Class<?> type = loader.loadClass(SuperimposedDicomSegments.class.getName());
            Object reader = type.getConstructor(String.class).newInstance(seg.toString());
            Collection<?> images = (Collection<?>) type.getMethod("getSuperimposedImages").invoke(reader);
            return images.size();
        }
    }

    static AttributeList read(Path file) throws Exception {
        AttributeList a = new AttributeList();
        a.read(file.toString());
        return a;
    }

    static AttributeList item(AttributeList list, AttributeTag sequence) {
        SequenceAttribute s = (SequenceAttribute) list.get(sequence);
        assertNotNull(s, "missing " + sequence);
        assertEquals(1, s.getNumberOfItems(), "items of " + sequence);
        return s.getItem(0).getAttributeList();
    }

}
