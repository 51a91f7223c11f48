package org.radflow.intake;

import org.radflow.pixels.InputHeader;
import org.radflow.pixels.InputHeaders;
import org.radflow.pixels.InputOpener;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Headers read at intake, by spool path, for the stages after it: the planner routes a unit by its first instance's
 * header, and a job's input and report stage take each input's attributes from here instead of opening the file again
 * (issue 16). Bounded, least recently used first out: a header that left it (or was never read, as after a restart) is
 * read from the spool again, once, and kept.
 */
public final class HeaderCache implements InputHeaders {

    /** {@code encoded}: the header as the worker protocol sends it, made when intake read it (null if not). */
    private record Entry(InputHeader input, InstanceHeader routing, byte[] encoded) {
    }

    private final Map<Path, Entry> headers;
    private final InputOpener opener;

    public HeaderCache(int capacity) {
        this(capacity, InputOpener.FILES);
    }

    /** @param opener how a header missing here is read from its file */
    public HeaderCache(int capacity, InputOpener opener) {
        this.opener = opener;
        this.headers = new LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Path, Entry> eldest) {
                return size() > capacity;
            }
        };
    }

    /** Reads a file's header through this cache's opener, without keeping it (intake keeps it with {@link #put}). */
    public InputHeader read(Path file) throws IOException {
        return InputHeader.read(file, opener);
    }

    /**
     * Keeps a header read at intake, with its encoding for a worker's JOB frame (made here, on intake's thread, so a
     * job on a large series does not encode its headers on its own path); returns its routing view.
     */
    public InstanceHeader put(Path file, InputHeader header) {
        InstanceHeader routing = InstanceHeader.of(header.attributes());
        byte[] encoded = header.encode();
        synchronized (this) {
            headers.put(key(file), new Entry(header, routing, encoded));
        }
        return routing;
    }

    @Override
    public byte[] encoded(Path file) {
        synchronized (this) {
            Entry e = headers.get(key(file));
            return e == null ? null : e.encoded();
        }
    }

    /**
     * Intake could not read this file's header: it routes as "no attributes" (as before), and a job that needs it
     * reads it again (and fails with the reason).
     */
    public void unreadable(Path file) {
        synchronized (this) {
            headers.put(key(file), new Entry(null, InstanceHeader.EMPTY, null));
        }
    }

    /** The header read at intake as routing values, else read now from the file (and kept). */
    public InstanceHeader get(Path file) throws IOException {
        return entry(file).routing();
    }

    /** The header read at intake, else read now from the file (and kept): shared, nobody writes into it. */
    @Override
    public InputHeader header(Path file) throws IOException {
        InputHeader h = entry(file).input();
        return h != null ? h : InputHeader.read(file, opener);
    }

    private Entry entry(Path file) throws IOException {
        Path key = key(file);
        synchronized (this) {
            Entry e = headers.get(key);
            if (e != null) {
                return e;
            }
        }
        InputHeader read = InputHeader.read(file, opener);
        Entry e = new Entry(read, InstanceHeader.of(read.attributes()), null);
        synchronized (this) {
            headers.put(key, e);
        }
        return e;
    }

    private static Path key(Path file) {
        return file.toAbsolutePath().normalize();
    }

    public synchronized int size() {
        return headers.size();
    }
}
