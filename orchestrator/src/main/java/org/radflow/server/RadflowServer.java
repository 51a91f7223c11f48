package org.radflow.server;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.radflow.api.ModuleException;
import org.radflow.config.RadflowConfig;
import org.radflow.http.HttpApi;
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

    private final RadflowConfig config;
    private final boolean listenerOnly;
    private final Vertx vertx;
    private final AtomicLong instancesReceived = new AtomicLong();
    private final AtomicLong bytesReceived = new AtomicLong();
    private final Instant startedAt = Instant.now();
    private DicomListenerVerticle listener;
    private HttpServer http;
    private JobJournal journal;
    private HostInferenceEngine inference;
    private ModuleRegistry registry;
    private Scheduler scheduler;
    private JobPlanner planner;
    private StudyTracker tracker;
    private ResultStore results;
    private ScheduledExecutorService ticker;
    private org.radflow.dispatch.Outbox outbox;
    private org.radflow.viewer.ViewerServer viewer;

    public RadflowServer(RadflowConfig config, boolean listenerOnly) {
        this.config = config;
        this.listenerOnly = listenerOnly;
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
        Future<Void> core = listenerOnly ? Future.succeededFuture() : vertx.executeBlocking(() -> {
            startOrchestrator();
            return null;
        }, false);
        listener = new DicomListenerVerticle(config.listener(), s -> { });
        vertx.eventBus().<JsonObject>consumer(InstanceStored.ADDRESS, m -> {
            InstanceStored e = InstanceStored.fromJson(m.body());
            instancesReceived.incrementAndGet();
            bytesReceived.addAndGet(e.size());
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
        journal = JobJournal.openEmbedded(data.resolve("journal"));
        inference = new HostInferenceEngine(data.resolve("native"));
        Map<String, Map<String, Object>> moduleConfig = new LinkedHashMap<>();
        config.modules().settings().forEach((id, m) -> moduleConfig.put(id, m.config()));
        registry = new ModuleRegistry(new RegistrySettings(config.modules().dir(), config.modules().modelsDir(), data,
                moduleConfig, config.modules().watch() ? RegistrySettings.DEFAULT_SCAN_INTERVAL : Duration.ZERO,
                RadflowServer.class.getClassLoader()), (id, threads) -> inference.forModule(id, threads)).start();
        router().problems().forEach(p -> LOG.warn("Rule problem: {}", p));
        results = new ResultStore(data.resolve("results"));
        outbox = new org.radflow.dispatch.Outbox(data.resolve("journal"), senders(), config.delivery());
        outbox.start();
        org.radflow.report.ReportService reports = new org.radflow.report.ReportService(results, outbox, journal,
                id -> registry.find(id).map(LoadedModule::descriptor));
        scheduler = new Scheduler(journal, new RegistryCatalog(registry), job -> {
            try {
                return SpoolStudyInput.of(job.studyUid(), job.inputFiles());
            } catch (IOException | IllegalArgumentException e) {
                throw new ModuleException("cannot read the job's input files: " + e.getMessage(), e);
            }
        }, reports, config.scheduler());
        scheduler.start();
        planner = new JobPlanner(journal, this::router, this::queueLimit, scheduler::wake);
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

    private Map<String, org.radflow.dispatch.Sender> senders() {
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

    private int queueLimit(String moduleId) {
        Integer o = config.modules().settingsFor(moduleId).queueLimit();
        if (o != null) {
            return o;
        }
        return registry.find(moduleId).map(m -> m.descriptor().resources().queueLimit()).orElse(100);
    }

    private Future<HttpServer> startHttp() {
        HttpServerOptions options = new HttpServerOptions().setHost(config.api().bindAddress()).setPort(config.api().port())
                .setTcpNoDelay(true);
        HttpApi api = new HttpApi(vertx, journal, scheduler, this::health, this::modulesJson, this::testRules, new HttpApi.Destinations() {
            @Override
            public JsonObject status() throws Exception {
                return outbox.status();
            }

            @Override
            public int retry(String destination) throws Exception {
                if (!config.destinations().containsKey(destination)) {
                    throw new HttpApi.ApiException(404, "no destination '" + destination + "'. Configured: " + config.destinations().keySet());
                }
                return outbox.retryDead(destination, null);
            }

            @Override
            public JsonObject outputs(String jobId) throws Exception {
                var result = results.read(jobId);
                if (result.isEmpty()) {
                    return null;
                }
                JsonObject r = result.get();
                JsonArray objects = new JsonArray();
                Path dicom = results.directory(jobId).resolve("dicom");
                if (Files.isDirectory(dicom)) {
                    try (var files = Files.list(dicom)) {
                        for (Path f : files.sorted().toList()) {
                            var meta = org.radflow.dicom.Part10.readMeta(f);
                            objects.add(new JsonObject().put("file", f.toAbsolutePath().toString())
                                    .put("sopClassUid", meta.sopClassUid()).put("sopInstanceUid", meta.sopInstanceUid()));
                        }
                    }
                }
                return new JsonObject().put("summary", r.getString("summary")).put("findings", r.getJsonArray("findings"))
                        .put("objects", objects);
            }

            @Override
            public JsonArray deliveries(String jobId) throws Exception {
                JsonArray a = new JsonArray();
                for (var it : outbox.items(jobId)) {
                    a.add(new JsonObject().put("destination", it.destination()).put("sopInstanceUid", it.sopInstanceUid())
                            .put("state", it.state().name()).put("attempts", it.attempts()).put("lastError", it.lastError())
                            .put("sentAt", it.sentAt() == null ? null : it.sentAt().toString()));
                }
                return a;
            }
        });
        io.vertx.ext.web.Router routes = org.radflow.http.WebUi.mount(api.router(), this::viewerPort);
        return vertx.createHttpServer(options).requestHandler(routes).listen().onSuccess(s -> {
            http = s;
            LOG.info("HTTP API on http://{}:{}/api/health, dashboard http://{}:{}/ui/", config.api().bindAddress(), s.actualPort(),
                    config.api().bindAddress(), s.actualPort());
        });
    }

    private JsonArray modulesJson() {
        JsonArray out = new JsonArray();
        for (LoadedModule m : registry.modules()) {
            var d = m.descriptor();
            out.add(new JsonObject()
                    .put("id", d.id())
                    .put("version", d.version())
                    .put("displayName", d.displayName())
                    .put("model", new JsonObject().put("name", d.model().name()).put("version", d.model().version())
                            .put("demo", d.model().demo()))
                    .put("trigger", d.trigger().name().toLowerCase())
                    .put("source", m.source())
                    .put("generation", m.generation())
                    .put("loadedAt", m.loadedAt().toString())
                    .put("enabled", config.modules().settingsFor(d.id()).enabled())
                    .put("lane", new JsonObject(new LinkedHashMap<>(scheduler.laneStatus(d.id())))));
        }
        for (var p : registry.problems()) {
            out.add(new JsonObject().put("id", p.moduleId()).put("source", p.source()).put("loadError", p.reason())
                    .put("at", p.time().toString()));
        }
        return out;
    }

    private JsonObject testRules(JsonObject body) throws Exception {
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

    public ModuleRegistry registry() {
        return registry;
    }

    public ResultStore results() {
        return results;
    }

    public org.radflow.dispatch.Outbox outbox() {
        return outbox;
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
        if (journal != null) {
            journal.close();
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
