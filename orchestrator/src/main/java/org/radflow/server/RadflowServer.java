package org.radflow.server;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.radflow.api.ModuleException;
import org.radflow.config.RadflowConfig;
import io.vertx.core.net.PemKeyCertOptions;
import org.radflow.audit.AuditLog;
import org.radflow.dicom.AttributeListTags;
import org.radflow.http.ApiAuth;
import org.radflow.http.HttpApi;
import org.radflow.listener.AssociationSummary;
import org.radflow.metrics.Metrics;
import org.radflow.modules.ModuleSwitches;
import org.radflow.inference.HostInferenceEngine;
import org.radflow.jobs.JobJournal;
import org.radflow.jobs.JobPlanner;
import org.radflow.jobs.ResultStore;
import org.radflow.jobs.Scheduler;
import org.radflow.listener.DicomListenerVerticle;
import org.radflow.listener.InstanceStored;
import org.radflow.modules.LoadedModule;
import org.radflow.modules.ModuleRegistry;
import org.radflow.modules.RegistrySettings;
import org.radflow.pixels.SpoolStudyInput;
import org.radflow.routing.Router;
import org.radflow.routing.RuleTester;
import org.radflow.tracking.StudyTracker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The running server: DICOM listener → study tracker → job planner (rules) → journal → scheduler
 * (module lanes) → result store, with the HTTP API over all of it. {@code listen} mode runs the
 * listener alone.
 */
