package org.radflow.dicom.net;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * DICOM upper layer PDUs (PS3.8 section 9.3): constants and the framing every PDU shares
 * (type, reserved byte, 32-bit big-endian length).
 */
public final class Pdu {

    public static final int A_ASSOCIATE_RQ = 0x01;
    public static final int A_ASSOCIATE_AC = 0x02;
    public static final int A_ASSOCIATE_RJ = 0x03;
    public static final int P_DATA_TF = 0x04;
    public static final int A_RELEASE_RQ = 0x05;
    public static final int A_RELEASE_RP = 0x06;
    public static final int A_ABORT = 0x07;

    static final int ITEM_APPLICATION_CONTEXT = 0x10;
    static final int ITEM_PRESENTATION_CONTEXT_RQ = 0x20;
    static final int ITEM_PRESENTATION_CONTEXT_AC = 0x21;
    static final int ITEM_ABSTRACT_SYNTAX = 0x30;
    static final int ITEM_TRANSFER_SYNTAX = 0x40;
    static final int ITEM_USER_INFORMATION = 0x50;
    static final int SUB_MAX_LENGTH = 0x51;
    static final int SUB_IMPLEMENTATION_CLASS_UID = 0x52;
    static final int SUB_ROLE_SELECTION = 0x54;
    static final int SUB_IMPLEMENTATION_VERSION_NAME = 0x55;

    /** A-ASSOCIATE-RJ result, source and reason values (PS3.8 table 9-21). */
    public static final int RJ_PERMANENT = 1;
    public static final int RJ_TRANSIENT = 2;
    public static final int RJ_SOURCE_USER = 1;
    public static final int RJ_SOURCE_PROVIDER_ACSE = 2;
    public static final int RJ_SOURCE_PROVIDER_PRESENTATION = 3;
    public static final int RJ_USER_NO_REASON = 1;
    public static final int RJ_USER_APPLICATION_CONTEXT_NOT_SUPPORTED = 2;
    public static final int RJ_USER_CALLING_AE_NOT_RECOGNIZED = 3;
    public static final int RJ_USER_CALLED_AE_NOT_RECOGNIZED = 7;
    public static final int RJ_ACSE_PROTOCOL_VERSION_NOT_SUPPORTED = 2;
    public static final int RJ_PRESENTATION_LOCAL_LIMIT_EXCEEDED = 2;

    /** Presentation context results in an A-ASSOCIATE-AC (PS3.8 table 9-18). */
    public static final int PC_ACCEPTANCE = 0;
    public static final int PC_USER_REJECTION = 1;
    public static final int PC_ABSTRACT_SYNTAX_NOT_SUPPORTED = 3;
    public static final int PC_TRANSFER_SYNTAXES_NOT_SUPPORTED = 4;

    public static final String IMPLEMENTATION_CLASS_UID = "1.2.826.0.1.3680043.10.1434.1";
    public static final String IMPLEMENTATION_VERSION_NAME = "RADFLOW_010";

    /** Largest non-P-DATA PDU we read (association requests with hundreds of contexts stay far below). */
    static final int MAX_CONTROL_PDU = 1 << 20;

    private Pdu() {
    }

    /** The header of one PDU; the body is read separately so P-DATA can go straight into a reused buffer. */
    public record Header(int type, int length) {
    }

    /** Reads the 6-byte header; throws EOFException when the peer closed cleanly between PDUs. */
    public static Header readHeader(InputStream in) throws IOException {
        int type = in.read();
        if (type < 0) {
            throw new EOFException("connection closed by peer");
        }
        byte[] rest = new byte[5];
        readFully(in, rest, 0, 5);
        int length = ((rest[1] & 0xff) << 24) | ((rest[2] & 0xff) << 16) | ((rest[3] & 0xff) << 8) | (rest[4] & 0xff);
        if (length < 0) {
            throw new DicomProtocolException("PDU length " + Integer.toUnsignedString(length) + " is too large");
        }
        return new Header(type, length);
    }

    /** One presentation data value of a P-DATA-TF (PS3.8 9.3.5.1); the value is {@code b[off, off + len)}. */
    @FunctionalInterface
    public interface PdvHandler {
        void pdv(int presentationContextId, boolean command, boolean last, byte[] b, int off, int len) throws IOException;
    }

