package org.radflow.jobs;

import io.vertx.core.json.JsonArray;
import org.radflow.api.Trigger;
import org.radflow.routing.Priority;
import org.radflow.store.Store;
import org.radflow.store.StoreSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The durable job journal: every job is written here before anything acts on it, and every state
 * change goes through here (reads for the API are in {@link JobQueries}). It works on the
 * {@link Store} (embedded H2 by default, PostgreSQL shared by several schedulers or nodes): each
 * change is one transaction on a connection of its own, guarded by its row's current state, and
 * queued work is taken with {@link #claim}, which two schedulers never both win.
 *
 * <p>A claim gives this journal's node a {@link Lease} on the job: the node renews it while the job runs
 * ({@link #renew}), writes that move the job on can be made with it (they fail once the lease was taken
 * over), and any node re-queues a job whose lease expired ({@link #recoverExpired}).
 */
public final class JobJournal implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(JobJournal.class);
    /** A queued job's sort key is its creation time plus this much per priority step: aging prevents starvation. */
    public static final Duration AGING_PER_PRIORITY_STEP = Duration.ofMinutes(5);
    /** How often enqueue reads a unit again after another writer took the revision it wanted. */
    private static final int ENQUEUE_ATTEMPTS = 5;
    /** The lease a claim takes when its caller names none ({@code scheduler.leaseSeconds}' default). */
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);
    /** The node name of a journal given none: one node alone on its store. */
    public static final String LOCAL_NODE = "local";

    private final Store store;
    /** This node's name ({@code server.nodeName}): the owner of the leases it claims. */
    private final String node;
    /** The store this journal opened itself ({@link #openEmbedded}) and closes; null when it was given one. */
    private final Store ownStore;
    /** Commits and their hand-over to the notifier happen under this lock, so listeners hear changes in commit order. */
    private final Object commitOrder = new Object();
    private final List<Listener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Runs listeners in commit order, off the threads that change jobs. */
    private final java.util.concurrent.ExecutorService notifier = org.radflow.pipeline.Threads.single("journal-listeners");

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

    /** A journal on {@code store} for a node alone on it; closing the journal leaves the store open. */
    public JobJournal(Store store) {
        this(store, LOCAL_NODE, null);
    }

    /** A journal on {@code store} for the node {@code nodeName} (one of several that may share the store). */
    public JobJournal(Store store, String nodeName) {
        this(store, nodeName, null);
    }

    /** Whether jobs planned here may only be claimed here (a cluster: inputs are in this node's spool). */
    private volatile boolean inputsLocal;

    /**
     * In a cluster each node's spool is its own: jobs this node plans are then claimable only by this node
     * ({@code input_node}). Off (a single node): any node name may claim them, so a renamed host loses nothing.
     */
    public JobJournal inputsLocal(boolean on) {
        this.inputsLocal = on;
        return this;
    }

    /**
     * Which queued jobs planned on other nodes this node may claim (a cluster whose nodes fetch inputs from each other).
     * Without one, a journal with {@link #inputsLocal} claims only its own node's jobs.
     */
    public interface ClaimScope {
        /** Nodes whose planned jobs of this module are left to them: they are up and run the module. */
        java.util.Set<String> leaveTo(String moduleId);

        /** A job left to another node that stayed queued this long may be taken anyway (that node is busy). */
        Duration stealAfter();
    }

    private volatile ClaimScope claimScope;

    public JobJournal claimScope(ClaimScope scope) {
        this.claimScope = scope;
        return this;
    }

    private JobJournal(Store store, String nodeName, Store ownStore) {
        if (nodeName == null || nodeName.isBlank()) {
            throw new IllegalArgumentException("a journal needs its node's name (server.nodeName)");
        }
        this.store = store;
        this.node = nodeName;
        this.ownStore = ownStore;
    }

    /** The node whose leases this journal claims and renews. */
    public String nodeName() {
        return node;
    }

    /** The store this journal writes to (tests read it through {@link JobQueries}). */
    public Store store() {
        return store;
    }

    /** Opens (creating or migrating if needed) the embedded store at {@code <dir>/journal}, owned and closed by this journal. */
    public static JobJournal openEmbedded(Path dir) {
        Store s = Store.open(StoreSettings.embedded(dir));
        return new JobJournal(s, LOCAL_NODE, s);
    }

    /** A state change, told to the listeners once its transaction has committed. */
    private record Change(String jobId, Job.Event event) {
    }

    /** Work in one transaction that records state changes. */
    @FunctionalInterface
    private interface Write<T> {
        T run(Connection c, List<Change> changes) throws SQLException;
    }

    private <T> T write(Write<T> work) throws SQLException {
        List<Change> changes = new ArrayList<>();
        return store.transaction(c -> work.run(c, changes), c -> {
            synchronized (commitOrder) {
                c.commit();
                for (Change ch : changes) {
                    tell(ch);
                }
            }
        });
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
    public Optional<Job> enqueue(NewJob n, JobState initialState, String reason) throws SQLException {
        return enqueue(n, initialState, reason, reason);
    }

    /**
     * @param event the timeline's first entry for a job not queued (e.g. the reason with the raw condition behind it);
     *              the job's {@code reason} stays the sentence
     */
    public Optional<Job> enqueue(NewJob n, JobState initialState, String reason, String event) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            try {
                return write((c, changes) -> enqueue(c, changes, n, initialState, reason, event));
            } catch (SQLException e) {
                if (!Store.uniqueViolation(e) || attempt >= ENQUEUE_ATTEMPTS) {
                    throw e;
                }
                // another writer journaled this unit's next revision meanwhile: look at the unit again
            }
        }
    }

    private Optional<Job> enqueue(Connection c, List<Change> changes, NewJob n, JobState initialState, String reason,
                                  String eventMessage)
            throws SQLException {
        Job previous = null;
        try (PreparedStatement q = c.prepareStatement(
                "SELECT * FROM jobs WHERE unit_key = ? AND module_id = ? AND rule_name = ? ORDER BY revision DESC LIMIT 1")) {
            q.setString(1, n.unitKey());
            q.setString(2, n.moduleId());
            q.setString(3, n.ruleName());
            try (ResultSet rs = q.executeQuery()) {
                if (rs.next()) {
                    previous = JobRows.map(rs);
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
        try (PreparedStatement ins = c.prepareStatement("""
                INSERT INTO jobs (id, unit_key, trigger_kind, study_uid, series_uid, sop_uid, module_id, module_version, rule_name,
                  priority, destinations, input_files, input_hash, revision, supersedes, state, attempts, reason, progress,
                  progress_message, sort_key, created_at, updated_at, started_at, finished_at, next_attempt_at, input_node,
                  planned_version)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 0, NULL, ?, ?, ?, NULL, ?, ?, ?, ?)""")) {
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
            ins.setTimestamp(i++, Timestamp.from(now));
            ins.setString(i++, inputsLocal ? node : null);
            ins.setString(i, n.moduleVersion());
            ins.executeUpdate();
        }
        event(c, changes, id, initialState, initialState == JobState.QUEUED
                ? "queued by rule " + n.ruleName() + (previous == null ? "" : " (revision " + revision + ", supersedes " + previous.id() + ")")
                : eventMessage);
        return JobRows.find(c, id);
    }

    /** Queued jobs of a module that may start now, in queue order (priority with aging); claims nothing. */
    public List<Job> startable(String moduleId, int limit) throws SQLException {
        return store.read(c -> {
            try (PreparedStatement q = c.prepareStatement(
                    "SELECT * FROM jobs WHERE module_id = ? AND state = 'QUEUED' AND next_attempt_at <= ? ORDER BY sort_key, created_at LIMIT ?")) {
                q.setString(1, moduleId);
                q.setTimestamp(2, Timestamp.from(Instant.now()));
                q.setInt(3, limit);
                return JobRows.list(q);
            }
        });
    }

    /**
     * Takes up to {@code limit} of a module's startable jobs, in queue order, and marks them RUNNING in
     * one transaction. Rows another scheduler has locked are skipped ({@code FOR UPDATE SKIP LOCKED}),
     * and each row changes only while it is still QUEUED, so two schedulers on one store never both
     * take a job. Returns the jobs as they are now (RUNNING), each with this node's new lease on it.
     */
    public List<Job> claim(String moduleId, int limit) throws SQLException {
        return claim(moduleId, limit, DEFAULT_LEASE);
    }

    /** {@link #claim(String, int)} with leases of {@code lease} (until renewed). */
    public List<Job> claim(String moduleId, int limit, Duration lease) throws SQLException {
        if (limit <= 0) {
            return List.of();
        }
        return write((c, changes) -> {
            List<String> ids = new ArrayList<>();
            // which nodes' planned jobs this node may take: its own and unplaced ones always; in a cluster that fetches
            // inputs, also those of nodes that are gone, do not run the module, or left them queued past stealAfter
            ClaimScope scope = claimScope;
            java.util.Set<String> leave = scope == null ? java.util.Set.of() : scope.leaveTo(moduleId);
            String where;
            if (scope == null) {
                where = inputsLocal ? "AND (input_node IS NULL OR input_node = ?) " : "";
            } else if (leave.isEmpty()) {
                where = "";
            } else {
                where = "AND (input_node IS NULL OR input_node = ? OR input_node NOT IN ("
                        + String.join(", ", java.util.Collections.nCopies(leave.size(), "?")) + ") OR updated_at <= ?) ";
            }
            Instant now = Instant.now();
            try (PreparedStatement q = c.prepareStatement("SELECT id FROM jobs WHERE module_id = ? AND state = 'QUEUED' "
                    + "AND next_attempt_at <= ? " + where
                    + "ORDER BY sort_key, created_at LIMIT ? FOR UPDATE SKIP LOCKED")) {
                int i = 1;
                q.setString(i++, moduleId);
                q.setTimestamp(i++, Timestamp.from(now));
                if (!where.isEmpty()) {
                    q.setString(i++, node);
                    if (scope != null) {
                        for (String n : leave) {
                            q.setString(i++, n);
                        }
                        q.setTimestamp(i++, Timestamp.from(now.minus(scope.stealAfter())));
                    }
                }
                q.setInt(i, limit);
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getString(1));
                    }
                }
            }
            List<Job> claimed = new ArrayList<>();
            for (String id : ids) {
                if (markRunning(c, changes, id, lease)) {
                    claimed.add(JobRows.find(c, id).orElseThrow());
                }
            }
            return claimed;
        });
    }

    public int countInState(String moduleId, JobState state) throws SQLException {
        return store.read(c -> {
            try (PreparedStatement q = c.prepareStatement("SELECT COUNT(*) FROM jobs WHERE module_id = ? AND state = ?")) {
                q.setString(1, moduleId);
                q.setString(2, state.name());
                try (ResultSet rs = q.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        });
    }

    /** QUEUED jobs of every module (and, on a shared store, every node): the backlog intake throttling watches. */
    public int countQueued() throws SQLException {
        return store.read(c -> {
            try (PreparedStatement q = c.prepareStatement("SELECT COUNT(*) FROM jobs WHERE state = 'QUEUED'");
                 ResultSet rs = q.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        });
    }

    /** Moves QUEUED to RUNNING atomically under a new lease of this node; false when someone else took it or it changed meanwhile. */
    public boolean markRunning(String id) throws SQLException {
        return write((c, changes) -> markRunning(c, changes, id, DEFAULT_LEASE));
    }

    private boolean markRunning(Connection c, List<Change> changes, String id, Duration lease) throws SQLException {
        Instant now = Instant.now();
        try (PreparedStatement u = c.prepareStatement(
                "UPDATE jobs SET state = 'RUNNING', attempts = attempts + 1, started_at = ?, updated_at = ?, progress = 0, "
                        + "progress_message = NULL, lease_owner = ?, lease_token = lease_token + 1, lease_expires_at = ? "
                        + "WHERE id = ? AND state = 'QUEUED'")) {
            u.setTimestamp(1, Timestamp.from(now));
            u.setTimestamp(2, Timestamp.from(now));
            u.setString(3, node);
            u.setTimestamp(4, Timestamp.from(now.plus(lease)));
            u.setString(5, id);
            if (u.executeUpdate() != 1) {
                return false;
            }
        }
        event(c, changes, id, JobState.RUNNING, "started");
        return true;
    }

    /**
     * Ends a running job whoever holds it (a caller without a lease); ignored when the job is no longer RUNNING
     * (e.g. it timed out meanwhile). Holders of a lease use {@link #finish(Lease, JobState, String)}.
     */
    public boolean finish(String id, JobState state, String reason) throws SQLException {
        return write((c, changes) -> finish(c, changes, id, null, state, reason));
    }

    /** Ends a running job only while {@code lease} still holds it; false when it was taken over or ended meanwhile. */
    public boolean finish(Lease lease, JobState state, String reason) throws SQLException {
        return write((c, changes) -> finish(c, changes, lease.jobId(), lease.token(), state, reason));
    }

    /** {@code AND lease_token = ?} when the write is fenced by a lease's token. */
    private static String fence(Long token) {
        return token == null ? "" : " AND lease_token = ?";
    }

    private static boolean finish(Connection c, List<Change> changes, String id, Long token, JobState state, String reason)
            throws SQLException {
        Instant now = Instant.now();
        try (PreparedStatement u = c.prepareStatement(
                "UPDATE jobs SET state = ?, reason = ?, finished_at = ?, updated_at = ?, progress = CASE WHEN ? THEN 1 ELSE progress END, "
                        + "lease_expires_at = NULL WHERE id = ? AND state = 'RUNNING'" + fence(token))) {
            u.setString(1, state.name());
            u.setString(2, truncate(reason));
            u.setTimestamp(3, Timestamp.from(now));
            u.setTimestamp(4, Timestamp.from(now));
            u.setBoolean(5, state == JobState.SUCCEEDED);
            u.setString(6, id);
            if (token != null) {
                u.setLong(7, token);
            }
            if (u.executeUpdate() != 1) {
                return false;
            }
        }
        event(c, changes, id, state, reason);
        return true;
    }

    /**
     * Records what ran the job's current attempt (the module generation and the module's own run time): the job's
     * module version becomes the version that ran, and the timeline gets an event saying so. Fenced by the job's lease
     * when it has one; empty when the job is no longer RUNNING under it (nothing was written).
     */
    public Optional<Job> moduleRan(Job job, ModuleRun run) throws SQLException {
        Long token = job.lease() == null ? null : job.lease().token();
        return write((c, changes) -> {
            try (PreparedStatement u = c.prepareStatement("UPDATE jobs SET module_version = ?, module_run = ?, updated_at = ? "
                    + "WHERE id = ? AND state = 'RUNNING'" + fence(token))) {
                u.setString(1, run.version());
                u.setString(2, run.toJson().encode());
                u.setTimestamp(3, Timestamp.from(Instant.now()));
                u.setString(4, job.id());
                if (token != null) {
                    u.setLong(5, token);
                }
                if (u.executeUpdate() != 1) {
                    return Optional.<Job>empty();
                }
            }
            event(c, changes, job.id(), JobState.RUNNING, run.describe(job.moduleId()));
            return JobRows.find(c, job.id());
        });
    }

    /** The node that planned a job and holds its inputs (input_node), or null (any node). */
    public String inputNode(String id) throws SQLException {
        return store.read(c -> {
            try (PreparedStatement q = c.prepareStatement("SELECT input_node FROM jobs WHERE id = ?")) {
                q.setString(1, id);
                try (ResultSet rs = q.executeQuery()) {
                    return rs.next() ? rs.getString(1) : null;
                }
            }
        });
    }

    /**
     * A job this node took from another node's plan now has its inputs here: its input files become these paths and its
     * input node this node, while {@code lease} still holds it. Returns the job as it is now, or empty when it was
     * taken over meanwhile.
     */
    public Optional<Job> relocate(Lease lease, List<Path> inputs, String fromNode) throws SQLException {
        return write((c, changes) -> {
            try (PreparedStatement u = c.prepareStatement(
                    "UPDATE jobs SET input_files = ?, input_node = ? WHERE id = ? AND state = 'RUNNING' AND lease_token = ?")) {
                u.setString(1, new JsonArray(inputs.stream().map(Path::toString).toList()).encode());
                u.setString(2, node);
                u.setString(3, lease.jobId());
                u.setLong(4, lease.token());
                if (u.executeUpdate() != 1) {
                    return Optional.<Job>empty();
                }
            }
            event(c, changes, lease.jobId(), JobState.RUNNING, "inputs fetched to node " + node
                    + (fromNode == null ? "" : " (planned on " + fromNode + ")"));
            return JobRows.find(c, lease.jobId());
        });
    }

    /** A running job failed transiently: back to the queue after {@code delay} (a caller without a lease). */
    public boolean retryLater(String id, Duration delay, String reason) throws SQLException {
        return retryLater(id, null, delay, reason);
    }

    /** {@link #retryLater(String, Duration, String)} only while {@code lease} still holds the job. */
    public boolean retryLater(Lease lease, Duration delay, String reason) throws SQLException {
        return retryLater(lease.jobId(), lease.token(), delay, reason);
    }

    private boolean retryLater(String id, Long token, Duration delay, String reason) throws SQLException {
        return write((c, changes) -> {
            Instant now = Instant.now();
            try (PreparedStatement u = c.prepareStatement(
                    "UPDATE jobs SET state = 'QUEUED', reason = ?, next_attempt_at = ?, updated_at = ?, lease_expires_at = NULL "
                            + "WHERE id = ? AND state = 'RUNNING'" + fence(token))) {
                u.setString(1, truncate(reason));
                u.setTimestamp(2, Timestamp.from(now.plus(delay)));
                u.setTimestamp(3, Timestamp.from(now));
                u.setString(4, id);
                if (token != null) {
                    u.setLong(5, token);
                }
                if (u.executeUpdate() != 1) {
                    return false;
                }
            }
            event(c, changes, id, JobState.QUEUED, "retry in " + delay.toSeconds() + " s after: " + reason);
            return true;
        });
    }

    /**
     * An operator's retry: a finished job, or a queued one waiting for its back-off, goes to the queue
     * now. A running job is refused (it is running).
     */
    public boolean requeue(String id, String why) throws SQLException {
        return write((c, changes) -> requeue(c, changes, id, null, why, "state <> 'RUNNING'"));
    }

    private boolean requeue(Connection c, List<Change> changes, String id, Long token, String why, String condition)
            throws SQLException {
        Instant now = Instant.now();
        try (PreparedStatement u = c.prepareStatement(
                "UPDATE jobs SET state = 'QUEUED', next_attempt_at = ?, updated_at = ?, finished_at = NULL, progress = 0, "
                        + "lease_expires_at = NULL WHERE id = ? AND " + condition + fence(token))) {
            u.setTimestamp(1, Timestamp.from(now));
            u.setTimestamp(2, Timestamp.from(now));
            u.setString(3, id);
            if (token != null) {
                u.setLong(4, token);
            }
            if (u.executeUpdate() != 1) {
                return false;
            }
        }
        event(c, changes, id, JobState.QUEUED, why);
        return true;
    }

    /** Cancels a job that has not started. */
    public boolean cancelQueued(String id) throws SQLException {
        return write((c, changes) -> {
            Instant now = Instant.now();
            try (PreparedStatement u = c.prepareStatement(
                    "UPDATE jobs SET state = 'CANCELLED', reason = 'cancelled by an operator', finished_at = ?, updated_at = ? "
                            + "WHERE id = ? AND state = 'QUEUED'")) {
                u.setTimestamp(1, Timestamp.from(now));
                u.setTimestamp(2, Timestamp.from(now));
                u.setString(3, id);
                if (u.executeUpdate() != 1) {
                    return false;
                }
            }
            event(c, changes, id, JobState.CANCELLED, "cancelled by an operator");
            return true;
        });
    }

    /** The message of the event that re-queues a job found RUNNING at start. */
    static final String SERVER_STOPPED = "re-queued: the server stopped while it was running";
    /** How the event that re-queues a job whose lease expired begins; the node's name follows. */
    static final String LEASE_EXPIRED = "re-queued: the lease of node ";

    /**
     * A job found cut off (RUNNING at start, or with an expired lease): queued again, or failed because it already used
     * its attempts.
     *
     * @param serverStops how often this job was cut off so, this time included
     * @param owner       the node that held it (null for a job running from before leases)
     */
    public record Recovered(String jobId, String moduleId, int attempts, int serverStops, boolean failed, String owner) {
    }

    /** A RUNNING row as recovery reads it. */
    private record Cutoff(String jobId, String moduleId, int attempts, String owner, long token) {
    }

    /**
     * At start, before anything runs: every job this node (or a node from before leases) still has RUNNING was cut off
     * by its stopping (a crash, a kill, a power cut). That counts as one of its attempts: a job with attempts left is
     * queued again; one that used them all ends FAILED, so that a module that takes the server down with it
     * (System.exit, a native crash) cannot make a crash loop of every restart, and {@code attempts} never exceeds
     * {@code maxAttempts}. Other nodes' running jobs are left to their leases ({@link #recoverExpired}).
     */
    public List<Recovered> recoverRunning(int maxAttempts) throws SQLException {
        return recover(maxAttempts, "(lease_owner = ? OR lease_owner IS NULL)", false);
    }

    /**
     * Re-queues the RUNNING jobs of any node whose lease expired (their node stopped, hung or lost the store), counting
     * it as an attempt like {@link #recoverRunning}; past {@code maxAttempts} they end FAILED with a reason naming the node.
     * Each change is conditional on the lease seen, so a renewal or another node's sweep at the same moment is no harm.
     */
    public List<Recovered> recoverExpired(int maxAttempts) throws SQLException {
        return recover(maxAttempts, "lease_expires_at < ?", true);
    }

    private List<Recovered> recover(int maxAttempts, String which, boolean expired) throws SQLException {
        return write((c, changes) -> {
            Instant now = Instant.now();
            List<Cutoff> found = new ArrayList<>();
            try (PreparedStatement q = c.prepareStatement("SELECT id, module_id, attempts, lease_owner, lease_token FROM jobs "
                    + "WHERE state = 'RUNNING' AND " + which + " FOR UPDATE SKIP LOCKED")) {
                if (expired) {
                    q.setTimestamp(1, Timestamp.from(now));
                } else {
                    q.setString(1, node);
                }
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        found.add(new Cutoff(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getString(4), rs.getLong(5)));
                    }
                }
            }
            List<Recovered> out = new ArrayList<>();
            for (Cutoff r : found) {
                int stops = 1 + earlierStops(c, r.jobId());
                // a lease renewed meanwhile is no longer expired: the job stays with its node
                String still = expired ? "state = 'RUNNING' AND lease_expires_at < ?" : "state = 'RUNNING'";
                boolean failed = r.attempts() >= maxAttempts;
                String subject = expired ? "node " + r.owner() + " stopped" : "the server stopped";
                boolean done;
                if (failed) {
                    String why = subject + " while this job ran (" + stops + (stops == 1 ? " time" : " times") + "; attempt "
                            + r.attempts() + " of " + maxAttempts + "): not run again, it may be what stops the "
                            + (expired ? "node" : "server") + ". Look at module " + r.moduleId() + ", then retry the job";
                    done = expired ? finishExpired(c, changes, r, now, why) : finish(c, changes, r.jobId(), null, JobState.FAILED, why);
                } else {
                    String event = expired ? LEASE_EXPIRED + r.owner() + " expired while it was running (the node stopped, hung "
                            + "or lost the store)" : SERVER_STOPPED;
                    done = expired ? requeueExpired(c, changes, r, now, event) : requeue(c, changes, r.jobId(), null, event, still);
                }
                if (done) {
                    out.add(new Recovered(r.jobId(), r.moduleId(), r.attempts(), stops, failed, r.owner()));
                }
            }
            return out;
        });
    }

    /** How often a job was re-queued before because its server stopped or its lease expired. */
    private static int earlierStops(Connection c, String jobId) throws SQLException {
        try (PreparedStatement q = c.prepareStatement(
                "SELECT COUNT(*) FROM job_events WHERE job_id = ? AND state = 'QUEUED' AND (message = ? OR message LIKE ?)")) {
            q.setString(1, jobId);
            q.setString(2, SERVER_STOPPED);
            q.setString(3, LEASE_EXPIRED + "%");
            try (ResultSet rs = q.executeQuery()) {
                return rs.next() ? rs.getInt(1) : 0;
            }
        }
    }

    /** Fails a job whose lease expired, unless it was renewed or taken over since it was read. */
    private static boolean finishExpired(Connection c, List<Change> changes, Cutoff r, Instant now, String why) throws SQLException {
        try (PreparedStatement u = c.prepareStatement("UPDATE jobs SET state = 'FAILED', reason = ?, finished_at = ?, updated_at = ?, "
                + "lease_expires_at = NULL WHERE id = ? AND state = 'RUNNING' AND lease_token = ? AND lease_expires_at < ?")) {
            u.setString(1, truncate(why));
            u.setTimestamp(2, Timestamp.from(now));
            u.setTimestamp(3, Timestamp.from(now));
            u.setString(4, r.jobId());
            u.setLong(5, r.token());
            u.setTimestamp(6, Timestamp.from(now));
            if (u.executeUpdate() != 1) {
                return false;
            }
        }
        event(c, changes, r.jobId(), JobState.FAILED, why);
        return true;
    }

    /** Queues again a job whose lease expired, unless it was renewed or taken over since it was read. */
    private static boolean requeueExpired(Connection c, List<Change> changes, Cutoff r, Instant now, String why) throws SQLException {
        try (PreparedStatement u = c.prepareStatement("UPDATE jobs SET state = 'QUEUED', next_attempt_at = ?, updated_at = ?, "
                + "progress = 0, lease_expires_at = NULL WHERE id = ? AND state = 'RUNNING' AND lease_token = ? AND lease_expires_at < ?")) {
            u.setTimestamp(1, Timestamp.from(now));
            u.setTimestamp(2, Timestamp.from(now));
            u.setString(3, r.jobId());
            u.setLong(4, r.token());
            u.setTimestamp(5, Timestamp.from(now));
            if (u.executeUpdate() != 1) {
                return false;
            }
        }
        event(c, changes, r.jobId(), JobState.QUEUED, why);
        return true;
    }

    /**
     * Extends the leases this node holds by {@code duration} from now, in one transaction. Returns the ids of the jobs
     * whose lease is gone (taken over, or the job is no longer RUNNING): their holders must drop their results.
     */
    public java.util.Set<String> renew(java.util.Collection<Lease> leases, Duration duration) throws SQLException {
        if (leases.isEmpty()) {
            return java.util.Set.of();
        }
        return store.transaction(c -> {
            java.util.Set<String> gone = new java.util.HashSet<>();
            try (PreparedStatement u = c.prepareStatement(
                    "UPDATE jobs SET lease_expires_at = ? WHERE id = ? AND state = 'RUNNING' AND lease_token = ? AND lease_owner = ?")) {
                Timestamp until = Timestamp.from(Instant.now().plus(duration));
                for (Lease l : leases) {
                    u.setTimestamp(1, until);
                    u.setString(2, l.jobId());
                    u.setLong(3, l.token());
                    u.setString(4, l.owner());
                    if (u.executeUpdate() != 1) {
                        gone.add(l.jobId());
                    }
                }
            }
            return gone;
        });
    }

    /** Whether {@code lease} still holds its job (RUNNING under this token): checked before outputs leave for good. */
    public boolean holds(Lease lease) throws SQLException {
        return store.read(c -> {
            try (PreparedStatement q = c.prepareStatement("SELECT COUNT(*) FROM jobs WHERE id = ? AND state = 'RUNNING' AND lease_token = ?")) {
                q.setString(1, lease.jobId());
                q.setLong(2, lease.token());
                try (ResultSet rs = q.executeQuery()) {
                    return rs.next() && rs.getInt(1) == 1;
                }
            }
        });
    }

    /** Records a running job's progress (a caller without a lease). */
    public void progress(String id, double fraction, String message) throws SQLException {
        progress(id, null, fraction, message);
    }

    /** Records a running job's progress while {@code lease} holds it; false when the lease is gone. */
    public boolean progress(Lease lease, double fraction, String message) throws SQLException {
        return progress(lease.jobId(), lease.token(), fraction, message);
    }

    private boolean progress(String id, Long token, double fraction, String message) throws SQLException {
        return store.read(c -> {
            try (PreparedStatement u = c.prepareStatement(
                    "UPDATE jobs SET progress = ?, progress_message = ? WHERE id = ? AND state = 'RUNNING'" + fence(token))) {
                u.setDouble(1, Math.max(0, Math.min(1, fraction)));
                u.setString(2, message == null ? null : message.length() > 300 ? message.substring(0, 300) : message);
                u.setString(3, id);
                if (token != null) {
                    u.setLong(4, token);
                }
                return u.executeUpdate() == 1;
            }
        });
    }

    /** The job as it is now (the writers' view; listings and timelines are in {@link JobQueries}). */
    public Optional<Job> find(String id) throws SQLException {
        return store.read(c -> JobRows.find(c, id));
    }

    private static void event(Connection c, List<Change> changes, String id, JobState state, String message) throws SQLException {
        Instant at = Instant.now();
        try (PreparedStatement ins = c.prepareStatement("INSERT INTO job_events (job_id, at, state, message) VALUES (?, ?, ?, ?)")) {
            ins.setString(1, id);
            ins.setTimestamp(2, Timestamp.from(at));
            ins.setString(3, state.name());
            ins.setString(4, truncate(message));
            ins.executeUpdate();
        }
        changes.add(new Change(id, new Job.Event(at, state, truncate(message))));
    }

    /** Hands a committed change to the notifier; called in commit order. */
    private void tell(Change ch) {
        if (listeners.isEmpty()) {
            return;
        }
        try {
            notifier.execute(() -> notify(ch.jobId(), ch.event()));
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // closing: the event is in job_events all the same
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

    @Override
    public void close() {
        notifier.shutdown();
        try {
            notifier.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (ownStore != null) {
            ownStore.close();
        }
    }
}
