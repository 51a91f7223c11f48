package org.radflow.pixels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.OtherWordAttribute;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.ImagePlane;
import org.radflow.api.PixelDataException;
import org.radflow.api.StudyInput.InstanceInput;
import org.radflow.api.StudyInput.PlaneOptions;
import org.radflow.api.StudyInput.SeriesInput;
import org.radflow.api.Volume;
import org.radflow.testdata.CtOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.GeneratedVolume;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;

class VolumeAssemblyTest {

    @TempDir
    Path dir;

    private static final MrOptions SMALL = MrOptions.defaults().withDimensions(20, 20, 8);

    private static SeriesInput series(String study, List<Path> files) throws Exception {
        SpoolStudyInput in = SpoolStudyInput.of(study, files);
        assertEquals(1, in.series().size());
        return in.series().get(0);
    }

    private static SeriesInput series(GeneratedSeries g) throws Exception {
        return series(g.studyInstanceUid(), g.files());
    }

    private static PixelDataException volumeFails(String study, List<Path> files) throws Exception {
        SeriesInput s = series(study, files);
        return assertThrows(PixelDataException.class, s::volume);
    }

    private static void assertMentions(Exception e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' missing from: " + e.getMessage());
        }
    }

    // ------------------------------------------------------------------ geometry from positions

    @Test
    void slicesFollowPositionNotInstanceNumberInEveryOrientation() throws Exception {
        for (MrOptions.Orientation orientation : MrOptions.Orientation.values()) {
            MrOptions o = MrOptions.defaults().withOrientation(orientation).withSpacing(0.9, 0.8, 1.2)
                    .withDimensions(48, 56, 30).withShuffledInstanceNumbers(true).withSeed(5);
            GeneratedVolume g = Synth.brainMrWithLabels(dir.resolve(orientation.name()), o);
            List<Path> byName = new ArrayList<>(g.series().files());
            byName.sort(Comparator.comparing(Path::toString).reversed());
            SeriesInput series = series(g.series().studyInstanceUid(), byName);
            Volume v = series.volume();
            String what = orientation.name();

            // Instances come in Instance Number order, which is not position order: the volume must not use it.
            List<String> byInstanceNumber = series.instances().stream().map(InstanceInput::sopInstanceUid).toList();
            assertNotEquals(g.series().sopInstanceUids(), byInstanceNumber, what);
            assertEquals(g.series().sopInstanceUids(), v.sopInstanceUids(), what);

            assertEquals(48, v.columns(), what);
            assertEquals(56, v.rows(), what);
            assertEquals(30, v.slices(), what);
            assertEquals(0.9, v.rowSpacingMm(), 1e-9, what);
            assertEquals(0.8, v.columnSpacingMm(), 1e-9, what);
            assertEquals(1.2, v.sliceSpacingMm(), 1e-6, what);
            assertEquals(0.9 * 0.8 * 1.2, v.voxelVolumeMm3(), 1e-6, what);
            assertArrayEquals(orientation.rowDirection(), v.rowDirection(), 1e-9, what);
            assertArrayEquals(orientation.columnDirection(), v.columnDirection(), 1e-9, what);
            assertArrayEquals(orientation.normal(), v.normal(), 1e-9, what);
            AttributeList first = TestFiles.read(g.series().files().get(0));
            assertArrayEquals(Attribute.getDoubleValues(first, TagFromName.ImagePositionPatient), v.origin(), 1e-9, what);

            // Voxels are the stored values of the file at that position (MR: no rescale).
            for (int s : new int[] {0, 13, 29}) {
                short[] raw = TestFiles.read(g.series().files().get(s)).getPixelData().getShortValues();
                for (int i = 0; i < raw.length; i += 7) {
                    assertEquals(raw[i] & 0xFFFF, v.voxels()[s * 48 * 56 + i], 0, what + " slice " + s + " sample " + i);
                }
            }
            assertLabelIntensities(g, v, what);
        }
    }

    /** The phantom's hippocampus: anterior 360, posterior 500 (plus 4 % bias field and noise of sd 9). */
    private static void assertLabelIntensities(GeneratedVolume g, Volume v, String what) {
        byte[][][] labels = g.labels();
        double[] sum = new double[3];
        int[] count = new int[3];
        int[][] inner = new int[3][];
        for (int s = 1; s < v.slices() - 1; s++) {
            for (int r = 1; r < v.rows() - 1; r++) {
                for (int c = 1; c < v.columns() - 1; c++) {
                    int label = labels[s][r][c];
                    sum[label] += v.at(s, r, c);
                    count[label]++;
                    if (label != 0 && inner[label] == null && labels[s - 1][r][c] == label && labels[s + 1][r][c] == label
                            && labels[s][r - 1][c] == label && labels[s][r + 1][c] == label
                            && labels[s][r][c - 1] == label && labels[s][r][c + 1] == label) {
                        inner[label] = new int[] {s, r, c};
                    }
                }
            }
        }
        assertTrue(count[GeneratedVolume.ANTERIOR] > 50 && count[GeneratedVolume.POSTERIOR] > 50, what);
        assertEquals(360, sum[1] / count[1], 25, what + " anterior mean");
        assertEquals(500, sum[2] / count[2], 25, what + " posterior mean");
        int[] a = inner[GeneratedVolume.ANTERIOR];
        int[] p = inner[GeneratedVolume.POSTERIOR];
        float va = v.at(a[0], a[1], a[2]);
        float vp = v.at(p[0], p[1], p[2]);
        assertTrue(va > 310 && va < 410, what + " anterior voxel " + va);
        assertTrue(vp > 445 && vp < 555, what + " posterior voxel " + vp);
    }

    @Test
    void volumeIsBuiltOnceAndCtIsInHounsfieldUnits() throws Exception {
        GeneratedSeries ct = Synth.ctSeries(dir, CtOptions.defaults().withCount(4).withSize(64, 64)
                .withSliceSpacingMm(2.5));
        SeriesInput s = series(ct);
        Volume v = s.volume();
        assertSame(v, s.volume());
        assertEquals(2.5, v.sliceSpacingMm(), 1e-9);
        assertArrayEquals(new double[] {0, 0, 1}, v.normal(), 1e-12);
        ImagePlane p = s.instances().get(2).plane();
        for (int i = 0; i < 64 * 64; i++) {
            assertEquals(p.pixels()[i], v.voxels()[2 * 64 * 64 + i], 0);
        }
        assertTrue(v.voxels()[0] < -900, "air in HU: " + v.voxels()[0]);
    }

    @Test
    void enhancedMultiFrameUsesPerFramePositions() throws Exception {
        GeneratedSeries g = Synth.brainMr(dir.resolve("classic"), SMALL.withShuffledInstanceNumbers(true));
        Volume classic = series(g).volume();
        Path enhanced = TestFiles.write(enhancedFrom(g), dir.resolve("enhanced.dcm"));
        SeriesInput s = series(g.studyInstanceUid(), List.of(enhanced));
        InstanceInput only = s.instances().get(0);
        assertEquals(8, only.frames());
        ImagePlane frame = only.plane(3, PlaneOptions.DEFAULT);
        assertEquals(1.0, frame.rowSpacingMm(), 1e-9); // from the shared Pixel Measures macro

        Volume v = s.volume();
        assertEquals(8, v.slices());
        assertArrayEquals(classic.voxels(), v.voxels());
        assertArrayEquals(classic.origin(), v.origin(), 1e-9);
        assertEquals(classic.sliceSpacingMm(), v.sliceSpacingMm(), 1e-9);
        assertTrue(v.sopInstanceUids().stream().allMatch(only.sopInstanceUid()::equals));
    }

    /** An Enhanced MR-like multi-frame object: frames in file (Instance Number) order, geometry in functional groups. */
    private static AttributeList enhancedFrom(GeneratedSeries g) throws Exception {
        List<AttributeList> slices = new ArrayList<>();
        for (Path f : g.files()) {
            slices.add(TestFiles.read(f));
        }
        slices.sort(Comparator.comparingInt(l -> Attribute.getSingleIntegerValueOrDefault(l, TagFromName.InstanceNumber, 0)));
        AttributeList out = slices.get(0);
        int frameSize = out.getPixelData().getShortValues().length;
        short[] pixels = new short[frameSize * slices.size()];
        SequenceAttribute perFrame = new SequenceAttribute(FrameAttributes.PER_FRAME_FUNCTIONAL_GROUPS);
        for (int i = 0; i < slices.size(); i++) {
            AttributeList l = slices.get(i);
            System.arraycopy(l.getPixelData().getShortValues(), 0, pixels, i * frameSize, frameSize);
            AttributeList position = new AttributeList();
            position.put(l.get(TagFromName.ImagePositionPatient));
            AttributeList group = new AttributeList();
            group.put(TestFiles.sequence(FrameAttributes.PLANE_POSITION, position));
            perFrame.addItem(group);
        }
        AttributeList measures = new AttributeList();
        measures.put(out.get(TagFromName.PixelSpacing));
        measures.put(out.get(TagFromName.SliceThickness));
        AttributeList orientation = new AttributeList();
        orientation.put(out.get(TagFromName.ImageOrientationPatient));
        AttributeList shared = new AttributeList();
        shared.put(TestFiles.sequence(FrameAttributes.PIXEL_MEASURES, measures));
        shared.put(TestFiles.sequence(FrameAttributes.PLANE_ORIENTATION, orientation));
        for (var tag : List.of(TagFromName.ImagePositionPatient, TagFromName.ImageOrientationPatient,
                TagFromName.PixelSpacing, TagFromName.SliceThickness, TagFromName.SliceLocation)) {
            out.remove(tag);
        }
        out.put(TestFiles.sequence(FrameAttributes.SHARED_FUNCTIONAL_GROUPS, shared));
        out.put(perFrame);
        TestFiles.put(out, TagFromName.NumberOfFrames, Integer.toString(slices.size()));
        TestFiles.put(out, TagFromName.SOPClassUID, "1.2.840.10008.5.1.4.1.1.4.1");
        TestFiles.put(out, TagFromName.SOPInstanceUID, "2.25.424242");
        OtherWordAttribute px = new OtherWordAttribute(TagFromName.PixelData);
        px.setValues(pixels);
        out.put(px);
        return out;
    }

    // ------------------------------------------------------------------ inconsistent series

    @Test
    void missingMiddleSliceIsUnevenSpacing() throws Exception {
        GeneratedSeries g = Synth.brainMr(dir, SMALL);
        List<Path> files = new ArrayList<>(g.files());
        files.remove(4);
        PixelDataException e = volumeFails(g.studyInstanceUid(), files);
        List<String> sops = g.sopInstanceUids();
        assertMentions(e, "Series " + g.seriesInstanceUid(), "uneven slice spacing", sops.get(3), sops.get(5),
                "is 2.000 mm", "median gap is 1.000 mm", "1 of 6 gaps", "missing slice");
    }

    @Test
    void mixedOrientationsAreRefused() throws Exception {
        GeneratedSeries axial = Synth.brainMr(dir.resolve("ax"), SMALL);
        GeneratedSeries sagittal = Synth.brainMr(dir.resolve("sag"), SMALL.withOrientation(MrOptions.Orientation.SAGITTAL));
        assertEquals(axial.studyInstanceUid(), sagittal.studyInstanceUid());
        List<Path> files = new ArrayList<>(axial.files());
        files.set(3, intoSeries(sagittal.files().get(3), axial.seriesInstanceUid(), dir.resolve("mixed.dcm")));
        PixelDataException e = volumeFails(axial.studyInstanceUid(), files);
        assertMentions(e, "differ in Image Orientation", "[1, 0, 0, 0, 1, 0]", "[0, 1, 0, 0, 0, -1]",
                sagittal.sopInstanceUids().get(3));
    }

    @Test
    void aSliceWithOtherRowsIsRefused() throws Exception {
        GeneratedSeries g = Synth.brainMr(dir.resolve("a"), SMALL);
        GeneratedSeries taller = Synth.brainMr(dir.resolve("b"), SMALL.withDimensions(20, 21, 8));
        List<Path> files = new ArrayList<>(g.files());
        files.set(5, intoSeries(taller.files().get(5), g.seriesInstanceUid(), dir.resolve("taller.dcm")));
        PixelDataException e = volumeFails(g.studyInstanceUid(), files);
        assertMentions(e, "differ in size", "Rows x Columns 20 x 20", "21 x 20", taller.sopInstanceUids().get(5));
    }

    @Test
    void duplicatePositionsAreRefused() throws Exception {
        GeneratedSeries g = Synth.brainMr(dir, SMALL);
        List<Path> files = new ArrayList<>(g.files());
        files.add(TestFiles.edit(g.files().get(2), dir.resolve("again.dcm"),
                l -> TestFiles.put(l, TagFromName.SOPInstanceUID, "2.25.777")));
        PixelDataException e = volumeFails(g.studyInstanceUid(), files);
        assertMentions(e, "same position", "2.25.777", g.sopInstanceUids().get(2), "echoes, phases");
    }

    @Test
    void missingGeometryIsRefused() throws Exception {
        GeneratedSeries g = Synth.brainMr(dir, SMALL);
        List<Path> files = new ArrayList<>(g.files());
        files.set(6, TestFiles.edit(g.files().get(6), dir.resolve("nopos.dcm"),
                l -> l.remove(TagFromName.ImagePositionPatient)));
        assertMentions(volumeFails(g.studyInstanceUid(), files),
                "1 of 8 slices have no valid Image Position (Patient)", g.sopInstanceUids().get(6));

        files = new ArrayList<>(g.files());
        files.set(1, TestFiles.edit(g.files().get(1), dir.resolve("nospacing.dcm"), l -> l.remove(TagFromName.PixelSpacing)));
        assertMentions(volumeFails(g.studyInstanceUid(), files), "no valid Pixel Spacing", g.sopInstanceUids().get(1));
    }

    @Test
    void oneSliceIsNotAVolume() throws Exception {
        GeneratedSeries g = Synth.brainMr(dir, SMALL.withDimensions(20, 20, 1));
        assertMentions(volumeFails(g.studyInstanceUid(), g.files()), "1 image slice(s)", "at least 2");
    }

    @Test
    void shearedStackIsRefused() throws Exception {
        GeneratedSeries ct = Synth.ctSeries(dir, CtOptions.defaults().withCount(5).withSize(32, 32));
        List<Path> files = new ArrayList<>();
        for (int s = 0; s < 5; s++) {
            double shift = 0.5 * s; // a gantry tilt moves each slice along y
            files.add(TestFiles.edit(ct.files().get(s), dir.resolve("tilt" + s + ".dcm"), l -> {
                double[] p = Attribute.getDoubleValues(l, TagFromName.ImagePositionPatient);
                TestFiles.put(l, TagFromName.ImagePositionPatient, ds(p[0]), ds(p[1] + shift), ds(p[2]));
            }));
        }
        assertMentions(volumeFails(ct.studyInstanceUid(), files), "not stacked along the normal", "0.500 mm",
                "gantry tilt");
    }

    @Test
    void spacingToleranceIsConfigurable() throws Exception {
        GeneratedSeries g = Synth.brainMr(dir, SMALL);
        List<Path> files = new ArrayList<>(g.files());
        files.set(4, TestFiles.edit(g.files().get(4), dir.resolve("jitter.dcm"), l -> {
            double[] p = Attribute.getDoubleValues(l, TagFromName.ImagePositionPatient);
            TestFiles.put(l, TagFromName.ImagePositionPatient, ds(p[0]), ds(p[1]), ds(p[2] + 0.05));
        }));
        assertMentions(volumeFails(g.studyInstanceUid(), files), "uneven slice spacing", "tolerance 0.010 mm");

        GeometryTolerance loose = new GeometryTolerance(0.1, 0.01, 1e-4, 1e-3);
        Volume v = SpoolStudyInput.of(g.studyInstanceUid(), files, loose).series().get(0).volume();
        assertEquals(1.0, v.sliceSpacingMm(), 1e-9);
    }

    private static String ds(double v) {
        return String.format(Locale.ROOT, "%.6f", v);
    }

    /** A copy of {@code file} moved into another series (same SOP Instance UID). */
    private static Path intoSeries(Path file, String seriesUid, Path out) throws Exception {
        return TestFiles.edit(file, out, l -> TestFiles.put(l, TagFromName.SeriesInstanceUID, seriesUid));
    }
}
