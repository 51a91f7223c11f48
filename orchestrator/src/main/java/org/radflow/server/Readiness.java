package org.radflow.server;

import io.vertx.core.json.JsonObject;
import org.radflow.cluster.ClusterMembership;
import org.radflow.config.RadflowConfig;
import org.radflow.dispatch.Outbox;
import org.radflow.jobs.JobJournal;
import org.radflow.listener.DicomListenerVerticle;
import org.radflow.modules.LoadProblem;
import org.radflow.modules.ModuleRegistry;
import org.radflow.pipeline.Pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Whether this node can do its work now ({@code GET /api/health/ready}): each component gets a status (UP, WARN,
 * DOWN) and a sentence a person can act on. DOWN anywhere makes the node not ready (HTTP 503). Blocks: call it off
 * the event loop. The store query is bounded ({@link #STORE_WAIT_MS}), so an unreachable database answers DOWN within
 * seconds instead of after the pool's connection timeout; one such query runs at a time.
 */
final class Readiness {

    enum Status { UP, WARN, DOWN }

    record Component(Status status, String detail) {
        JsonObject json() {
            return new JsonObject().put("status", status.name()).put("detail", detail);
        }
    }

    static final long STORE_WAIT_MS = 3000;

    private final Supplier<RadflowConfig> config;
    private final Supplier<Pipeline> pipeline;
    private final Supplier<DicomListenerVerticle> listener;
    private final ClusterMembership cluster;
    private CompletableFuture<Void> storeProbe;

    Readiness(Supplier<RadflowConfig> config, Supplier<Pipeline> pipeline, Supplier<DicomListenerVerticle> listener,
              ClusterMembership cluster) {
        this.config = config;
        this.pipeline = pipeline;
        this.listener = listener;
        this.cluster = cluster;
    }

    /** {@code {"status": "UP|WARN|DOWN", "ready": bool, "components": {"store": {"status", "detail"}, ...}}}. */
    JsonObject check() {
        Map<String, Component> c = new LinkedHashMap<>();
        RadflowConfig cfg = config.get();
        Pipeline p = pipeline.get();
        Component store = store(p);
        c.put("store", store);
        c.put("spool", spool(cfg.listener().spoolDir(), cfg.listener().minFreeSpaceBytes()));
        c.put("listener", listener(cfg));
        // the outbox lives in the store: asking it while the store hangs would hang this check for the pool's timeout
        c.put("outbox", store.status() == Status.UP ? outbox(p)
                : new Component(Status.WARN, "not checked: the store does not answer"));
        c.put("modules", modules(p));
        if (p != null) {
            c.put("intake", intake(p, cfg));
        }
        if (cluster != null) {
            c.put("cluster", cluster());
        }
        Status overall = Status.UP;
        JsonObject components = new JsonObject();
        for (Map.Entry<String, Component> e : c.entrySet()) {
            components.put(e.getKey(), e.getValue().json());
            if (e.getValue().status().ordinal() > overall.ordinal()) {
                overall = e.getValue().status();
            }
        }
        return new JsonObject().put("status", overall.name()).put("ready", overall != Status.DOWN).put("components", components);
    }

    /** WARN while the listener refuses new instances because too many jobs wait (scheduler.intakeHighWaterMark). */
    private static Component intake(Pipeline p, RadflowConfig cfg) {
        var s = cfg.scheduler();
        if (!s.throttlesIntake()) {
            return new Component(Status.UP, "accepting; intake throttling is off (scheduler.intakeHighWaterMark 0)");
        }
        if (p.intakeThrottled()) {
            return new Component(Status.WARN, "throttled: at least " + s.intakeHighWaterMark() + " jobs waited "
                    + "(scheduler.intakeHighWaterMark); the DICOM listener answers A700 (retry later) until "
                    + s.intakeLowWaterMark() + " or fewer wait. Add capacity (maxConcurrentJobs, nodes) if this persists");
        }
        return new Component(Status.UP, "accepting; throttled from " + s.intakeHighWaterMark() + " queued jobs");
    }

    private Component store(Pipeline p) {
        JobJournal journal = p == null ? null : p.journal();
        if (journal == null) {
            return new Component(Status.DOWN, "the store is not open (the server is starting or stopping)");
        }
        CompletableFuture<Void> probe;
        synchronized (this) {
            if (storeProbe == null || storeProbe.isDone()) {
                storeProbe = CompletableFuture.runAsync(() -> {
                    try {
                        journal.store().read(conn -> {
                            try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
                                return rs.next();
                            }
                        });
                    } catch (Exception e) {
                        throw new java.util.concurrent.CompletionException(e);
                    }
                }, r -> {
                    Thread t = new Thread(r, "radflow-ready-store");
                    t.setDaemon(true);
                    t.start();
                });
            }
            probe = storeProbe;
        }
        String where = journal.store().settings().safeUrl();
        try {
            probe.get(STORE_WAIT_MS, TimeUnit.MILLISECONDS);
            return new Component(Status.UP, "answers queries (" + where + ")");
        } catch (TimeoutException e) {
            return new Component(Status.DOWN, "no answer from " + where + " within " + STORE_WAIT_MS + " ms: check that the "
                    + "database runs and is reachable");
        } catch (ExecutionException e) {
            Throwable t = e.getCause() == null ? e : e.getCause();
            while (t.getCause() != null && t.getCause() != t) {
                t = t.getCause();
            }
            return new Component(Status.DOWN, "query on " + where + " failed: " + t.getMessage()
                    + ". Check that the database runs and that store.url and the credentials are right");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Component(Status.DOWN, "interrupted while asking the store");
        }
    }

    static Component spool(Path spool, long minFreeBytes) {
        Path dir = spool.toAbsolutePath();
        Path probe = null;
        try {
            if (!Files.isDirectory(dir)) {
                return new Component(Status.DOWN, "the spool folder " + dir + " does not exist (listener.spoolDir)");
            }
            probe = Files.createTempFile(dir, ".radflow-ready", ".tmp");
        } catch (IOException | SecurityException e) {
            return new Component(Status.DOWN, "cannot write into the spool folder " + dir + " (" + e.getClass().getSimpleName()
                    + "): give the RadFlow user write access or set listener.spoolDir");
        } finally {
            if (probe != null) {
                try {
                    Files.deleteIfExists(probe);
                } catch (IOException ignored) {
                    // written and closed: the check passed
                }
            }
        }
        long free = dir.toFile().getUsableSpace();
        long mb = 1024 * 1024;
        if (free < minFreeBytes) {
            return new Component(Status.DOWN, dir + " has " + free / mb + " MB free, below listener.minFreeSpaceMb ("
                    + minFreeBytes / mb + " MB): new studies are refused until space is freed");
        }
        return new Component(Status.UP, dir + " is writable, " + free / mb + " MB free (minimum " + minFreeBytes / mb + " MB)");
    }

    private Component listener(RadflowConfig cfg) {
        DicomListenerVerticle l = listener.get();
        String where = cfg.listener().aeTitle() + " on " + cfg.listener().bindAddress() + ":"
                + (l == null ? cfg.listener().port() : l.port());
        if (l == null || l.scp() == null) {
            return new Component(Status.DOWN, "the DICOM listener " + where + " is not started");
        }
        if (!l.scp().accepting()) {
            return new Component(Status.DOWN, "the DICOM listener " + where + " does not accept connections (its port is "
                    + "closed; see the log)");
        }
        return new Component(Status.UP, "DICOM listener " + where + " accepts associations ("
                + l.scp().activeAssociations() + " open)");
    }

    private static Component outbox(Pipeline p) {
        Outbox o = p == null ? null : p.outbox();
        if (o == null) {
            return new Component(Status.DOWN, "the outbox is not running");
        }
        JsonObject status;
        try {
            status = o.status();
        } catch (Exception e) {
            return new Component(Status.DOWN, "cannot read the outbox: " + e.getMessage());
        }
        List<String> dead = new ArrayList<>();
        List<String> failing = new ArrayList<>();
        for (String d : status.fieldNames()) {
            JsonObject s = status.getJsonObject(d);
            int n = s.getInteger("dead", 0);
            if (n > 0) {
                dead.add(d + " (" + n + " dead letter" + (n == 1 ? "" : "s") + ")");
            } else if (s.getString("lastError") != null) {
                failing.add(d);
            }
        }
        if (!dead.isEmpty()) {
            return new Component(Status.DOWN, "results are not delivered to " + String.join(", ", dead)
                    + ": fix the destination, then POST /api/destinations/<name>/retry");
        }
        if (!failing.isEmpty()) {
            return new Component(Status.WARN, "sending to " + String.join(", ", failing) + " fails for now; retrying with back-off");
        }
        return new Component(Status.UP, status.size() + " destination(s), no dead letters");
    }

    private static Component modules(Pipeline p) {
        ModuleRegistry r = p == null ? null : p.registry();
        if (r == null) {
            return new Component(Status.DOWN, "the module registry is not running");
        }
        List<String> bad = new ArrayList<>();
        for (LoadProblem lp : r.problems()) {
            bad.add((lp.moduleId() == null ? String.valueOf(lp.directory()) : lp.moduleId()) + " failed to load: " + lp.reason());
        }
        for (String id : r.ids()) {
            String paused = p.pausedReason(id);
            if (paused != null) {
                bad.add(id + " is paused: " + paused);
            }
        }
        if (!bad.isEmpty()) {
            return new Component(Status.DOWN, String.join("; ", bad) + " (see GET /api/modules)");
        }
        return new Component(Status.UP, r.modules().size() + " module(s) loaded");
    }

    private Component cluster() {
        if (cluster.peers().isEmpty()) {
            return new Component(Status.DOWN, "this node is not a member of its cluster (Hazelcast not running)");
        }
        String below = cluster.belowMinimum();
        if (below != null) {
            return new Component(Status.WARN, below);
        }
        return new Component(Status.UP, "member of a cluster of " + cluster.peers().size());
    }
}
