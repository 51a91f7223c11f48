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
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The durable spool: {@code incoming/<StudyInstanceUID>/<SeriesInstanceUID>/<SOPInstanceUID>.dcm}.
 * Files are written under {@code tmp/} and renamed into place, so a final name always holds a
 * complete instance. The listener's path ({@link #seal} then {@link #commitRecorded}) costs one sync per
 * instance: the file's fsync makes its data and its {@link SpoolRecord} durable, and the folders are synced
 * in batches by a {@link FolderSyncer}. At start, a file left in {@code tmp/} whose record matches its content
 * was acknowledged and is moved to its final name; anything else there is partial and is removed.
 */
public final class Spool implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Spool.class);
    public static final String SUFFIX = ".dcm";
    private static final String PART = ".part";

    private final Path root;
    private final Path incoming;
    private final Path tmp;
    private final boolean fsync;
    private final long minFreeSpaceBytes;
    /** Whether the spool's file system keeps {@link SpoolRecord}s (user extended attributes); decided by {@link #open}. */
    private volatile boolean recordsSupported;
    private FolderSyncer folders;
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

    /** What {@link #open} found in {@code tmp/}: acknowledged instances moved to their final names, partial files removed. */
    public record Recovery(int recovered, int removed) {
    }

    /**
     * Creates the folders, moves every acknowledged instance whose rename a crash lost to its final name (its record
     * matches its content), removes partial files, and finds out whether the file system keeps records.
     */
    public Recovery open() throws IOException {
        Files.createDirectories(incoming);
        Files.createDirectories(tmp);
        int removed = 0;
        int recovered = 0;
        Set<Path> touched = new HashSet<>();
        List<Path> leftovers = new ArrayList<>();
        try (DirectoryStream<Path> found = Files.newDirectoryStream(tmp, "*" + PART)) {
            found.forEach(leftovers::add);
        }
        // oldest first: when two copies of one instance both lost their renames, the later one must win, as it did
        leftovers.sort(Comparator.comparing(Spool::modifiedOrEpoch));
        for (Path p : leftovers) {
            Path target = recover(p);
            if (target != null) {
                recovered++;
                touched.add(target.getParent());
                touched.add(target.getParent().getParent());
            } else {
                Files.deleteIfExists(p);
                removed++;
            }
        }
        if (recovered > 0) {
            for (Path d : touched) {
                syncDirectory(d);
            }
            syncDirectory(incoming);
            syncDirectory(tmp);
            LOG.warn("Recovered {} acknowledged instance(s) whose move into {} a crash interrupted", recovered, incoming);
        }
        if (removed > 0) {
            LOG.warn("Removed {} partial file(s) left in {} by an interrupted transfer or a crash", removed, tmp);
        }
        recordsSupported = probeRecords();
        if (fsync && !recordsSupported) {
            LOG.warn("The spool's file system ({}) keeps no user extended attributes: each instance costs a file sync and a "
                    + "folder sync before its answer (ext4, XFS and btrfs keep them)", root);
        }
        return new Recovery(recovered, removed);
    }

    private static java.nio.file.attribute.FileTime modifiedOrEpoch(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return java.nio.file.attribute.FileTime.fromMillis(0);
        }
    }

    /** The final name a matching record gives a leftover temporary file, after moving it there; null when it is partial. */
    private Path recover(Path temp) {
        try {
            SpoolRecord r = SpoolRecord.readFrom(temp);
            if (r == null || !r.matches(temp)) {
                return null;
            }
            Path target = finalPath(r.studyInstanceUid(), r.seriesInstanceUid(), r.sopInstanceUid());
            Files.createDirectories(target.getParent());
            move(temp, target);
            return target;
        } catch (IllegalArgumentException | IOException e) {
            LOG.warn("Leftover {} cannot be recovered ({}); it is removed", temp, e.toString());
            return null;
        }
    }

    private boolean probeRecords() {
        Path probe = tmp.resolve("probe-" + UUID.randomUUID() + ".tmp");
        try {
            Files.createFile(probe);
            SpoolRecord written = new SpoolRecord(0, 0, "1", "2", "3");
            written.writeTo(probe);
            return written.equals(SpoolRecord.readFrom(probe));
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        } finally {
            try {
                Files.deleteIfExists(probe);
            } catch (IOException ignored) {
                // a stray probe file is harmless
            }
        }
    }

    /**
     * For a second writer into a spool the listener has {@link #open opened} (a cluster node's endpoint for its peers'
     * copies): finds out whether the file system keeps records, leaving {@code tmp/} alone.
     */
    public void probe() throws IOException {
        Files.createDirectories(tmp);
        recordsSupported = probeRecords();
    }

    /**
     * A copy of an instance (a cluster peer's) fully written to {@code temp} through {@code channel}: made durable with
     * one sync where records work, as the listener's own instances ({@link #seal}). Then {@link #commitSealed}.
     *
     * @param crc32c CRC-32C of the whole file as written
     */
    public void sealCopy(Path temp, FileChannel channel, long size, int crc32c, String studyUid, String seriesUid, String sopUid)
            throws IOException {
        seal(temp, channel, new SpoolRecord(size, crc32c, studyUid, seriesUid, sopUid));
    }

    /** Renames a {@link #sealCopy sealed} copy to its final name; its folders are synced with the next batch. */
    public Path commitSealed(Path temp, String studyUid, String seriesUid, String sopUid) throws IOException {
        return commitRecorded(temp, studyUid, seriesUid, sopUid);
    }

    /** True when each instance costs one sync ({@link #seal}); false: a file sync and a folder sync. */
    public boolean recordsSupported() {
        return recordsSupported;
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
        Placed placed = place(temp, studyUid, seriesUid, sopUid);
        Path seriesDir = placed.target().getParent();
        if (fsync) {
            syncDirectory(seriesDir);
            if (placed.newSeries()) {
                syncDirectory(seriesDir.getParent());
            }
            if (placed.newStudy()) {
                syncDirectory(incoming);
            }
        }
        return placed.target();
    }

    /** Where a rename put the file, and which folders it had to create (their parents' entries changed too). */
    private record Placed(Path target, boolean newSeries, boolean newStudy) {
    }

    private Placed place(Path temp, String studyUid, String seriesUid, String sopUid) throws IOException {
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
        return new Placed(target, newSeries, newStudy);
    }

    private void move(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("spool " + root + " does not support atomic rename; tmp/ and incoming/ must be on one file system", e);
        }
    }

    /**
     * Makes a fully written temporary file durable before its answer, with one sync: its {@link SpoolRecord}
     * is set and the file fsync'ed (data, size and record together). Without records, only the data is flushed and
     * {@link #commitRecorded} syncs the folders itself. Does nothing when fsync is off.
     */
    void seal(Path temp, FileChannel channel, SpoolRecord record) throws IOException {
        if (!fsync) {
            return;
        }
        if (recordsSupported) {
            finalPath(record.studyInstanceUid(), record.seriesInstanceUid(), record.sopInstanceUid()); // never record a bad path
            record.writeTo(temp);
            channel.force(true);
        } else {
            channel.force(false);
        }
    }

    /**
     * Renames a {@link #seal sealed} temporary file to its final name. With records, the folders are synced with the
     * next batch (the record keeps the rename recoverable until then); without, before returning, as {@link #commit}.
     */
    Path commitRecorded(Path temp, String studyUid, String seriesUid, String sopUid) throws IOException {
        if (!fsync || !recordsSupported) {
            return commit(temp, studyUid, seriesUid, sopUid);
        }
        Placed placed = place(temp, studyUid, seriesUid, sopUid);
        Path seriesDir = placed.target().getParent();
        FolderSyncer f = folders();
        f.add(tmp, seriesDir);
        if (placed.newSeries()) {
            f.add(seriesDir.getParent());
        }
        if (placed.newStudy()) {
            f.add(incoming);
        }
        return placed.target();
    }

    private synchronized FolderSyncer folders() {
        if (folders == null) {
            folders = new FolderSyncer("spool-folder-sync");
        }
        return folders;
    }

    /** Syncs the folders of renames not synced yet, now (tests; {@link #close} does it too). */
    void syncFolders() {
        FolderSyncer f;
        synchronized (this) {
            f = folders;
        }
        if (f != null) {
            f.flush();
        }
    }

    /** Folder syncs done by the batches so far and the number of batches (0, 0 before the first rename). */
    synchronized long[] folderSyncCounts() {
        return folders == null ? new long[] {0, 0} : folders.counts();
    }

    /** Syncs the folders of the last renames and stops the batching thread. */
    @Override
    public synchronized void close() {
        if (folders != null) {
            folders.close();
            folders = null;
        }
    }

    static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
