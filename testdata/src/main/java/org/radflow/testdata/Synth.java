package org.radflow.testdata;

import static org.radflow.testdata.StudyContext.t;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Writes synthetic DICOM studies: chest radiographs (DX/CR), brain MR volumes with ground-truth
 * labels, and CT-size series. Output is a pure function of the options: the same options give
 * byte-identical files.
 */
public final class Synth {
    private Synth() {}

    public static final String DX_FOR_PRESENTATION = "1.2.840.10008.5.1.4.1.1.1.1";
    public static final String CR_IMAGE = "1.2.840.10008.5.1.4.1.1.1";
    public static final String MR_IMAGE = "1.2.840.10008.5.1.4.1.1.4";
    public static final String CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2";

    // ---------------------------------------------------------------- chest radiographs

    /** One chest radiograph (DX or CR) in its own series. */
    public static GeneratedSeries chestRadiograph(Path outDir, ChestOptions o) throws IOException {
        boolean dx = o.modality() == ChestOptions.Modality.DX;
        String modality = o.modality().name();
        String seriesDescription = o.seriesDescription() != null ? o.seriesDescription()
                : "Chest " + o.view().name();
        StudyContext sc = new StudyContext("chest", o.seed(), o.patient(), o.studyInstanceUid(),
                o.accessionNumber(), o.studyDescription(), o.seriesNumber(), seriesDescription, o);
        String sopClass = dx ? DX_FOR_PRESENTATION : CR_IMAGE;
        String sopInstance = sc.instanceUid(1);

        short[] m2 = ChestPhantom.render(o.view(), o.rows(), o.columns(), o.seed(), o.finding());
        int min = ChestPhantom.MAX;
        int max = 0;
        for (short v : m2) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        boolean mono1 = o.photometric() == ChestOptions.Photometric.MONOCHROME1;
        short[] stored = m2;
        if (mono1) {
            stored = new short[m2.length];
            for (int i = 0; i < m2.length; i++) {
                stored[i] = (short) (ChestPhantom.MAX - m2[i]);
            }
        }
        double center = (min + max) / 2.0;
        double width = Math.max(2, max - min);
        if (mono1) {
            center = ChestPhantom.MAX - center;
        }

        DicomDataset ds = sc.common(modality, sopClass, sopInstance, 1);
        ds.str(t(0x0008, 0x0008), "CS", "ORIGINAL", "PRIMARY")
                .str(t(0x0020, 0x0020), "CS", o.view() == ChestOptions.View.LAT ? new String[] {"P", "F"}
                        : new String[] {"L", "F"})
                .str(t(0x0018, 0x5101), "CS", o.view() == ChestOptions.View.LAT ? "LL" : o.view().name())
                .ds(t(0x0018, 0x0060), 110)
                .strIfPresent(t(0x0018, 0x0015), "CS", o.bodyPart())
                .us(t(0x0028, 0x0002), 1)
                .str(t(0x0028, 0x0004), "CS", o.photometric().name())
                .us(t(0x0028, 0x0010), o.rows())
                .us(t(0x0028, 0x0011), o.columns())
                .us(t(0x0028, 0x0100), 16)
                .us(t(0x0028, 0x0101), 12)
                .us(t(0x0028, 0x0102), 11)
                .us(t(0x0028, 0x0103), 0)
                .str(t(0x0028, 0x2110), "CS", "00")
                .bytes(t(0x7FE0, 0x0010), "OW", DicomDataset.le16(stored));
        if (o.window()) {
            ds.ds(t(0x0028, 0x1050), center).ds(t(0x0028, 0x1051), width);
        } else if (dx) {
            // DX For Presentation must carry a VOI transform: without a window, give a linear VOI LUT.
            ds.seq(t(0x0028, 0x3010), linearVoiLut(mono1 ? ChestPhantom.MAX - max : min,
                    mono1 ? ChestPhantom.MAX - min : max));
        }
        if (dx) {
            ds.str(t(0x0008, 0x0068), "CS", "FOR PRESENTATION")
                    .str(t(0x0020, 0x0062), "CS", "U")
                    .ds(t(0x0018, 0x1164), o.pixelSpacingMm(), o.pixelSpacingMm())
                    .str(t(0x0018, 0x7004), "CS", "SCINTILLATOR")
                    .str(t(0x0018, 0x7005), "CS", "AREA")
                    .str(t(0x0028, 0x0301), "CS", "NO")
                    .str(t(0x0028, 0x1040), "CS", "LOG")
                    .ds(t(0x0028, 0x1052), 0)
                    .ds(t(0x0028, 0x1053), 1)
                    .str(t(0x0028, 0x1054), "LO", "US")
                    .str(t(0x2050, 0x0020), "CS", mono1 ? "INVERSE" : "IDENTITY")
                    .str(t(0x0018, 0x1508), "CS", "COLUMN")
                    .seq(t(0x0054, 0x0220), viewCode(o.view()))
                    .seq(t(0x0040, 0x0555));
            ds.bytes(t(0x0028, 0x1041), "SS", sign(mono1 ? 1 : -1));
            DicomDataset region = o.bodyPart() == null ? null : anatomicRegion(o.bodyPart());
            if (region != null) {
                ds.seq(t(0x0008, 0x2218), region);
            } else {
                ds.seq(t(0x0008, 0x2218)); // type 2: present, empty
            }
        } else {
            ds.ds(t(0x0028, 0x0030), o.pixelSpacingMm(), o.pixelSpacingMm());
            if (!ds.contains(t(0x0018, 0x0015))) {
                // Body part unknown: both are type 2 (CR Series) / 2C (Laterality of a maybe-paired part).
                ds.str(t(0x0018, 0x0015), "CS", "").str(t(0x0020, 0x0060), "CS", "");
            }
        }
        Path file = outDir.resolve(sc.fileName(modality, 1));
        ds.writePart10(file, sopClass, sopInstance);
        return new GeneratedSeries(sc.studyUid, sc.seriesUid, modality, List.of(file), List.of(sopInstance));
    }

