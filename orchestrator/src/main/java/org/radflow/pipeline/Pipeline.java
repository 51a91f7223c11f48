package org.radflow.pipeline;

import io.vertx.core.Vertx;
import org.radflow.audit.AuditLog;
import org.radflow.audit.AuditObserver;
import org.radflow.config.RadflowConfig;
import org.radflow.dispatch.Outbox;
import org.radflow.dispatch.Sender;
import org.radflow.dispatch.Senders;
import org.radflow.host.InProcessHost;
import org.radflow.host.InferenceThreads;
import org.radflow.host.ModuleHost;
import org.radflow.host.ProcessModuleHost;
import org.radflow.host.RegistryCatalog;
import org.radflow.inference.HostInferenceEngine;
import org.radflow.intake.HeaderCache;
import org.radflow.intake.Intake;
import org.radflow.intake.ReceivedStudies;
import org.radflow.jobs.JobJournal;
import org.radflow.jobs.JobQueries;
import org.radflow.store.Store;
import org.radflow.report.ResultStore;
import org.radflow.scheduling.Scheduler;
import org.radflow.listener.AssociationSummary;
import org.radflow.metrics.Metrics;
import org.radflow.metrics.MetricsObserver;
import org.radflow.modules.LoadedModule;
import org.radflow.modules.ModuleLease;
import org.radflow.modules.ModuleRegistry;
import org.radflow.modules.ModuleSwitches;
import org.radflow.modules.RegistrySettings;
import org.radflow.pixels.SpoolStudyInput;
import org.radflow.planning.JobPlanner;
import org.radflow.report.ReportService;
import org.radflow.report.Reporter;
import org.radflow.routing.Router;
import org.radflow.tracking.StudyTracker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The orchestrator's stages, built and wired in flow order, started and stopped together:
 *
 * <pre>
 * listener ─InstanceSink→ Intake ─ReceivedInstance→ StudyTracker ─Unit→ JobPlanner ─NewJob→ JobJournal
 *   → Scheduler ─Job→ ModuleHost ─ModuleResult→ Reporter ─report objects→ Outbox ─→ destinations
 * </pre>
 *
 * Each arrow is a small port; each stage owns its state and the operations on it (reprocess through the planner,
 * retry and cancel through the scheduler, dead letters through the outbox). Audit and metrics observe the stages
 * through {@link PipelineEvents}. The configuration in force is here too: a reload replaces it ({@link #apply}).
 */
public final class Pipeline implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);
    /** Headers remembered between intake and planning (a few MB). */
    private static final int HEADER_CACHE_SIZE = 4096;

    private volatile RadflowConfig config;
    private final Vertx vertx;
    private final Metrics metrics;
    private final AuditLog audit;
    private final List<AutoCloseable> observers = new ArrayList<>();
    private org.radflow.notify.Notifier notifier;
    private PipelineEvents events = new PipelineEvents() {
    };

    private Store store;
    private JobJournal journal;
    private JobQueries queries;
    private HostInferenceEngine inference;
    private ModuleRegistry registry;
    private ModuleSwitches switches;
    private ResultStore results;
    private ReceivedStudies studies;
    /** What the studies API reads (issue 16): kept by intake, checked against the spool at start. */
    private org.radflow.intake.StudyIndex studyIndex;
    private final Map<String, Sender> senders = new ConcurrentHashMap<>();
    private Outbox outbox;
    private Reporter reporter;
    private Scheduler scheduler;
    private JobPlanner planner;
    private HeaderCache headers;
    private StudyTracker tracker;
    private org.radflow.tracking.SpoolRetention retention;
    private org.radflow.report.ResultRetention resultRetention;
    private java.util.concurrent.ScheduledExecutorService retentionSweeper;
    private Intake intake;
    private org.radflow.intake.IntakeThrottle throttle;
    private ScheduledExecutorService ticker;
    private ProcessModuleHost workers;
    /** Null for a single node. */
    private org.radflow.cluster.ClusterMembership membership;
    /** This node's part in the cluster; null for a single node. */
    private ClusterNode cluster;

    /**
     * @param audit null when the audit trail is off
     */
    public Pipeline(RadflowConfig config, Vertx vertx, Metrics metrics, AuditLog audit) {
        this.config = config;
        this.vertx = vertx;
        this.metrics = metrics;
        this.audit = audit;
    }

    /** Makes this pipeline a cluster member's: call before {@link #start}, once joined. */
    public void joinCluster(org.radflow.cluster.ClusterMembership m) {
        this.membership = m;
    }

    /** Opens the journal and builds every stage, last stage first, so that each is ready before work reaches it. Blocks. */
    public void start() throws Exception {
        RadflowConfig c = config;
        Path data = c.server().dataDir();
        Files.createDirectories(data);
        store = Store.open(c.store());
        // in a cluster a node's spool is its own: the jobs it plans run on it (until inputs are replicated)
        journal = new JobJournal(store, c.server().nodeName()).inputsLocal(c.cluster().enabled());
        if (membership != null) {
            cluster = new ClusterNode(membership, () -> config, journal);
        }
        queries = new JobQueries(store);
        observe();
        inference = new HostInferenceEngine(data.resolve("native"));
        Map<String, Map<String, Object>> moduleConfig = new LinkedHashMap<>();
        c.modules().settings().forEach((id, m) -> moduleConfig.put(id, m.config()));
        registry = new ModuleRegistry(new RegistrySettings(c.modules().dir(), c.modules().modelsDir(), data, moduleConfig,
                c.modules().watch() ? RegistrySettings.DEFAULT_SCAN_INTERVAL : Duration.ZERO, Pipeline.class.getClassLoader()),
                (id, threads) -> inference.forModule(id, InferenceThreads.forModule(config, this::descriptor, id, threads))).start();
        router().problems().forEach(p -> LOG.warn("Rule problem: {}", p));
        switches = new ModuleSwitches(data.resolve("state").resolve("module-switches.json"),
                id -> config.modules().settingsFor(id).enabled());
        results = new ResultStore(data.resolve("results"));
        studies = new ReceivedStudies(incoming());
        studyIndex = new org.radflow.intake.StudyIndex(store, c.server().nodeName(), studies);
        try {
            studyIndex.reconcile(); // before intake takes any instance: what the spool holds that the index lacks is added
        } catch (IOException | java.sql.SQLException e) {
            LOG.error("Checking the received-studies index against the spool failed; the studies API may miss studies "
                    + "received before this start until the next one: {}", e.toString(), e);
        }
        studyIndex.start();

        senders.putAll(Senders.create(vertx, c));
        outbox = new Outbox(store, senders, c.delivery());
        if (membership != null) {
            outbox.clustered(c.server().nodeName(), membership::liveNodeNames, data.resolve("results").resolve("from-store"));
        }
        outbox.addListener(d -> events.deliveryAttempted(d));
        outbox.start();

        // headers read at intake: every job's input (in-process, or sent to its worker) and report stage take them from here (issue 16)
        headers = new HeaderCache(HEADER_CACHE_SIZE);
        reporter = new Reporter(journal, new ReportService(results, null, outbox, journal, this::descriptor, headers),
                reportRetry(c));
        InProcessHost inProcess = new InProcessHost(new RegistryCatalog(registry), job -> {
            try {
                return SpoolStudyInput.of(job.studyUid(), job.inputFiles(), org.radflow.pixels.GeometryTolerance.DEFAULT,
                        headers, org.radflow.pixels.InputOpener.FILES);
            } catch (IOException | IllegalArgumentException e) {
                throw new org.radflow.api.ModuleException("cannot read the job's input files: " + e.getMessage(), e);
            }
        });
        workers = new ProcessModuleHost(new ProcessModuleHost.Environment() {
            @Override
            public Optional<ProcessModuleHost.WorkerSpec> spec(String moduleId) {
                return workerSpec(moduleId);
            }

            @Override
            public boolean wanted(String moduleId) {
                return isolation(moduleId) == RadflowConfig.Isolation.PROCESS && switches.enabled(moduleId)
                        && registry.find(moduleId).isPresent();
            }

            @Override
            public boolean keepWarm(String moduleId) {
                return config.rules().moduleIds().contains(moduleId);
            }

            @Override
            public RadflowConfig.Workers settings() {
                return config.modules().workers();
            }

            @Override
            public void crashLimit(String moduleId, String reason) {
                pauseCrashingModule(moduleId, reason);
            }

            @Override
            public org.radflow.pixels.InputHeaders headers() {
                return headers; // read at intake: the worker gets them with the job and opens no input for its header
            }

            @Override
            public void workerStarted(ProcessModuleHost.WorkerSpec spec, String failure) {
                registry.workerStarted(spec.moduleId(), spec.generation(), failure);
            }
        });
        // each module's isolation as configured now (modules.<id>.isolation)
        ModuleHost host = (job, context, recorder) -> isolation(job.moduleId()) == RadflowConfig.Isolation.PROCESS
                ? workers.run(job, context, recorder) : inProcess.run(job, context, recorder);
        scheduler = new Scheduler(journal, new RegistryCatalog(registry), host, reporter, c.scheduler());
        scheduler.enabledCheck(switches::enabled);
        scheduler.onPause((id, reason) -> events.modulePaused(id, reason));
        scheduler.onModuleRan((job, run) -> events.moduleRan(job, run));
        if (cluster != null) {
            scheduler.inputPlacement(cluster::inputsHere);
        }
        scheduler.start();
        warmUpModules();
        registry.onOffered(this::checkLoadedModule);

        planner = new JobPlanner(journal, queries, headers, this::router, this::queueLimit, scheduler::wake);
        // in a cluster a study's owner also plans jobs for modules that only other nodes run (placement)
        planner.enabledCheck(id -> switches.enabled(id) || (cluster != null && !cluster.running(id).isEmpty()));
        tracker = new StudyTracker(incoming(), c.tracking().seriesQuiet(), c.tracking().studyQuiet(), c.tracking().forgetAfter(),
                this::planIfOwned, Clock.systemUTC());
        intake = new Intake(headers, received -> {
            studyIndex.stored(received); // memory only: written by the index's timer, never on this thread
            tracker.onInstance(received.stored());
        }, events);
        // scheduler.intakeHighWaterMark: the listener refuses new instances (A700, retry later) while too many jobs wait
        throttle = new org.radflow.intake.IntakeThrottle(() -> {
            try {
                return journal.countQueued();
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        }, () -> config.scheduler(), System::nanoTime).start();
        ticker = Threads.scheduled("tracker");
        ticker.execute(() -> {
            try {
                tracker.rescan();
            } catch (IOException e) {
                LOG.error("Spool rescan failed: {}", e.toString());
            }
        });
        ticker.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
        // tracking.retentionDays: old, finished studies leave the spool (hourly; the first sweep a minute after start)
        retention = new org.radflow.tracking.SpoolRetention(incoming(), config.listener().spoolDir().toAbsolutePath().resolve("tmp"),
                queries);
        retention.onRemoved(uid -> {
            try {
                studyIndex.resync(uid);
            } catch (IOException | java.sql.SQLException e) {
                LOG.warn("Removing a study from the received-studies index failed (the next start does it): {}", e.toString());
            }
        });
        retentionSweeper = Threads.scheduled("spool-retention");
        retentionSweeper.scheduleWithFixedDelay(this::sweepSpool, 1, 60, TimeUnit.MINUTES);
        // tracking.resultsRetentionDays: the outputs of old, delivered jobs leave <dataDir>/results (their findings stay)
        resultRetention = new org.radflow.report.ResultRetention(config.server().dataDir().resolve("results"), store, retention::held);
        retentionSweeper.scheduleWithFixedDelay(this::sweepResults, 2, 60, TimeUnit.MINUTES);
    }

    /** One result retention sweep now; nothing when {@code tracking.resultsRetentionDays} is 0. */
    public org.radflow.report.ResultRetention.Sweep sweepResults() {
        Duration age = config.tracking().resultsRetention();
        if (age.isZero() || resultRetention == null) {
            return new org.radflow.report.ResultRetention.Sweep(0, 0, 0);
        }
        try {
            return resultRetention.sweep(java.time.Instant.now(), age);
        } catch (IOException | java.sql.SQLException | RuntimeException e) {
            LOG.error("Result retention sweep failed (next one in an hour): {}", e.toString(), e);
            return new org.radflow.report.ResultRetention.Sweep(0, 0, 0);
        }
    }

    /** One retention sweep now; nothing when {@code tracking.retentionDays} is 0. */
    public org.radflow.tracking.SpoolRetention.Sweep sweepSpool() {
        Duration age = config.tracking().retention();
        if (age.isZero() || retention == null) {
            return new org.radflow.tracking.SpoolRetention.Sweep(0, 0, 0, 0);
        }
        try {
            return retention.sweep(java.time.Instant.now(), age);
        } catch (IOException | java.sql.SQLException | RuntimeException e) {
            LOG.error("Spool retention sweep failed (next one in an hour): {}", e.toString(), e);
            return new org.radflow.tracking.SpoolRetention.Sweep(0, 0, 0, 0);
        }
    }

    public org.radflow.tracking.SpoolRetention retention() {
        return retention;
    }

    /** In a cluster only a study's owner plans its units (every instance reaches the owner); others just hold copies. */
    private void planIfOwned(org.radflow.tracking.Unit unit) {
        if (cluster == null || cluster.owns(unit.studyUid())) {
            planner.submit(unit);
        }
    }

    /** What the other members need to know of this node to leave its jobs to it. */
    private io.vertx.core.json.JsonObject facts() {
        io.vertx.core.json.JsonArray modules = new io.vertx.core.json.JsonArray();
        if (registry != null) {
            registry.ids().stream().filter(switches::enabled).sorted().forEach(modules::add);
        }
        return new io.vertx.core.json.JsonObject().put("modules", modules).put("draining", notClaimingBecause() != null)
                .put("running", scheduler == null ? 0 : scheduler.runningCount()).put("version", org.radflow.Main.version());
    }

    /** In a cluster, a job another node ran has its result folder there: copied here at the first request. */
    public void resultHere(String jobId) {
        if (cluster != null) {
            cluster.resultHere(jobId, results);
        }
    }

    /** What each cluster member published, as this node last read it (empty alone). */
    public java.util.Map<String, io.vertx.core.json.JsonObject> clusterFacts() {
        return cluster == null ? java.util.Map.of() : cluster.facts();
    }

    /** The members this node places studies on and copies to now (up, with their peer endpoint open); empty alone. */
    public java.util.Set<String> readyMembers() {
        return cluster == null ? java.util.Set.of() : cluster.readyMembers();
    }

    /** Copies to other members: the listener makes each instance durable on a second node through this. */
    public org.radflow.listener.Replication replication() {
        return cluster == null ? org.radflow.listener.Replication.NONE : cluster.replication();
    }

    /**
     * Opens this node's peer endpoint and makes it ready for the other members. Called once the listener is up (its
     * start cleans the spool's tmp/).
     */
    public void startCluster(org.radflow.listener.InstanceSink sink) throws IOException {
        if (cluster != null) {
            cluster.start(sink, this::facts, tracker);
        }
    }

    /** Where a module's jobs run. */
    public RadflowConfig.Isolation isolation(String moduleId) {
        return config.modules().settingsFor(moduleId).isolation();
    }

    private Optional<ProcessModuleHost.WorkerSpec> workerSpec(String moduleId) {
        RadflowConfig c = config;
        Optional<LoadedModule> loaded = registry.find(moduleId);
        if (loaded.isEmpty()) {
            return Optional.empty();
        }
        LoadedModule m = loaded.get();
        RadflowConfig.ModuleSettings s = c.modules().settingsFor(moduleId);
        int threads = InferenceThreads.forModule(c, this::descriptor, moduleId, m.descriptor().resources().inferenceThreads(), false);
        long declaredMb = m.descriptor().resources().memoryMb();
        int heap = s.heapMb() != null ? s.heapMb() : (int) Math.max(512, Math.min(16_384, declaredMb > 0 ? declaredMb : 1024));
        return Optional.of(new ProcessModuleHost.WorkerSpec(moduleId, c.modules().dir(), c.modules().modelsDir(), c.server().dataDir(),
                s.config(), heap, threads, m.generation(), s.maxWorkerCrashes(), s.maxThreads(), s.cpus()));
    }

    /** A module whose workers keep dying is switched off (as an operator's disable) with the reason, both kept across restarts. */
    private void pauseCrashingModule(String moduleId, String reason) {
        try {
            switches.pause(moduleId, reason);
        } catch (IOException e) {
            LOG.error("Cannot record that module {} is paused: {}", moduleId, e.toString());
        }
        events.modulePaused(moduleId, reason);
    }

    /** Why RadFlow paused a module, or null. */
    public String pausedReason(String moduleId) {
        return switches.pausedReason(moduleId);
    }

    /** An operator's enable or disable: it replaces a pause's reason. */
    public void operatorSwitch(String moduleId, boolean enabled) throws IOException {
        switches.set(moduleId, enabled);
        scheduler.wake();
        if (!enabled && workers != null) {
            workers.retire(moduleId); // its idle workers go now; a running job finishes on its worker
        }
        if (enabled && registry != null && registry.find(moduleId).isPresent()) {
            checkLoadedModule(moduleId); // switched on: created now, so that it says at once if it cannot start
        }
    }

    private volatile boolean draining;
    private volatile java.util.function.Supplier<String> clusterGate;

    /** Split-brain protection from the cluster membership (null for a single node). */
    public void clusterGate(java.util.function.Supplier<String> gate) {
        this.clusterGate = gate;
        scheduler.claimGate(this::notClaimingBecause);
    }

    /** An operator's drain: this node stops claiming work (running jobs finish; it keeps receiving), or resumes. */
    public void drain(boolean on) {
        draining = on;
        scheduler.claimGate(this::notClaimingBecause);
    }

    public boolean draining() {
        return draining;
    }

    /** Why this node claims no work now, or null. */
    public String notClaimingBecause() {
        if (draining) {
            return "draining: an operator asked this node to stop taking work (POST /api/cluster/resume to take work again)";
        }
        java.util.function.Supplier<String> g = clusterGate;
        return g == null ? null : g.get();
    }

    /** The worker processes' supervisor. */
    public ProcessModuleHost workers() {
        return workers;
    }

    /** Modules in workers: a worker for each routed one starts now and loads its model there, never in the server. */
    public void warmUpWorkers() {
        workers.warmUp(config.rules().moduleIds());
    }

    /** Audit, metrics and webhooks hear every stage's events. */
    private void observe() {
        List<PipelineEvents> list = new ArrayList<>();
        notifier = new org.radflow.notify.Notifier(config.notifications(), config.server().nodeName(),
                config.server().dataDir().resolve("notifications"));
        org.radflow.notify.NotificationObserver n = new org.radflow.notify.NotificationObserver(notifier, journal);
        list.add(n);
        observers.add(n);
        observers.add(notifier);
        MetricsObserver m = new MetricsObserver(metrics, journal);
        list.add(m);
        observers.add(m);
        if (audit != null) {
            AuditObserver a = new AuditObserver(audit, journal);
            list.add(a);
            observers.add(a);
        }
        events = PipelineEvents.all(list);
        journal.addListener((job, e) -> events.jobChanged(job, e));
    }

    /** The listener's association observer: to audit and metrics. */
    public void associationEnded(AssociationSummary summary) {
        events.associationEnded(summary);
        Intake in = intake;
        if (summary.stored() > 0 && in != null) {
            // event-driven completion: once intake has passed this association's instances to the tracker, the tracker
            // hands on every series and study whose quiet period is over (at once with a quiet period of 0) instead of
            // waiting for its next once-a-second tick, which stays as the fallback (issue 16)
            in.afterTaken(() -> {
                try {
                    ScheduledExecutorService t = ticker;
                    if (t != null) {
                        t.execute(this::tick);
                    }
                } catch (java.util.concurrent.RejectedExecutionException closed) {
                    // shutting down
                }
            });
        }
    }

    private void tick() {
        try {
            tracker.tick();
        } catch (RuntimeException e) {
            LOG.error("Tracker tick failed: {}", e.toString(), e); // caught: a periodic task that throws is never run again
        }
    }

    private Path incoming() {
        return config.listener().spoolDir().toAbsolutePath().resolve("incoming");
    }

    private Optional<org.radflow.api.ModuleDescriptor> descriptor(String id) {
        return registry == null ? Optional.empty() : registry.find(id).map(LoadedModule::descriptor);
    }

    static Reporter.Retry reportRetry(RadflowConfig c) {
        return new Reporter.Retry(c.scheduler().maxAttempts(), c.scheduler().initialBackoff(), c.scheduler().maxBackoff());
    }

    /** Rules against the modules loaded now (modules can come and go while running). */
    public Router router() {
        return new Router(config.rules(), this::descriptor, registry::ids);
    }

    /** A module's queue limit: the configuration's, else its descriptor's. */
    public int queueLimit(String moduleId) {
        Integer o = config.modules().settingsFor(moduleId).queueLimit();
        return o != null ? o : descriptor(moduleId).map(d -> d.resources().queueLimit()).orElse(100);
    }

    /**
     * A drop-in module was just loaded (hot drop, replaced JAR, reload, new configuration): it is created now, where its
     * jobs would create it, so that a module that cannot start (a configuration value it rejects, a missing model) shows
     * its reason at once in GET /api/modules, the dashboard and the log (WARN), not at its first job. In-process modules
     * are created in the server (the instance is kept for the jobs); worker-process modules in a new worker, which is
     * kept warm for the next job: the server never runs a worker module's code itself (ARCHITECTURE: a module's
     * System.exit, native crash or OutOfMemoryError must cost a worker, never the server). Switched-off modules are
     * not created; they are when an operator switches them on.
     */
    private void checkLoadedModule(String id) {
        if (!switches.enabled(id)) {
            return;
        }
        if (isolation(id) == RadflowConfig.Isolation.PROCESS) {
            workers.checkInBackground(id);
            return;
        }
        ModuleRegistry r = registry;
        Threads.start("module-check", () -> {
            try (ModuleLease lease = r.acquire(id)) {
                LOG.debug("Module {} created after loading", lease.id());
            } catch (Exception | LinkageError e) {
                LOG.debug("Module {} cannot start: {}", id, e.getMessage()); // the registry logged why, at WARN
            }
        });
    }

    /**
     * Whether module {@code id} starts with {@code config} (a configuration reload's, not yet in force), where it would
     * run with {@code isolation}: in a throw-away worker, or created once in the server and closed. Null when it starts
     * (or is not loaded), else the reason. Blocks for as long as a module start takes.
     */
    public String trialConfig(String id, Map<String, Object> config, RadflowConfig.Isolation isolation) {
        if (registry == null || registry.find(id).isEmpty()) {
            return null;
        }
        if (isolation == RadflowConfig.Isolation.PROCESS) {
            Optional<ProcessModuleHost.WorkerSpec> spec = workerSpec(id);
            if (spec.isEmpty()) {
                return null;
            }
            ProcessModuleHost.WorkerSpec s = spec.get();
            return workers.trial(new ProcessModuleHost.WorkerSpec(s.moduleId(), s.modulesDir(), s.modelsDir(), s.dataDir(), config,
                    s.heapMb(), s.inferenceThreads(), s.generation(), s.maxWorkerCrashes(), s.maxThreads(), s.cpus()));
        }
        return registry.trial(id, config);
    }

    /**
     * Creates each enabled module now, on a background thread, so that its model is loaded (or why it cannot be
     * shows in the log and in GET /api/modules) at start rather than at its first job. A module that fails here is
     * tried again by its first job.
     */
    private void warmUpModules() {
        ModuleRegistry r = registry;
        Threads.start("module-warmup", () -> {
            for (String id : r.ids()) {
                if (!switches.enabled(id) || isolation(id) == RadflowConfig.Isolation.PROCESS) {
                    continue;
                }
                try (ModuleLease lease = r.acquire(id)) {
                    LOG.debug("Module {} ready", lease.id());
                } catch (Exception | LinkageError e) {
                    LOG.debug("Module {} not ready at start: {}", id, e.getMessage()); // the registry logged why
                }
            }
        });
    }

    // ------------------------------------------------------------------------------ the configuration in force

    public RadflowConfig config() {
        return config;
    }

    /**
     * Puts a reloaded configuration in force where it applies while running (see ConfigReload): scheduler policy and
     * lanes, report retries, and the given senders for changed destinations.
     */
    public void apply(RadflowConfig running, Map<String, Sender> changedSenders) {
        this.config = running;
        if (scheduler != null) {
            scheduler.updateSettings(running.scheduler());
        }
        if (reporter != null) {
            reporter.updateRetry(reportRetry(running));
        }
        if (notifier != null) {
            notifier.update(running.notifications());
        }
        if (changedSenders != null && outbox != null) {
            senders.clear();
            senders.putAll(changedSenders);
            outbox.replaceSenders(changedSenders);
        }
    }

    // ------------------------------------------------------------------------------ the stages, for the API

    public Intake intake() {
        return intake;
    }

    /** What the DICOM listener asks before each C-STORE (intake throttling); open until {@link #start}. */
    public org.radflow.listener.IntakeGate intakeGate() {
        org.radflow.intake.IntakeThrottle t = throttle;
        return t == null ? org.radflow.listener.IntakeGate.OPEN : t;
    }

    /** True while intake is throttled (too many jobs wait: the listener answers A700). */
    public boolean intakeThrottled() {
        return throttle != null && throttle.throttled();
    }

    public JobJournal journal() {
        return journal;
    }

    /** The journal's read side, for the API. */
    public JobQueries queries() {
        return queries;
    }

    public ModuleRegistry registry() {
        return registry;
    }

    public ModuleSwitches switches() {
        return switches;
    }

    public Scheduler scheduler() {
        return scheduler;
    }

    public JobPlanner planner() {
        return planner;
    }

    public ResultStore results() {
        return results;
    }

    public ReceivedStudies studies() {
        return studies;
    }

    /** The received-studies index the studies API reads. */
    public org.radflow.intake.StudyIndex studyIndex() {
        return studyIndex;
    }

    /** The webhooks' sender (GET /api/notifications). */
    public org.radflow.notify.Notifier notifier() {
        return notifier;
    }

    public Outbox outbox() {
        return outbox;
    }

    /** The senders in use, by destination (a reload replaces changed ones). */
    public Map<String, Sender> senders() {
        return Map.copyOf(senders);
    }

    public Vertx vertx() {
        return vertx;
    }

    /**
     * Stops in flow order: nothing new is tracked or planned, running jobs end (unfinished ones are queued again at
     * the next start), reports under way are written, deliveries stop, then the journal closes.
     */
    @Override
    public void close() {
        if (ticker != null) {
            ticker.shutdownNow();
        }
        if (retentionSweeper != null) {
            retentionSweeper.shutdownNow();
        }
        closeQuietly(cluster);
        for (AutoCloseable stage : new AutoCloseable[]{throttle, intake, studyIndex, planner, scheduler, workers, reporter, outbox, registry, inference}) {
            closeQuietly(stage);
        }
        observers.forEach(Pipeline::closeQuietly);
        closeQuietly(journal);
        closeQuietly(store);
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            LOG.warn("Closing {} failed: {}", c.getClass().getSimpleName(), e.toString());
        }
    }
}
