package org.radflow.host.worker;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The frames host and worker exchange over the worker's Unix domain socket: a 4-byte big-endian length
 * (of type + payload), one type byte, then the payload. Both sides use this class, so the wire format
 * lives in one place.
 */
public final class Frames {

    /**
     * The protocol's version: host and worker must agree (the host passes it to the worker, which refuses another with
     * a FAILURE frame naming both versions). Host and worker always come from the same build, so a mismatch means an
     * installation mixed from two builds. Version 2 (issue 16): a JOB frame carries each input's header
     * ({@link JobRequest}) instead of only its path.
     */
    public static final int VERSION = 2;

    /** A frame above this is a corrupt stream or a runaway module, never a real message. */
    public static final int MAX_FRAME = 256 * 1024 * 1024;

    /** host → worker: run a job (a {@link JobRequest}). */
    public static final byte JOB = 1;
    /** host → worker: cancel the running job. */
    public static final byte CANCEL = 2;
    /** host → worker: finish and exit. */
    public static final byte SHUTDOWN = 3;
    /** worker → host: module loaded, ready for jobs: a text for the log, then what it runs (a RAN payload, time -1). */
    public static final byte READY = 10;
    /** worker → host: job progress. */
    public static final byte PROGRESS = 11;
    /** worker → host: the job's {@link org.radflow.api.ModuleResult} (see {@link ResultCodec}). */
    public static final byte RESULT = 12;
    /** worker → host: the module threw: message + transient flag. */
    public static final byte FAILURE = 13;
    /** worker → host: a log record: level, logger, message. */
    public static final byte LOG = 14;
    /** worker → host: still alive. */
    public static final byte HEARTBEAT = 15;
    /**
     * worker → host, before a job's RESULT or FAILURE when the module was called: what ran it (version, JAR hash,
     * model name, model version, demo flag) and its {@code process()} time in ns.
     */
    public static final byte RAN = 16;

    /** One frame as read from the stream. */
    public record Frame(byte type, byte[] payload) {
    }

    private Frames() {
    }

    /** Writes one frame and flushes; synchronized on {@code out} so frames from several threads never interleave. */
    public static void write(DataOutputStream out, byte type, byte[] payload) throws IOException {
        long length = 1L + payload.length;
        if (length > MAX_FRAME) {
            // refuse before writing anything, so the stream stays in step
            throw new IOException("frame of type " + type + " is " + length + " bytes, above the limit of "
                    + MAX_FRAME + " bytes");
        }
        synchronized (out) {
            out.writeInt((int) length);
            out.writeByte(type);
            out.write(payload);
            out.flush();
        }
    }

    /**
     * Reads the next frame.
     *
     * @return the frame, or null when the stream ends cleanly at a frame boundary (the peer closed it)
     * @throws IOException when the stream ends inside a frame or announces a length above {@link #MAX_FRAME}
     */
    public static Frame read(DataInputStream in) throws IOException {
        int first = in.read();
        if (first < 0) {
            return null;
        }
        byte[] rest = new byte[3];
        readFully(in, rest, "the frame length");
        int length = (first << 24) | ((rest[0] & 0xFF) << 16) | ((rest[1] & 0xFF) << 8) | (rest[2] & 0xFF);
        if (length < 1 || length > MAX_FRAME) {
            throw new IOException("frame length " + Integer.toUnsignedString(length) + " is outside 1.."
                    + MAX_FRAME + ": the stream is corrupt or out of step");
        }
        int type = in.read();
        if (type < 0) {
            throw new EOFException("stream ended before the type of a frame of " + length + " bytes");
        }
        byte[] payload = new byte[length - 1];
        readFully(in, payload, "the payload of a frame of type " + type + " (" + payload.length + " bytes)");
        return new Frame((byte) type, payload);
    }

    private static void readFully(DataInputStream in, byte[] into, String what) throws IOException {
        try {
            in.readFully(into);
        } catch (EOFException e) {
            throw new EOFException("stream ended inside " + what + ": truncated frame");
        }
    }

    /** The UTF-8 bytes of a string, for single-string payloads. */
    public static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A UTF-8 single-string payload back to its string. */
    public static String utf8(byte[] payload) {
        return new String(payload, StandardCharsets.UTF_8);
    }