    /**
     * Splits a P-DATA-TF body ({@code b[0, length)}) into its PDV items, in order. Every item must fit the
     * body exactly: a length that runs past it (or would overflow) is a protocol error, never an index error.
     */
    public static void forEachPdv(byte[] b, int length, PdvHandler handler) throws IOException {
        if (length < 0 || length > b.length) {
            throw new IllegalArgumentException("length " + length + " outside a buffer of " + b.length);
        }
        int p = 0;
        while (p < length) {
            if (length - p < 6) {
                throw new DicomProtocolException("truncated PDV item");
            }
            int itemLength = readIntBE(b, p);
            // compared by subtraction: p + 4 + itemLength overflows for lengths near 2^31
            if (itemLength < 2 || itemLength > length - p - 4) {
                throw new DicomProtocolException("PDV item length " + Integer.toUnsignedString(itemLength)
                        + " does not fit its PDU");
            }
            int control = b[p + 5] & 0xff;
            handler.pdv(b[p + 4] & 0xff, (control & 1) != 0, (control & 2) != 0, b, p + 6, itemLength - 2);
            p += 4 + itemLength;
        }
    }

    public static byte[] readBody(InputStream in, Header header, int maxLength) throws IOException {
        if (header.length() > maxLength) {
            throw new DicomProtocolException("PDU type 0x" + Integer.toHexString(header.type()) + " of " + header.length()
                    + " bytes exceeds the limit of " + maxLength);
        }
        byte[] body = new byte[header.length()];
        readFully(in, body, 0, body.length);
        return body;
    }

    public static void readFully(InputStream in, byte[] b, int off, int len) throws IOException {
        if (in instanceof DataInputStream d) {
            d.readFully(b, off, len);
            return;
        }
        while (len > 0) {
            int n = in.read(b, off, len);
            if (n < 0) {
                throw new EOFException("connection closed in the middle of a PDU");
            }
            off += n;
            len -= n;
        }
    }

    public static void writeHeader(OutputStream out, int type, int length) throws IOException {
        out.write(type);
        out.write(0);
        writeInt(out, length);
    }

    static void writeInt(OutputStream out, int v) throws IOException {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
    }

    public static void writeReleaseRq(OutputStream out) throws IOException {
        writeHeader(out, A_RELEASE_RQ, 4);
        writeInt(out, 0);
        out.flush();
    }

    public static void writeReleaseRp(OutputStream out) throws IOException {
        writeHeader(out, A_RELEASE_RP, 4);
        writeInt(out, 0);
        out.flush();
    }

    /** A-ABORT; source 0 = service user, 2 = service provider. */
    public static void writeAbort(OutputStream out, int source, int reason) throws IOException {
        writeHeader(out, A_ABORT, 4);
        out.write(0);
        out.write(0);
        out.write(source);
        out.write(reason);
        out.flush();
    }

    public static void writeReject(OutputStream out, int result, int source, int reason) throws IOException {
        writeHeader(out, A_ASSOCIATE_RJ, 4);
        out.write(0);
        out.write(result);
        out.write(source);
        out.write(reason);
        out.flush();
    }

    static String ae(byte[] b, int off) {
        return new String(b, off, 16, StandardCharsets.US_ASCII).trim();
    }

    static byte[] aeBytes(String ae) {
        byte[] out = new byte[16];
        java.util.Arrays.fill(out, (byte) ' ');
        byte[] s = ae.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(s, 0, out, 0, Math.min(16, s.length));
        return out;
    }

    /** UIDs in PDU items may carry a trailing NUL pad. */
    static String uid(byte[] b, int off, int len) {
        int end = off + len;
        while (end > off && (b[end - 1] == 0 || b[end - 1] == ' ')) {
            end--;
        }
        return new String(b, off, end - off, StandardCharsets.US_ASCII);
    }

    static int u16(byte[] b, int off) {
        return ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff);
    }

    public static int readIntBE(byte[] b, int off) {
        return u32(b, off);
    }

    static int u32(byte[] b, int off) {
        return ((b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8) | (b[off + 3] & 0xff);
    }
}
