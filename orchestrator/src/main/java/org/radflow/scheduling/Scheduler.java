package org.radflow.scheduling;

import org.radflow.jobs.Job;
import org.radflow.jobs.JobJournal;
import org.radflow.jobs.JobState;
import org.radflow.jobs.Lease;
import org.radflow.jobs.ModuleRun;
import org.radflow.host.ModuleFailure;
import org.radflow.host.RunRecorder;

import org.radflow.api.JobContext;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleException;
import org.radflow.api.ModuleResult;
import org.radflow.host.InProcessHost;
import org.radflow.host.ModuleHost;
import org.radflow.pipeline.Refused;
import org.radflow.pipeline.Threads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs journaled jobs, each module in its own lane: its own threads, its own concurrency limit and
 * its own timeout, so one module failing, hanging or flooded never delays another's jobs.
 *
 * <p>One dispatcher thread moves jobs from the journal's queue into free lane slots; a watchdog
 * times out jobs that run too long: the job is marked TIMED_OUT, its thread interrupted and
 * abandoned (its slot goes back to the lane at once, and a late result is discarded). A module
 * whose abandoned threads pile up beyond a limit is paused rather than allowed to exhaust the JVM.
 *
 * <p>Each claimed job is held under a lease in the journal, renewed every third of its duration while the module runs
 * and while the report stage writes its reports. Every journal write that moves a job on is fenced by that lease: once
 * another node took a job over (its lease had lapsed), this node's result is discarded. A sweep re-queues the jobs of
 * any node whose lease lapsed.
 */
