package org.radflow.pixels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeFactory;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomDictionary;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomOutputStream;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.OtherByteAttribute;
import com.pixelmed.dicom.OtherWordAttribute;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.UnsignedShortAttribute;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.radflow.testkit.Dcmtk;
import org.radflow.testkit.ToolResult;

/** Real DICOM files for the tests: written and edited with PixelMed, compressed with DCMTK. */
final class TestFiles {
    private TestFiles() {}

    static final String EXPLICIT_LE = "1.2.840.10008.1.2.1";
    static final String SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7";
    static final String STUDY_UID = "2.25.1000";

    /** The Image Pixel module of a synthetic image; samples are the raw stored words, in file order. */
    record Spec(int rows, int columns, int samplesPerPixel, int bitsAllocated, int bitsStored, int highBit,
                boolean signed, String photometric, int planarConfiguration, int frames) {

        static Spec grey8(int rows, int columns, int frames) {
            return new Spec(rows, columns, 1, 8, 8, 7, false, "MONOCHROME2", 0, frames);
        }

        static Spec rgb8(int rows, int columns, int planar) {
            return new Spec(rows, columns, 3, 8, 8, 7, false, "RGB", planar, 1);
        }

        static Spec grey16(int rows, int columns, int bitsStored, int highBit, boolean signed) {
            return new Spec(rows, columns, 1, 16, bitsStored, highBit, signed, "MONOCHROME2", 0, 1);
        }

        Spec withPhotometric(String p) {
            return new Spec(rows, columns, samplesPerPixel, bitsAllocated, bitsStored, highBit, signed, p,
                    planarConfiguration, frames);
        }
    }

    /** A Secondary Capture image in study {@link #STUDY_UID}; {@code extra} adds or replaces attributes. */
    static Path image(Path file, String sopUid, Spec s, int[] samples, AttributeList extra) throws Exception {
        AttributeList l = new AttributeList();
        put(l, TagFromName.SOPClassUID, SECONDARY_CAPTURE);
        put(l, TagFromName.SOPInstanceUID, sopUid);
        put(l, TagFromName.StudyInstanceUID, STUDY_UID);
        put(l, TagFromName.SeriesInstanceUID, STUDY_UID + ".1");
        put(l, TagFromName.Modality, "OT");
        put(l, TagFromName.InstanceNumber, "1");
        us(l, TagFromName.Rows, s.rows());
        us(l, TagFromName.Columns, s.columns());
        us(l, TagFromName.SamplesPerPixel, s.samplesPerPixel());
        us(l, TagFromName.BitsAllocated, s.bitsAllocated());
        us(l, TagFromName.BitsStored, s.bitsStored());
        us(l, TagFromName.HighBit, s.highBit());
        us(l, TagFromName.PixelRepresentation, s.signed() ? 1 : 0);
        put(l, TagFromName.PhotometricInterpretation, s.photometric());
        if (s.samplesPerPixel() > 1) {
            us(l, TagFromName.PlanarConfiguration, s.planarConfiguration());
        }
        if (s.frames() > 1) {
            put(l, TagFromName.NumberOfFrames, Integer.toString(s.frames()));
        }
        if (s.bitsAllocated() == 8) {
            byte[] b = new byte[samples.length + (samples.length & 1)];
            for (int i = 0; i < samples.length; i++) {
                b[i] = (byte) samples[i];
            }
            OtherByteAttribute px = new OtherByteAttribute(TagFromName.PixelData);
            px.setValues(b);
            l.put(px);
        } else {
            short[] w = new short[samples.length];
            for (int i = 0; i < samples.length; i++) {
                w[i] = (short) samples[i];
            }
            OtherWordAttribute px = new OtherWordAttribute(TagFromName.PixelData);
            px.setValues(w);
            l.put(px);
        }
        if (extra != null) {
            l.putAll(extra);
        }
        write(l, file);
        return file;
    }

    static void put(AttributeList l, AttributeTag tag, String... values) throws DicomException {
        Attribute a = AttributeFactory.newAttribute(tag, DicomDictionary.StandardDictionary.getValueRepresentationFromTag(tag));
        for (String v : values) {
            a.addValue(v);
        }
        l.put(a);
    }

    static void us(AttributeList l, AttributeTag tag, int value) throws DicomException {
        Attribute a = new UnsignedShortAttribute(tag);
        a.addValue(value);
        l.put(a);
    }

