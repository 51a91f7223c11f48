package org.radflow.testdata;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pixelmed.dicom.AttributeList;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MrTest {

    @TempDir
    Path dir;

    /** One slice as read back: position, instance number, pixels. */
    record Slice(Path file, double[] position, double[] orientation, double[] spacing, int instance, short[] pixels,
                 AttributeList list) {}

    static List<Slice> readAll(GeneratedSeries g) throws Exception {
        List<Slice> out = new ArrayList<>();
        for (Path f : g.files()) {
            AttributeList l = DicomTools.read(f);
            out.add(new Slice(f, DicomTools.doubles(l, 0x0020, 0x0032), DicomTools.doubles(l, 0x0020, 0x0037),
                    DicomTools.doubles(l, 0x0028, 0x0030), DicomTools.integer(l, 0x0020, 0x0013),
                    DicomTools.pixels(l), l));
        }
        return out;
    }

    static double[] cross(double[] a, double[] b) {
        return new double[] {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
    }

    static double dot(double[] a, double[] b) {
        return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    }

    /** Sorts by position along the normal (as a consumer must) and checks the spacing. */
    static List<Slice> assertGeometry(List<Slice> slices, double sliceSpacing, double rowSpacing, double colSpacing) {
        double[] iop = slices.get(0).orientation();
        double[] normal = cross(new double[] {iop[0], iop[1], iop[2]}, new double[] {iop[3], iop[4], iop[5]});
        List<Slice> sorted = new ArrayList<>(slices);
        sorted.sort(Comparator.comparingDouble(s -> dot(s.position(), normal)));
        for (int i = 0; i < sorted.size(); i++) {
            Slice s = sorted.get(i);
            assertArrayEquals(iop, s.orientation(), 1e-9);
            assertArrayEquals(new double[] {rowSpacing, colSpacing}, s.spacing(), 1e-9);
            assertEquals(dot(s.position(), normal), Double.parseDouble(DicomTools.string(s.list(), 0x0020, 0x1041)), 1e-4,
                    "SliceLocation");
            assertEquals(sliceSpacing, Double.parseDouble(DicomTools.string(s.list(), 0x0018, 0x0050)), 1e-9);
            String between = DicomTools.string(s.list(), 0x0018, 0x0088); // MR only; CT has no such attribute
            if (!between.isEmpty()) {
                assertEquals(sliceSpacing, Double.parseDouble(between), 1e-9);
            }
            if (i > 0) {
                double[] prev = sorted.get(i - 1).position();
                for (int k = 0; k < 3; k++) {
                    assertEquals(sliceSpacing * normal[k], s.position()[k] - prev[k], 1e-4,
                            "slice " + i + " advances along the normal by the spacing");
                }
            }
        }
        String frame = DicomTools.string(slices.get(0).list(), 0x0020, 0x0052);
        assertTrue(SynthUids.isValid(frame));
        for (Slice s : slices) {
            assertEquals(frame, DicomTools.string(s.list(), 0x0020, 0x0052));
        }
        return sorted;
    }

    @Test
    void hippoCropIsValidWithGeometryAndGroundTruth() throws Exception {
        GeneratedVolume v = Synth.brainMrWithLabels(dir, MrOptions.defaults());
        GeneratedSeries g = v.series();
        assertEquals(32, g.files().size());
        assertEquals("MR", g.modality());
        DicomTools.assertValid(g.files().get(0));
        DicomTools.assertValid(g.files().get(31));

        List<Slice> slices = readAll(g);
        AttributeList first = slices.get(0).list();
        assertEquals(Synth.MR_IMAGE, DicomTools.string(first, 0x0008, 0x0016));
        assertEquals("HippoCrop", DicomTools.string(first, 0x0008, 0x103E));
        assertEquals(51, DicomTools.integer(first, 0x0028, 0x0010));
        assertEquals(35, DicomTools.integer(first, 0x0028, 0x0011));
        assertEquals("MONOCHROME2", DicomTools.string(first, 0x0028, 0x0004));
        assertEquals(0, DicomTools.integer(first, 0x0028, 0x0103));
        List<Slice> sorted = assertGeometry(slices, 1.0, 1.0, 1.0);
        for (int i = 0; i < sorted.size(); i++) {
            assertEquals(g.files().get(i), sorted.get(i).file(), "files() are in position order");
            assertEquals(i + 1, sorted.get(i).instance(), "unshuffled: instance follows position");
        }

        byte[][][] labels = v.labels();
        assertEquals(32, labels.length);
        assertEquals(51, labels[0].length);
        assertEquals(35, labels[0][0].length);
        long anterior = v.voxelCount(GeneratedVolume.ANTERIOR);
        long posterior = v.voxelCount(GeneratedVolume.POSTERIOR);
        assertTrue(anterior > 500 && posterior > 500, anterior + " " + posterior);
        assertEquals((anterior + posterior) * 1.0, v.volumeMm3(1) + v.volumeMm3(2), 1e-9);
        // The labelled region lies strictly inside the crop (no label on any face).
        for (int s = 0; s < 32; s++) {
            for (int r = 0; r < 51; r++) {
                for (int c = 0; c < 35; c++) {
                    if (labels[s][r][c] != 0) {
                        assertTrue(s > 0 && s < 31 && r > 0 && r < 50 && c > 0 && c < 34, "label at border " + s + "," + r + "," + c);
                    }
                }
            }
        }
        // Intensities: anterior, posterior and their surroundings are distinct.
        double[] sum = new double[3];
        long[] count = new long[3];
        for (int s = 0; s < 32; s++) {
            short[] px = sorted.get(s).pixels();
            for (int r = 0; r < 51; r++) {
                for (int c = 0; c < 35; c++) {
                    int lab = labels[s][r][c];
                    sum[lab] += px[r * 35 + c] & 0xFFFF;
                    count[lab]++;
                }
            }
        }
        double bg = sum[0] / count[0];
        double ant = sum[1] / count[1];
        double post = sum[2] / count[2];
        assertTrue(Math.abs(ant - post) > 80, ant + " vs " + post);
        assertTrue(Math.abs(ant - bg) > 80 && Math.abs(post - bg) > 40, ant + " " + post + " " + bg);
        // Labels on the noise-free phantom are exactly the anterior/posterior intensities.
        assertTrue(Math.abs(ant - HeadPhantom.HIPPO_ANTERIOR) < 25 && Math.abs(post - HeadPhantom.HIPPO_POSTERIOR) < 25);
    }

    @Test
    void shuffledInstanceNumbersKeepCorrectPositions() throws Exception {
        MrOptions o = MrOptions.defaults().withShuffledInstanceNumbers(true).withSeed(9);
        GeneratedVolume v = Synth.brainMrWithLabels(dir, o);
        List<Slice> slices = readAll(v.series());
        List<Slice> sorted = assertGeometry(slices, 1.0, 1.0, 1.0);
        int outOfOrder = 0;
        List<Integer> instances = new ArrayList<>();
        for (int i = 0; i < sorted.size(); i++) {
            assertEquals(v.series().files().get(i), sorted.get(i).file(), "files() are in position order");
            instances.add(sorted.get(i).instance());
            if (sorted.get(i).instance() != i + 1) {
                outOfOrder++;
            }
        }
        assertTrue(outOfOrder > 10, "instance numbers are shuffled: " + instances);
        assertEquals(32, instances.stream().distinct().count());
        // File names follow instance numbers, so sorting by name does not give position order either.
        List<Path> byName = new ArrayList<>(v.series().files());
        byName.sort(Comparator.comparing(Path::toString));
        assertNotEquals(v.series().files(), byName);
        // Same anatomy as the unshuffled crop, slice for slice.
        GeneratedVolume plain = Synth.brainMrWithLabels(dir.resolve("plain"), o.withShuffledInstanceNumbers(false));
        assertEquals(plain.voxelCount(1), v.voxelCount(1));
        assertEquals(plain.voxelCount(2), v.voxelCount(2));
    }

    @Test
    void anisotropicSpacingAndEveryOrientation() throws Exception {
        for (MrOptions.Orientation orientation : MrOptions.Orientation.values()) {
            MrOptions o = MrOptions.defaults().withOrientation(orientation).withSpacing(0.9, 0.8, 1.2)
                    .withDimensions(48, 56, 30).withSeriesDescription("aniso " + orientation);
            GeneratedVolume v = Synth.brainMrWithLabels(dir.resolve(orientation.name()), o);
            DicomTools.assertValid(v.series().files().get(0));
            List<Slice> slices = readAll(v.series());
            assertGeometry(slices, 1.2, 0.9, 0.8);
            double[] expected = new double[6];
            System.arraycopy(orientation.rowDirection(), 0, expected, 0, 3);
            System.arraycopy(orientation.columnDirection(), 0, expected, 3, 3);
            assertArrayEquals(expected, slices.get(0).orientation(), 1e-9);
            assertEquals(0.9 * 0.8 * 1.2, v.voxelVolumeMm3(), 1e-12);
            assertTrue(v.voxelCount(1) > 0 && v.voxelCount(2) > 0, orientation.name());
            // Same physical hippocampus whatever the grid: volumes agree within sampling error.
            double total = v.volumeMm3(1) + v.volumeMm3(2);
            assertTrue(total > 2700 && total < 3600, orientation + " " + total);
        }
    }

    @Test
    void fullHeadSlicesAreValid() throws Exception {
        MrOptions o = MrOptions.fullHead().withDimensions(256, 256, 3);
        GeneratedVolume v = Synth.brainMrWithLabels(dir, o);
        assertEquals(3, v.series().files().size());
        for (Path f : v.series().files()) {
            DicomTools.assertValid(f);
        }
        List<Slice> slices = readAll(v.series());
        assertGeometry(slices, 1.0, 1.0, 1.0);
        AttributeList l = slices.get(1).list();
        assertEquals("T1 MPRAGE SAG", DicomTools.string(l, 0x0008, 0x103E));
        assertEquals(256, DicomTools.integer(l, 0x0028, 0x0010));
        // Mid-sagittal slice: bright scalp, dark skull, white matter brighter than grey, air dark.
        short[] px = slices.get(1).pixels();
        assertTrue((px[5 * 256 + 5] & 0xFFFF) < 60, "air");
        assertTrue((px[80 * 256 + 128] & 0xFFFF) > 500, "white matter");
    }

    @Test
    void fullHeadDefaultsAreT1Sagittal256x256x176() {
        MrOptions o = MrOptions.fullHead();
        assertEquals(256, o.columns());
        assertEquals(256, o.rows());
        assertEquals(176, o.slices());
        assertEquals(MrOptions.Orientation.SAGITTAL, o.orientation());
        assertArrayEquals(new double[] {-1, 0, 0}, MrOptions.Orientation.SAGITTAL.normal(), 0);
        assertArrayEquals(new double[] {0, 0, 1}, MrOptions.Orientation.AXIAL.normal(), 0);
        assertArrayEquals(new double[] {0, 1, 0}, MrOptions.Orientation.CORONAL.normal(), 0);
    }

    @Test
    void cropAndHeadOfOneSeedShareStudyAndFrameOfReference() throws Exception {
        GeneratedSeries crop = Synth.brainMr(dir.resolve("c"), MrOptions.defaults().withDimensions(35, 51, 2));
        GeneratedSeries head = Synth.brainMr(dir.resolve("h"), MrOptions.fullHead().withDimensions(64, 64, 2));
        assertEquals(crop.studyInstanceUid(), head.studyInstanceUid());
        assertNotEquals(crop.seriesInstanceUid(), head.seriesInstanceUid());
        assertEquals(DicomTools.string(DicomTools.read(crop.files().get(0)), 0x0020, 0x0052),
                DicomTools.string(DicomTools.read(head.files().get(0)), 0x0020, 0x0052));
    }
}
