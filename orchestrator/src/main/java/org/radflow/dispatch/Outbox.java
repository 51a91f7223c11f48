package org.radflow.dispatch;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import org.radflow.store.Store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The durable outbox: every object bound for a destination is journaled (one row per destination
 * and SOP Instance UID) after its file is on disk and before the first attempt. A sender works
 * each destination's due rows; failures are retried with exponential back-off up to a limit, then
 * the row is dead-lettered until an operator retries it. Nothing is lost across a restart, and
 * the same SOP Instance UID is one row per destination, so an object is never sent twice under
 * two identities. The rows live in the {@link Store} (table {@code outbox}, created by its migrations).
 *
 * <p>For a destination with storage commitment a stored object is {@code COMMITTING} until the destination's
 * N-EVENT-REPORT names it: then {@code COMMITTED}; listed as failed, or no report within the destination's
 * commitment timeout, and it is due again (sent and requested again under the same SOP Instance UID), counting
 * an attempt, so it ends dead-lettered rather than re-sent forever. Open transactions are kept in memory
 * ({@link CommitmentTracker}): after a restart the rows still awaiting commitment are re-sent when their timeout ends.
 */
public final class Outbox implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Outbox.class);

    /**
     * PENDING: due (again) at next_attempt_at; SENT: stored at a destination without commitment; COMMITTING: stored,
     * awaiting the commitment result until next_attempt_at; COMMITTED: the destination committed it; DEAD: given up.
     */
    public enum State { PENDING, SENT, COMMITTING, COMMITTED, DEAD }

    /** Retry policy. */
    public record Settings(int maxAttempts, Duration initialBackoff, Duration maxBackoff, int batchSize, Duration poll) {
        public static Settings defaults() {
            return new Settings(8, Duration.ofSeconds(5), Duration.ofMinutes(10), 50, Duration.ofMillis(300));
        }
    }

    private final Store store;
    private volatile Map<String, Sender> senders;
    private final List<Listener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** The outcome of one attempt for one object. */
    public record Delivery(String destination, String jobId, String sopInstanceUid, Path file, State state, int attempts,
                           String error, Duration sinceQueued) {
        /** The object reached the destination (stored; committed or awaiting commitment where the destination commits). */
        public boolean sent() {
            return state == State.SENT || state == State.COMMITTING || state == State.COMMITTED;
        }
    }

    /** Told of every attempt's outcome (audit, metrics), on the outbox thread; must be quick and not throw. */
    public interface Listener {
        void attempted(Delivery d);
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    /**
     * Replaces the senders (configuration reload). Objects already queued for a destination that is
     * no longer configured stay in the outbox, pending, until it is configured again.
     */
    public void replaceSenders(Map<String, Sender> next) {
        next.values().forEach(sender -> sender.commitmentTracker(commitments));
        senders = Map.copyOf(next);
        wake();
    }

    /** Storage commitment transactions open on this node; the listener hands it the reports PACS send (N-EVENT-REPORT). */
    public CommitmentTracker commitments() {
        return commitments;
    }

    public java.util.Set<String> destinations() {
        return senders.keySet();
    }
    private final Settings settings;
    private final Map<String, Boolean> inFlight = new ConcurrentHashMap<>();
    private final Map<String, String> lastError = new ConcurrentHashMap<>();
    private final ScheduledExecutorService loop = org.radflow.pipeline.Threads.scheduled("outbox");

    private final CommitmentTracker commitments = new CommitmentTracker();

    public Outbox(Store store, Map<String, Sender> senders, Settings settings) {
        this.store = store;
        this.senders = Map.copyOf(senders);
        this.settings = settings;
        senders.values().forEach(sender -> sender.commitmentTracker(commitments));
        commitments.applier(this::applyCommitment);
    }

    /** Every column but the object's copy (read only when a row is sent from it). */
    private static final String COLUMNS = "destination, sop_instance_uid, job_id, file_path, state, attempts, last_error, "
            + "next_attempt_at, created_at, updated_at, sent_at";

    /** This node's name in a cluster (its rows), or null for a node alone. */
    private volatile String node;
    private volatile java.util.function.Supplier<java.util.Set<String>> liveNodes;
    private volatile Path copies;

    /**
     * A cluster member's outbox: it sends the rows it queued and those of nodes that are gone, from the copy kept in the
     * store (written to {@code copies} first); a live member's rows are left to it.
     */
    public Outbox clustered(String nodeName, java.util.function.Supplier<java.util.Set<String>> live, Path copiesDir) {
        this.copies = copiesDir;
        this.liveNodes = live;
        this.node = nodeName;
        return this;
    }

    public void start() {
        loop.scheduleWithFixedDelay(this::pump, 0, settings.poll().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Something was queued or a send finished: look for due objects now rather than at the next poll. */
    public void wake() {
        try {
            loop.execute(this::pump);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // shutting down; the next start delivers what is pending
        }
    }

    /** This node's lease on a job is gone (another node re-queued or took it): its reports must not be sent. */
    public static final class LeaseLostException extends SQLException {
        public LeaseLostException(org.radflow.jobs.Lease lease) {
            super("the lease (token " + lease.token() + ") of node " + lease.owner() + " on job " + lease.jobId()
                    + " no longer holds it: another node re-queued or took the job");
        }
    }

    /** One object for one destination. */
    public record Item(String destination, String sopInstanceUid, String jobId, Path file, State state, int attempts,
                       String lastError, Instant sentAt, Instant createdAt) {
    }

    /**
     * Journals objects for delivery. An object already known for a destination (same SOP Instance
     * UID: a re-run of the same job) is queued again with the new file.
     */
    public void enqueue(String jobId, String destination, Map<String, Path> filesBySopUid) throws SQLException {
        enqueue(jobId, destination, filesBySopUid, null);
    }

    /**
     * As {@link #enqueue(String, String, Map)}, fenced: the objects are queued only while this lease still holds its
     * job (locked in the same transaction, so a node that lost the job to another cannot send its reports).
     *
     * @throws LeaseLostException when the lease no longer holds the job; nothing was queued
     */
    public void enqueue(String jobId, String destination, Map<String, Path> filesBySopUid, org.radflow.jobs.Lease lease) throws SQLException {
        Map<String, Sender> senders = this.senders;
        if (!senders.containsKey(destination)) {
            throw new IllegalArgumentException("no destination '" + destination + "'. Configured: " + senders.keySet());
        }
        for (int attempt = 1; ; attempt++) {
            try {
                store.transaction(c -> {
                    if (lease != null) {
                        try (PreparedStatement q = c.prepareStatement("SELECT id FROM jobs WHERE id = ? AND state = 'RUNNING' "
                                + "AND lease_token = ? FOR UPDATE")) {
                            q.setString(1, lease.jobId());
                            q.setLong(2, lease.token());
                            try (var rs = q.executeQuery()) {
                                if (!rs.next()) {
                                    throw new LeaseLostException(lease);
                                }
                            }
                        }
                    }
                    upsert(c, jobId, destination, filesBySopUid, node);
                    return null;
                });
                break;
            } catch (SQLException e) {
                if (!Store.uniqueViolation(e) || attempt >= 3) {
                    throw e;
                }
                // another writer inserted one of these rows between our update and insert: the update now finds it
            }
        }
        wake();
    }

    /**
     * Portable upsert (H2 and PostgreSQL share no MERGE/ON CONFLICT form): update the row, insert it when there is none.
     * In a cluster ({@code node} set) the row names its node and carries a copy of the object.
     */
    private static void upsert(Connection c, String jobId, String destination, Map<String, Path> filesBySopUid, String node)
            throws SQLException {
        Timestamp now = Timestamp.from(Instant.now());
        try (PreparedStatement u = c.prepareStatement("UPDATE outbox SET job_id = ?, file_path = ?, state = 'PENDING', attempts = 0, "
                + "last_error = NULL, next_attempt_at = ?, created_at = ?, updated_at = ?, sent_at = NULL, node = ?, payload = ? "
                + "WHERE destination = ? AND sop_instance_uid = ?");
             PreparedStatement ins = c.prepareStatement("""
                     INSERT INTO outbox (destination, sop_instance_uid, job_id, file_path, state, attempts, last_error, next_attempt_at,
                       created_at, updated_at, sent_at, node, payload)
                     VALUES (?, ?, ?, ?, 'PENDING', 0, NULL, ?, ?, ?, NULL, ?, ?)""")) {
            for (Map.Entry<String, Path> e : filesBySopUid.entrySet()) {
                String file = e.getValue().toAbsolutePath().toString();
                byte[] copy = null;
                if (node != null) {
                    try {
                        copy = Files.readAllBytes(e.getValue());
                    } catch (java.io.IOException ex) {
                        throw new SQLException("cannot read report object " + file + " to keep its copy in the store: " + ex.getMessage(), ex);
                    }
                }
                u.setString(1, jobId);
                u.setString(2, file);
                u.setTimestamp(3, now);
                u.setTimestamp(4, now);
                u.setTimestamp(5, now);
                u.setString(6, node);
                u.setBytes(7, copy);
                u.setString(8, destination);
                u.setString(9, e.getKey());
                if (u.executeUpdate() == 0) {
                    ins.setString(1, destination);
                    ins.setString(2, e.getKey());
                    ins.setString(3, jobId);
                    ins.setString(4, file);
                    ins.setTimestamp(5, now);
                    ins.setTimestamp(6, now);
                    ins.setTimestamp(7, now);
                    ins.setString(8, node);
                    ins.setBytes(9, copy);
                    ins.executeUpdate();
                }
            }
        }
    }

    /** Moves a destination's dead letters (or one job's) back to the queue. Returns how many. */
    public int retryDead(String destination, String jobId) throws SQLException {
        return store.read(c -> {
            try (PreparedStatement u = c.prepareStatement("UPDATE outbox SET state = 'PENDING', attempts = 0, next_attempt_at = ?, "
                    + "updated_at = ? WHERE state = 'DEAD' AND (? IS NULL OR destination = ?) AND (? IS NULL OR job_id = ?)")) {
                Timestamp now = Timestamp.from(Instant.now());
                u.setTimestamp(1, now);
                u.setTimestamp(2, now);
                u.setString(3, destination);
                u.setString(4, destination);
                u.setString(5, jobId);
                u.setString(6, jobId);
                return u.executeUpdate();
            }
        });
    }

    public List<Item> items(String jobId) throws SQLException {
        return store.read(c -> {
            try (PreparedStatement q = c.prepareStatement("SELECT " + COLUMNS + " FROM outbox WHERE job_id = ? ORDER BY destination, sop_instance_uid")) {
                q.setString(1, jobId);
                return list(q);
            }
        });
    }

    /** Per destination: counts by state, the last error, and whether a send is under way. */
    public JsonObject status() throws SQLException {
        Map<String, Sender> senders = this.senders;
        Map<String, Map<String, Integer>> counts = new LinkedHashMap<>();
        senders.keySet().stream().sorted().forEach(d -> counts.put(d, new HashMap<>()));
        store.read(c -> {
            try (PreparedStatement q = c.prepareStatement("SELECT destination, state, COUNT(*) FROM outbox GROUP BY destination, state");
                 ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    counts.computeIfAbsent(rs.getString(1), k -> new HashMap<>()).put(rs.getString(2), rs.getInt(3));
                }
            }
            return null;
        });
        JsonObject out = new JsonObject();
        counts.forEach((d, c) -> out.put(d, new JsonObject()
                .put("pending", c.getOrDefault("PENDING", 0))
                // sent: stored at the destination; of those, committed and awaiting commitment where it commits
                .put("sent", c.getOrDefault("SENT", 0) + c.getOrDefault("COMMITTING", 0) + c.getOrDefault("COMMITTED", 0))
                .put("commitment", senders.get(d) != null && senders.get(d).commitmentTimeout() != null)
                .put("committed", c.getOrDefault("COMMITTED", 0))
                .put("awaitingCommitment", c.getOrDefault("COMMITTING", 0))
                .put("dead", c.getOrDefault("DEAD", 0))
                .put("sending", inFlight.getOrDefault(d, false))
                .put("lastError", lastError.get(d))));
        return out;
    }

    private void pump() {
        Map<String, Sender> senders = this.senders;
        for (String destination : senders.keySet()) {
            if (inFlight.putIfAbsent(destination, true) != null) {
                continue; // one send at a time per destination
            }
            List<Item> due;
            try {
                Duration commitmentTimeout = senders.get(destination).commitmentTimeout();
                if (commitmentTimeout != null) {
                    expireCommitments(destination, commitmentTimeout);
                }
                due = due(destination);
            } catch (SQLException e) {
                LOG.error("Outbox query failed: {}", e.toString());
                inFlight.remove(destination);
                continue;
            }
            if (due.isEmpty()) {
                inFlight.remove(destination);
                continue;
            }
            Future<DeliveryReport> f;
            try {
                f = senders.get(destination).send(due.stream().map(Item::file).toList());
            } catch (RuntimeException e) {
                f = Future.failedFuture(e);
            }
            // a sender's future completes on a Vert.x event loop: the bookkeeping (JDBC) and the listeners run on the
            // outbox's own thread instead
            f.onComplete(ar -> {
                try {
                    loop.execute(() -> {
                        try {
                            settle(destination, due, ar.succeeded() ? ar.result() : null, ar.failed() ? ar.cause() : null);
                        } catch (Exception e) {
                            LOG.error("Outbox bookkeeping failed for {}: {}", destination, e.toString());
                        } finally {
                            inFlight.remove(destination);
                            wake();
                        }
                    });
                } catch (java.util.concurrent.RejectedExecutionException closed) {
                    // shutting down: the objects stay pending and are sent again (same UIDs) after the next start
                    inFlight.remove(destination);
                }
            });
        }
    }

    private List<Item> due(String destination) throws SQLException {
        String self = node;
        if (self != null) {
            adoptOrphans(destination, self);
        }
        List<Item> due = store.read(c -> {
            try (PreparedStatement q = c.prepareStatement("SELECT " + COLUMNS + " FROM outbox WHERE destination = ? AND state = 'PENDING' "
                    + "AND next_attempt_at <= ? " + (self == null ? "" : "AND (node IS NULL OR node = ?) ")
                    + "ORDER BY created_at LIMIT ?")) {
                int i = 1;
                q.setString(i++, destination);
                q.setTimestamp(i++, Timestamp.from(Instant.now()));
                if (self != null) {
                    q.setString(i++, self);
                }
                q.setInt(i, settings.batchSize());
                return list(q);
            }
        });
        if (self == null) {
            return due;
        }
        List<Item> here = new ArrayList<>(due.size());
        for (Item it : due) {
            here.add(Files.isRegularFile(it.file()) ? it : fromCopy(it));
        }
        return here;
    }

    /** Rows of nodes that are no longer in the cluster become this node's (they send nothing any more). */
    private void adoptOrphans(String destination, String self) throws SQLException {
        java.util.Set<String> live = liveNodes.get();
        if (live.isEmpty() || !live.contains(self)) {
            return; // not in the cluster now: cannot tell who is gone
        }
        int n = store.transaction(c -> {
            try (PreparedStatement u = c.prepareStatement("UPDATE outbox SET node = ? WHERE destination = ? AND state = 'PENDING' "
                    + "AND node IS NOT NULL AND node NOT IN (" + String.join(", ", java.util.Collections.nCopies(live.size(), "?")) + ")")) {
                int i = 1;
                u.setString(i++, self);
                u.setString(i++, destination);
                for (String l : live) {
                    u.setString(i++, l);
                }
                return u.executeUpdate();
            }
        });
        if (n > 0) {
            LOG.warn("Took over {} report object(s) for {} queued by a node that left the cluster; sending them from the store's copy",
                    n, destination);
        }
    }

    /** The row's object from the store's copy, as a file here (its node's file is on another disk). */
    private Item fromCopy(Item it) throws SQLException {
        byte[] copy = store.read(c -> {
            try (PreparedStatement q = c.prepareStatement("SELECT payload FROM outbox WHERE destination = ? AND sop_instance_uid = ?")) {
                q.setString(1, it.destination());
                q.setString(2, it.sopInstanceUid());
                try (ResultSet rs = q.executeQuery()) {
                    return rs.next() ? rs.getBytes(1) : null;
                }
            }
        });
        if (copy == null) {
            return it; // no copy: the send fails with the missing file, and the row is retried or dead-lettered as always
        }
        try {
            Files.createDirectories(copies);
            Path f = copies.resolve(it.sopInstanceUid() + ".dcm");
            Files.write(f, copy);
            return new Item(it.destination(), it.sopInstanceUid(), it.jobId(), f, it.state(), it.attempts(), it.lastError(),
                    it.sentAt(), it.createdAt());
        } catch (java.io.IOException e) {
            LOG.error("Cannot write the store's copy of {} to {}: {}", it.sopInstanceUid(), copies, e.toString());
            return it;
        }
    }

    private void settle(String destination, List<Item> items, DeliveryReport report, Throwable failure) throws SQLException {
        Map<Path, InstanceOutcome> byFile = new HashMap<>();
        if (report != null) {
            report.outcomes().forEach(o -> byFile.put(o.file(), o));
        }
        int sent = 0;
        java.util.Set<String> transactions = new java.util.LinkedHashSet<>();
        Duration commitmentTimeout = senders.get(destination) == null ? null : senders.get(destination).commitmentTimeout();
        for (Item it : items) {
            InstanceOutcome o = byFile.get(it.file());
            if (o != null && o.success()) {
                if (o.commitmentTransaction() != null) {
                    // stored; due again unless the commitment result arrives before the timeout
                    Instant now = Instant.now();
                    write(it, State.COMMITTING, it.attempts() + 1, null,
                            now.plus(commitmentTimeout == null ? CStoreSender.Settings.DEFAULT_COMMITMENT_TIMEOUT : commitmentTimeout), now);
                    transactions.add(o.commitmentTransaction());
                    tell(it, State.COMMITTING, it.attempts() + 1, null);
                } else {
                    update(it, State.SENT, it.attempts() + 1, null, Instant.now());
                    tell(it, State.SENT, it.attempts() + 1, null);
                }
                sent++;
            } else {
                String why = o != null ? o.detail() : failure != null ? failure.getMessage() : "no outcome reported";
                int attempts = it.attempts() + 1;
                State state = attempts >= settings.maxAttempts() ? State.DEAD : State.PENDING;
                lastError.put(destination, why); // before the row: whoever sees the row's state sees its error too
                update(it, state, attempts, why, null);
                tell(it, state, attempts, why);
                if (state == State.DEAD) {
                    LOG.error("Delivery of {} to {} given up after {} attempts (dead letter; POST /api/destinations/{}/retry): {}",
                            it.sopInstanceUid(), destination, attempts, destination, why);
                }
            }
        }
        if (sent == items.size()) {
            lastError.remove(destination);
        }
        for (String tx : transactions) {
            try {
                commitments.settled(tx);
            } catch (Exception e) {
                LOG.error("Cannot record the storage commitment result of transaction {} from {}: {}", tx, destination, e.toString());
            }
        }
        if (report != null) {
            for (org.radflow.dicom.net.StorageCommitment.Report r : report.commitmentReports()) {
                try {
                    commitments.report(r);
                } catch (org.radflow.dicom.net.DicomServiceException e) {
                    LOG.warn("Storage commitment result from {} on the sending association not recorded: {}", destination,
                            e.errorComment());
                }
            }
        }
        if (sent > 0) {
            LOG.info("Delivered {} object(s) to {}", sent, destination);
        }
        if (sent < items.size()) {
            LOG.warn("Delivery to {}: {} of {} object(s) failed; retrying with back-off", destination, items.size() - sent, items.size());
        }
    }

    private void tell(Item it, State state, int attempts, String error) {
        if (listeners.isEmpty()) {
            return;
        }
        Delivery d = new Delivery(it.destination(), it.jobId(), it.sopInstanceUid(), it.file(), state, attempts, error,
                it.createdAt() == null ? Duration.ZERO : Duration.between(it.createdAt(), Instant.now()));
        for (Listener l : listeners) {
            try {
                l.attempted(d);
            } catch (RuntimeException e) {
                LOG.warn("Delivery listener failed: {}", e.toString());
            }
        }
    }

    private void update(Item it, State state, int attempts, String error, Instant sentAt) throws SQLException {
        write(it, state, attempts, error, Instant.now().plusMillis(backoffMillis(attempts)), sentAt);
    }

    private long backoffMillis(int attempts) {
        return Math.min(settings.maxBackoff().toMillis(),
                settings.initialBackoff().toMillis() << Math.min(20, Math.max(0, attempts - 1)));
    }

    private void write(Item it, State state, int attempts, String error, Instant nextAttemptAt, Instant sentAt) throws SQLException {
        store.read(c -> {
            // a row that reached its final state (sent without commitment) no longer needs the store's copy of its object:
            // dropped, or the store would keep every report object ever sent (a cluster's copies are for failover only)
            String payload = state == State.SENT ? ", payload = NULL" : "";
            try (PreparedStatement u = c.prepareStatement("UPDATE outbox SET state = ?, attempts = ?, last_error = ?, next_attempt_at = ?, "
                    + "updated_at = ?, sent_at = ?" + payload + " WHERE destination = ? AND sop_instance_uid = ?")) {
                Instant now = Instant.now();
                u.setString(1, state.name());
                u.setInt(2, attempts);
                u.setString(3, error == null ? null : error.length() > 2000 ? error.substring(0, 2000) : error);
                u.setTimestamp(4, Timestamp.from(nextAttemptAt));
                u.setTimestamp(5, Timestamp.from(now));
                u.setTimestamp(6, sentAt == null ? null : Timestamp.from(sentAt));
                u.setString(7, it.destination());
                u.setString(8, it.sopInstanceUid());
                return u.executeUpdate();
            }
        });
    }

    /**
     * A destination's storage commitment result: the objects it names as committed become COMMITTED; those it lists
     * as failed are due again (or dead-lettered at the attempt limit) with its failure reason. Only rows still
     * awaiting commitment change: an object queued again in between keeps its new state.
     */
    void applyCommitment(String destination, org.radflow.dicom.net.StorageCommitment.Report report) throws SQLException {
        Map<String, String> failedWhy = new LinkedHashMap<>();
        report.failed().forEach(f -> failedWhy.put(f.reference().sopInstanceUid(), "not committed by " + destination + ": "
                + f.reasonText() + " (transaction " + report.transactionUid() + ")"));
        int committed = store.transaction(c -> {
            int n = 0;
            try (PreparedStatement u = c.prepareStatement("UPDATE outbox SET state = 'COMMITTED', last_error = NULL, updated_at = ?, "
                    + "payload = NULL WHERE destination = ? AND sop_instance_uid = ? AND state = 'COMMITTING'")) {
                for (var ref : report.committed()) {
                    u.setTimestamp(1, Timestamp.from(Instant.now()));
                    u.setString(2, destination);
                    u.setString(3, ref.sopInstanceUid());
                    n += u.executeUpdate();
                }
            }
            return n;
        });
        List<Item> failed = awaiting(destination, failedWhy.keySet(), null);
        for (Item it : failed) {
            commitmentFailed(it, failedWhy.get(it.sopInstanceUid()));
        }
        LOG.info("Storage commitment from {}, transaction {}: {} object(s) committed, {} failed", destination,
                report.transactionUid(), committed, report.failed().size());
    }

    /** Rows awaiting commitment: those of {@code sopUids} (all when null) whose wait ended before {@code dueBy} (any when null). */
    private List<Item> awaiting(String destination, java.util.Collection<String> sopUids, Instant dueBy) throws SQLException {
        if (sopUids != null && sopUids.isEmpty()) {
            return List.of();
        }
        return store.read(c -> {
            List<Item> out = new ArrayList<>();
            String sql = "SELECT " + COLUMNS + " FROM outbox WHERE destination = ? AND state = 'COMMITTING'"
                    + (dueBy == null ? "" : " AND next_attempt_at <= ?") + (sopUids == null ? "" : " AND sop_instance_uid = ?");
            try (PreparedStatement q = c.prepareStatement(sql)) {
                for (String uid : sopUids == null ? java.util.Collections.<String>singletonList(null) : sopUids) {
                    int i = 1;
                    q.setString(i++, destination);
                    if (dueBy != null) {
                        q.setTimestamp(i++, Timestamp.from(dueBy));
                    }
                    if (uid != null) {
                        q.setString(i, uid);
                    }
                    out.addAll(list(q));
                }
            }
            return out;
        });
    }

    /** The commitment of a sent object failed or never came: due again after back-off, or dead at the attempt limit. */
    private void commitmentFailed(Item it, String why) throws SQLException {
        State state = it.attempts() >= settings.maxAttempts() ? State.DEAD : State.PENDING;
        lastError.put(it.destination(), why); // before the row: whoever sees the row's state sees its error too
        update(it, state, it.attempts(), why, null);
        tell(it, state, it.attempts(), why);
        if (state == State.DEAD) {
            LOG.error("Delivery of {} to {} given up after {} attempts (dead letter; POST /api/destinations/{}/retry): {}",
                    it.sopInstanceUid(), it.destination(), it.attempts(), it.destination(), why);
        }
    }

    /** Objects whose commitment result did not come within the timeout are sent and requested again. */
    private void expireCommitments(String destination, Duration timeout) throws SQLException {
        // always: a transaction whose rows were queued again in between would otherwise stay open for ever
        commitments.expire(destination, timeout);
        List<Item> late = awaiting(destination, null, Instant.now());
        if (late.isEmpty()) {
            return;
        }
        for (Item it : late) {
            commitmentFailed(it, "no storage commitment result from " + destination + " within " + timeout.toSeconds() + " s");
        }
        LOG.warn("Storage commitment: {} object(s) sent to {} got no result within {} s; sending them again", late.size(), destination,
                timeout.toSeconds());
    }

    private static List<Item> list(PreparedStatement q) throws SQLException {
        List<Item> out = new ArrayList<>();
        try (ResultSet rs = q.executeQuery()) {
            while (rs.next()) {
                Timestamp sent = rs.getTimestamp("sent_at");
                out.add(new Item(rs.getString("destination"), rs.getString("sop_instance_uid"), rs.getString("job_id"),
                        Path.of(rs.getString("file_path")), State.valueOf(rs.getString("state")), rs.getInt("attempts"),
                        rs.getString("last_error"), sent == null ? null : sent.toInstant(), rs.getTimestamp("created_at").toInstant()));
            }
        }
        return out;
    }

    /** Stops the sending loop; the store stays open (its owner closes it). */
    @Override
    public void close() {
        loop.shutdownNow();
        try {
            loop.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