public final class Scheduler implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Scheduler.class);

    private final JobJournal journal;
    private final ModuleCatalog catalog;
    private final ModuleHost host;
    private final ResultHandoff reporter;
    private volatile SchedulerSettings settings;
    /** Operator switches (API enable/disable) on top of the configuration; null: the configuration alone. */
    private volatile java.util.function.Predicate<String> enabled;
    private final Map<String, Lane> lanes = new ConcurrentHashMap<>();
    private final Object signal = new Object();
    private final ScheduledExecutorService watchdog = Threads.scheduled("watchdog");
    /** When a lease renewal last reached the store (System.nanoTime). */
    private volatile long lastRenewal = System.nanoTime();

    /** Lease renewal and the sweep for lapsed leases: store round trips kept off the watchdog's clock. */
    private final ScheduledExecutorService leases = Threads.scheduled("leases");
    private volatile boolean running;
    private Thread dispatcher;

    /** Modules run in this JVM ({@link InProcessHost}). */
    public Scheduler(JobJournal journal, ModuleCatalog catalog, InputFactory inputs, ResultHandoff reporter, SchedulerSettings settings) {
        this(journal, catalog, new InProcessHost(catalog, inputs), reporter, settings);
    }

    /**
     * @param catalog  the modules there are (a lane each)
     * @param host     where a job's module call runs
     * @param reporter the report stage, which takes over each completed result
     */
    public Scheduler(JobJournal journal, ModuleCatalog catalog, ModuleHost host, ResultHandoff reporter, SchedulerSettings settings) {
        this.journal = journal;
        this.catalog = catalog;
        this.host = host;
        this.reporter = reporter;
        this.settings = settings;
    }

    /** A module's lane: threads, limits and the jobs it is running. */
    final class Lane {
        final String moduleId;
        final ExecutorService threads;
        final Map<String, Running> active = new ConcurrentHashMap<>();
        final AtomicInteger abandoned = new AtomicInteger();
        /** Attempts on this node since start whose module completed its result (reports are written after). */
        final AtomicInteger completed = new AtomicInteger();
        /** Attempts on this node since start the module failed, retried ones included (not timeouts or cancels). */
        final AtomicInteger failed = new AtomicInteger();
        volatile boolean paused;

        Lane(String moduleId) {
            this.moduleId = moduleId;
            // unbounded thread count on purpose: the dispatcher bounds concurrency, and a thread abandoned
            // by a timeout must not take the lane's capacity with it
            this.threads = Threads.cached("module-" + moduleId);
        }

        int maxConcurrent(ModuleDescriptor d) {
            Integer o = settings.lane(moduleId).maxConcurrentJobs();
            return o != null ? o : d.resources().maxConcurrentJobs();
        }

        Duration timeout(ModuleDescriptor d) {
            Duration o = settings.lane(moduleId).timeout();
            return o != null ? o : d.timeout();
        }
    }

    /** A job on a lane thread; told by the host which module generation runs it ({@link RunRecorder}). */
    static final class Running implements JobContext, RunRecorder {
        /** Replaced once when the job's inputs are fetched to this node (a cluster). */
        volatile Job job;
        final Instant started = Instant.now();
        final Duration timeout;
        final AtomicBoolean cancelled = new AtomicBoolean();
        /** Set when a renewal found the job's lease taken over: whatever the module returns is discarded. */
        final AtomicBoolean leaseLost = new AtomicBoolean();
        final JobJournal journal;
        volatile Thread thread;
        volatile long lastProgressWrite;
        /** Counted down when the module call returns (or throws): the lane's thread is free again, whatever the pool does with it. */
        final java.util.concurrent.CountDownLatch returned = new java.util.concurrent.CountDownLatch(1);

        /** The attempt failed (retried later or FAILED): logged at WARN. */
        volatile boolean failed;
        /** What the host said runs this attempt; null until it acquired the module (or when it never did). */
        volatile ModuleRun run;

        Running(Job job, Duration timeout, JobJournal journal) {
            this.job = job;
            this.timeout = timeout;
            this.journal = journal;
        }

        @Override
        public void running(String version, int generation, String sha256, org.radflow.api.ModelIdentity model,
                            String isolation) {
            run = new ModuleRun(job.attempts(), version, generation, sha256, model.name(), model.version(), model.demo(), -1,
                    isolation, journal.nodeName());
        }

        @Override
        public void moduleTime(long nanos) {
            ModuleRun r = run;
            if (r != null) {
                run = new ModuleRun(r.attempt(), r.version(), r.generation(), r.sha256(), r.modelName(), r.modelVersion(),
                        r.demoModel(), java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(nanos), r.isolation(), r.node());
            }
        }

        @Override
        public String jobId() {
            return job.id();
        }

        @Override
        public void progress(double fraction, String message) {
            long now = System.nanoTime();
            if (now - lastProgressWrite < 200_000_000L && fraction < 1) {
                return; // at most five journal writes a second per job
            }
            lastProgressWrite = now;
            try {
                if (job.lease() == null) {
                    journal.progress(job.id(), fraction, message);
                } else {
                    journal.progress(job.lease(), fraction, message);
                }
            } catch (SQLException e) {
                LOG.debug("progress of {} not recorded: {}", job.id(), e.toString());
            }
        }

        @Override
        public boolean isCancelled() {
            return cancelled.get() || leaseLost.get() || Thread.currentThread().isInterrupted();
        }
    }

    public void start() throws SQLException {
        for (JobJournal.Recovered r : journal.recoverRunning(settings.maxAttempts())) {
            if (r.failed()) {
                LOG.error("Job {} of module {} was running when the server stopped ({} time(s)); it used all {} attempts and is "
                        + "FAILED, not run again: it may be what stops the server", r.jobId(), r.moduleId(), r.serverStops(),
                        settings.maxAttempts());
            } else {
                LOG.warn("Job {} of module {} was running when the server stopped (attempt {} of {}); it is queued again",
                        r.jobId(), r.moduleId(), r.attempts(), settings.maxAttempts());
            }
        }
        running = true;
        dispatcher = Threads.start("dispatcher", this::dispatchLoop);
        watchdog.scheduleWithFixedDelay(this::checkTimeouts, 200, 200, TimeUnit.MILLISECONDS);
        // other nodes' jobs whose lease already lapsed are taken back at once, then every few seconds
        leases.execute(this::sweepLoop);
        leases.schedule(this::renewLoop, renewEvery().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** How often held leases are renewed: three renewals fit in one lease, so one lost round trip loses nothing. */
    private Duration renewEvery() {
        return settings.lease().dividedBy(3);
    }

    private void renewLoop() {
        try {
            renewLeases();
        } catch (RuntimeException e) {
            LOG.error("Lease renewal error (continuing): {}", e.toString(), e);
        }
        reschedule(this::renewLoop, renewEvery());
    }

    private void sweepLoop() {
        try {
            sweepExpiredLeases();
        } catch (RuntimeException e) {
            LOG.error("Lease sweep error (continuing): {}", e.toString(), e);
        }
        Duration every = renewEvery();
        reschedule(this::sweepLoop, every.compareTo(Duration.ofSeconds(5)) < 0 ? every : Duration.ofSeconds(5));
    }

    private void reschedule(Runnable task, Duration after) {
        if (!running) {
            return;
        }
        try {
            leases.schedule(task, after.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // shutting down
        }
    }

    /**
     * Extends the leases of the jobs this node runs and of those whose reports are being written; a job whose lease is
     * gone (another node took it over after it lapsed) is told so: its module is asked to stop and its result is
     * discarded. Package-visible for tests.
     */
    void renewLeases() {
        List<Lease> held = new ArrayList<>();
        for (Lane lane : lanes.values()) {
            for (Running r : lane.active.values()) {
                if (r.job.lease() != null && !r.leaseLost.get()) {
                    held.add(r.job.lease());
                }
            }
        }
        held.addAll(reporter.leasesHeld());
        java.util.Set<String> gone;
        try {
            gone = journal.renew(held, settings.lease());
            lastRenewal = System.nanoTime();
        } catch (SQLException e) {
            long since = System.nanoTime() - lastRenewal;
            if (since < settings.lease().toNanos() || held.isEmpty()) {
                LOG.warn("Could not renew the leases of {} running job(s) ({}); they lapse {} s after the last renewal unless a "
                        + "later one reaches the store", held.size(), e.toString(), settings.lease().toSeconds());
                return;
            }
            // cut off from the store for a whole lease (a network partition): other nodes have surely re-queued these
            // jobs; stop them here rather than keep a worker busy on a result that will be discarded
            LOG.warn("No lease renewal reached the store for {} s ({}): the {} job(s) this node runs are taken as lost",
                    java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(since), e.toString(), held.size());
            java.util.Set<String> all = new java.util.HashSet<>();
            held.forEach(l -> all.add(l.jobId()));
            gone = all;
        }
        for (String id : gone) {
            leaseLost(id);
        }
    }

    private void leaseLost(String jobId) {
        for (Lane lane : lanes.values()) {
            Running r = lane.active.get(jobId);
            if (r != null && !r.cancelled.get() && r.leaseLost.compareAndSet(false, true)) {
                LOG.warn("Job {} of module {}: this node's lease on it is gone (it lapsed and the job was re-queued or taken "
                        + "over by another node); the module is asked to stop and its result will be discarded", jobId, lane.moduleId);
                Thread t = r.thread;
                if (t != null) {
                    t.interrupt();
                }
                return;
            }
        }
        // not on a lane: the report stage may hold it (it ignores ids it finished meanwhile)
        reporter.leaseLost(jobId);
    }

    /** Queues again (or fails, past their attempts) the running jobs of any node whose lease lapsed. Package-visible for tests. */
    void sweepExpiredLeases() {
        List<JobJournal.Recovered> recovered;
        try {
            recovered = journal.recoverExpired(settings.maxAttempts());
        } catch (SQLException e) {
            LOG.warn("Could not look for jobs whose lease lapsed: {}", e.toString());
            return;
        }
        for (JobJournal.Recovered r : recovered) {
            String who = journal.nodeName().equals(r.owner()) ? "this node (" + r.owner() + ")" : "node " + r.owner();
            if (r.failed()) {
                LOG.error("Job {} of module {} was running on {}, whose lease on it lapsed ({} time(s) cut off); it used all {} "
                        + "attempts and is FAILED, not run again", r.jobId(), r.moduleId(), who, r.serverStops(), settings.maxAttempts());
            } else {
                LOG.warn("Job {} of module {} was running on {}, whose lease on it lapsed (attempt {} of {}); it is queued again",
                        r.jobId(), r.moduleId(), who, r.attempts(), settings.maxAttempts());
            }
        }
        if (!recovered.isEmpty()) {
            wake();
        }
    }

    /** New settings from a configuration reload: limits, timeouts and retry policy apply to jobs started from now on. */
    public void updateSettings(SchedulerSettings next) {
        this.settings = next;
        wake();
    }

    private volatile java.util.function.BiConsumer<String, String> pauseListener = (id, reason) -> { };

    /** Told (module id, reason) when a lane is paused because too many of its threads are stuck; must be quick. */
    public void onPause(java.util.function.BiConsumer<String, String> listener) {
        this.pauseListener = listener;
    }

    /** Whether a module may start jobs (an operator's enable/disable); replaces the configuration's {@code enabled}. */
    public void enabledCheck(java.util.function.Predicate<String> check) {
        this.enabled = check;
        wake();
    }

    /**
     * Brings a claimed job's inputs to this node when they are elsewhere (a cluster); returns the job with its inputs here
     * (the same job when they already were), or throws a transient {@link org.radflow.api.ModuleException} naming what
     * is missing.
     */
    @FunctionalInterface
    public interface InputPlacement {
        Job localize(Job job) throws org.radflow.api.ModuleException;
    }

    private volatile InputPlacement inputs;

    public void inputPlacement(InputPlacement p) {
        this.inputs = p;
    }

    /** Why this node may not claim work now (draining, a cluster below its minimum size), or null; checked at each dispatch. */
    private volatile java.util.function.Supplier<String> claimGate;
    private volatile String notClaiming;

    /** What decides whether this node claims work at all; running jobs and the lease sweep carry on either way. */
    public void claimGate(java.util.function.Supplier<String> gate) {
        this.claimGate = gate;
        wake();
    }

    /** Why this node claims no work now, or null when it does. */
    public String notClaimingBecause() {
        return notClaiming;
    }

    /** Something was queued or a slot came free: dispatch now rather than at the next poll. */
    public void wake() {
        synchronized (signal) {
            woken = true;
            signal.notifyAll();
        }
    }

    /** A wake-up that came while the dispatcher was busy: it dispatches again at once instead of sleeping a poll interval. */
    private boolean woken;

    private void dispatchLoop() {
        while (running) {
            synchronized (signal) {
                woken = false;
            }
            try {
                dispatchOnce();
            } catch (Exception e) {
                LOG.error("Dispatcher error (continuing): {}", e.toString(), e);
            }
            synchronized (signal) {
                try {
                    if (!woken) {
                        signal.wait(settings.pollInterval().toMillis());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Fills every lane's free slots from the queue; package-visible for tests. */
    void dispatchOnce() throws SQLException {
        java.util.function.Supplier<String> gate = claimGate;
        String no = gate == null ? null : gate.get();
        if (!java.util.Objects.equals(no, notClaiming)) {
            if (no != null) {
                LOG.warn("Not claiming work: {}", no);
            } else {
                LOG.info("Claiming work again");
            }
            notClaiming = no;
        }
        if (no != null) {
            return;
        }
        for (ModuleDescriptor d : catalog.descriptors()) {
            Lane lane = lanes.computeIfAbsent(d.id(), Lane::new);
            java.util.function.Predicate<String> check = this.enabled;
            boolean on = check != null ? check.test(d.id()) : !Boolean.FALSE.equals(settings.lane(d.id()).enabled());
            if (lane.paused || !on) {
                continue;
            }
            int free = lane.maxConcurrent(d) - lane.active.size();
            if (free <= 0) {
                continue;
            }
            for (Job started : journal.claim(d.id(), free, settings.lease())) {
                Running r = new Running(started, lane.timeout(d), journal);
                lane.active.put(started.id(), r);
                lane.threads.execute(() -> execute(lane, r));
            }
        }
    }

    private void execute(Lane lane, Running r) {
        r.thread = Thread.currentThread();
        Job job = r.job;
        if (r.cancelled.get()) {
            // timed out or cancelled before this thread picked it up: nothing ran, nothing to abandon
            lane.active.remove(job.id(), r);
            r.thread = null;
            return;
        }
        String outcome;
        Throwable thrown = null;
        try {
            InputPlacement place = inputs;
            if (place != null) {
                Job here = place.localize(job);
                if (here != job) {
                    r.job = here;
                    job = here;
                }
            }
            ModuleResult result;
            try {
                result = host.run(job, r, r);
            } finally {
                recordRun(r);
            }
            outcome = settle(lane, r, result);
        } catch (ModuleException e) {
            outcome = failure(lane, r, e.getMessage(), e.isTransient(), e);
            // the module's own exception (or its worker's stack trace) goes with the log line; the host's own failures
            // (a worker that died, inputs that could not be fetched) are said in full by their message
            thrown = e instanceof ModuleFailure ? e.getCause() : e.getCause() != null ? e : null;
        } catch (Throwable e) {
            // a module bug is that job's failure, never the server's
            outcome = failure(lane, r, ModuleFailure.reason(e), false, e);
            thrown = e;
            if (e instanceof VirtualMachineError vme && !(e instanceof StackOverflowError)) {
                LOG.error("Module {} caused {}", job.moduleId(), vme.toString());
            }
        } finally {
            if (lane.active.remove(job.id(), r)) {
                wake();
            }
            r.thread = null;
            r.returned.countDown();
        }
        if (r.failed && thrown != null) {
            // once, at WARN, with the job and the module's stack trace (UIDs only: no patient data)
            LOG.warn("Job {} ({} {} on {}) {}", job.id(), job.moduleId(), versionThatRan(r), job.unitKey(), outcome, thrown);
        } else if (r.failed || outcome.startsWith(LEASE_LOST)) {
            LOG.warn("Job {} ({} {} on {}) {}", job.id(), job.moduleId(), versionThatRan(r), job.unitKey(), outcome);
        } else {
            LOG.info("Job {} ({} on {}) {}", job.id(), job.moduleId(), job.unitKey(), outcome);
        }
    }

    /**
     * Journals what ran the attempt (the job's version becomes the one that ran, the timeline says which generation)
     * and tells the run-time listener; the job from then on carries it to the report stage. Never throws: the
     * attempt's outcome is journaled either way.
     */
    private void recordRun(Running r) {
        ModuleRun run = r.run;
        if (run == null || r.cancelled.get() || r.leaseLost.get()) {
            return;
        }
        try {
            journal.moduleRan(r.job, run).ifPresent(updated -> r.job = updated);
        } catch (SQLException e) {
            LOG.warn("Job {}: what ran it ({} {}) is not journaled: {}", r.job.id(), r.job.moduleId(), run.version(), e.toString());
        }
        try {
            runListener.accept(r.job, run);
        } catch (RuntimeException e) {
            LOG.warn("Module run listener failed: {}", e.toString());
        }
    }

    private volatile java.util.function.BiConsumer<Job, ModuleRun> runListener = (job, run) -> { };

    /** Told (job, run) when a module call returned or threw, with what ran it and the module's own time; must be quick. */
    public void onModuleRan(java.util.function.BiConsumer<Job, ModuleRun> listener) {
        this.runListener = listener;
    }

    private static String versionThatRan(Running r) {
        ModuleRun run = r.run;
        return run == null ? r.job.moduleVersion() : run.version() + " generation " + run.generation();
    }

    private String settle(Lane lane, Running r, ModuleResult result) throws SQLException {
        if (r.cancelled.get()) {
            return "finished after it was timed out or cancelled; result discarded";
        }
        if (r.leaseLost.get()) {
            return LEASE_LOST;
        }
        if (result == null) {
            return failure(lane, r, "the module returned no result (its process() returned null)", false, null);
        }
        switch (result.status()) {
            case COMPLETED -> {
                // the module's part is done: its slot comes free now, and reports are written outside its timeout
                lane.completed.incrementAndGet();
                reporter.handOff(r.job, result);
                return "completed; handed to the report stage";
            }
            case NOT_APPLICABLE -> {
                if (!finishHeld(r, JobState.NOT_APPLICABLE, result.reason())) {
                    return LEASE_LOST;
                }
                return "not applicable: " + result.reason();
            }
            default -> {
                return failure(lane, r, result.reason(), false, null);
            }
        }
    }

    private String failure(Lane lane, Running r, String reason, boolean transientFailure, Throwable cause) {
        if (r.cancelled.get()) {
            return "ended after it was timed out or cancelled (" + reason + ")";
        }
        if (r.leaseLost.get()) {
            return LEASE_LOST + " (" + reason + ")";
        }
        if (!running) {
            // interrupted by shutdown: left RUNNING in the journal, so the next start queues it again
            return "interrupted by shutdown; it runs again after the next start (" + reason + ")";
        }
        try {
            int attempts = r.job.attempts();
            if (transientFailure && attempts < settings.maxAttempts()) {
                Duration delay = backoff(attempts);
                boolean held = r.job.lease() == null ? journal.retryLater(r.job.id(), delay, reason)
                        : journal.retryLater(r.job.lease(), delay, reason);
                if (!held) {
                    return LEASE_LOST + " (" + reason + ")";
                }
                r.failed = true;
                lane.failed.incrementAndGet(); // the lane counts failed attempts; the journal counts FAILED jobs
                return "failed transiently (attempt " + attempts + " of " + settings.maxAttempts() + "), retry in "
                        + delay.toSeconds() + " s: " + reason;
            }
            String why = transientFailure ? "gave up after " + attempts + (attempts == 1 ? " attempt: " : " attempts: ") + reason : reason;
            if (!finishHeld(r, JobState.FAILED, why)) {
                return LEASE_LOST + " (" + why + ")";
            }
            lane.failed.incrementAndGet();
            r.failed = true;
            return "failed: " + why;
        } catch (SQLException e) {
            LOG.error("Could not journal the failure of job {}: {}", r.job.id(), e.toString());
            return "failed (not journaled: " + e.getMessage() + ")";
        }
    }

    /** What the log says of a result that came back after its lease was lost. */
    static final String LEASE_LOST = "ended after this node's lease on it was lost (the job was re-queued or taken over by "
            + "another node); result discarded";

    /** Ends a job this node runs, fenced by its lease; false when the lease is gone (nothing was written). */
    private boolean finishHeld(Running r, JobState state, String reason) throws SQLException {
        return r.job.lease() == null ? journal.finish(r.job.id(), state, reason) : journal.finish(r.job.lease(), state, reason);
    }

    Duration backoff(int attempt) {
        long ms = settings.initialBackoff().toMillis() << Math.min(20, Math.max(0, attempt - 1));
        return Duration.ofMillis(Math.min(ms, settings.maxBackoff().toMillis()));
    }

    private void checkTimeouts() {
        Instant now = Instant.now();
        for (Lane lane : lanes.values()) {
            for (Running r : new ArrayList<>(lane.active.values())) {
                if (r.started.plus(r.timeout).isBefore(now) && r.cancelled.compareAndSet(false, true)) {
                    timeOut(lane, r);
                }
            }
        }
    }

    private void timeOut(Lane lane, Running r) {
        Thread t = r.thread;
        lane.active.remove(r.job.id(), r);
        int stuck = 0;
        if (t != null) {
            t.interrupt();
            stuck = lane.abandoned.incrementAndGet();
        }
        // what ran the attempt, when the module was reached (its time unknown: it did not return in time; an interrupted
        // call that returns at once may have set its time meanwhile, which is not a time the module took to answer)
        ModuleRun run = r.run;
        if (run != null) {
            run = new ModuleRun(run.attempt(), run.version(), run.generation(), run.sha256(), run.modelName(), run.modelVersion(),
                    run.demoModel(), -1, run.isolation(), run.node());
            try {
                journal.moduleRan(r.job, run).ifPresent(updated -> r.job = updated);
            } catch (SQLException e) {
                LOG.debug("what ran timed-out job {} is not journaled: {}", r.job.id(), e.toString());
            }
        }
        // journaled after the lane's figures changed: whoever sees TIMED_OUT sees the abandoned thread counted too
        try {
            if (!finishHeld(r, JobState.TIMED_OUT, "exceeded the module's timeout of " + r.timeout.toSeconds() + " s")) {
                LOG.warn("Job {} of module {} timed out, but this node's lease on it is gone: the timeout is not journaled",
                        r.job.id(), lane.moduleId);
            }
        } catch (SQLException e) {
            LOG.error("Could not journal the timeout of job {}: {}", r.job.id(), e.toString());
        }
        if (t == null) {
            LOG.warn("Job {} of module {} timed out before a thread picked it up (is the machine overloaded?)", r.job.id(),
                    lane.moduleId);
            wake();
            return;
        }
        LOG.warn("Job {} of module {} timed out after {} s; its thread is abandoned ({} abandoned so far)", r.job.id(),
                lane.moduleId, r.timeout.toSeconds(), stuck);
        // a thread that honours the interrupt ends soon: count it back when it does
        lane.threads.execute(() -> watchAbandoned(lane, r));
        if (stuck > settings.stuckThreadLimit()) {
            boolean newlyPaused = !lane.paused;
            lane.paused = true;
            LOG.error("Module {} paused: {} of its threads are stuck after timeouts. Fix or replace the module, then restart "
                    + "RadFlow; its queued jobs wait.", lane.moduleId, stuck);
            if (newlyPaused) {
                try {
                    pauseListener.accept(lane.moduleId, stuck + " of its threads are stuck after timeouts (scheduler.stuckThreadLimit "
                            + settings.stuckThreadLimit() + "); restart RadFlow after fixing or replacing the module");
                } catch (RuntimeException e) {
                    LOG.warn("Pause listener failed: {}", e.toString());
                }
            }
        }
        wake();
    }

    private static void watchAbandoned(Lane lane, Running r) {
        try {
            // the call returning is what counts: the pooled thread itself lives on idle for a minute
            if (r.returned.await(10, TimeUnit.MINUTES)) {
                lane.abandoned.decrementAndGet();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Lane figures for the API: running, abandoned, paused, counters. */
    /** Jobs running on this node now, all modules. */
    public int runningCount() {
        return lanes.values().stream().mapToInt(l -> l.active.size()).sum();
    }

    public Map<String, Object> laneStatus(String moduleId) {
        Lane lane = lanes.get(moduleId);
        if (lane == null) {
            return Map.of("running", 0, "abandonedThreads", 0, "paused", false);
        }
        return Map.of("running", lane.active.size(), "abandonedThreads", lane.abandoned.get(), "paused", lane.paused,
                "succeeded", lane.completed.get(), "failed", lane.failed.get());
    }

    /**
     * Queues a job again (an operator's retry): refused while it runs. The job keeps its id and timeline.
     *
     * @param by who asked, for the timeline
     */
    public Job retry(String jobId, String by) throws SQLException {
        Job j = journal.find(jobId).orElseThrow(() -> new Refused(Refused.Kind.NOT_FOUND, "no job " + jobId));
        if (j.state() == JobState.RUNNING) {
            throw new Refused(Refused.Kind.CONFLICT, "job " + jobId + " is running; cancel it first or wait");
        }
        journal.requeue(jobId, "retry requested through the API by " + by);
        wake();
        LOG.info("Job {} re-queued through the API", jobId);
        return journal.find(jobId).orElseThrow();
    }

    /** Cancels a queued or running job. */
    public boolean cancel(String jobId) throws SQLException {
        for (Lane lane : lanes.values()) {
            Running r = lane.active.get(jobId);
            if (r != null && r.cancelled.compareAndSet(false, true)) {
                boolean held = finishHeld(r, JobState.CANCELLED, "cancelled by an operator");
                Thread t = r.thread;
                if (t != null) {
                    t.interrupt();
                }
                return held;
            }
        }
        Optional<Job> job = journal.find(jobId);
        return job.isPresent() && job.get().state() == JobState.QUEUED && journal.cancelQueued(jobId);
    }

    @Override
    public void close() {
        running = false;
        wake();
        watchdog.shutdownNow();
        // the jobs still running keep their leases until these lapse: the next start (or another node) takes them back
        leases.shutdownNow();
        for (Lane lane : lanes.values()) {
            lane.threads.shutdown();
        }
        for (Lane lane : lanes.values()) {
            try {
                if (!lane.threads.awaitTermination(10, TimeUnit.SECONDS)) {
                    LOG.warn("Module {} still had running jobs at shutdown; they will be re-queued at the next start", lane.moduleId);
                    lane.threads.shutdownNow();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
