package org.radflow.listener;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Syncs the spool folders that renames touched, once per batch and off the acknowledgement path: each instance's
 * {@link SpoolRecord} already makes its rename recoverable, so the folder sync only has to follow within a short
 * while ({@link #BATCH_MILLIS}), and one folder sync covers every rename into that folder since the last one.
 */
final class FolderSyncer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FolderSyncer.class);
    /** How long renames gather before their folders are synced together. */
    static final long BATCH_MILLIS = 200;

    private final Set<Path> pending = new LinkedHashSet<>();
    private final Thread thread;
    private boolean closed;
    private long synced;
    private long batches;

    FolderSyncer(String name) {
        thread = new Thread(this::run, name);
        thread.setDaemon(true); // close() syncs what is left; a daemon never keeps a stopping JVM alive
        thread.start();
    }

    /** Marks folders whose entries changed; they are synced with the next batch. */
    synchronized void add(Path... dirs) {
        for (Path d : dirs) {
            pending.add(d);
        }
        notifyAll();
    }

    /** Syncs every folder marked so far, now, on the caller's thread. */
    void flush() {
        List<Path> batch;
        synchronized (this) {
            batch = new ArrayList<>(pending);
            pending.clear();
        }
        sync(batch);
    }

    /** Folder syncs done and batches run, for tests and logs. */
    synchronized long[] counts() {
        return new long[] {synced, batches};
    }

    private void run() {
        while (true) {
            synchronized (this) {
                while (pending.isEmpty() && !closed) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) {
                    return;
                }
            }
            try {
                Thread.sleep(BATCH_MILLIS); // let the batch gather: at hundreds of instances per second, one sync covers many
            } catch (InterruptedException e) {
                return;
            }
            flush();
        }
    }

    private void sync(List<Path> batch) {
        if (batch.isEmpty()) {
            return;
        }
        // deepest first: a new series folder is synced before the study folder that names it
        batch.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        int done = 0;
        for (Path dir : batch) {
            try {
                Spool.syncDirectory(dir);
                done++;
            } catch (java.nio.file.NoSuchFileException gone) {
                done++; // removed since (a study cleaned up): nothing of it needs to be durable any more
            } catch (IOException e) {
                // the instances stay recoverable from their records in tmp/ only until the next crash-free sync
                LOG.error("Syncing spool folder {} failed: {} (acknowledged instances in it rely on their tmp/ records)", dir,
                        e.toString());
            }
        }
        synchronized (this) {
            synced += done;
            batches++;
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        flush();
    }
}
