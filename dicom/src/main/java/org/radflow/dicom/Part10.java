package org.radflow.dicom;

import com.pixelmed.dicom.DicomException;
import org.radflow.dicom.net.Pdu;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * DICOM Part 10 file framing (PS3.10 section 7): the preamble and file meta information group,
 * written by RadFlow around data sets received over the network and read back to send files on.
 */
public final class Part10 {

    private static final int PREAMBLE = 128;

    private Part10() {
    }

    /** The file meta information of a Part 10 file and where its data set starts. */
    public record Meta(String sopClassUid, String sopInstanceUid, String transferSyntaxUid, long dataSetOffset) {
    }

    /** The identifying attributes of a data set, as {@link DataSetCheck} reads them. */
    public record Header(String sopClassUid, String sopInstanceUid, String studyInstanceUid, String seriesInstanceUid,
                         String modality) {
    }

    /** Preamble, "DICM" and the meta group in explicit VR little endian. */
    public static byte[] fileMetaInformation(String sopClassUid, String sopInstanceUid, String transferSyntaxUid,
                                             String sourceAeTitle) {
        ByteArrayOutputStream group = new ByteArrayOutputStream(256);
        element(group, 0x0001, "OB", new byte[] {0, 1});
        element(group, 0x0002, "UI", uid(sopClassUid));
        element(group, 0x0003, "UI", uid(sopInstanceUid));
        element(group, 0x0010, "UI", uid(transferSyntaxUid));
        element(group, 0x0012, "UI", uid(Pdu.IMPLEMENTATION_CLASS_UID));
        element(group, 0x0013, "SH", text(Pdu.IMPLEMENTATION_VERSION_NAME));
        if (sourceAeTitle != null && !sourceAeTitle.isBlank()) {
            element(group, 0x0016, "AE", text(sourceAeTitle.trim()));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(PREAMBLE + 16 + group.size());
        out.writeBytes(new byte[PREAMBLE]);
        out.writeBytes("DICM".getBytes(StandardCharsets.US_ASCII));
        byte[] gl = new byte[4];
        int n = group.size();
        gl[0] = (byte) n;
        gl[1] = (byte) (n >>> 8);
        gl[2] = (byte) (n >>> 16);
        gl[3] = (byte) (n >>> 24);
        element(out, 0x0000, "UL", gl);
        out.writeBytes(group.toByteArray());
        return out.toByteArray();
    }

    private static void element(ByteArrayOutputStream out, int element, String vr, byte[] value) {
        out.write(0x02);
        out.write(0x00);
        out.write(element);
        out.write(element >>> 8);
        out.writeBytes(vr.getBytes(StandardCharsets.US_ASCII));
        if (vr.equals("OB")) {
            out.write(0);
            out.write(0);
            out.write(value.length);
            out.write(value.length >>> 8);
            out.write(value.length >>> 16);
            out.write(value.length >>> 24);
        } else {
            out.write(value.length);
            out.write(value.length >>> 8);
        }
        out.writeBytes(value);
    }

    private static byte[] uid(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        if ((b.length & 1) == 0) {
            return b;
        }
        byte[] p = new byte[b.length + 1];
        System.arraycopy(b, 0, p, 0, b.length);
        return p;
    }

    private static byte[] text(String s) {
        return (s.length() % 2 == 0 ? s : s + " ").getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Reads the meta group of a Part 10 file: explicit VR little endian, starting after the preamble.
     * Throws {@link DicomException} when the file is not Part 10.
     */
    public static Meta readMeta(Path file) throws IOException, DicomException {
        try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file), 4096)) {
            return readMeta(in, file.getFileName().toString());
        }
    }

    /** Reads the meta group from a stream at the start of a Part 10 file; the stream is left at the data set. */
    public static Meta readMeta(InputStream in, String name) throws IOException, DicomException {
        {
            byte[] head = in.readNBytes(PREAMBLE + 4);
            if (head.length < PREAMBLE + 4 || !"DICM".equals(new String(head, PREAMBLE, 4, StandardCharsets.US_ASCII))) {
                throw new DicomException("not a DICOM Part 10 file (no DICM prefix): " + name);
            }
            long offset = PREAMBLE + 4;
            String sopClass = null;
            String sopInstance = null;
            String ts = null;
            long groupEnd = -1;
            byte[] h = new byte[8];
            while (groupEnd < 0 || offset < groupEnd) {
                if (in.readNBytes(h, 0, 8) < 8) {
                    throw new DicomException("truncated file meta information: " + name);
                }
                int group = (h[0] & 0xff) | ((h[1] & 0xff) << 8);
                int element = (h[2] & 0xff) | ((h[3] & 0xff) << 8);
                if (group != 2) {
                    throw new DicomException("file meta information has no group length or ends early: " + name);
                }
                String vr = new String(h, 4, 2, StandardCharsets.US_ASCII);
                long len;
                int headerLength = 8;
                if (vr.equals("OB") || vr.equals("OW") || vr.equals("UN") || vr.equals("SQ") || vr.equals("UT")) {
                    byte[] l = in.readNBytes(4);
                    if (l.length < 4) {
                        throw new DicomException("truncated file meta information: " + name);
                    }
                    len = (l[0] & 0xffL) | ((l[1] & 0xffL) << 8) | ((l[2] & 0xffL) << 16) | ((l[3] & 0xffL) << 24);
                    headerLength = 12;
                } else {
                    len = (h[6] & 0xff) | ((h[7] & 0xff) << 8);
                }
                if (len > 1 << 20) {
                    throw new DicomException("implausible meta element length " + len + ": " + name);
                }
                byte[] value = in.readNBytes((int) len);
                if (value.length < len) {
                    throw new DicomException("truncated file meta information: " + name);
                }
                offset += headerLength + len;
                if (element == 0x0000 && len != 4) {
                    throw new DicomException("file meta information group length has " + len + " bytes instead of 4: " + name);
                }
                switch (element) {
                    case 0x0000 -> groupEnd = offset + ((value[0] & 0xffL) | ((value[1] & 0xffL) << 8)
                            | ((value[2] & 0xffL) << 16) | ((value[3] & 0xffL) << 24));
                    case 0x0002 -> sopClass = trim(value);
                    case 0x0003 -> sopInstance = trim(value);
                    case 0x0010 -> ts = trim(value);
                    default -> {
                    }
                }
            }
            if (sopClass == null || sopInstance == null || ts == null) {
                throw new DicomException("file meta information lacks SOP class, SOP instance or transfer syntax: " + name);
            }
            return new Meta(sopClass, sopInstance, ts, offset);
        }
    }

    private static String trim(byte[] v) {
        int end = v.length;
        while (end > 0 && (v[end - 1] == 0 || v[end - 1] == ' ')) {
            end--;
        }
        return new String(v, 0, end, StandardCharsets.US_ASCII);
    }
}
