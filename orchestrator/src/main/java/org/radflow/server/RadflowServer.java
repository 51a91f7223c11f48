package org.radflow.server;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import org.radflow.audit.AuditLog;
import org.radflow.cluster.ClusterMembership;
import org.radflow.config.RadflowConfig;
import org.radflow.dispatch.Outbox;
import org.radflow.http.ApiAuth;
import org.radflow.http.HttpApi;
import org.radflow.http.WebUi;
import org.radflow.jobs.JobJournal;
import org.radflow.jobs.JobQueries;
import org.radflow.report.ResultStore;
import org.radflow.listener.AssociationSummary;
import org.radflow.listener.DicomListenerVerticle;
import org.radflow.listener.InstanceStored;
import org.radflow.metrics.Metrics;
import org.radflow.modules.ModuleRegistry;
import org.radflow.pipeline.Pipeline;
import org.radflow.viewer.ViewerServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The running server: builds the {@link Pipeline} of stages (listener → intake → tracker → planner → journal →
 * scheduler → module host → reporter → outbox), then the DICOM listener that feeds it, the HTTP API and dashboard over
 * it and the viewer; stops them in reverse. {@code listen} mode runs the listener alone.
 */
public final class RadflowServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RadflowServer.class);
    /**
     * System property: the longest an event-loop task may run, in ms, before Vert.x's blocked-thread checker warns
     * (tests set it low and fail on the warning: nothing blocking may run on the event loop).
     */
    public static final String MAX_EVENT_LOOP_MS = "radflow.vertx.maxEventLoopExecuteMillis";

    private final boolean listenerOnly;
    final Path configFile;
    /** Built here for one node; for a cluster at start (joining is asynchronous), null until then. */
    private volatile Vertx vertx;
    /** Null unless cluster.enabled. */
    private final ClusterMembership cluster;
    final Instant startedAt = Instant.now();
    private final Metrics metrics = new Metrics();
    private final AtomicLong instancesReceived = new AtomicLong();
    private final AtomicLong bytesReceived = new AtomicLong();
    private final RadflowConfig initialConfig;
    private AuditLog audit;
    private volatile Pipeline pipeline;
    private DicomListenerVerticle listener;
    private HttpServer http;
    private ApiAuth auth;
    private ViewerServer viewer;
    private final Readiness readiness;

    public RadflowServer(RadflowConfig config, boolean listenerOnly) {
        this(config, listenerOnly, null);
    }

    /**
     * @param configFile the file the configuration came from (POST /api/config/reload re-reads it); null: embedded defaults
     */
    public RadflowServer(RadflowConfig config, boolean listenerOnly, Path configFile) {
        this.listenerOnly = listenerOnly;
        this.configFile = configFile;
        this.initialConfig = config;
        // listen mode only spools: it claims no work and has no API, so it does not join the cluster
        this.cluster = config.cluster().enabled() && !listenerOnly
                ? new ClusterMembership(config.cluster(), config.server().nodeName()) : null;
        if (System.getProperty(MAX_EVENT_LOOP_MS) != null) {
            EventLoopWarmUp.once(); // a strict checker (tests) must not see the JVM's one-time class loading
        }
        this.vertx = cluster == null ? Vertx.vertx(vertxOptions()) : null;
        this.readiness = new Readiness(this::config, () -> pipeline, () -> listener, cluster);
    }

    static VertxOptions vertxOptions() {
        VertxOptions o = new VertxOptions();
        String max = System.getProperty(MAX_EVENT_LOOP_MS);
        if (max != null) {
            long ms = Long.parseLong(max.trim());
            o.setMaxEventLoopExecuteTime(ms).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
                    .setBlockedThreadCheckInterval(Math.max(10, ms / 2)).setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS)
                    .setWarningExceptionTime(ms).setWarningExceptionTimeUnit(TimeUnit.MILLISECONDS); // the warning shows where
        }
        return o;
    }

    /** Null before start() in a cluster (the clustered Vert.x is built when joining). */
    public Vertx vertx() {
        return vertx;
    }

    /** This node's cluster membership; null when cluster.enabled is false. */
    ClusterMembership cluster() {
        return cluster;
    }

    /** The configuration in force (a reload changes its live parts). */
    public RadflowConfig config() {
        return pipeline == null ? initialConfig : pipeline.config();
    }

    /**
     * Starts everything; fails when a port cannot be bound, state cannot be opened or, with
     * cluster.enabled, the cluster cannot be joined (joining comes first, before any stage). After a failure the caller
     * calls {@link #close()}, which stops what did start.
     */
    public Future<Void> start() {
        RadflowConfig config = config();
        if (config.audit().enabled() && audit == null) {
            try {
                audit = new AuditLog(config.audit().dir(), config.audit().maxFileBytes(), config.audit().retentionDays(), Clock.systemUTC());
            } catch (IOException e) {
                IllegalStateException err = new IllegalStateException("cannot open the audit trail in " + config.audit().dir()
                        + " (audit.dir): " + e.getMessage(), e);
                return Future.failedFuture(err); // close() stops Vert.x
            }
        }
        if (vertx == null) {
            // clustered: join first, so that a node that cannot join starts nothing else
            return cluster.start(vertxOptions()).compose(v -> {
                vertx = v;
                return startStages(config);
            }, err -> {
                LOG.error("RadFlow failed to start: {}", err.getMessage());
                return Future.failedFuture(err);
            });
        }
        return startStages(config);
    }

    private Future<Void> startStages(RadflowConfig config) {
        Future<Void> core = vertx.executeBlocking(() -> {
            checkSpool(config.listener().spoolDir());
            // Netty's channel ids read the network interfaces once per JVM (hundreds of ms on a busy host): do it
            // here, off the event loop, rather than inside the first bind
            io.netty.channel.DefaultChannelId.newInstance();
            io.vertx.core.buffer.Buffer.buffer(1); // likewise Netty's and Vert.x's buffer allocators, used by the first bind
            io.netty.buffer.ByteBufAllocator.DEFAULT.buffer(1).release();
            if (listenerOnly) {
                return null;
            }
            Pipeline p = new Pipeline(config, vertx, metrics, audit);
            pipeline = p;
            if (cluster != null) {
                p.joinCluster(cluster);
            }
            p.start();
            if (cluster != null) {
                p.clusterGate(cluster::belowMinimum); // split-brain protection: below cluster.minSize, claim nothing
            }
            return null;
        }, false).compose(x -> vertx.executeBlocking(() -> {
            // built here, off the event loop (its first use loads the listener's classes); deployed after HTTP binds.
            // In a cluster each instance is durable on a second member before it is acknowledged
            listener = new DicomListenerVerticle(config.listener(), this::stored, this::associationEnded,
                    pipeline == null ? org.radflow.listener.Replication.NONE : pipeline.replication(),
                    pipeline == null ? org.radflow.listener.IntakeGate.OPEN : pipeline.intakeGate());
            if (pipeline != null) {
                // storage commitment results for the outbox's requests come back to this listener
                Outbox outbox = pipeline.outbox();
                listener.commitmentReports((report, rq) -> outbox.commitments().report(report));
            }
            return null;
        }, false));
        // HTTP binds before DICOM: a port conflict on the API must never leave the DICOM port accepting studies
        // that nothing would process
        Future<?> all = core
                .compose(x -> listenerOnly || !config.api().enabled() ? Future.succeededFuture() : startHttp(config.api()))
                .compose(x -> listenerOnly || !config.viewer().enabled() ? Future.succeededFuture()
                        : (viewer = new ViewerServer(vertx, config.viewer())).start()
                        .recover(err -> Future.failedFuture(bindFailure(err, "viewer", "port " + config.viewer().port() + " on " + config.viewer().bindAddress(), "viewer.port"))))
                .compose(x -> {
                    org.radflow.listener.ListenerSettings.Tls tls = config.listener().tls();
                    String ports = tls == null ? "port " + config.listener().port()
                            : (tls.plainPort() ? "port " + config.listener().port() + " or TLS port " : "TLS port ") + tls.port();
                    String keys = tls == null ? "listener.port" : tls.plainPort() ? "listener.port or listener.tls.port" : "listener.tls.port";
                    return vertx.deployVerticle(listener).recover(err -> Future.failedFuture(bindFailure(err, "DICOM",
                            ports + " on " + config.listener().bindAddress(), keys)));
                })
                .compose(id -> pipeline == null || cluster == null ? Future.succeededFuture()
                        : vertx.executeBlocking(() -> {
                            // peers' copies go to intake directly: the listener's counters count what this node received
                            pipeline.startCluster(e -> pipeline.intake().stored(e));
                            return null;
                        }, false));
        // workers for the routed modules boot once the server listens: several JVMs starting at once would slow its start
        all = all.onSuccess(x -> {
            if (pipeline != null) {
                pipeline.warmUpWorkers();
            }
        });
        // Vert.x itself is closed by close(), not here: closing it inside this chain left the caller's future
        // uncompleted (its callbacks went to a terminated event loop) and start-up hung until its timeout
        return all.<Void>mapEmpty().recover(err -> {
            LOG.error("RadFlow failed to start: {}", err.getMessage());
            return Future.failedFuture(err);
        });
    }

    /** Creates the spool folder and writes and removes a file there: a spool RadFlow cannot write fails the start. */
    static void checkSpool(Path spool) {
        Path probe = null;
        try {
            Files.createDirectories(spool);
            probe = Files.createTempFile(spool, ".radflow-write-check", ".tmp");
        } catch (IOException | SecurityException e) {
            throw new StartupException("the spool folder " + spool.toAbsolutePath() + " cannot be created or written ("
                    + e.getClass().getSimpleName() + ": " + e.getMessage() + "): give the RadFlow user write access to it "
                    + "or set listener.spoolDir to a writable folder");
        } finally {
            if (probe != null) {
                try {
                    Files.deleteIfExists(probe);
                } catch (IOException ignored) {
                    // the check succeeded; a leftover empty probe file is harmless
                }
            }
        }
    }

    /** A port that cannot be bound, named with the key that changes it; other failures unchanged. */
    static Throwable bindFailure(Throwable err, String what, String where, String key) {
        for (Throwable t = err; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.net.BindException) {
                String m = String.valueOf(t.getMessage());
                if (m.toLowerCase(java.util.Locale.ROOT).contains("in use")) {
                    return new StartupException(what + " " + where + " is already in use: stop the other process or set " + key);
                }
                return new StartupException(what + " " + where + " cannot be bound (" + m + "): check the address and set " + key
                        + (what.equals("DICOM") ? " (ports below 1024 need privileges)" : ""));
            }
        }
        return err;
    }

    /** An expected start-up failure whose message says what failed and how to fix it (no stack trace needed). */
    public static final class StartupException extends RuntimeException {
        public StartupException(String message) {
            super(message);
        }
    }

    /** From the listener, on the association's thread, once an instance is durable: to intake (returns at once). */
    private void stored(InstanceStored e) {
        instancesReceived.incrementAndGet();
        bytesReceived.addAndGet(e.size());
        Pipeline p = pipeline;
        if (p != null && p.intake() != null) {
            p.intake().stored(e);
        }
    }

    private void associationEnded(AssociationSummary s) {
        if (pipeline != null) {
            pipeline.associationEnded(s);
        }
    }

    private Future<HttpServer> startHttp(RadflowConfig.Api a) {
        HttpServerOptions options = new HttpServerOptions().setHost(a.bindAddress()).setPort(a.port()).setTcpNoDelay(true);
        if (a.tls() != null) {
            options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions().setCertPath(a.tls().certificate().toString())
                    .setKeyPath(a.tls().key().toString()));
        }
        // the routes are built off the event loop: the first build in a JVM loads many classes (seconds on a busy host)
        return vertx.executeBlocking(() -> {
            auth = new ApiAuth(a.auth(), audit);
            HttpApi api = new HttpApi(vertx, pipeline.journal(), pipeline.queries(), pipeline.scheduler(),
                    new ServerOperations(this, pipeline), auth, audit);
            return WebUi.mount(api.router(), this::viewerPort);
        }, false).compose(routes -> {
            if (!a.auth().enabled()) {
                LOG.warn("API authentication is off (no api.auth.tokens): anyone who can reach {}:{} on this host can use the API",
                        a.bindAddress(), a.port());
            }
            return vertx.createHttpServer(options).requestHandler(routes).listen();
        })
                .recover(err -> Future.failedFuture(bindFailure(err, "API", "port " + a.port() + " on " + a.bindAddress(), "api.port")))
                .onSuccess(s -> {
            http = s;
            String scheme = a.tls() == null ? "http" : "https";
            LOG.info("HTTP API on {}://{}:{}/api/health, dashboard {}://{}:{}/ui/", scheme, a.bindAddress(), s.actualPort(),
                    scheme, a.bindAddress(), s.actualPort());
        });
    }

    /** API tokens and open paths from a reloaded configuration. */
    void updateAuth(RadflowConfig.Auth next) {
        if (auth != null) {
            auth.update(next);
        }
    }

    public Metrics metrics() {
        return metrics;
    }

    public AuditLog audit() {
        return audit;
    }

    /** Readiness by component (see {@link Readiness}); blocks up to a few seconds (the store query). */
    public JsonObject ready() {
        return readiness.check();
    }

    /** The summary of GET /api/health: its status is readiness's (UP, WARN or DOWN), with the components. Blocks. */
    public JsonObject health() {
        RadflowConfig config = config();
        ModuleRegistry registry = registry();
        JsonObject ready = ready();
        return new JsonObject()
                .put("status", ready.getString("status"))
                .put("ready", ready.getBoolean("ready"))
                .put("components", ready.getJsonObject("components"))
                .put("node", config.server().nodeName())
                .put("startedAt", startedAt.toString())
                .put("modules", registry == null ? 0 : registry.modules().size())
                .put("moduleProblems", registry == null ? 0 : registry.problems().size())
                .put("listener", new JsonObject()
                        .put("aeTitle", config.listener().aeTitle())
                        .put("port", dicomPort())
                        .put("activeAssociations", listener == null || listener.scp() == null ? 0 : listener.scp().activeAssociations())
                        .put("instancesReceived", instancesReceived.get())
                        .put("bytesReceived", bytesReceived.get())
                        .put("spool", config.listener().spoolDir().toAbsolutePath().toString())
                        .mergeIn(config.listener().tls() == null ? new JsonObject() : new JsonObject().put("tlsPort", dicomTlsPort())));
    }

    /** The DICOM TLS port (listener.tls.port, or the bound one); -1 without TLS. */
    /** Whether the running listener's TLS port can take {@code newer}'s files (same TLS settings). */
    boolean canRenewListenerTls(org.radflow.dicom.net.DicomTls newer) {
        DicomListenerVerticle l = listener;
        return l != null && l.canRenewTls(newer);
    }

    /** Renewed certificate, key and trusted CAs into the running TLS port (a configuration reload). */
    void renewListenerTls(org.radflow.dicom.net.DicomTls newer) {
        listener.renewTls(newer);
        LOG.info("DICOM TLS port: certificate and trusted CAs renewed from the configuration's files ({})", newer);
    }

    public int dicomTlsPort() {
        if (config().listener().tls() == null) {
            return -1;
        }
        return listener == null ? config().listener().tls().port() : listener.tlsPort();
    }

    /** The DICOM listener's verticle; null before start and in a failed start. */
    DicomListenerVerticle listenerVerticle() {
        return listener;
    }

    public int dicomPort() {
        return listener == null ? config().listener().port() : listener.port();
    }

    public int httpPort() {
        return http == null ? -1 : http.actualPort();
    }

    /** The OHIF viewer listener's port, -1 when it is off. */
    public int viewerPort() {
        return viewer == null ? -1 : viewer.port();
    }

    public long instancesReceived() {
        return instancesReceived.get();
    }

    public JobJournal journal() {
        return pipeline == null ? null : pipeline.journal();
    }

    /** Job listings, counts and timelines (read-only). */
    public JobQueries queries() {
        return pipeline == null ? null : pipeline.queries();
    }

    public ModuleRegistry registry() {
        return pipeline == null ? null : pipeline.registry();
    }

    public ResultStore results() {
        return pipeline == null ? null : pipeline.results();
    }

    public Outbox outbox() {
        return pipeline == null ? null : pipeline.outbox();
    }

    private void closePipeline() {
        if (pipeline != null) {
            pipeline.close();
        }
        if (audit != null) {
            audit.close();
        }
    }

    /**
     * Graceful stop: the listener stops taking associations and finishes open ones (bounded), then
     * planning and running jobs end (unfinished jobs are re-queued at the next start), then Vert.x.
     */
    @Override
    public void close() {
        try {
            Vertx v = vertx;
            if (v != null) {
                v.close().await(30, TimeUnit.SECONDS); // a clustered Vert.x leaves the cluster here
            }
        } catch (Exception e) {
            LOG.warn("Shutdown did not complete cleanly: {}", e.toString());
        }
        closePipeline();
    }
}
