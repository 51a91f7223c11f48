package org.radflow.jobs;

import io.vertx.core.json.JsonArray;
import org.radflow.api.Trigger;
import org.radflow.routing.Priority;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The durable job journal: every job is written here before anything acts on it, and every state
 * change goes through here. Embedded H2 in a file under the data directory by default; the SQL is
 * plain enough for PostgreSQL (the cluster's shared journal later).
 *
 * <p>All methods are synchronized on one connection: the journal's write rate is one row per job
 * state change, far below what that serialises.
 */
public final class JobJournal implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(JobJournal.class);
    /** A queued job's sort key is its creation time plus this much per priority step: aging prevents starvation. */
    public static final Duration AGING_PER_PRIORITY_STEP = Duration.ofMinutes(5);

    private final Connection db;
    private final List<Listener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Runs listeners in commit order, off the journal's lock and off the threads that change jobs. */
    private final java.util.concurrent.ExecutorService notifier = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "radflow-journal-listeners");
        t.setDaemon(true);
        return t;
    });

    /**
     * Told of every state change after it is committed (audit, metrics), in order, on one thread of
     * the journal's own, shortly after the change; {@code job} is the job as it is when the listener
     * runs. A listener must not throw.
     */
    public interface Listener {
        void stateChanged(Job job, Job.Event event);
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    private JobJournal(Connection db) throws SQLException {
        this.db = db;
        migrate();
    }

    /** Opens (creating if needed) the H2 journal at {@code <dir>/journal}. */
    public static JobJournal openEmbedded(Path dir) throws SQLException {
        String url = "jdbc:h2:file:" + dir.toAbsolutePath().resolve("journal") + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0";
        return new JobJournal(DriverManager.getConnection(url, "radflow", ""));
    }

    private void migrate() throws SQLException {
        try (Statement s = db.createStatement()) {
            s.execute("""
                    CREATE TABLE IF NOT EXISTS jobs (
                      id VARCHAR(40) PRIMARY KEY,
                      unit_key VARCHAR(300) NOT NULL,
                      trigger_kind VARCHAR(16) NOT NULL,
                      study_uid VARCHAR(64) NOT NULL,
                      series_uid VARCHAR(64),
                      sop_uid VARCHAR(64),
                      module_id VARCHAR(64) NOT NULL,
                      module_version VARCHAR(64),
                      rule_name VARCHAR(128),
                      priority VARCHAR(16) NOT NULL,
                      destinations VARCHAR(2000) NOT NULL,
                      input_files CLOB NOT NULL,
                      input_hash VARCHAR(64) NOT NULL,
                      revision INT NOT NULL,
                      supersedes VARCHAR(40),
                      state VARCHAR(20) NOT NULL,
                      attempts INT NOT NULL,
                      reason VARCHAR(4000),
                      progress DOUBLE PRECISION NOT NULL,
                      progress_message VARCHAR(300),
                      sort_key BIGINT NOT NULL,
                      created_at TIMESTAMP NOT NULL,
                      updated_at TIMESTAMP NOT NULL,
                      started_at TIMESTAMP,
                      finished_at TIMESTAMP,
                      next_attempt_at TIMESTAMP NOT NULL
                    )""");
            s.execute("CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (module_id, state, sort_key)");
            s.execute("CREATE INDEX IF NOT EXISTS jobs_unit ON jobs (unit_key, module_id, revision)");
            s.execute("CREATE INDEX IF NOT EXISTS jobs_study ON jobs (study_uid)");
            s.execute("""
                    CREATE TABLE IF NOT EXISTS job_events (
                      job_id VARCHAR(40) NOT NULL,
                      seq BIGINT AUTO_INCREMENT PRIMARY KEY,
                      at TIMESTAMP NOT NULL,
                      state VARCHAR(20) NOT NULL,
                      message VARCHAR(4000)
                    )""");
            s.execute("CREATE INDEX IF NOT EXISTS job_events_job ON job_events (job_id, seq)");
        }
    }

    /** What a planner wants journaled. */
    public record NewJob(String unitKey, Trigger trigger, String studyUid, String seriesUid, String sopUid, String moduleId,
                         String moduleVersion, String ruleName, Priority priority, List<String> destinations,
                         List<Path> inputFiles, String inputHash) {
    }

    /**
     * Journals a job for a unit and module unless one already exists for exactly these inputs
     * (a rescan or a duplicate event); a unit whose inputs changed gets the next revision,
     * superseding the previous job. Returns the new job, or empty when it already existed.
     */
    public synchronized Optional<Job> enqueue(NewJob n, JobState initialState, String reason) throws SQLException {
        Job previous = null;
        try (PreparedStatement q = db.prepareStatement(
                "SELECT * FROM jobs WHERE unit_key = ? AND module_id = ? AND rule_name = ? ORDER BY revision DESC LIMIT 1")) {
            q.setString(1, n.unitKey());
            q.setString(2, n.moduleId());
            q.setString(3, n.ruleName());
            try (ResultSet rs = q.executeQuery()) {
                if (rs.next()) {
                    previous = map(rs);
                }
            }
        }
        if (previous != null && previous.inputHash().equals(n.inputHash())
                && java.util.Objects.equals(previous.moduleVersion(), n.moduleVersion())) {
            return Optional.empty();
        }
        Instant now = Instant.now();
        String id = UUID.randomUUID().toString();
        int revision = previous == null ? 1 : previous.revision() + 1;
        long sortKey = now.toEpochMilli() + n.priority().ordinal() * AGING_PER_PRIORITY_STEP.toMillis();
        try (PreparedStatement ins = db.prepareStatement("""
                INSERT INTO jobs (id, unit_key, trigger_kind, study_uid, series_uid, sop_uid, module_id, module_version, rule_name,
                  priority, destinations, input_files, input_hash, revision, supersedes, state, attempts, reason, progress,
                  progress_message, sort_key, created_at, updated_at, started_at, finished_at, next_attempt_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 0, NULL, ?, ?, ?, NULL, ?, ?)""")) {
            int i = 1;
            ins.setString(i++, id);
            ins.setString(i++, n.unitKey());
            ins.setString(i++, n.trigger().name());
            ins.setString(i++, n.studyUid());
            ins.setString(i++, n.seriesUid());
            ins.setString(i++, n.sopUid());
            ins.setString(i++, n.moduleId());
            ins.setString(i++, n.moduleVersion());
            ins.setString(i++, n.ruleName());
            ins.setString(i++, n.priority().name());
            ins.setString(i++, new JsonArray(new ArrayList<>(n.destinations())).encode());
            ins.setString(i++, new JsonArray(n.inputFiles().stream().map(Path::toString).toList()).encode());
            ins.setString(i++, n.inputHash());
            ins.setInt(i++, revision);
            ins.setString(i++, previous == null ? null : previous.id());
            ins.setString(i++, initialState.name());
            ins.setString(i++, reason);
            ins.setLong(i++, sortKey);
            ins.setTimestamp(i++, Timestamp.from(now));
            ins.setTimestamp(i++, Timestamp.from(now));
            ins.setTimestamp(i++, initialState.terminal() ? Timestamp.from(now) : null);
            ins.setTimestamp(i, Timestamp.from(now));
            ins.executeUpdate();
        }
        event(id, initialState, initialState == JobState.QUEUED
                ? "queued by rule " + n.ruleName() + (previous == null ? "" : " (revision " + revision + ", supersedes " + previous.id() + ")")
                : reason);
        return find(id);
    }

    /** Queued jobs of a module that may start now, in queue order (priority with aging). */
    public synchronized List<Job> startable(String moduleId, int limit) throws SQLException {
        try (PreparedStatement q = db.prepareStatement(
                "SELECT * FROM jobs WHERE module_id = ? AND state = 'QUEUED' AND next_attempt_at <= ? ORDER BY sort_key, created_at LIMIT ?")) {
            q.setString(1, moduleId);
            q.setTimestamp(2, Timestamp.from(Instant.now()));
            q.setInt(3, limit);
            return list(q);
        }
    }

    public synchronized int countInState(String moduleId, JobState state) throws SQLException {
        try (PreparedStatement q = db.prepareStatement("SELECT COUNT(*) FROM jobs WHERE module_id = ? AND state = ?")) {
            q.setString(1, moduleId);
            q.setString(2, state.name());
            try (ResultSet rs = q.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /** Moves QUEUED to RUNNING atomically; false when someone else took it or it changed meanwhile. */
    public synchronized boolean markRunning(String id) throws SQLException {
        Instant now = Instant.now();
        try (PreparedStatement u = db.prepareStatement(
                "UPDATE jobs SET state = 'RUNNING', attempts = attempts + 1, started_at = ?, updated_at = ?, progress = 0, "
                        + "progress_message = NULL WHERE id = ? AND state = 'QUEUED'")) {
            u.setTimestamp(1, Timestamp.from(now));
            u.setTimestamp(2, Timestamp.from(now));
            u.setString(3, id);
            if (u.executeUpdate() != 1) {
                return false;
            }
        }
        event(id, JobState.RUNNING, "started");
        return true;
    }

    /** Ends a running job; ignored when the job is no longer RUNNING (e.g. it timed out meanwhile). */
    public synchronized boolean finish(String id, JobState state, String reason) throws SQLException {
        Instant now = Instant.now();
        try (PreparedStatement u = db.prepareStatement(
                "UPDATE jobs SET state = ?, reason = ?, finished_at = ?, updated_at = ?, progress = CASE WHEN ? THEN 1 ELSE progress END "
                        + "WHERE id = ? AND state = 'RUNNING'")) {
            u.setString(1, state.name());
            u.setString(2, truncate(reason));
            u.setTimestamp(3, Timestamp.from(now));
            u.setTimestamp(4, Timestamp.from(now));
            u.setBoolean(5, state == JobState.SUCCEEDED);
            u.setString(6, id);
            if (u.executeUpdate() != 1) {
                return false;
            }
        }
        event(id, state, reason);
        return true;
    }

    /** A running job failed transiently: back to the queue after {@code delay}. */
    public synchronized boolean retryLater(String id, Duration delay, String reason) throws SQLException {
        Instant now = Instant.now();
        try (PreparedStatement u = db.prepareStatement(
                "UPDATE jobs SET state = 'QUEUED', reason = ?, next_attempt_at = ?, updated_at = ? WHERE id = ? AND state = 'RUNNING'")) {
            u.setString(1, truncate(reason));
            u.setTimestamp(2, Timestamp.from(now.plus(delay)));
            u.setTimestamp(3, Timestamp.from(now));
            u.setString(4, id);
            if (u.executeUpdate() != 1) {
                return false;
            }
        }
        event(id, JobState.QUEUED, "retry in " + delay.toSeconds() + " s after: " + reason);
        return true;
    }

    /**
     * An operator's retry: a finished job, or a queued one waiting for its back-off, goes to the queue
     * now. A running job is refused (it is running).
     */
    public synchronized boolean requeue(String id, String why) throws SQLException {
        return requeue(id, why, "state <> 'RUNNING'");
    }

    private boolean requeue(String id, String why, String condition) throws SQLException {
        Instant now = Instant.now();
        try (PreparedStatement u = db.prepareStatement(
                "UPDATE jobs SET state = 'QUEUED', next_attempt_at = ?, updated_at = ?, finished_at = NULL, progress = 0 "
                        + "WHERE id = ? AND " + condition)) {
            u.setTimestamp(1, Timestamp.from(now));
            u.setTimestamp(2, Timestamp.from(now));
            u.setString(3, id);
            if (u.executeUpdate() != 1) {
                return false;
            }
        }
        event(id, JobState.QUEUED, why);
        return true;
    }

    /** Cancels a job that has not started. */
    public synchronized boolean cancelQueued(String id) throws SQLException {
        Instant now = Instant.now();
        try (PreparedStatement u = db.prepareStatement(
                "UPDATE jobs SET state = 'CANCELLED', reason = 'cancelled by an operator', finished_at = ?, updated_at = ? "
                        + "WHERE id = ? AND state = 'QUEUED'")) {
            u.setTimestamp(1, Timestamp.from(now));
            u.setTimestamp(2, Timestamp.from(now));
            u.setString(3, id);
            if (u.executeUpdate() != 1) {
                return false;
            }
        }
        event(id, JobState.CANCELLED, "cancelled by an operator");
        return true;
    }

    /** At start-up: jobs left RUNNING by a crash go back to the queue. */
    public synchronized List<String> recoverRunning() throws SQLException {
        List<String> ids = new ArrayList<>();
        try (PreparedStatement q = db.prepareStatement("SELECT id FROM jobs WHERE state = 'RUNNING'");
             ResultSet rs = q.executeQuery()) {
            while (rs.next()) {
                ids.add(rs.getString(1));
            }
        }
        for (String id : ids) {
            requeue(id, "re-queued: the server stopped while it was running", "state = 'RUNNING'");
        }
        return ids;
    }

    public synchronized void progress(String id, double fraction, String message) throws SQLException {
        try (PreparedStatement u = db.prepareStatement(
                "UPDATE jobs SET progress = ?, progress_message = ? WHERE id = ? AND state = 'RUNNING'")) {
            u.setDouble(1, Math.max(0, Math.min(1, fraction)));
            u.setString(2, message == null ? null : message.length() > 300 ? message.substring(0, 300) : message);
            u.setString(3, id);
            u.executeUpdate();
        }
    }

    public synchronized Optional<Job> find(String id) throws SQLException {
        try (PreparedStatement q = db.prepareStatement("SELECT * FROM jobs WHERE id = ?")) {
            q.setString(1, id);
            List<Job> l = list(q);
            return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
        }
    }

    /** Filtered listing, newest first; null filters match everything. */
    public synchronized List<Job> search(JobState state, String moduleId, String studyUid, int limit) throws SQLException {
        return search(state, moduleId, studyUid, limit, 0);
    }

    /** Filtered listing, newest first, one page. */
    public synchronized List<Job> search(JobState state, String moduleId, String studyUid, int limit, int offset) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT * FROM jobs WHERE 1 = 1");
        List<String> args = new ArrayList<>();
        if (state != null) {
            sql.append(" AND state = ?");
            args.add(state.name());
        }
        if (moduleId != null) {
            sql.append(" AND module_id = ?");
            args.add(moduleId);
        }
        if (studyUid != null) {
            sql.append(" AND study_uid = ?");
            args.add(studyUid);
        }
        sql.append(" ORDER BY created_at DESC, id LIMIT ").append(Math.max(1, Math.min(limit, 10_000)))
                .append(" OFFSET ").append(Math.max(0, offset));
        try (PreparedStatement q = db.prepareStatement(sql.toString())) {
            for (int i = 0; i < args.size(); i++) {
                q.setString(i + 1, args.get(i));
            }
            return list(q);
        }
    }

    /** Job counts by state for each of these studies (studies without jobs are absent). */
    public synchronized java.util.Map<String, java.util.Map<JobState, Integer>> countsByStudy(java.util.Collection<String> studyUids)
            throws SQLException {
        java.util.Map<String, java.util.Map<JobState, Integer>> out = new java.util.HashMap<>();
        if (studyUids.isEmpty()) {
            return out;
        }
        String marks = String.join(", ", java.util.Collections.nCopies(studyUids.size(), "?"));
        try (PreparedStatement q = db.prepareStatement("SELECT study_uid, state, COUNT(*) FROM jobs WHERE study_uid IN (" + marks
                + ") GROUP BY study_uid, state")) {
            int i = 1;
            for (String s : studyUids) {
                q.setString(i++, s);
            }
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    out.computeIfAbsent(rs.getString(1), k -> new java.util.EnumMap<>(JobState.class))
                            .put(JobState.valueOf(rs.getString(2)), rs.getInt(3));
                }
            }
        }
        return out;
    }

    /** Job counts by module and state (for metrics and the module list). */
    public synchronized java.util.Map<String, java.util.Map<JobState, Integer>> countsByModule() throws SQLException {
        java.util.Map<String, java.util.Map<JobState, Integer>> out = new java.util.TreeMap<>();
        try (PreparedStatement q = db.prepareStatement("SELECT module_id, state, COUNT(*) FROM jobs GROUP BY module_id, state");
             ResultSet rs = q.executeQuery()) {
            while (rs.next()) {
                out.computeIfAbsent(rs.getString(1), k -> new java.util.EnumMap<>(JobState.class))
                        .put(JobState.valueOf(rs.getString(2)), rs.getInt(3));
            }
        }
        return out;
    }

    /** The module's most recent FAILED or TIMED_OUT job, if any. */
    public synchronized Optional<Job> lastFailure(String moduleId) throws SQLException {
        try (PreparedStatement q = db.prepareStatement("SELECT * FROM jobs WHERE module_id = ? AND state IN ('FAILED', 'TIMED_OUT') "
                + "ORDER BY updated_at DESC LIMIT 1")) {
            q.setString(1, moduleId);
            List<Job> l = list(q);
            return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
        }
    }

    public synchronized List<Job.Event> timeline(String id) throws SQLException {
        List<Job.Event> out = new ArrayList<>();
        try (PreparedStatement q = db.prepareStatement("SELECT at, state, message FROM job_events WHERE job_id = ? ORDER BY seq")) {
            q.setString(1, id);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    out.add(new Job.Event(rs.getTimestamp(1).toInstant(), JobState.valueOf(rs.getString(2)), rs.getString(3)));
                }
            }
        }
        return out;
    }

    private void event(String id, JobState state, String message) throws SQLException {
        Instant at = Instant.now();
        try (PreparedStatement ins = db.prepareStatement("INSERT INTO job_events (job_id, at, state, message) VALUES (?, ?, ?, ?)")) {
            ins.setString(1, id);
            ins.setTimestamp(2, Timestamp.from(at));
            ins.setString(3, state.name());
            ins.setString(4, truncate(message));
            ins.executeUpdate();
        }
        if (!listeners.isEmpty()) {
            Job.Event e = new Job.Event(at, state, truncate(message));
            try {
                notifier.execute(() -> notify(id, e));
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                // closing: the event is in job_events all the same
            }
        }
    }

    private void notify(String id, Job.Event e) {
        Optional<Job> job;
        try {
            job = find(id);
        } catch (SQLException ex) {
            LOG.warn("Job state listeners not told of {} {}: {}", id, e.state(), ex.toString());
            return;
        }
        if (job.isEmpty()) {
            return;
        }
        for (Listener l : listeners) {
            try {
                l.stateChanged(job.get(), e);
            } catch (RuntimeException ex) {
                LOG.warn("Job state listener failed: {}", ex.toString());
            }
        }
    }

    private static String truncate(String s) {
        return s == null || s.length() <= 4000 ? s : s.substring(0, 3997) + "...";
    }

    private List<Job> list(PreparedStatement q) throws SQLException {
        List<Job> out = new ArrayList<>();
        try (ResultSet rs = q.executeQuery()) {
            while (rs.next()) {
                out.add(map(rs));
            }
        }
        return out;
    }

    private static Job map(ResultSet rs) throws SQLException {
        return new Job(
                rs.getString("id"),
                rs.getString("unit_key"),
                Trigger.valueOf(rs.getString("trigger_kind")),
                rs.getString("study_uid"),
                rs.getString("series_uid"),
                rs.getString("sop_uid"),
                rs.getString("module_id"),
                rs.getString("module_version"),
                rs.getString("rule_name"),
                Priority.valueOf(rs.getString("priority")),
                new JsonArray(rs.getString("destinations")).stream().map(String::valueOf).toList(),
                new JsonArray(rs.getString("input_files")).stream().map(o -> Path.of(String.valueOf(o))).toList(),
                rs.getString("input_hash"),
                rs.getInt("revision"),
                rs.getString("supersedes"),
                JobState.valueOf(rs.getString("state")),
                rs.getInt("attempts"),
                rs.getString("reason"),
                rs.getDouble("progress"),
                rs.getString("progress_message"),
                instant(rs, "created_at"),
                instant(rs, "updated_at"),
                instant(rs, "started_at"),
                instant(rs, "finished_at"),
                instant(rs, "next_attempt_at"));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }

    @Override
    public void close() {
        notifier.shutdown();
        try {
            notifier.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeDb();
    }

    private synchronized void closeDb() {
        try {
            db.close();
        } catch (SQLException e) {
            LOG.warn("Closing the job journal: {}", e.toString());
        }
    }
}
