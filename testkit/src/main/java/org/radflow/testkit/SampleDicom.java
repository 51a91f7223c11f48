package org.radflow.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * Small, valid DICOM Part 10 files (Secondary Capture, explicit VR little endian) written at test
 * time with DCMTK's {@code dump2dcm}, so no binary test data is committed. They pass
 * {@code dciodvfy} without errors. For realistic images and studies use the testdata module.
 *
 * <pre>{@code
 * List<Path> files = SampleDicom.study(tempDir, 3);            // one study, one series, 3 instances
 * Path one = SampleDicom.instance().sopInstanceUid(uid).write(tempDir.resolve("x.dcm"));
 * }</pre>
 */
public final class SampleDicom {

    /** Secondary Capture Image Storage. */
    public static final String SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7";

    private String patientName = "RADFLOW^TEST";
    private String patientId = "RFTEST001";
    private String studyInstanceUid = newUid();
    private String seriesInstanceUid = newUid();
    private String sopInstanceUid;
    private String accessionNumber = "RFACC001";
    private String modality = "OT";
    private String studyDate = "20240101";
    private String studyDescription = "RadFlow test study";
    private int seriesNumber = 1;
    private int instanceNumber = 1;
    private int rows = 8;
    private int columns = 8;
    private int bitsAllocated = 8;

    private SampleDicom() {
    }

    /** A builder with fresh study, series and instance UIDs. */
    public static SampleDicom instance() {
        return new SampleDicom();
    }

    /** A new {@code 2.25.<uuid as integer>} UID. */
    public static String newUid() {
        UUID uuid = UUID.randomUUID();
        ByteBuffer bytes = ByteBuffer.allocate(16);
        bytes.putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits());
        return "2.25." + new BigInteger(1, bytes.array());
    }

    /** Writes {@code count} instances of one new study/series into {@code dir} as {@code 1.dcm, 2.dcm, ...}. */
    public static List<Path> study(Path dir, int count) {
        SampleDicom builder = instance();
        List<Path> files = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            files.add(builder.instanceNumber(i).sopInstanceUid(newUid()).write(dir.resolve(i + ".dcm")));
        }
        return files;
    }

    public SampleDicom patient(String name, String id) {
        this.patientName = Objects.requireNonNull(name);
        this.patientId = Objects.requireNonNull(id);
        return this;
    }

    public SampleDicom studyInstanceUid(String uid) {
        this.studyInstanceUid = Objects.requireNonNull(uid);
        return this;
    }

    public SampleDicom seriesInstanceUid(String uid) {
        this.seriesInstanceUid = Objects.requireNonNull(uid);
        return this;
    }

    /** The SOP Instance UID (default: a new one for every {@link #write}). */
    public SampleDicom sopInstanceUid(String uid) {
        this.sopInstanceUid = uid;
        return this;
    }

    public SampleDicom accessionNumber(String accessionNumber) {
        this.accessionNumber = Objects.requireNonNull(accessionNumber);
        return this;
    }

    public SampleDicom modality(String modality) {
        this.modality = Objects.requireNonNull(modality);
        return this;
    }

    /** yyyyMMdd */
    public SampleDicom studyDate(String date) {
        this.studyDate = Objects.requireNonNull(date);
        return this;
    }

    public SampleDicom studyDescription(String description) {
        this.studyDescription = Objects.requireNonNull(description);
        return this;
    }

    public SampleDicom seriesNumber(int seriesNumber) {
        this.seriesNumber = seriesNumber;
        return this;
    }

    public SampleDicom instanceNumber(int instanceNumber) {
        this.instanceNumber = instanceNumber;
        return this;
    }

    /** Image size and 8 or 16 bits per pixel (default 8 x 8 x 8 bit). */
    public SampleDicom image(int rows, int columns, int bitsAllocated) {
        if (bitsAllocated != 8 && bitsAllocated != 16) {
            throw new IllegalArgumentException("bitsAllocated must be 8 or 16");
        }
        this.rows = rows;
        this.columns = columns;
        this.bitsAllocated = bitsAllocated;
        return this;
    }

    public String getStudyInstanceUid() {
        return studyInstanceUid;
    }

    public String getSeriesInstanceUid() {
        return seriesInstanceUid;
    }

    /** Writes the file (parent folders created); returns {@code file}. */
    public Path write(Path file) {
        String sop = sopInstanceUid != null ? sopInstanceUid : newUid();
        Path raw = null;
        Path dump = null;
        try {
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            raw = Files.createTempFile(parent, ".pixels-", ".raw");
            dump = Files.createTempFile(parent, ".dump-", ".txt");
            Files.write(raw, pixels());
            Files.writeString(dump, dumpText(sop, raw));
            Dcmtk.dump2dcm(dump, file).assertOk();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        } finally {
            deleteQuietly(raw);
            deleteQuietly(dump);
        }
    }

    private byte[] pixels() {
        int bytesPerPixel = bitsAllocated / 8;
        byte[] data = new byte[rows * columns * bytesPerPixel];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < columns; c++) {
                int value = (r * 7 + c * 3 + instanceNumber * 11) % (bitsAllocated == 8 ? 256 : 4096);
                int offset = (r * columns + c) * bytesPerPixel;
                data[offset] = (byte) value;
                if (bytesPerPixel == 2) {
                    data[offset + 1] = (byte) (value >> 8);
                }
            }
        }
        return data;
    }

    private String dumpText(String sop, Path raw) {
        String vr = bitsAllocated == 8 ? "OB" : "OW";
        return String.join("\n",
                "# Dicom-Meta-Information-Header",
                "(0002,0001) OB 00\\01",
                "(0002,0002) UI " + SECONDARY_CAPTURE,
                "(0002,0003) UI " + sop,
                "(0002,0010) UI 1.2.840.10008.1.2.1",
                "# Dicom-Data-Set",
                "(0008,0008) CS [DERIVED\\SECONDARY]",
                "(0008,0016) UI " + SECONDARY_CAPTURE,
                "(0008,0018) UI " + sop,
                "(0008,0020) DA [" + studyDate + "]",
                "(0008,0030) TM [120000]",
                "(0008,0050) SH [" + accessionNumber + "]",
                "(0008,0060) CS [" + modality + "]",
                "(0008,0064) CS [WSD]",
                "(0008,0090) PN []",
                "(0008,1030) LO [" + studyDescription + "]",
                "(0010,0010) PN [" + patientName + "]",
                "(0010,0020) LO [" + patientId + "]",
                "(0010,0030) DA []",
                "(0010,0040) CS []",
                "(0018,0015) CS [CHEST]",
                "(0020,000d) UI " + studyInstanceUid,
                "(0020,000e) UI " + seriesInstanceUid,
                "(0020,0010) SH [1]",
                "(0020,0011) IS [" + seriesNumber + "]",
                "(0020,0013) IS [" + instanceNumber + "]",
                "(0020,0020) CS []",
                "(0028,0002) US 1",
                "(0028,0004) CS [MONOCHROME2]",
                "(0028,0010) US " + rows,
                "(0028,0011) US " + columns,
                "(0028,0100) US " + bitsAllocated,
                "(0028,0101) US " + bitsAllocated,
                "(0028,0102) US " + (bitsAllocated - 1),
                "(0028,0103) US 0",
                "(7fe0,0010) " + vr + " =" + raw.toAbsolutePath(),
                "");
    }

    private static void deleteQuietly(Path path) {
        if (path != null) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException ignored) {
                // temp file
            }
        }
    }
}