    private static byte[] sign(int v) {
        return new byte[] {(byte) v, (byte) (v >> 8)};
    }

    /** A VOI LUT mapping [low, high] linearly onto the full 16-bit output range. */
    private static DicomDataset linearVoiLut(int low, int high) {
        int entries = ChestPhantom.MAX + 1;
        short[] lut = new short[entries];
        for (int i = 0; i < entries; i++) {
            double f = (i - low) / (double) Math.max(1, high - low);
            lut[i] = (short) Math.round(Math.max(0, Math.min(1, f)) * 65535);
        }
        return new DicomDataset()
                .us(t(0x0028, 0x3002), entries, 0, 16)
                .str(t(0x0028, 0x3003), "LO", "LINEAR")
                .bytes(t(0x0028, 0x3006), "OW", DicomDataset.le16(lut));
    }

    /** CID 4010 view codes, as PixelMed and dicom3tools know them. */
    private static DicomDataset viewCode(ChestOptions.View view) {
        DicomDataset code = switch (view) {
            case PA -> DicomDataset.code("399066004", "SCT", "postero-anterior");
            case AP -> DicomDataset.code("399348003", "SCT", "antero-posterior");
            case LAT -> DicomDataset.code("399173006", "SCT", "left lateral");
        };
        return code.seq(t(0x0054, 0x0222));
    }

    private static DicomDataset anatomicRegion(String bodyPart) {
        return switch (bodyPart) {
            case "CHEST" -> DicomDataset.code("51185008", "SCT", "Chest");
            case "SKULL" -> DicomDataset.code("89546000", "SCT", "Skull");
            case "HEAD" -> DicomDataset.code("69536005", "SCT", "Head");
            case "ABDOMEN" -> DicomDataset.code("113345001", "SCT", "Abdomen");
            default -> null;
        };
    }

    // ---------------------------------------------------------------- brain MR

    /** A brain MR volume, one file per slice. */
    public static GeneratedSeries brainMr(Path outDir, MrOptions o) throws IOException {
        return brainMrWithLabels(outDir, o).series();
    }

