package org.radflow.listener;

import org.radflow.dicom.Uids;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The durable spool: {@code incoming/<StudyInstanceUID>/<SeriesInstanceUID>/<SOPInstanceUID>.dcm}.
 * Files are written under {@code tmp/} and renamed into place, so a final name always holds a
 * complete instance; whatever is left in {@code tmp/} after a crash is partial and is removed at start.
 */
public final class Spool {

    private static final Logger LOG = LoggerFactory.getLogger(Spool.class);
    public static final String SUFFIX = ".dcm";
    private static final String PART = ".part";

    private final Path root;
    private final Path incoming;
    private final Path tmp;
    private final boolean fsync;
    private final long minFreeSpaceBytes;
    /** Series folders known to exist, so the common case costs no stat calls (bounded, most recent kept). */
    private final Map<Path, Boolean> knownSeriesDirs = Collections.synchronizedMap(new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Path, Boolean> eldest) {
            return size() > 4096;
        }
    });

    public Spool(Path root, boolean fsync, long minFreeSpaceBytes) {
        this.root = root.toAbsolutePath().normalize();
        this.incoming = this.root.resolve("incoming");
        this.tmp = this.root.resolve("tmp");
        this.fsync = fsync;
        this.minFreeSpaceBytes = minFreeSpaceBytes;
    }

    /** Creates the folders and removes partial files a crash left behind. */
    public void open() throws IOException {
        Files.createDirectories(incoming);
        Files.createDirectories(tmp);
        int removed = 0;
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(tmp, "*" + PART)) {
            for (Path p : leftovers) {
                Files.deleteIfExists(p);
                removed++;
            }
        }
        if (removed > 0) {
            LOG.warn("Removed {} partial file(s) left in {} by an interrupted transfer or a crash", removed, tmp);
        }
    }

    public Path root() {
        return root;
    }

    public Path incoming() {
        return incoming;
    }

    public boolean fsync() {
        return fsync;
    }

    public long freeSpaceBytes() throws IOException {
        // File.getUsableSpace is one statvfs call; Files.getFileStore would scan the mount table each time
        return root.toFile().getUsableSpace();
    }

    public long minFreeSpaceBytes() {
        return minFreeSpaceBytes;
    }

    /** True when there is room for another instance above the configured reserve. */
    public boolean hasRoom() throws IOException {
        return freeSpaceBytes() >= minFreeSpaceBytes;
    }

    public Path newTempFile() {
        return tmp.resolve(UUID.randomUUID() + PART);
    }

    public Path finalPath(String studyUid, String seriesUid, String sopUid) {
        for (String uid : new String[] {studyUid, seriesUid, sopUid}) {
            // UIDs become path components: only valid DICOM UIDs (digits and dots) may, never "..", "/" or the like
            if (!Uids.isValid(uid)) {
                throw new IllegalArgumentException("not a valid DICOM UID: " + Uids.forLog(uid));
            }
        }
        return incoming.resolve(studyUid).resolve(seriesUid).resolve(sopUid + SUFFIX);
    }

    /**
     * Moves a complete, already flushed temporary file to its final name, replacing an earlier copy
     * of the same instance atomically, and makes the rename durable when fsync is on.
     */
    public Path commit(Path temp, String studyUid, String seriesUid, String sopUid) throws IOException {
        Path target = finalPath(studyUid, seriesUid, sopUid);
        Path seriesDir = target.getParent();
        boolean known = knownSeriesDirs.containsKey(seriesDir);
        boolean newStudy = false;
        boolean newSeries = false;
        if (!known) {
            newStudy = !Files.isDirectory(seriesDir.getParent());
            newSeries = newStudy || !Files.isDirectory(seriesDir);
            if (newSeries) {
                Files.createDirectories(seriesDir);
            }
        }
        try {
            move(temp, target);
        } catch (NoSuchFileException e) {
            // the series folder was removed since we saw it (e.g. a study cleaned up after processing)
            newStudy = !Files.isDirectory(seriesDir.getParent());
            newSeries = true;
            Files.createDirectories(seriesDir);
            move(temp, target);
        }
        knownSeriesDirs.put(seriesDir, Boolean.TRUE);
        if (fsync) {
            syncDirectory(seriesDir);
            if (newSeries) {
                syncDirectory(seriesDir.getParent());
            }
            if (newStudy) {
                syncDirectory(incoming);
            }
        }
        return target;
    }

    private void move(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("spool " + root + " does not support atomic rename; tmp/ and incoming/ must be on one file system", e);
        }
    }

    static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
