package org.radflow.host;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.radflow.api.JobContext;
import org.radflow.api.ModuleException;
import org.radflow.api.ModuleResult;
import org.radflow.config.RadflowConfig;
import org.radflow.host.worker.JobRequest;
import org.radflow.host.worker.WorkerMain;
import org.radflow.pixels.InputHeaders;
import org.radflow.jobs.Job;
import org.radflow.pipeline.Threads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Runs a module's jobs in worker JVMs ({@link WorkerMain}) that it starts and supervises: a worker loads the module
 * and its model once and serves jobs until it dies or is retired. Whatever the module does to its process — exits,
 * halts, runs out of memory, crashes in native code, spins past its timeout, floods threads or output, stops
 * answering — costs that worker, never the server: the job gets a reason a person can read and the next job gets a
 * fresh worker. A timed-out or cancelled job's worker is stopped (TERM, then KILL after a grace period), so no CPU
 * keeps burning.
 *
 * <p>Workers per module are bounded by the scheduler's lane (one job per worker at a time). Once a second a sweep
 * retires idle workers that are dead, silent, of a replaced generation or configuration, of a module switched off or
 * removed, or idle past {@code workers.idleMinutes} (one per routed module is kept warm), and starts a worker for a
 * routed module that has none, with back-off when its workers cannot start.
 */
