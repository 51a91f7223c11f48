package org.radflow.listener;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The data set just written, read back for checking: the first bytes come from memory (kept while
 * they streamed to disk), the rest from the file by positional reads, and skips cost nothing. For a
 * typical image the whole header is in the prefix, so the check opens no file at all.
 */
final class PrefixedFileStream extends InputStream {

    private final byte[] prefix;
    private final int prefixLength;
    private final Path file;
    private final long fileOffset;
    private final long size;
    private long position;
    private FileChannel channel;

    PrefixedFileStream(byte[] prefix, int prefixLength, Path file, long fileOffset, long size) {
        this.prefix = prefix;
        this.prefixLength = prefixLength;
        this.file = file;
        this.fileOffset = fileOffset;
        this.size = size;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (position >= size) {
            return -1;
        }
        int n = (int) Math.min(len, size - position);
        if (position < prefixLength) {
            n = (int) Math.min(n, prefixLength - position);
            System.arraycopy(prefix, (int) position, b, off, n);
        } else {
            if (channel == null) {
                channel = FileChannel.open(file, StandardOpenOption.READ);
            }
            n = channel.read(ByteBuffer.wrap(b, off, n), fileOffset + position);
            if (n < 0) {
                return -1;
            }
        }
        position += n;
        return n;
    }

    @Override
    public long skip(long n) {
        long k = Math.max(0, Math.min(n, size - position));
        position += k;
        return k;
    }

    @Override
    public void close() throws IOException {
        if (channel != null) {
            channel.close();
        }
    }
}