    /** Writes a string that may be null: a presence byte, then a length-prefixed UTF-8 (no 64 KB limit as with writeUTF). */
    static void writeString(DataOutputStream out, String s) throws IOException {
        if (s == null) {
            out.writeBoolean(false);
            return;
        }
        out.writeBoolean(true);
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    /** Reads what {@link #writeString} wrote. */
    static String readString(DataInputStream in) throws IOException {
        if (!readPresence(in)) {
            return null;
        }
        return new String(readBytes(in, "a string"), StandardCharsets.UTF_8);
    }

    /** A presence byte: 1 or 0; anything else means the stream is out of step. */
    static boolean readPresence(DataInputStream in) throws IOException {
        int b = in.readUnsignedByte();
        if (b > 1) {
            throw new IOException("expected a presence byte (0 or 1), found " + b + ": the stream is corrupt");
        }
        return b == 1;
    }

    /** Writes a length-prefixed byte array in one bulk write. */
    static void writeBytes(DataOutputStream out, byte[] bytes) throws IOException {
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    /** Reads a length-prefixed byte array, refusing a length no frame could hold. */
    static byte[] readBytes(DataInputStream in, String what) throws IOException {
        int length = readCount(in, MAX_FRAME, what);
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return bytes;
    }

    /** Reads a count or length and checks it is within 0..max. */
    static int readCount(DataInputStream in, int max, String what) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > max) {
            throw new IOException("length of " + what + " is " + n + ", outside 0.." + max + ": the stream is corrupt");
        }
        return n;
    }

    /**
     * Payloads of the simple messages (job request, progress, failure, log record): build with
     * {@link Builder}, read back in the same order with {@link Reader}. Strings may be null.
     */
    public static final class Payload {

        private Payload() {
        }

        public static Builder builder() {
            return new Builder();
        }

        public static Reader reader(byte[] payload) {
            return new Reader(payload);
        }

        /** Appends fields in order; {@link #toBytes()} gives the payload. */
        public static final class Builder {
            private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            private final DataOutputStream out = new DataOutputStream(bytes);

            private Builder() {
            }

            public Builder string(String s) {
                return write(() -> writeString(out, s));
            }

            public Builder integer(int v) {
                return write(() -> out.writeInt(v));
            }

            public Builder longValue(long v) {
                return write(() -> out.writeLong(v));
            }

            public Builder doubleValue(double v) {
                return write(() -> out.writeDouble(v));
            }

            public Builder bool(boolean v) {
                return write(() -> out.writeBoolean(v));
            }

            /** A length-prefixed byte array. */
            public Builder bytes(byte[] v) {
                return write(() -> writeBytes(out, v));
            }

            /** A list of strings (elements may be null). */
            public Builder stringList(List<String> values) {
                return write(() -> {
                    out.writeInt(values.size());
                    for (String v : values) {
                        writeString(out, v);
                    }
                });
            }

            /** A string → string map, in its iteration order. */
            public Builder stringMap(Map<String, String> values) {
                return write(() -> {
                    out.writeInt(values.size());
                    for (Map.Entry<String, String> e : values.entrySet()) {
                        writeString(out, e.getKey());
                        writeString(out, e.getValue());
                    }
                });
            }

            /** The underlying stream, to embed e.g. a {@link ResultCodec} encoding after the simple fields. */
            public DataOutputStream out() {
                return out;
            }

            public byte[] toBytes() {
                try {
                    out.flush();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return bytes.toByteArray();
            }

            private Builder write(IoAction action) {
                try {
                    action.run();
                } catch (IOException e) {
                    // a ByteArrayOutputStream does not fail; this is a programming error
                    throw new UncheckedIOException(e);
                }
                return this;
            }
        }

        /** Reads fields in the order the {@link Builder} appended them; a short payload throws EOFException. */
        public static final class Reader {
            private final DataInputStream in;

            private Reader(byte[] payload) {
                this.in = new DataInputStream(new ByteArrayInputStream(payload));
            }

            public String string() throws IOException {
                return readString(in);
            }

            public int integer() throws IOException {
                return in.readInt();
            }

            public long longValue() throws IOException {
                return in.readLong();
            }

            public double doubleValue() throws IOException {
                return in.readDouble();
            }

            public boolean bool() throws IOException {
                return readPresence(in);
            }

            public byte[] bytes() throws IOException {
                return readBytes(in, "a byte array");
            }

            public List<String> stringList() throws IOException {
                int n = readCount(in, MAX_FRAME, "a string list");
                List<String> values = new ArrayList<>(Math.min(n, 1024));
                for (int i = 0; i < n; i++) {
                    values.add(readString(in));
                }
                return values;
            }

            public Map<String, String> stringMap() throws IOException {
                int n = readCount(in, MAX_FRAME, "a string map");
                Map<String, String> values = new LinkedHashMap<>();
                for (int i = 0; i < n; i++) {
                    values.put(readString(in), readString(in));
                }
                return values;
            }

            /** The underlying stream, to read e.g. a {@link ResultCodec} encoding after the simple fields. */
            public DataInputStream in() {
                return in;
            }

            /** True when fields remain unread. */
            public boolean hasMore() throws IOException {
                return in.available() > 0;
            }
        }

        @FunctionalInterface
        private interface IoAction {
            void run() throws IOException;
        }
    }
}