    /** A brain MR volume and its hippocampus ground truth (labels in position order). */
    public static GeneratedVolume brainMrWithLabels(Path outDir, MrOptions o) throws IOException {
        StudyContext sc = new StudyContext("mr", o.seed(), o.patient(), o.studyInstanceUid(),
                o.accessionNumber(), o.studyDescription(), o.seriesNumber(), o.seriesDescription(), o);
        String frameOfReference = SynthUids.derive("frame-of-reference", sc.studyUid, "mr-head", o.seed());
        double[] rowDir = o.orientation().rowDirection();
        double[] colDir = o.orientation().columnDirection();
        double[] normal = o.orientation().normal();
        double[] centre = o.field() == MrOptions.Field.HIPPOCAMPUS
                ? HeadPhantom.RIGHT_HIPPOCAMPUS_CENTRE : HeadPhantom.HEAD_CENTRE;
        int cols = o.columns();
        int rows = o.rows();
        int n = o.slices();
        double cs = o.columnSpacingMm();
        double rs = o.rowSpacingMm();
        double ss = o.sliceSpacingMm();
        double[] origin = new double[3];
        for (int k = 0; k < 3; k++) {
            origin[k] = centre[k] - (cols - 1) / 2.0 * cs * rowDir[k] - (rows - 1) / 2.0 * rs * colDir[k]
                    - (n - 1) / 2.0 * ss * normal[k];
        }
        int[] instanceNumbers = instanceOrder(n, o.shuffleInstanceNumbers(), o.seed());
        byte[][][] labels = new byte[n][rows][cols];
        Path[] files = new Path[n];
        String[] sops = new String[n];
        long seed = o.seed();

        parallel(n, s -> {
            double[] pos = new double[3];
            for (int k = 0; k < 3; k++) {
                pos[k] = origin[k] + s * ss * normal[k];
            }
            short[] pixels = new short[rows * cols];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    double x = pos[0] + c * cs * rowDir[0] + r * rs * colDir[0];
                    double y = pos[1] + c * cs * rowDir[1] + r * rs * colDir[1];
                    double z = pos[2] + c * cs * rowDir[2] + r * rs * colDir[2];
                    labels[s][r][c] = (byte) HeadPhantom.label(x, y, z);
                    double intensity = HeadPhantom.intensity(x, y, z, seed);
                    double bias = 1 + 0.04 * Rng.noise3(seed ^ 0xB1A5L, x / 60, y / 60, z / 60);
                    double noise = 9 * Rng.gaussianish(Rng.hash(seed, s, r, c));
                    double v = intensity * bias + noise;
                    if (intensity == 0) {
                        v = Math.abs(noise);
                    }
                    pixels[r * cols + c] = (short) Math.max(0, Math.min(65535, Math.round(v)));
                }
            }
            int instance = instanceNumbers[s];
            String sop = sc.instanceUid(instance);
            DicomDataset ds = sc.common("MR", MR_IMAGE, sop, instance)
                    .str(t(0x0008, 0x0008), "CS", "ORIGINAL", "PRIMARY", "OTHER")
                    .str(t(0x0018, 0x0015), "CS", "HEAD")
                    .str(t(0x0018, 0x0020), "CS", "GR", "IR")
                    .str(t(0x0018, 0x0021), "CS", "SP", "MP")
                    .str(t(0x0018, 0x0022), "CS", "")
                    .str(t(0x0018, 0x0023), "CS", "3D")
                    .str(t(0x0018, 0x0024), "SH", "tfl3d1")
                    .ds(t(0x0018, 0x0050), ss)
                    .ds(t(0x0018, 0x0080), 2300)
                    .ds(t(0x0018, 0x0081), 2.98)
                    .ds(t(0x0018, 0x0082), 900)
                    .ds(t(0x0018, 0x0083), 1)
                    .ds(t(0x0018, 0x0084), 123.25)
                    .str(t(0x0018, 0x0085), "SH", "1H")
                    .ds(t(0x0018, 0x0087), 3)
                    .ds(t(0x0018, 0x0088), ss)
                    .is(t(0x0018, 0x0091), 1)
                    .ds(t(0x0018, 0x1314), 9)
                    .str(t(0x0018, 0x5100), "CS", "HFS")
                    .ds(t(0x0020, 0x0032), pos)
                    .ds(t(0x0020, 0x0037), rowDir[0], rowDir[1], rowDir[2], colDir[0], colDir[1], colDir[2])
                    .str(t(0x0020, 0x0052), "UI", frameOfReference)
                    .str(t(0x0020, 0x1040), "LO", "")
                    .ds(t(0x0020, 0x1041), pos[0] * normal[0] + pos[1] * normal[1] + pos[2] * normal[2])
                    .us(t(0x0028, 0x0002), 1)
                    .str(t(0x0028, 0x0004), "CS", "MONOCHROME2")
                    .us(t(0x0028, 0x0010), rows)
                    .us(t(0x0028, 0x0011), cols)
                    .ds(t(0x0028, 0x0030), rs, cs)
                    .us(t(0x0028, 0x0100), 16)
                    .us(t(0x0028, 0x0101), 16)
                    .us(t(0x0028, 0x0102), 15)
                    .us(t(0x0028, 0x0103), 0)
                    .ds(t(0x0028, 0x1050), 380)
                    .ds(t(0x0028, 0x1051), 800)
                    .bytes(t(0x7FE0, 0x0010), "OW", DicomDataset.le16(pixels));
            Path file = outDir.resolve(sc.fileName("MR", instance));
            ds.writePart10(file, MR_IMAGE, sop);
            files[s] = file;
            sops[s] = sop;
        });
        GeneratedSeries series = new GeneratedSeries(sc.studyUid, sc.seriesUid, "MR",
                Arrays.asList(files), Arrays.asList(sops));
        return new GeneratedVolume(series, labels, rs, cs, ss);
    }

    /** Instance numbers by position index: 1..n in order, or a seeded permutation (never the identity). */
    private static int[] instanceOrder(int n, boolean shuffle, long seed) {
        int[] order = IntStream.rangeClosed(1, n).toArray();
        if (!shuffle || n < 2) {
            return order;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = (int) Math.floorMod(Rng.hash(seed, 0x5FF1E, i, 0), (long) i + 1);
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        boolean identity = true;
        for (int i = 0; i < n && identity; i++) {
            identity = order[i] == i + 1;
        }
        if (identity) {
            order[0] = 2;
            order[1] = 1;
        }
        return order;
    }

    // ---------------------------------------------------------------- CT

    /** A CT series of axial slices through a simple body phantom. */
    public static GeneratedSeries ctSeries(Path outDir, CtOptions o) throws IOException {
        StudyContext sc = new StudyContext("ct", o.seed(), o.patient(), o.studyInstanceUid(),
                o.accessionNumber(), o.studyDescription(), o.seriesNumber(), o.seriesDescription(), o);
        String frameOfReference = SynthUids.derive("frame-of-reference", sc.studyUid, "ct-phantom", o.seed());
        int n = o.count();
        int rows = o.rows();
        int cols = o.columns();
        double ps = o.pixelSpacingMm();
        double ss = o.sliceSpacingMm();
        double x0 = -(cols - 1) / 2.0 * ps;
        double y0 = -(rows - 1) / 2.0 * ps;
        double z0 = -(n - 1) / 2.0 * ss;
        Path[] files = new Path[n];
        String[] sops = new String[n];
        long seed = o.seed();
        parallel(n, s -> {
            double z = z0 + s * ss;
            short[] pixels = CtPhantom.slice(rows, cols, ps, x0, y0, z, seed, s);
            int instance = s + 1;
            String sop = sc.instanceUid(instance);
            DicomDataset ds = sc.common("CT", CT_IMAGE, sop, instance)
                    .str(t(0x0008, 0x0008), "CS", "ORIGINAL", "PRIMARY", "AXIAL")
                    .str(t(0x0018, 0x0015), "CS", "CHEST")
                    .ds(t(0x0018, 0x0050), ss)
                    .ds(t(0x0018, 0x0060), 120)
                    .ds(t(0x0018, 0x1100), Math.max(rows, cols) * ps)
                    .ds(t(0x0018, 0x1130), 0)
                    .is(t(0x0018, 0x1151), 200)
                    .str(t(0x0018, 0x1210), "SH", "STANDARD")
                    .str(t(0x0018, 0x5100), "CS", "HFS")
                    .ds(t(0x0020, 0x0032), x0, y0, z)
                    .ds(t(0x0020, 0x0037), 1, 0, 0, 0, 1, 0)
                    .str(t(0x0020, 0x0052), "UI", frameOfReference)
                    .str(t(0x0020, 0x1040), "LO", "")
                    .ds(t(0x0020, 0x1041), z)
                    .us(t(0x0028, 0x0002), 1)
                    .str(t(0x0028, 0x0004), "CS", "MONOCHROME2")
                    .us(t(0x0028, 0x0010), rows)
                    .us(t(0x0028, 0x0011), cols)
                    .ds(t(0x0028, 0x0030), ps, ps)
                    .us(t(0x0028, 0x0100), 16)
                    .us(t(0x0028, 0x0101), 16)
                    .us(t(0x0028, 0x0102), 15)
                    .us(t(0x0028, 0x0103), 1)
                    .ds(t(0x0028, 0x1050), 40)
                    .ds(t(0x0028, 0x1051), 400)
                    .ds(t(0x0028, 0x1052), -1024)
                    .ds(t(0x0028, 0x1053), 1)
                    .str(t(0x0028, 0x1054), "LO", "HU")
                    .bytes(t(0x7FE0, 0x0010), "OW", DicomDataset.le16(pixels));
            Path file = outDir.resolve(sc.fileName("CT", instance));
            ds.writePart10(file, CT_IMAGE, sop);
            files[s] = file;
            sops[s] = sop;
        });
        return new GeneratedSeries(sc.studyUid, sc.seriesUid, "CT", Arrays.asList(files), Arrays.asList(sops));
    }

    // ---------------------------------------------------------------- helpers

    private interface SliceWriter {
        void write(int index) throws IOException;
    }

    /** Runs the slices on the common pool; each result depends only on its index, so order does not matter. */
    private static void parallel(int n, SliceWriter writer) throws IOException {
        try {
            IntStream.range(0, n).parallel().forEach(i -> {
                try {
                    writer.write(i);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