    /** A sequence with one item. */
    static SequenceAttribute sequence(AttributeTag tag, AttributeList item) {
        SequenceAttribute seq = new SequenceAttribute(tag);
        seq.addItem(item);
        return seq;
    }

    static AttributeList read(Path file) throws Exception {
        AttributeList l = new AttributeList();
        l.read(file.toString());
        return l;
    }

    /** Writes the list as Explicit VR Little Endian Part 10, with fresh file meta information. */
    static Path write(AttributeList l, Path file) throws Exception {
        l.removeGroupLengthAttributes();
        l.removeMetaInformationHeaderAttributes();
        FileMetaInformation.addFileMetaInformation(l, EXPLICIT_LE, "RADFLOWTEST");
        Files.createDirectories(file.toAbsolutePath().getParent());
        l.write(file.toString(), EXPLICIT_LE, true, true);
        return file;
    }

    interface Edit {
        void apply(AttributeList list) throws Exception;
    }

    /** Reads {@code in} completely, applies {@code edit}, writes the result to {@code out}. */
    static Path edit(Path in, Path out, Edit edit) throws Exception {
        AttributeList l = read(in);
        edit.apply(l);
        write(l, out);
        return out;
    }

    /**
     * Writes {@code in}'s data set uncompressed but with {@code transferSyntax} in the file meta information: stands
     * in for a file of a syntax no tool here can produce, to check the refusal that happens before decoding.
     */
    static Path relabel(Path in, Path out, String transferSyntax) throws Exception {
        AttributeList l = read(in);
        l.removeGroupLengthAttributes();
        l.removeMetaInformationHeaderAttributes();
        FileMetaInformation.addFileMetaInformation(l, transferSyntax, "RADFLOWTEST");
        try (OutputStream os = Files.newOutputStream(out)) {
            DicomOutputStream dos = new DicomOutputStream(os, EXPLICIT_LE, EXPLICIT_LE);
            l.write(dos);
            dos.close();
        }
        return out;
    }

    /**
     * Writes {@code in}'s data set (edited first) with {@code codestream} as its one encapsulated frame: an empty Basic
     * Offset Table item and one fragment, {@code transferSyntax} in the file meta information.
     */
    static Path encapsulated(Path in, Path out, String transferSyntax, byte[] codestream, Edit edit) throws Exception {
        AttributeList l = read(in);
        l.remove(TagFromName.PixelData);
        edit.apply(l);
        l.removeGroupLengthAttributes();
        l.removeMetaInformationHeaderAttributes();
        FileMetaInformation.addFileMetaInformation(l, transferSyntax, "RADFLOWTEST");
        try (OutputStream os = Files.newOutputStream(out)) {
            DicomOutputStream dos = new DicomOutputStream(os, EXPLICIT_LE, EXPLICIT_LE);
            l.write(dos);
            dos.flush();
            java.io.ByteArrayOutputStream px = new java.io.ByteArrayOutputStream();
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(12).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            b.putShort((short) 0x7fe0).putShort((short) 0x0010).put((byte) 'O').put((byte) 'B').putShort((short) 0).putInt(-1);
            px.write(b.array());
            px.write(item(0));
            int padded = codestream.length + (codestream.length & 1);
            px.write(item(padded));
            px.write(codestream);
            if (padded != codestream.length) {
                px.write(0);
            }
            java.nio.ByteBuffer end = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            end.putShort((short) 0xfffe).putShort((short) 0xe0dd).putInt(0);
            px.write(end.array());
            os.write(px.toByteArray());
        }
        return out;
    }

    private static byte[] item(int length) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) 0xfffe).putShort((short) 0xe000).putInt(length);
        return b.array();
    }

    /** Runs a DCMTK codec tool ({@code dcmcjpeg}, {@code dcmcrle}, {@code dcmcjpls}) on one file. */
    static Path dcmtk(String tool, Path in, Path out, String... options) {
        String[] command = new String[options.length + 3];
        command[0] = tool;
        System.arraycopy(options, 0, command, 1, options.length);
        command[options.length + 1] = in.toString();
        command[options.length + 2] = out.toString();
        ToolResult r = Dcmtk.run(Duration.ofSeconds(30), command);
        assertTrue(r.ok() && Files.exists(out), () -> r.describe());
        return out;
    }
}
