package org.radflow.dicom;

import com.pixelmed.dicom.DicomException;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;
import java.util.zip.ZipException;

/**
 * Checks that a received data set is structurally complete: every element's declared length is
 * present, every undefined-length sequence and encapsulated pixel data is closed, and the data set
 * ends on an element boundary. It skips over values rather than reading them, so it costs a few
 * header reads per instance — a truncated object must not be acknowledged as stored.
 */
public final class DataSetCheck {

    private static final int ITEM = 0xFFFEE000;
    private static final int ITEM_DELIMITER = 0xFFFEE00D;
    private static final int SEQUENCE_DELIMITER = 0xFFFEE0DD;
    private static final long UNDEFINED = 0xFFFFFFFFL;
    private static final Set<String> LONG_VR = Set.of("OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV");
    private static final int MAX_DEPTH = 32;

    private static final int SOP_CLASS_UID = 0x00080016;
    private static final int SOP_INSTANCE_UID = 0x00080018;
    private static final int MODALITY = 0x00080060;
    private static final int STUDY_INSTANCE_UID = 0x0020000D;
    private static final int SERIES_INSTANCE_UID = 0x0020000E;

    private final InputStream in;
    private final String[] header = new String[5];
    private final boolean explicitTransferSyntax;
    private final boolean bigEndian;
    private long position;
    private final byte[] b = new byte[8];

    private DataSetCheck(InputStream in, boolean explicit, boolean bigEndian) {
        this.in = in;
        this.explicitTransferSyntax = explicit;
        this.bigEndian = bigEndian;
    }