public final class ProcessModuleHost implements ModuleHost, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessModuleHost.class);
    private static final Duration MAX_START_BACKOFF = Duration.ofSeconds(60);

    /** What a worker is started with. */
    public record WorkerSpec(String moduleId, Path modulesDir, Path modelsDir, Path dataDir, Map<String, Object> config,
                             int heapMb, int inferenceThreads, int generation, int maxWorkerCrashes, int maxThreads, String cpus) {
    }

    /** What the host asks the server about modules, read at each use (configuration and modules change while running). */
    public interface Environment {
        /** What a module's worker is started with now; empty when the module is not loaded. */
        Optional<WorkerSpec> spec(String moduleId);

        /** Whether this module's workers should be kept: loaded, enabled, {@code isolation: process}. */
        boolean wanted(String moduleId);

        /** Whether a worker should be kept ready for this module (a rule routes to it). */
        boolean keepWarm(String moduleId);

        RadflowConfig.Workers settings();

        /** Told when a module's workers died {@code maxWorkerCrashes} times in a row: it should be paused. */
        void crashLimit(String moduleId, String reason);

        /**
         * Where a job's input headers come from: the server's header cache (read once at intake), so that neither the
         * host nor the worker opens an input file again for its header (issue 16). By default each is read from its file.
         */
        default InputHeaders headers() {
            return InputHeaders.FILES;
        }

        /** Told after each worker start: null when the worker created the module, else why it could not. */
        default void workerStarted(WorkerSpec spec, String failure) {
        }
    }

    private final Environment env;
    private final Map<String, Pool> pools = new ConcurrentHashMap<>();
    private final ScheduledExecutorService sweeper = Threads.scheduled("workers");
    /** Workers started ahead of jobs boot one at a time: several JVMs starting at once would starve the server. */
    private final ExecutorService starter = Threads.single("worker-start");
    private volatile boolean closed;

    public ProcessModuleHost(Environment env) {
        this.env = env;
        sweeper.scheduleWithFixedDelay(() -> {
            try {
                sweep();
            } catch (RuntimeException e) {
                LOG.error("Worker sweep failed: {}", e.toString(), e); // caught: a periodic task that throws is never run again
            }
        }, 1, 1, TimeUnit.SECONDS);
    }

    @Override
    public ModuleResult run(Job job, JobContext context, RunRecorder recorder) throws Exception {
        WorkerSpec spec = env.spec(job.moduleId())
                .orElseThrow(() -> new ModuleException("module " + job.moduleId() + " is not loaded", true, null));
        byte[] request;
        try {
            // before a worker is taken: an input that cannot be read fails the job as in-process, costing no worker
            request = JobRequest.encode(job.id(), job.studyUid(), job.inputFiles(), env.headers());
        } catch (IOException | IllegalArgumentException e) {
            throw new ModuleException("cannot read the job's input files: " + e.getMessage(), e);
        }
        Pool pool = pool(spec.moduleId());
        WorkerProcess w;
        try {
            w = borrow(pool, spec);
        } catch (ModuleException cannotStart) {
            if (!Thread.currentThread().isInterrupted()) {
                crashed(pool, spec, cannotStart.getMessage());
            }
            throw cannotStart;
        }
        boolean reusable = false;
        try {
            ModuleResult result = w.run(job, request, context, env.settings().heartbeatTimeout(), recorder);
            reusable = w.alive();
            pool.crashesInARow = 0;
            return result;
        } catch (ModuleException e) {
            reusable = w.alive(); // the module's own failure: the worker carries on
            if (reusable) {
                pool.crashesInARow = 0;
            } else if (!Thread.currentThread().isInterrupted()) { // a timeout or cancel stops the worker on purpose
                pool.crashes.incrementAndGet();
                crashed(pool, spec, e.getMessage());
            }
            throw e;
        } finally {
            synchronized (pool) {
                pool.busy.remove(w);
                w.busy = false;
                w.idleSince = System.nanoTime();
                if (reusable && !closed) {
                    pool.idle.push(w);
                    w = null;
                }
            }
            if (w != null) {
                w.stop();
            }
        }
    }

    private Pool pool(String moduleId) {
        return pools.computeIfAbsent(moduleId, Pool::new);
    }

    private void crashed(Pool pool, WorkerSpec spec, String why) {
        int n;
        synchronized (pool) {
            n = ++pool.crashesInARow;
            if (n >= spec.maxWorkerCrashes()) {
                pool.crashesInARow = 0;
            }
        }
        if (n >= spec.maxWorkerCrashes()) {
            String reason = n + " worker(s) in a row died during jobs or could not start (modules." + spec.moduleId()
                    + ".maxWorkerCrashes: " + spec.maxWorkerCrashes() + "); the last: " + why;
            LOG.error("Module {} paused: {}. Fix or replace the module, then enable it (POST /api/modules/{}/enable)",
                    spec.moduleId(), reason, spec.moduleId());
            env.crashLimit(spec.moduleId(), reason);
        }
    }

    /** An idle worker of this spec, else a new one (after the back-off, when the module's last start failed). */
    private WorkerProcess borrow(Pool pool, WorkerSpec spec) throws ModuleException {
        while (true) {
            WorkerProcess w;
            synchronized (pool) {
                // a worker booting ahead of jobs is this job's: wait for it rather than boot a second JVM beside it
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
                while (pool.starting && pool.idle.isEmpty() && System.nanoTime() < until) {
                    try {
                        pool.wait(1000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new ModuleException("interrupted while its worker was starting", false, null);
                    }
                }
                w = pool.idle.poll();
                if (w != null) {
                    if (w.alive() && w.spec.equals(spec)) {
                        w.busy = true;
                        pool.busy.add(w);
                        return w;
                    }
                }
            }
            if (w == null) {
                break;
            }
            retire(w, w.alive() ? "a new generation or configuration of the module" : "it died while idle");
        }
        WorkerProcess w = startWorker(pool, spec, true);
        synchronized (pool) {
            w.busy = true;
            pool.busy.add(w);
        }
        return w;
    }

    private WorkerProcess startWorker(Pool pool, WorkerSpec spec, boolean waitForBackoff) throws ModuleException {
        long wait = pool.notBefore - System.nanoTime();
        if (wait > 0) {
            if (!waitForBackoff) {
                throw new ModuleException("waiting", true, null);
            }
            try {
                TimeUnit.NANOSECONDS.sleep(wait); // restarted with back-off: a module that cannot start is not started in a loop
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ModuleException("worker start interrupted", true, null);
            }
        }
        try {
            WorkerProcess w = WorkerProcess.start(spec, env.settings().outputLimitBytes());
            pool.starts.incrementAndGet();
            synchronized (pool) {
                pool.startFailures = 0;
                pool.notBefore = 0;
                pool.problem = null;
            }
            env.workerStarted(spec, null);
            return w;
        } catch (ModuleException e) {
            if (!Thread.currentThread().isInterrupted()) {
                pool.failedStarts.incrementAndGet();
                synchronized (pool) {
                    pool.startFailures++;
                    long backoff = Math.min(MAX_START_BACKOFF.toNanos(), TimeUnit.SECONDS.toNanos(1L << Math.min(pool.startFailures - 1, 20)));
                    pool.notBefore = System.nanoTime() + backoff;
                    pool.problem = e.getMessage();
                    pool.problemAt = Instant.now();
                }
                LOG.error("Module {}: {} (next try in {} s at the earliest)", spec.moduleId(), e.getMessage(),
                        TimeUnit.NANOSECONDS.toSeconds(pool.notBefore - System.nanoTime()));
                env.workerStarted(spec, e.getMessage());
            }
            throw e;
        }
    }

    /** Retires idle workers that should go and keeps one ready for each routed module. */
    void sweep() {
        if (closed) {
            return;
        }
        RadflowConfig.Workers settings = env.settings();
        for (Pool pool : List.copyOf(pools.values())) {
            String id = pool.moduleId;
            boolean wanted = env.wanted(id);
            Optional<WorkerSpec> spec = wanted ? env.spec(id) : Optional.empty();
            boolean warm = wanted && env.keepWarm(id);
            List<WorkerProcess> go = new ArrayList<>();
            List<String> why = new ArrayList<>();
            synchronized (pool) {
                for (WorkerProcess w : List.copyOf(pool.idle)) {
                    String reason = !w.process.isAlive() ? "it died while idle"
                            : !w.alive() ? null // the host is stopping it already
                            : w.silentFor().compareTo(settings.heartbeatTimeout()) > 0
                            ? "no heartbeat for " + w.silentFor().toSeconds() + " s while idle"
                            : !wanted ? "the module is switched off, removed or runs in-process now"
                            : spec.isEmpty() || !spec.get().equals(w.spec) ? "a new generation or configuration of the module"
                            : idleTooLong(pool, w, settings, warm) ? "idle for " + settings.idleTimeout().toMinutes()
                            + " min (workers.idleMinutes)" : null;
                    if (reason != null || !w.alive()) {
                        if (!w.process.isAlive() && !w.stoppedByHost()) {
                            pool.crashes.incrementAndGet(); // died on its own while idle (the host had not begun to stop it)
                        }
                        pool.idle.remove(w);
                        go.add(w);
                        why.add(reason == null ? "stopped by the host" : reason);
                    }
                }
            }
            for (int i = 0; i < go.size(); i++) {
                retire(go.get(i), why.get(i));
            }
            if (warm && spec.isPresent()) {
                prestartInBackground(pool, spec.get());
            }
        }
    }

    private static boolean idleTooLong(Pool pool, WorkerProcess w, RadflowConfig.Workers settings, boolean warm) {
        if (settings.idleTimeout().isZero() || System.nanoTime() - w.idleSince < settings.idleTimeout().toNanos()) {
            return false;
        }
        // one worker per routed module is kept ready: the most recently used, at the head of the idle queue
        return !warm || pool.idle.size() + pool.busy.size() > 1 && pool.idle.peek() != w;
    }

    /** Starts a worker for the module now and keeps it for the module's next job; returns once it is ready. */
    public void prestart(String moduleId) throws ModuleException {
        WorkerSpec spec = env.spec(moduleId).orElseThrow(() -> new ModuleException("module " + moduleId + " is not loaded", true, null));
        Pool pool = pool(moduleId);
        WorkerProcess w = startWorker(pool, spec, true);
        synchronized (pool) {
            w.idleSince = System.nanoTime();
            pool.idle.push(w);
        }
    }

    /**
     * Starts a worker for the module's current generation and configuration in the background, whatever the back-off of
     * earlier failures (this is one start for a new generation, not a restart loop), and keeps it for the module's next
     * job: how a newly loaded module in worker processes is created at once, in a worker, so that a module that cannot
     * start says so now ({@link Environment#workerStarted}) rather than at its first job. Returns at once.
     */
    public void checkInBackground(String moduleId) {
        if (closed) {
            return;
        }
        Pool pool = pool(moduleId);
        // on the single starter thread: after a start under way (perhaps of the previous generation) has ended
        starter.execute(() -> {
            Optional<WorkerSpec> spec = !closed && env.wanted(moduleId) ? env.spec(moduleId) : Optional.empty();
            if (spec.isEmpty()) {
                return;
            }
            synchronized (pool) {
                boolean started = java.util.stream.Stream.concat(pool.idle.stream(), pool.busy.stream())
                        .anyMatch(w -> w.alive() && w.spec.equals(spec.get()));
                if (started) {
                    return; // a worker of this generation and configuration runs: it has created the module
                }
                pool.starting = true;
                pool.notBefore = 0;
            }
            try {
                WorkerProcess w = startWorker(pool, spec.get(), false);
                boolean keep;
                synchronized (pool) {
                    keep = !closed;
                    if (keep) {
                        w.idleSince = System.nanoTime();
                        pool.idle.push(w);
                    }
                }
                if (!keep) {
                    w.stop();
                }
            } catch (ModuleException e) {
                LOG.debug("Module {}: check of its new generation failed: {}", moduleId, e.getMessage()); // startWorker logged it
            } finally {
                synchronized (pool) {
                    pool.starting = false;
                    pool.notifyAll();
                }
            }
        });
    }

    /**
     * Starts a throw-away worker with {@code spec} (a configuration not yet in force), waits until it has created the
     * module or said why it cannot, and stops it: null when the module starts, else the reason. Blocks for as long as
     * a worker start takes (at most about two minutes). Counts in no figure and leaves the module's workers alone.
     */
    public String trial(WorkerSpec spec) {
        try {
            WorkerProcess w = WorkerProcess.start(spec, env.settings().outputLimitBytes());
            w.stop();
            return null;
        } catch (ModuleException e) {
            return e.getMessage();
        }
    }

    /** Starts a worker in the background for a module that has none, unless one is starting or its starts back off. */
    private void prestartInBackground(Pool pool, WorkerSpec spec) {
        synchronized (pool) {
            if (pool.starting || !pool.idle.isEmpty() || !pool.busy.isEmpty() || pool.notBefore - System.nanoTime() > 0) {
                return;
            }
            pool.starting = true;
        }
        starter.execute(() -> {
            try {
                WorkerProcess w = startWorker(pool, spec, false);
                boolean keep;
                synchronized (pool) {
                    keep = !closed;
                    if (keep) {
                        w.idleSince = System.nanoTime();
                        pool.idle.addLast(w);
                    }
                }
                if (!keep) {
                    w.stop();
                }
            } catch (ModuleException e) {
                LOG.debug("Module {}: no worker ready in advance: {}", spec.moduleId(), e.getMessage());
            } finally {
                synchronized (pool) {
                    pool.starting = false;
                    pool.notifyAll(); // a job waiting for this worker
                }
            }
        });
    }

    /** Starts a worker for each of these modules now, in the background (at server start: models load before the first job). */
    public void warmUp(Iterable<String> moduleIds) {
        for (String id : moduleIds) {
            if (env.wanted(id)) {
                env.spec(id).ifPresent(s -> prestartInBackground(pool(id), s));
            }
        }
    }

    private static void retire(WorkerProcess w, String why) {
        LOG.info("Module {}: {} retired: {}", w.spec.moduleId(), w.name, why);
        w.stop();
    }

    /** Stops every idle worker of a module now (switched off, replaced); running jobs finish on theirs. */
    public void retire(String moduleId) {
        Pool pool = pools.get(moduleId);
        if (pool == null) {
            return;
        }
        List<WorkerProcess> go;
        synchronized (pool) {
            go = List.copyOf(pool.idle);
            pool.idle.clear();
        }
        go.forEach(w -> retire(w, "retired by the server"));
    }

    /** Worker figures by module for the metrics: live processes now, and starts, failed starts and crashes so far. */
    public Map<String, Figures> figures() {
        Map<String, Figures> out = new TreeMap<>();
        for (Pool pool : List.copyOf(pools.values())) {
            int live;
            synchronized (pool) {
                live = (int) Stream.concat(pool.idle.stream(), pool.busy.stream()).filter(w -> w.process.isAlive()).count();
            }
            out.put(pool.moduleId, new Figures(live, pool.starts.get(), pool.failedStarts.get(), pool.crashes.get()));
        }
        return out;
    }

    /**
     * One module's workers: alive now; since the server started, started, failed to start, and lost (died or were stopped
     * for misbehaving during a job, as counted towards maxWorkerCrashes, or died on their own while idle).
     */
    public record Figures(int live, long starts, long failedStarts, long crashes) {
    }

    /** A module's workers for the API: each worker, and why its workers cannot start, when they cannot. */
    public JsonObject status(String moduleId) {
        Pool pool = pools.get(moduleId);
        JsonObject o = new JsonObject().put("workers", new JsonArray());
        if (pool == null) {
            return o.put("health", "no worker yet");
        }
        synchronized (pool) {
            pool.busy.forEach(w -> o.getJsonArray("workers").add(w.describe()));
            pool.idle.forEach(w -> o.getJsonArray("workers").add(w.describe()));
            o.put("health", pool.problem != null ? "unhealthy" : pool.idle.isEmpty() && pool.busy.isEmpty()
                    ? (pool.starting ? "starting" : "no worker running") : "ok");
            o.put("problem", pool.problem).put("problemAt", pool.problemAt == null ? null : pool.problemAt.toString());
            o.put("crashesInARow", pool.crashesInARow);
        }
        return o;
    }

    @Override
    public void close() {
        closed = true;
        Threads.shutdown(sweeper, 5, TimeUnit.SECONDS);
        starter.shutdownNow();
        Threads.shutdown(starter, 10, TimeUnit.SECONDS);
        pools.keySet().forEach(this::retire);
    }

    /** One module's workers. Guarded by itself. */
    private static final class Pool {
        final String moduleId;
        final Deque<WorkerProcess> idle = new ArrayDeque<>();
        final Set<WorkerProcess> busy = ConcurrentHashMap.newKeySet();
        /** Workers that died during a job (or could not start) in a row; a finished job resets it. */
        volatile int crashesInARow;
        volatile int startFailures;
        volatile long notBefore;
        volatile boolean starting;
        volatile String problem;
        volatile Instant problemAt;
        /** For the metrics, never reset: workers started, starts that failed, workers lost (see {@link Figures}). */
        final AtomicLong starts = new AtomicLong();
        final AtomicLong failedStarts = new AtomicLong();
        final AtomicLong crashes = new AtomicLong();

        Pool(String moduleId) {
            this.moduleId = moduleId;
        }
    }
}