public final class RadflowServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RadflowServer.class);

    /** The running configuration: replaced by a reload (only its live parts change, see {@link ConfigReload}). */
    volatile RadflowConfig config;
    final Path configFile;
    private final boolean listenerOnly;
    private final Vertx vertx;
    private final AtomicLong instancesReceived = new AtomicLong();
    private final AtomicLong bytesReceived = new AtomicLong();
    final Instant startedAt = Instant.now();
    final Metrics metrics = new Metrics();
    private DicomListenerVerticle listener;
    private HttpServer http;
    JobJournal journal;
    org.radflow.jobs.JobQueries queries;
    org.radflow.store.Store store;
    private HostInferenceEngine inference;
    ModuleRegistry registry;
    Scheduler scheduler;
    JobPlanner planner;
    private StudyTracker tracker;
    ResultStore results;
    private ScheduledExecutorService ticker;
    org.radflow.dispatch.Outbox outbox;
    /** The outbox's senders by destination (replaced per destination by a reload). */
    final Map<String, org.radflow.dispatch.Sender> senders = new java.util.concurrent.ConcurrentHashMap<>();
    ModuleSwitches switches;
    AuditLog audit;
    ApiAuth auth;
    ReceivedStudies studies;
    /** Audit and metrics work that reads files or the journal, off the threads that report it. */
    private final java.util.concurrent.ExecutorService observers = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "radflow-observers");
        t.setDaemon(true);
        return t;
    });
    private org.radflow.viewer.ViewerServer viewer;

    public RadflowServer(RadflowConfig config, boolean listenerOnly) {
        this(config, listenerOnly, null);
    }

    /**
     * @param configFile the file the configuration came from (POST /api/config/reload re-reads it); null: embedded defaults
     */
    public RadflowServer(RadflowConfig config, boolean listenerOnly, Path configFile) {
        this.config = config;
        this.listenerOnly = listenerOnly;
        this.configFile = configFile;
        this.vertx = Vertx.vertx();
    }

    public Vertx vertx() {
        return vertx;
    }

    public RadflowConfig config() {
        return config;
    }

    /** Starts everything; fails (and stops what did start) when a port cannot be bound or state cannot be opened. */
    public Future<Void> start() {
        if (config.audit().enabled() && audit == null) {
            try {
                audit = new AuditLog(config.audit().dir(), config.audit().maxFileBytes(), config.audit().retentionDays(), Clock.systemUTC());
            } catch (IOException e) {
                IllegalStateException err = new IllegalStateException("cannot open the audit trail in " + config.audit().dir()
                        + " (audit.dir): " + e.getMessage(), e);
                return vertx.close().transform(x -> Future.failedFuture(err));
            }
        }
        Future<Void> core = listenerOnly ? Future.succeededFuture() : vertx.executeBlocking(() -> {
            startOrchestrator();
            return null;
        }, false);
        listener = new DicomListenerVerticle(config.listener(), this::associationEnded);
        vertx.eventBus().<JsonObject>consumer(InstanceStored.ADDRESS, m -> {
            InstanceStored e = InstanceStored.fromJson(m.body());
            instancesReceived.incrementAndGet();
            bytesReceived.addAndGet(e.size());
            metrics.instanceReceived(e.size());
            if (tracker != null) {
                tracker.onInstance(e);
            }
        });
        Future<?> all = core.compose(x -> vertx.deployVerticle(listener))
                .compose(id -> listenerOnly || !config.api().enabled() ? Future.succeededFuture() : startHttp())
                .compose(x -> listenerOnly || !config.viewer().enabled() ? Future.succeededFuture()
                        : (viewer = new org.radflow.viewer.ViewerServer(vertx, config.viewer())).start());
        return all.<Void>mapEmpty().recover(err -> {
            LOG.error("RadFlow failed to start: {}", err.getMessage());
            closeOrchestrator();
            return vertx.close().transform(x -> Future.failedFuture(err));
        });
    }

    private void startOrchestrator() throws Exception {
        Path data = config.server().dataDir();
        Files.createDirectories(data);
        store = org.radflow.store.Store.open(config.store());
        journal = new JobJournal(store);
        queries = new org.radflow.jobs.JobQueries(store);
        inference = new HostInferenceEngine(data.resolve("native"));
        Map<String, Map<String, Object>> moduleConfig = new LinkedHashMap<>();
        config.modules().settings().forEach((id, m) -> moduleConfig.put(id, m.config()));
        registry = new ModuleRegistry(new RegistrySettings(config.modules().dir(), config.modules().modelsDir(), data,
                moduleConfig, config.modules().watch() ? RegistrySettings.DEFAULT_SCAN_INTERVAL : Duration.ZERO,
                RadflowServer.class.getClassLoader()), (id, threads) -> inference.forModule(id, inferenceThreads(id, threads))).start();
        router().problems().forEach(p -> LOG.warn("Rule problem: {}", p));
        results = new ResultStore(data.resolve("results"));
        senders.putAll(senders(config));
        outbox = new org.radflow.dispatch.Outbox(store, senders, config.delivery());
        outbox.addListener(this::attempted);
        journal.addListener(this::jobChanged);
        outbox.start();
        switches = new ModuleSwitches(data.resolve("state").resolve("module-switches.json"),
                id -> config.modules().settingsFor(id).enabled());
        studies = new ReceivedStudies(config.listener().spoolDir().toAbsolutePath().resolve("incoming"));
        org.radflow.report.ReportService reports = new org.radflow.report.ReportService(results, outbox, journal,
                id -> registry.find(id).map(LoadedModule::descriptor));
        scheduler = new Scheduler(journal, new RegistryCatalog(registry), job -> {
            try {
                return SpoolStudyInput.of(job.studyUid(), job.inputFiles());
            } catch (IOException | IllegalArgumentException e) {
                throw new ModuleException("cannot read the job's input files: " + e.getMessage(), e);
            }
        }, reports, config.scheduler());
        scheduler.enabledCheck(switches::enabled);
        scheduler.start();
        warmUpModules();
        planner = new JobPlanner(journal, this::router, this::queueLimit, scheduler::wake);
        planner.enabledCheck(switches::enabled);
        tracker = new StudyTracker(config.listener().spoolDir().toAbsolutePath().resolve("incoming"), config.tracking().seriesQuiet(),
                config.tracking().studyQuiet(), config.tracking().forgetAfter(), planner::submit, Clock.systemUTC());
        ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "radflow-tracker");
            t.setDaemon(true);
            return t;
        });
        ticker.execute(() -> {
            try {
                tracker.rescan();
            } catch (IOException e) {
                LOG.error("Spool rescan failed: {}", e.toString());
            }
        });
        ticker.scheduleWithFixedDelay(() -> {
            try {
                tracker.tick();
            } catch (RuntimeException e) {
                LOG.error("Tracker tick failed: {}", e.toString(), e);
            }
        }, 1, 1, TimeUnit.SECONDS);
    }

    Map<String, org.radflow.dispatch.Sender> senders(RadflowConfig config) {
        Map<String, org.radflow.dispatch.Sender> out = new LinkedHashMap<>();
        config.destinations().forEach((name, d) -> {
            if (d instanceof RadflowConfig.DicomDestination c) {
                out.put(name, new org.radflow.dispatch.CStoreSender(vertx, name, c.settings()));
            } else if (d instanceof RadflowConfig.DicomWebDestination w) {
                out.put(name, new org.radflow.dispatch.StowRsSender(vertx, name, w.settings()));
            }
        });
        return out;
    }

    /** Rules against the modules loaded now (modules can come and go while running). */
    Router router() {
        return new Router(config.rules(), id -> registry.find(id).map(LoadedModule::descriptor), registry::ids);
    }

    int queueLimit(String moduleId) {
        Integer o = config.modules().settingsFor(moduleId).queueLimit();
        if (o != null) {
            return o;
        }
        return registry.find(moduleId).map(m -> m.descriptor().resources().queueLimit()).orElse(100);
    }

    private Future<HttpServer> startHttp() {
        RadflowConfig.Api a = config.api();
        HttpServerOptions options = new HttpServerOptions().setHost(a.bindAddress()).setPort(a.port()).setTcpNoDelay(true);
        if (a.tls() != null) {
            options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions().setCertPath(a.tls().certificate().toString())
                    .setKeyPath(a.tls().key().toString()));
        }
        auth = new ApiAuth(a.auth(), audit);
        if (!a.auth().enabled()) {
            LOG.warn("API authentication is off (no api.auth.tokens): anyone who can reach {}:{} on this host can use the API",
                    a.bindAddress(), a.port());
        }
        HttpApi api = new HttpApi(vertx, journal, queries, scheduler, new ServerOperations(this), auth, audit);
        io.vertx.ext.web.Router routes = org.radflow.http.WebUi.mount(api.router(), this::viewerPort);
        return vertx.createHttpServer(options).requestHandler(routes).listen().onSuccess(s -> {
            http = s;
            String scheme = a.tls() == null ? "http" : "https";
            LOG.info("HTTP API on {}://{}:{}/api/health, dashboard {}://{}:{}/ui/", scheme, a.bindAddress(), s.actualPort(),
                    scheme, a.bindAddress(), s.actualPort());
        });
    }

    /** Rule test over a received study (by UID) or files on the server. */
    JsonObject testRules(JsonObject body) throws Exception {
        List<Path> paths = new ArrayList<>();
        String study = body.getString("studyInstanceUid");
        if (study != null) {
            if (!org.radflow.dicom.Uids.isValid(study)) {
                throw new HttpApi.ApiException(400, "studyInstanceUid is not a valid UID");
            }
            Path dir = config.listener().spoolDir().resolve("incoming").resolve(study);
            if (!Files.isDirectory(dir)) {
                throw new HttpApi.ApiException(404, "no study " + study + " in the spool");
            }
            paths.add(dir);
        }
        JsonArray p = body.getJsonArray("paths");
        if (p != null) {
            p.forEach(o -> paths.add(Path.of(String.valueOf(o))));
        }
        if (paths.isEmpty()) {
            throw new HttpApi.ApiException(400, "give studyInstanceUid (a received study) or paths (files or folders on the server)");
        }
        return RuleTester.test(router(), paths).toJson();
    }

    // ------------------------------------------------------------------------------------ audit and metrics

    private void associationEnded(AssociationSummary s) {
        metrics.associationEnded();
        if (audit != null) {
            Instant end = Instant.now();
            audit.record("dicom.association", new JsonObject()
                    .put("callingAeTitle", s.callingAeTitle())
                    .put("calledAeTitle", s.calledAeTitle())
                    .put("peerAddress", s.peerAddress())
                    .put("instancesStored", s.stored())
                    .put("instancesRefused", s.refused())
                    .put("bytes", s.bytes())
                    .put("start", end.minus(s.duration()).toString())
                    .put("end", end.toString())
                    .put("outcome", s.outcome()));
        }
    }

    /** Job start/end times for the latency histograms: jobs seen RUNNING, by id. */
    private final Map<String, Instant> runningSince = new java.util.concurrent.ConcurrentHashMap<>();

    private void jobChanged(org.radflow.jobs.Job job, org.radflow.jobs.Job.Event e) {
        if (e.state() == org.radflow.jobs.JobState.RUNNING) {
            Instant eligible = job.nextAttemptAt() == null ? job.createdAt() : job.nextAttemptAt();
            metrics.queueWait(job.moduleId(), Duration.between(eligible, e.at()).toMillis() / 1000.0);
            runningSince.put(job.id(), e.at());
        } else {
            Instant since = runningSince.remove(job.id());
            if (since != null) {
                metrics.runTime(job.moduleId(), Duration.between(since, e.at()).toMillis() / 1000.0);
            }
        }
        if (audit != null) {
            audit.record("job.state", new JsonObject()
                    .put("jobId", job.id())
                    .put("module", job.moduleId())
                    .put("moduleVersion", job.moduleVersion())
                    .put("rule", job.ruleName())
                    .put("studyInstanceUid", job.studyUid())
                    .put("seriesInstanceUid", job.seriesUid())
                    .put("state", e.state().name())
                    .put("attempts", job.attempts())
                    .put("message", e.message()));
        }
    }

    private void attempted(org.radflow.dispatch.Outbox.Delivery d) {
        if (!d.sent()) {
            metrics.deliveryFailed(d.destination());
        }
        try {
            observers.execute(() -> {
                org.radflow.jobs.Job job = null;
                try {
                    job = journal.find(d.jobId()).orElse(null);
                } catch (Exception e) {
                    LOG.debug("job {} not found for delivery metrics: {}", d.jobId(), e.toString());
                }
                if (d.sent()) {
                    metrics.delivered(job == null ? "unknown" : job.moduleId(), d.destination(), d.sinceQueued().toMillis() / 1000.0);
                }
                if (audit != null) {
                    String series = null;
                    String sopClass = null;
                    try {
                        AttributeListTags tags = AttributeListTags.read(d.file());
                        series = tags.values("SeriesInstanceUID").stream().findFirst().orElse(null);
                        sopClass = tags.values("SOPClassUID").stream().findFirst().orElse(null);
                    } catch (Exception e) {
                        LOG.debug("cannot read {} for the audit trail: {}", d.file(), e.toString());
                    }
                    audit.record("object.sent", new JsonObject()
                            .put("destination", d.destination())
                            .put("jobId", d.jobId())
                            .put("module", job == null ? null : job.moduleId())
                            .put("studyInstanceUid", job == null ? null : job.studyUid())
                            .put("seriesInstanceUid", series)
                            .put("sopInstanceUid", d.sopInstanceUid())
                            .put("sopClassUid", sopClass)
                            .put("status", d.state().name())
                            .put("attempt", d.attempts())
                            .put("error", d.error()));
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // shutting down
        }
    }

    public Metrics metrics() {
        return metrics;
    }

    public AuditLog audit() {
        return audit;
    }

    public JsonObject health() {
        return new JsonObject()
                .put("status", "UP")
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
                        .put("spool", config.listener().spoolDir().toAbsolutePath().toString()));
    }

    public int dicomPort() {
        return listener == null ? config.listener().port() : listener.port();
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
        return journal;
    }

    /** Job listings, counts and timelines (read-only). */
    public org.radflow.jobs.JobQueries queries() {
        return queries;
    }

    public ModuleRegistry registry() {
        return registry;
    }

    public ResultStore results() {
        return results;
    }

    public org.radflow.dispatch.Outbox outbox() {
        return outbox;
    }

    /**
     * The intra-op threads of a module's model sessions: what its descriptor asks for, but no more than this
     * machine's cores shared by the jobs its lane runs at once, so that {@code maxConcurrentJobs: 2} on two cores
     * gives two jobs of one thread each instead of four threads fighting over two cores (docs/benchmarks.md,
     * COVID-Net pool 2).
     */
    int inferenceThreads(String moduleId, int declared) {
        Integer configured = config.modules().settingsFor(moduleId).maxConcurrentJobs();
        int jobs = configured != null ? configured
                : registry == null ? 1 : registry.find(moduleId).map(m -> m.descriptor().resources().maxConcurrentJobs()).orElse(1);
        int cores = Runtime.getRuntime().availableProcessors();
        int fair = Math.max(1, cores / Math.max(1, jobs));
        int threads = Math.max(1, Math.min(declared, fair));
        if (threads < declared) {
            LOG.info("Module {}: {} inference thread(s) per job instead of the {} it asks for ({} job(s) at once on {} cores)",
                    moduleId, threads, declared, jobs, cores);
        }
        return threads;
    }

    /**
     * Creates each enabled module now, on a background thread, so that its model is loaded (or why it cannot be
     * shows in the log and in GET /api/modules, with the model it runs) at start rather than at its first job.
     * A module that fails here is tried again by its first job.
     */
    private void warmUpModules() {
        ModuleRegistry r = registry;
        Thread t = new Thread(() -> {
            for (String id : r.ids()) {
                if (!switches.enabled(id)) {
                    continue;
                }
                try (org.radflow.modules.ModuleLease lease = r.acquire(id)) {
                    LOG.debug("Module {} ready", lease.id());
                } catch (Exception | LinkageError e) {
                    LOG.debug("Module {} not ready at start: {}", id, e.getMessage()); // the registry logged why
                }
            }
        }, "radflow-module-warmup");
        t.setDaemon(true);
        t.start();
    }

    private void closeOrchestrator() {
        if (ticker != null) {
            ticker.shutdownNow();
        }
        if (planner != null) {
            planner.close();
        }
        if (scheduler != null) {
            scheduler.close();
        }
        if (outbox != null) {
            outbox.close();
        }
        if (registry != null) {
            registry.close();
        }
        if (inference != null) {
            inference.close();
        }
        observers.shutdown();
        try {
            observers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (journal != null) {
            journal.close();
        }
        if (store != null) {
            store.close();
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
            vertx.close().await(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("Shutdown did not complete cleanly: {}", e.toString());
        }
        closeOrchestrator();
    }
}
