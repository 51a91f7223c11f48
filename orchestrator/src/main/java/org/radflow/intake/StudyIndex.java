package org.radflow.intake;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.radflow.api.DicomTags;
import org.radflow.pipeline.Threads;
import org.radflow.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The received-studies index in the store (tables {@code received_studies} and {@code received_series}, one set of rows
 * per node): what {@code GET /api/studies} and {@code GET /api/studies/{uid}} read, so that a request costs a few
 * indexed rows whatever the size of the spool.
 *
 * <p>Intake tells the index of each instance it takes ({@link #stored}): that only updates a per-series summary in
 * memory, never the database, so the acknowledgement path and intake's own thread do not wait for a write. A timer
 * (every {@value #FLUSH_MILLIS} ms), a read of the API and a clean stop write the summaries, one transaction per flush.
 * This is safe because the spool is the source of truth and the index is derived from it: an instance acknowledged
 * but not yet written to the index is on disk, its series folder's modification time has changed, and the check at
 * start-up ({@link #reconcile}) counts that series again. Each series row remembers the folder time its count goes
 * with, so start-up stats each series folder once and reads the files of changed series only; after a crash it also
 * recounts the series written to in the last seconds before the index's last write (a second rename within the file
 * system's clock tick leaves a folder's time unchanged).
 */
public final class StudyIndex implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StudyIndex.class);
    static final long FLUSH_MILLIS = 200;
    /** After a crash, series counted this long before the index's last write are counted again. */
    private static final long CRASH_WINDOW_NS = TimeUnit.SECONDS.toNanos(10);
    private static final int BATCH_STUDIES = 200;

    /** The attributes of a series' first instance the API shows (patient and study ones for its study). */
    public record SeriesHeader(String patientName, String patientId, String studyDate, String studyDescription, String accession,
                               String modality, String seriesNumber, String seriesDescription) {
        static final SeriesHeader NONE = new SeriesHeader(null, null, null, null, null, null, null, null);

        static SeriesHeader of(DicomTags t) {
            return new SeriesHeader(t.get("PatientName").orElse(null), t.get("PatientID").orElse(null),
                    t.get("StudyDate").orElse(null), t.get("StudyDescription").orElse(null), t.get("AccessionNumber").orElse(null),
                    t.get("Modality").orElse(null), t.get("SeriesNumber").orElse(null), t.get("SeriesDescription").orElse(null));
        }

        boolean empty() {
            return equals(NONE);
        }
    }

    /**
     * One series as indexed. Times in nanoseconds since 1970; {@code folderTimeNs} is the series folder's modification
     * time its count was taken at (-1: not known to match, counted again at the next start).
     */
    public record SeriesRow(String studyUid, String seriesUid, SeriesHeader header, int instances, long bytes, long firstNs,
                            long lastNs, long folderTimeNs, long checkedAtNs) {
    }

    /** One page of studies, newest (last received) first, and the total number. */
    public record Page(List<JsonObject> studies, int total) {
    }

    /** What a start-up check did. */
    public record Reconcile(int studies, int series, int seriesCounted, int seriesRemoved, int studiesRewritten, boolean cleanStop,
                            long millis) {
    }

    /** Instances of one series taken by intake since the last flush. */
    private static final class Pending {
        final String studyUid;
        final String seriesUid;
        final Set<String> sops = new HashSet<>();
        long bytes;
        long firstNs = Long.MAX_VALUE;
        long lastNs = Long.MIN_VALUE;
        SeriesHeader header = SeriesHeader.NONE;

        Pending(String studyUid, String seriesUid) {
            this.studyUid = studyUid;
            this.seriesUid = seriesUid;
        }
    }

    private final Store store;
    private final String node;
    private final ReceivedStudies spool;
    /** Guarded by itself; swapped out whole by a flush. */
    private Map<List<String>, Pending> pending = new LinkedHashMap<>();
    /** One writer at a time: flushes, the start-up check and a retention's resync never interleave. */
    private final Object writing = new Object();
    private ScheduledExecutorService timer;
    /** Set when a flush failed: its summaries are lost, so the stop is not recorded as clean (the next start recounts). */
    private volatile boolean lostWrites;

    public StudyIndex(Store store, String node, ReceivedStudies spool) {
        this.store = store;
        this.node = node;
        this.spool = spool;
    }

    /** Starts the flush timer (after {@link #reconcile}). */
    public StudyIndex start() {
        timer = Threads.scheduled("study-index");
        timer.scheduleWithFixedDelay(this::flushQuietly, FLUSH_MILLIS, FLUSH_MILLIS, TimeUnit.MILLISECONDS);
        return this;
    }

    // ------------------------------------------------------------------------------------------------ maintained by intake

    /** From intake, for each instance it takes: memory only (written by the next flush). */
    public void stored(ReceivedInstance i) {
        long at = nanos(i.stored().receivedAt());
        synchronized (this) {
            Pending p = pending.computeIfAbsent(List.of(i.studyUid(), i.seriesUid()), k -> new Pending(i.studyUid(), i.seriesUid()));
            if (p.sops.add(i.sopUid())) {
                p.bytes += i.stored().size();
            }
            p.firstNs = Math.min(p.firstNs, at);
            p.lastNs = Math.max(p.lastNs, at);
            if (p.header.empty() && i.header() != null) {
                p.header = SeriesHeader.of(i.header());
            }
        }
    }

    private void flushQuietly() {
        try {
            flush();
        } catch (SQLException | RuntimeException e) {
            // the summaries taken out are lost to this flush; their series folders changed, so the next start counts them
            lostWrites = true;
            LOG.error("Writing the received-studies index failed: {}", e.toString(), e);
        }
    }

    /** Writes what intake took since the last flush; nothing when nothing is pending. */
    public void flush() throws SQLException {
        synchronized (writing) {
            Map<List<String>, Pending> taken;
            synchronized (this) {
                if (pending.isEmpty()) {
                    return;
                }
                taken = pending;
                pending = new LinkedHashMap<>();
            }
            Map<String, List<Pending>> byStudy = new LinkedHashMap<>();
            taken.values().forEach(p -> byStudy.computeIfAbsent(p.studyUid, k -> new ArrayList<>()).add(p));
            store.transaction(c -> {
                for (Map.Entry<String, List<Pending>> e : byStudy.entrySet()) {
                    Map<String, SeriesRow> rows = seriesOf(c, e.getKey());
                    for (Pending p : e.getValue()) {
                        Optional<SeriesRow> now = updated(rows.get(p.seriesUid), p);
                        replaceSeries(c, p.studyUid, p.seriesUid, now);
                        if (now.isPresent()) {
                            rows.put(p.seriesUid, now.get());
                        } else {
                            rows.remove(p.seriesUid);
                        }
                    }
                    writeStudy(c, e.getKey(), rows.values());
                }
                return null;
            });
        }
    }

    /**
     * A series row with a batch of intake's instances added. The folder is counted (names only): when it holds what the
     * row and the batch say, the batch is simply added; when it holds more (instances renamed in after this batch was
     * taken, which the next batch brings), the batch is added and the folder time left unknown; when it holds fewer
     * (an instance sent again replaced its file, or files were removed), the series is read from its folder.
     */
    private Optional<SeriesRow> updated(SeriesRow existing, Pending p) {
        java.nio.file.Path dir = spool.seriesDir(p.studyUid, p.seriesUid);
        long folderTime = ReceivedStudies.folderTime(dir);
        int listed = folderTime < 0 ? 0 : ReceivedStudies.count(dir);
        if (listed == 0) {
            return Optional.empty();
        }
        int expected = (existing == null ? 0 : existing.instances()) + p.sops.size();
        if (listed < expected) {
            try {
                return spool.scan(p.studyUid, p.seriesUid);
            } catch (IOException e) {
                return Optional.empty();
            }
        }
        SeriesHeader header = existing == null || existing.header().empty() ? p.header : existing.header();
        return Optional.of(new SeriesRow(p.studyUid, p.seriesUid, header, expected,
                (existing == null ? 0 : existing.bytes()) + p.bytes,
                existing == null ? p.firstNs : Math.min(existing.firstNs(), p.firstNs),
                existing == null ? p.lastNs : Math.max(existing.lastNs(), p.lastNs),
                listed == expected ? folderTime : -1, nowNs()));
    }

    // ------------------------------------------------------------------------------------------------ checked against the spool

    /**
     * Checks the index against the spool and rewrites what differs: series folders whose modification time is not the
     * one their row was counted at (or that have no row) are read again, rows without a folder go. One stat per series
     * folder; the files of unchanged series are not touched. Call before intake starts (blocks).
     */
    public Reconcile reconcile() throws SQLException, IOException {
        long t0 = System.nanoTime();
        synchronized (writing) {
            boolean clean = store.read(c -> {
                try (PreparedStatement q = c.prepareStatement("SELECT clean_stop FROM received_index_state WHERE node = ?")) {
                    q.setString(1, node);
                    try (ResultSet rs = q.executeQuery()) {
                        return rs.next() && rs.getBoolean(1);
                    }
                }
            });
            // what the index holds: per study, per series, the folder time and when it was counted
            Map<String, Map<String, long[]>> indexed = new HashMap<>();
            long newestCheck = store.read(c -> {
                long newest = Long.MIN_VALUE;
                try (PreparedStatement q = c.prepareStatement(
                        "SELECT study_uid, series_uid, folder_time_ns, checked_at_ns FROM received_series WHERE node = ?")) {
                    q.setString(1, node);
                    try (ResultSet rs = q.executeQuery()) {
                        while (rs.next()) {
                            indexed.computeIfAbsent(rs.getString(1), k -> new HashMap<>())
                                    .put(rs.getString(2), new long[]{rs.getLong(3), rs.getLong(4)});
                            newest = Math.max(newest, rs.getLong(4));
                        }
                    }
                }
                return newest;
            });
            Set<String> studyRows = new HashSet<>(store.read(c -> {
                List<String> out = new ArrayList<>();
                try (PreparedStatement q = c.prepareStatement("SELECT study_uid FROM received_studies WHERE node = ?")) {
                    q.setString(1, node);
                    try (ResultSet rs = q.executeQuery()) {
                        while (rs.next()) {
                            out.add(rs.getString(1));
                        }
                    }
                }
                return out;
            }));
            // per study to rewrite: the series to read again (the others of its rows are removed when their folder is gone)
            Map<String, Set<String>> changed = new TreeMap<>();
            int seriesSeen = 0;
            int seriesCounted = 0;
            int seriesRemoved = 0;
            // after a crash: the series counted in the last seconds before the index's last write
            long recentFrom = newestCheck == Long.MIN_VALUE ? Long.MAX_VALUE : newestCheck - CRASH_WINDOW_NS;
            List<String> studies = spool.studyUids();
            for (String study : studies) {
                Map<String, long[]> rows = indexed.remove(study);
                Set<String> reread = new TreeSet<>();
                int onDisk = 0;
                for (String series : spool.seriesUids(study)) {
                    seriesSeen++;
                    onDisk++;
                    long[] row = rows == null ? null : rows.remove(series);
                    long folderTime = ReceivedStudies.folderTime(spool.seriesDir(study, series));
                    boolean suspect = row == null || row[0] < 0 || row[0] != folderTime
                            || (!clean && row[1] >= recentFrom);
                    if (suspect) {
                        reread.add(series);
                    }
                }
                boolean leftovers = rows != null && !rows.isEmpty();
                seriesRemoved += leftovers ? rows.size() : 0;
                // a study row missing beside indexed series, or one left for a folder without series, is rewritten too
                if (!reread.isEmpty() || leftovers || studyRows.contains(study) != (onDisk > 0)) {
                    changed.put(study, reread);
                }
                seriesCounted += reread.size();
                studyRows.remove(study);
            }
            // studies in the index with no folder left
            for (Map<String, long[]> gone : indexed.values()) {
                seriesRemoved += gone.size();
            }
            Set<String> goneStudies = new TreeSet<>(indexed.keySet());
            goneStudies.addAll(studyRows);
            goneStudies.forEach(s -> changed.put(s, Set.of()));
            List<String> rewrite = new ArrayList<>(changed.keySet());
            for (int from = 0; from < rewrite.size(); from += BATCH_STUDIES) {
                List<String> batch = rewrite.subList(from, Math.min(rewrite.size(), from + BATCH_STUDIES));
                Map<String, Map<String, SeriesRow>> scanned = new HashMap<>();
                Map<String, Set<String>> folders = new HashMap<>();
                for (String study : batch) {
                    Map<String, SeriesRow> read = new HashMap<>();
                    for (String series : changed.get(study)) {
                        spool.scan(study, series).ifPresent(r -> read.put(series, r));
                    }
                    scanned.put(study, read);
                    folders.put(study, new HashSet<>(spool.seriesUids(study)));
                }
                store.transaction(c -> {
                    for (String study : batch) {
                        Set<String> onDisk = folders.get(study);
                        Map<String, SeriesRow> rows = seriesOf(c, study);
                        Map<String, SeriesRow> read = scanned.get(study);
                        for (String series : new ArrayList<>(rows.keySet())) {
                            if (!onDisk.contains(series)) {
                                replaceSeries(c, study, series, Optional.empty());
                                rows.remove(series);
                            }
                        }
                        for (String series : changed.get(study)) {
                            Optional<SeriesRow> now = Optional.ofNullable(read.get(series));
                            replaceSeries(c, study, series, now);
                            if (now.isPresent()) {
                                rows.put(series, now.get());
                            } else {
                                rows.remove(series);
                            }
                        }
                        writeStudy(c, study, rows.values());
                    }
                    return null;
                });
            }
            setClean(false); // until close() has flushed everything
            Reconcile r = new Reconcile(studies.size(), seriesSeen, seriesCounted, seriesRemoved, rewrite.size(), clean,
                    (System.nanoTime() - t0) / 1_000_000);
            LOG.info("Received-studies index checked against the spool in {} ms ({} studies, {} series; {} series read again, "
                            + "{} rows of removed series dropped, {} studies rewritten; last stop {})", r.millis(), r.studies(), r.series(),
                    r.seriesCounted(), r.seriesRemoved(), r.studiesRewritten(), clean ? "clean" : "not clean: recent series recounted");
            return r;
        }
    }

    /** Makes a study's rows what its folder holds now, or removes them when it is gone (after a retention sweep). */
    public void resync(String studyUid) throws SQLException, IOException {
        synchronized (writing) {
            Map<String, SeriesRow> read = new HashMap<>();
            for (String series : spool.seriesUids(studyUid)) {
                spool.scan(studyUid, series).ifPresent(r -> read.put(series, r));
            }
            store.transaction(c -> {
                for (String series : seriesOf(c, studyUid).keySet()) {
                    replaceSeries(c, studyUid, series, Optional.empty());
                }
                for (SeriesRow r : read.values()) {
                    replaceSeries(c, studyUid, r.seriesUid(), Optional.of(r));
                }
                writeStudy(c, studyUid, read.values());
                return null;
            });
        }
    }

    // ------------------------------------------------------------------------------------------------ read by the API

    /** One page of studies, newest (last received) first, then by UID; flushes what intake took first. */
    public Page list(int limit, int offset) throws SQLException {
        flush();
        return store.read(c -> {
            List<JsonObject> page = new ArrayList<>();
            try (PreparedStatement q = c.prepareStatement("SELECT " + STUDY_COLUMNS + " FROM received_studies WHERE node = ? "
                    + "ORDER BY last_received_ns DESC, study_uid LIMIT ? OFFSET ?")) {
                q.setString(1, node);
                q.setInt(2, limit);
                q.setInt(3, Math.max(0, offset));
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        page.add(studyJson(rs));
                    }
                }
            }
            int total;
            try (PreparedStatement q = c.prepareStatement("SELECT COUNT(*) FROM received_studies WHERE node = ?")) {
                q.setString(1, node);
                try (ResultSet rs = q.executeQuery()) {
                    rs.next();
                    total = rs.getInt(1);
                }
            }
            return new Page(page, total);
        });
    }

    /** A study with its series (each with instance count, description, modality, times); empty when not received. */
    public Optional<JsonObject> study(String uid) throws SQLException {
        flush();
        return store.read(c -> {
            JsonObject st;
            try (PreparedStatement q = c.prepareStatement("SELECT " + STUDY_COLUMNS + " FROM received_studies WHERE node = ? AND study_uid = ?")) {
                q.setString(1, node);
                q.setString(2, uid);
                try (ResultSet rs = q.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    st = studyJson(rs);
                }
            }
            JsonArray series = new JsonArray();
            for (SeriesRow r : seriesOf(c, uid).values()) {
                series.add(new JsonObject()
                        .put("seriesInstanceUid", r.seriesUid())
                        .put("seriesNumber", r.header().seriesNumber())
                        .put("seriesDescription", r.header().seriesDescription())
                        .put("modality", r.header().modality())
                        .put("instanceCount", r.instances())
                        .put("firstReceived", instant(r.firstNs()))
                        .put("lastReceived", instant(r.lastNs())));
            }
            return Optional.of(st.put("series", series));
        });
    }

    /** The indexed series of a study (as the API would show them): for tests and tools. */
    public List<SeriesRow> series(String studyUid) throws SQLException {
        flush();
        return store.read(c -> new ArrayList<>(seriesOf(c, studyUid).values()));
    }

    // ------------------------------------------------------------------------------------------------ rows

    private static final String SERIES_COLUMNS = "series_uid, patient_name, patient_id, study_date, study_description, accession, "
            + "modality, series_number, series_description, instance_count, size_bytes, first_received_ns, last_received_ns, "
            + "folder_time_ns, checked_at_ns";
    private static final String STUDY_COLUMNS = "study_uid, patient_name, patient_id, study_date, study_description, accession, "
            + "modalities, series_count, instance_count, first_received_ns, last_received_ns";

    /** A study's series rows by series UID, sorted. */
    private Map<String, SeriesRow> seriesOf(Connection c, String studyUid) throws SQLException {
        Map<String, SeriesRow> out = new TreeMap<>();
        try (PreparedStatement q = c.prepareStatement("SELECT " + SERIES_COLUMNS + " FROM received_series WHERE node = ? AND study_uid = ?")) {
            q.setString(1, node);
            q.setString(2, studyUid);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    SeriesHeader h = new SeriesHeader(rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                            rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9));
                    out.put(rs.getString(1), new SeriesRow(studyUid, rs.getString(1), h, rs.getInt(10), rs.getLong(11),
                            rs.getLong(12), rs.getLong(13), rs.getLong(14), rs.getLong(15)));
                }
            }
        }
        return out;
    }

    private void replaceSeries(Connection c, String studyUid, String seriesUid, Optional<SeriesRow> row) throws SQLException {
        try (PreparedStatement d = c.prepareStatement("DELETE FROM received_series WHERE node = ? AND study_uid = ? AND series_uid = ?")) {
            d.setString(1, node);
            d.setString(2, studyUid);
            d.setString(3, seriesUid);
            d.executeUpdate();
        }
        if (row.isEmpty()) {
            return;
        }
        SeriesRow r = row.get();
        try (PreparedStatement i = c.prepareStatement("INSERT INTO received_series (node, study_uid, " + SERIES_COLUMNS
                + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            int n = 1;
            i.setString(n++, node);
            i.setString(n++, studyUid);
            i.setString(n++, seriesUid);
            n = header(i, n, r.header());
            text(i, n++, r.header().modality(), 16);
            text(i, n++, r.header().seriesNumber(), 32);
            text(i, n++, r.header().seriesDescription(), 400);
            i.setInt(n++, r.instances());
            i.setLong(n++, r.bytes());
            i.setLong(n++, r.firstNs());
            i.setLong(n++, r.lastNs());
            i.setLong(n++, r.folderTimeNs());
            i.setLong(n, r.checkedAtNs());
            i.executeUpdate();
        }
    }

    /** The study row as the sum of its series (its attributes from its first series by UID); removed when it has none. */
    private void writeStudy(Connection c, String studyUid, Collection<SeriesRow> series) throws SQLException {
        try (PreparedStatement d = c.prepareStatement("DELETE FROM received_studies WHERE node = ? AND study_uid = ?")) {
            d.setString(1, node);
            d.setString(2, studyUid);
            d.executeUpdate();
        }
        if (series.isEmpty()) {
            return;
        }
        List<SeriesRow> sorted = new ArrayList<>(series);
        sorted.sort(java.util.Comparator.comparing(SeriesRow::seriesUid));
        Set<String> modalities = new TreeSet<>();
        int instances = 0;
        long bytes = 0;
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (SeriesRow r : sorted) {
            if (r.header().modality() != null) {
                modalities.add(r.header().modality());
            }
            instances += r.instances();
            bytes += r.bytes();
            first = Math.min(first, r.firstNs());
            last = Math.max(last, r.lastNs());
        }
        try (PreparedStatement i = c.prepareStatement("INSERT INTO received_studies (node, study_uid, patient_name, patient_id, "
                + "study_date, study_description, accession, modalities, series_count, instance_count, size_bytes, "
                + "first_received_ns, last_received_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            int n = 1;
            i.setString(n++, node);
            i.setString(n++, studyUid);
            n = header(i, n, sorted.get(0).header());
            text(i, n++, String.join("\\", modalities), 400);
            i.setInt(n++, sorted.size());
            i.setInt(n++, instances);
            i.setLong(n++, bytes);
            i.setLong(n++, first);
            i.setLong(n, last);
            i.executeUpdate();
        }
    }

    private static int header(PreparedStatement i, int n, SeriesHeader h) throws SQLException {
        text(i, n++, h.patientName(), 400);
        text(i, n++, h.patientId(), 200);
        text(i, n++, h.studyDate(), 32);
        text(i, n++, h.studyDescription(), 400);
        text(i, n++, h.accession(), 64);
        return n;
    }

    /** A value cut to its column (a non-conformant header must not make the index unwritable). */
    private static void text(PreparedStatement i, int n, String v, int max) throws SQLException {
        if (v == null || v.isEmpty()) {
            i.setNull(n, Types.VARCHAR);
        } else {
            i.setString(n, v.length() > max ? v.substring(0, max) : v);
        }
    }

    private static JsonObject studyJson(ResultSet rs) throws SQLException {
        String modalities = rs.getString(7);
        JsonArray mods = new JsonArray();
        if (modalities != null) {
            for (String m : modalities.split("\\\\")) {
                mods.add(m);
            }
        }
        return new JsonObject()
                .put("studyInstanceUid", rs.getString(1))
                .put("patientName", rs.getString(2))
                .put("patientId", rs.getString(3))
                .put("studyDate", rs.getString(4))
                .put("studyDescription", rs.getString(5))
                .put("accession", rs.getString(6))
                .put("modalities", mods)
                .put("seriesCount", rs.getInt(8))
                .put("instanceCount", rs.getInt(9))
                .put("firstReceived", instant(rs.getLong(10)))
                .put("lastReceived", instant(rs.getLong(11)));
    }

    private void setClean(boolean clean) throws SQLException {
        store.transaction(c -> {
            try (PreparedStatement d = c.prepareStatement("DELETE FROM received_index_state WHERE node = ?")) {
                d.setString(1, node);
                d.executeUpdate();
            }
            try (PreparedStatement i = c.prepareStatement("INSERT INTO received_index_state (node, clean_stop, updated_at_ns) VALUES (?, ?, ?)")) {
                i.setString(1, node);
                i.setBoolean(2, clean);
                i.setLong(3, nowNs());
                i.executeUpdate();
            }
            return null;
        });
    }

    private static String instant(long ns) {
        return Instant.ofEpochSecond(Math.floorDiv(ns, 1_000_000_000L), Math.floorMod(ns, 1_000_000_000L)).toString();
    }

    private static long nanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    private static long nowNs() {
        return nanos(Instant.now());
    }

    /** Stops the timer, writes what is pending and records a clean stop (the next start then only compares folder times). */
    @Override
    public void close() throws SQLException {
        if (timer != null) {
            Threads.shutdown(timer, 5, TimeUnit.SECONDS);
        }
        flush();
        setClean(!lostWrites);
    }
}