    /**
     * Verifies the structure and returns the identifying attributes read on the way (one pass, no
     * value other than those five is read). Throws {@link DicomException} naming the first problem.
     */
    public static Part10.Header verify(Path file, long dataSetOffset, String transferSyntaxUid) throws IOException, DicomException {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 16 * 1024)) {
            raw.skipNBytes(dataSetOffset);
            return verify(raw, transferSyntaxUid);
        } catch (EOFException e) {
            throw new DicomException("data set is truncated: " + e.getMessage());
        }
    }

    /** The same check over a stream positioned at the start of the data set (read to its end). */
    public static Part10.Header verify(InputStream dataSet, String transferSyntaxUid) throws IOException, DicomException {
        try {
            InputStream in = dataSet;
            if (TransferSyntaxes.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN.equals(transferSyntaxUid)) {
                in = new BufferedInputStream(new InflaterInputStream(dataSet, new Inflater(true)), 16 * 1024);
            }
            boolean explicit = !TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN.equals(transferSyntaxUid);
            boolean big = TransferSyntaxes.EXPLICIT_VR_BIG_ENDIAN.equals(transferSyntaxUid);
            DataSetCheck check = new DataSetCheck(in, explicit, big);
            check.dataSet(-1, 0, true, explicit);
            String[] h = check.header;
            return new Part10.Header(h[0], h[1], h[3], h[4], h[2]);
        } catch (EOFException e) {
            throw new DicomException("data set is truncated: " + e.getMessage());
        } catch (ZipException e) {
            // found by fuzzing: corrupt deflated data is a malformed data set, not an I/O failure
            throw new DicomException("deflated data set is not valid deflate data: " + e.getMessage());
        }
    }

    /** Walks elements until {@code end} (defined length), an item delimiter (undefined) or end of stream (top level). */
    private void dataSet(long end, int depth, boolean topLevel, boolean explicit) throws IOException, DicomException {
        if (depth > MAX_DEPTH) {
            throw new DicomException("sequences nested deeper than " + MAX_DEPTH);
        }
        while (end < 0 || position < end) {
            int tag;
            if (topLevel) {
                int first = in.read();
                if (first < 0) {
                    return;
                }
                b[0] = (byte) first;
                read(b, 1, 3);
                position += 1;
                tag = tagFrom(b);
            } else {
                read(b, 0, 4);
                tag = tagFrom(b);
            }
            if (tag == ITEM_DELIMITER && !topLevel && end < 0) {
                read(b, 0, 4);
                return;
            }
            if ((tag >>> 16) == 0xFFFE) {
                throw new DicomException("unexpected delimiter " + hex(tag) + " at byte " + position);
            }
            String vr = null;
            long length;
            if (explicit) {
                read(b, 0, 2);
                vr = new String(b, 0, 2, java.nio.charset.StandardCharsets.US_ASCII);
                if (LONG_VR.contains(vr)) {
                    read(b, 0, 2);
                    length = u32();
                } else {
                    length = u16();
                }
            } else {
                length = u32();
            }
            if (length == UNDEFINED) {
                if (explicit && !"SQ".equals(vr) && !"UN".equals(vr)) {
                    encapsulated(tag);
                } else {
                    // PS3.5 6.2.2: an undefined-length UN holds a sequence encoded in implicit VR
                    sequence(depth + 1, explicit && !"UN".equals(vr));
                }
            } else if (topLevel && length <= 64 && headerIndex(tag) >= 0) {
                byte[] v = new byte[(int) length];
                read(v, 0, v.length);
                header[headerIndex(tag)] = trim(v);
            } else {
                skip(length, tag);
            }
        }
        if (position != end) {
            throw new DicomException("an element runs past the end of its item at byte " + position);
        }
    }

    private static int headerIndex(int tag) {
        return switch (tag) {
            case SOP_CLASS_UID -> 0;
            case SOP_INSTANCE_UID -> 1;
            case MODALITY -> 2;
            case STUDY_INSTANCE_UID -> 3;
            case SERIES_INSTANCE_UID -> 4;
            default -> -1;
        };
    }

    private static String trim(byte[] v) {
        int start = 0;
        int end = v.length;
        while (end > 0 && (v[end - 1] == 0 || v[end - 1] == ' ')) {
            end--;
        }
        while (start < end && v[start] == ' ') {
            start++;
        }
        return new String(v, start, end - start, java.nio.charset.StandardCharsets.US_ASCII);
    }

    private void sequence(int depth, boolean explicit) throws IOException, DicomException {
        while (true) {
            read(b, 0, 4);
            int tag = tagFrom(b);
            long length = u32();
            if (tag == SEQUENCE_DELIMITER) {
                return;
            }
            if (tag != ITEM) {
                throw new DicomException("expected an item in a sequence, found " + hex(tag) + " at byte " + position);
            }
            if (length == UNDEFINED) {
                dataSet(-1, depth, false, explicit);
            } else {
                dataSet(position + length, depth, false, explicit);
            }
        }
    }

    private void encapsulated(int tag) throws IOException, DicomException {
        while (true) {
            read(b, 0, 4);
            int item = tagFrom(b);
            long length = u32();
            if (item == SEQUENCE_DELIMITER) {
                return;
            }
            if (item != ITEM || length == UNDEFINED) {
                throw new DicomException("malformed encapsulated fragment in " + hex(tag) + " at byte " + position);
            }
            skip(length, tag);
        }
    }

    private void skip(long length, int tag) throws IOException {
        try {
            in.skipNBytes(length);
        } catch (EOFException e) {
            throw new EOFException("element " + hex(tag) + " declares " + length + " bytes but the data set ends first");
        }
        position += length;
    }

    private void read(byte[] buf, int off, int len) throws IOException {
        int n = in.readNBytes(buf, off, len);
        if (n < len) {
            throw new EOFException("the data set ends inside an element header at byte " + (position + n));
        }
        position += len;
    }

    private int tagFrom(byte[] t) {
        int group = bigEndian ? ((t[0] & 0xff) << 8) | (t[1] & 0xff) : (t[0] & 0xff) | ((t[1] & 0xff) << 8);
        int element = bigEndian ? ((t[2] & 0xff) << 8) | (t[3] & 0xff) : (t[2] & 0xff) | ((t[3] & 0xff) << 8);
        return (group << 16) | element;
    }

    private long u16() throws IOException {
        read(b, 4, 2);
        return bigEndian ? ((b[4] & 0xff) << 8) | (b[5] & 0xff) : (b[4] & 0xff) | ((b[5] & 0xff) << 8);
    }

    private long u32() throws IOException {
        read(b, 4, 4);
        return bigEndian
                ? ((b[4] & 0xffL) << 24) | ((b[5] & 0xffL) << 16) | ((b[6] & 0xffL) << 8) | (b[7] & 0xffL)
                : (b[4] & 0xffL) | ((b[5] & 0xffL) << 8) | ((b[6] & 0xffL) << 16) | ((b[7] & 0xffL) << 24);
    }

    private static String hex(int tag) {
        return String.format("(%04X,%04X)", tag >>> 16, tag & 0xffff);
    }
}
