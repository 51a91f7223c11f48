package org.radflow.intake;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Headers read at intake, by spool path, for the stages after it (the planner routes a unit by its first instance's
 * header). Bounded, least recently used first out: a header that left it (or was never read, as after a restart) is
 * read from the spool again.
 */
public final class HeaderCache {

    private final Map<Path, InstanceHeader> headers;

    public HeaderCache(int capacity) {
        this.headers = new LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Path, InstanceHeader> eldest) {
                return size() > capacity;
            }
        };
    }

    public synchronized void put(Path file, InstanceHeader header) {
        headers.put(file.toAbsolutePath().normalize(), header);
    }

    /** The header read at intake, else read now from the file. */
    public InstanceHeader get(Path file) throws Exception {
        Path key = file.toAbsolutePath().normalize();
        synchronized (this) {
            InstanceHeader h = headers.get(key);
            if (h != null) {
                return h;
            }
        }
        InstanceHeader read = InstanceHeader.read(file);
        put(key, read);
        return read;
    }

    public synchronized int size() {
        return headers.size();
    }
}
