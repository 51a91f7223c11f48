package org.radflow.intake;

import org.radflow.listener.IntakeGate;
import org.radflow.pipeline.Threads;
import org.radflow.scheduling.SchedulerSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Intake throttling (issue 16): when more jobs wait than {@code scheduler.intakeHighWaterMark}, the DICOM listener
 * answers new C-STOREs A700 "out of resources" with a "retry later" comment, until the backlog is down to
 * {@code scheduler.intakeLowWaterMark} (hysteresis). Accepted work is never failed for being many: this only slows
 * what arrives. The backlog (QUEUED jobs in the journal) is counted here every {@link #REFRESH} on this class's own
 * thread; the listener reads the outcome from a volatile field on each C-STORE, never querying the store itself.
 */
public final class IntakeThrottle implements IntakeGate, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(IntakeThrottle.class);
    /** How stale the count the listener acts on may be. */
    public static final Duration REFRESH = Duration.ofMillis(500);
    private static final long WARN_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final LongSupplier queued;
    private final Supplier<SchedulerSettings> settings;
    private final LongSupplier nanoTime;
    /** Null while accepting; the refusal's text (with the count when it closed) while throttled. */
    private volatile String refusal;
    private final AtomicLong refused = new AtomicLong();
    private long lastWarning;
    private boolean warned;
    private long lastCountProblem;
    private boolean countProblemLogged;
    private ScheduledExecutorService thread;

    /**
     * @param queued   the QUEUED jobs now (a store query: run only on this class's thread)
     * @param settings the scheduler settings in force (a configuration reload changes the marks live)
     * @param nanoTime {@link System#nanoTime()} outside tests
     */
    public IntakeThrottle(LongSupplier queued, Supplier<SchedulerSettings> settings, LongSupplier nanoTime) {
        this.queued = queued;
        this.settings = settings;
        this.nanoTime = nanoTime;
    }

    /** Counts every {@link #REFRESH} on the thread {@code radflow-intake-throttle}. */
    public synchronized IntakeThrottle start() {
        if (thread == null) {
            thread = Threads.scheduled("intake-throttle");
            thread.scheduleWithFixedDelay(() -> {
                try {
                    refresh();
                } catch (RuntimeException e) {
                    LOG.error("Intake throttle check failed: {}", e.toString(), e); // caught: a periodic task that throws stops
                }
            }, 0, REFRESH.toMillis(), TimeUnit.MILLISECONDS);
        }
        return this;
    }

    @Override
    public String refusal() {
        String r = refusal;
        if (r != null) {
            refused.incrementAndGet();
        }
        return r;
    }

    /** True while new instances are refused. */
    public boolean throttled() {
        return refusal != null;
    }

    /** C-STOREs refused since the last warning (or the start). */
    public long refusedSinceWarning() {
        return refused.get();
    }

    /** Counts the backlog once and opens or closes intake; called by the thread, and by tests directly. */
    public synchronized void refresh() {
        SchedulerSettings s = settings.get();
        if (!s.throttlesIntake()) {
            if (refusal != null) {
                LOG.info("Intake throttling turned off (scheduler.intakeHighWaterMark 0): the listener accepts new instances");
            }
            refusal = null;
            return;
        }
        long n;
        try {
            n = queued.getAsLong();
        } catch (RuntimeException e) {
            // the store does not answer: keep the last decision (jobs cannot be journaled now either)
            long now = nanoTime.getAsLong();
            if (!countProblemLogged || now - lastCountProblem > WARN_EVERY_NANOS) {
                countProblemLogged = true;
                lastCountProblem = now;
                LOG.warn("Intake throttle cannot count queued jobs ({}); keeping intake {}", e.getMessage(),
                        refusal == null ? "open" : "throttled");
            }
            return;
        }
        if (refusal == null && n >= s.intakeHighWaterMark()) {
            // the Error Comment is LO (64 characters at most): the reason and the advice, the key is in the WARN
            refusal = "RadFlow is behind: " + n + " jobs queued; retry later";
            warned = false;
        } else if (refusal != null && n <= s.intakeLowWaterMark()) {
            refusal = null;
            LOG.info("Intake open again: {} jobs wait (scheduler.intakeLowWaterMark {}); {} C-STORE(s) were refused meanwhile",
                    n, s.intakeLowWaterMark(), refused.getAndSet(0));
            return;
        }
        if (refusal != null) {
            long now = nanoTime.getAsLong();
            if (!warned || now - lastWarning > WARN_EVERY_NANOS) {
                warned = true;
                lastWarning = now;
                LOG.warn("Intake throttled: {} jobs wait, at or above scheduler.intakeHighWaterMark {}; the DICOM listener answers "
                        + "new C-STOREs A700 (out of resources, retry later) until {} or fewer wait (scheduler.intakeLowWaterMark); "
                        + "{} refused since the last warning", n, s.intakeHighWaterMark(), s.intakeLowWaterMark(),
                        refused.getAndSet(0));
            }
        }
    }

    @Override
    public synchronized void close() {
        if (thread != null) {
            thread.shutdownNow();
            thread = null;
        }
    }
}
