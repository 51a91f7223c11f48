package org.radflow.listener;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.zip.CRC32C;

/**
 * The write-ahead record of one received instance: "this temporary file, of this size and CRC-32C, belongs under this
 * final spool name". It is kept in the temporary file's own extended attribute ({@code user.radflow.spool}), so the one
 * {@code fsync} of the file that makes its data durable makes the record durable too, and the rename into the spool can
 * wait for the next batched folder sync: after a crash, {@link Spool#open} finds the file still under {@code tmp/} and
 * moves it to its final name when, and only when, the file's size and checksum match the record.
 *
 * @param size              bytes of the whole Part 10 file
 * @param crc32c            CRC-32C of those bytes
 * @param studyInstanceUid  the spool path components, checked as UIDs again when read back
 */
record SpoolRecord(long size, int crc32c, String studyInstanceUid, String seriesInstanceUid, String sopInstanceUid) {

    /** Without the "user." namespace prefix, which the JDK adds. */
    static final String ATTRIBUTE = "radflow.spool";
    private static final String VERSION = "v1";

    String encode() {
        return VERSION + ' ' + size + ' ' + Integer.toHexString(crc32c) + ' ' + studyInstanceUid + '/' + seriesInstanceUid + '/'
                + sopInstanceUid;
    }

    /** Parses what {@link #encode} wrote; null for anything else (never throws on a damaged value). */
    static SpoolRecord decode(String s) {
        String[] f = s.split(" ");
        if (f.length != 4 || !VERSION.equals(f[0])) {
            return null;
        }
        String[] uids = f[3].split("/");
        if (uids.length != 3) {
            return null;
        }
        try {
            return new SpoolRecord(Long.parseLong(f[1]), Integer.parseUnsignedInt(f[2], 16), uids[0], uids[1], uids[2]);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Sets the record on the file; the caller's fsync of the file makes it durable together with the data. */
    void writeTo(Path file) throws IOException {
        view(file).write(ATTRIBUTE, StandardCharsets.US_ASCII.encode(encode()));
    }

    /** The file's record, or null when it has none or a damaged one. */
    static SpoolRecord readFrom(Path file) throws IOException {
        UserDefinedFileAttributeView view = view(file);
        if (!view.list().contains(ATTRIBUTE)) {
            return null;
        }
        ByteBuffer b = ByteBuffer.allocate(Math.min(view.size(ATTRIBUTE), 4096));
        view.read(ATTRIBUTE, b);
        b.flip();
        return decode(StandardCharsets.US_ASCII.decode(b).toString());
    }

    /** True when the file holds exactly the bytes the record describes (a crash before its fsync leaves it short or torn). */
    boolean matches(Path file) throws IOException {
        if (Files.size(file) != size) {
            return false;
        }
        CRC32C crc = new CRC32C();
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                crc.update(buf, 0, n);
            }
        }
        return (int) crc.getValue() == crc32c;
    }

    private static UserDefinedFileAttributeView view(Path file) throws IOException {
        UserDefinedFileAttributeView view = Files.getFileAttributeView(file, UserDefinedFileAttributeView.class);
        if (view == null) {
            throw new IOException("the file system of " + file + " has no user extended attributes");
        }
        return view;
    }
}
