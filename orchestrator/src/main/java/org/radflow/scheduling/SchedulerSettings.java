package org.radflow.scheduling;

import org.radflow.jobs.JobJournal;

import java.time.Duration;
import java.util.Map;

/**
 * @param maxAttempts     attempts of a job that keeps failing transiently before it fails for good
 * @param initialBackoff  wait before the second attempt; doubles each time up to {@code maxBackoff}
 * @param stuckThreadLimit a module with more abandoned (timed-out, still busy) threads than this is paused
 * @param lanes           per-module overrides of the descriptor's resources and timeout
 * @param lease           how long a claimed job stays this node's without a renewal (renewed every third of it);
 *                        when it lapses another node (or this one's sweep) queues the job again
 * @param intakeHighWaterMark QUEUED jobs (all modules) at or above which the DICOM listener refuses new instances with
 *                        A700 "out of resources, retry later"; 0: never (the default)
 * @param intakeLowWaterMark the listener accepts again once QUEUED jobs are at or below this (hysteresis: below the
 *                        high-water mark, so that intake does not flap at the threshold)
 */
public record SchedulerSettings(Duration pollInterval, int maxAttempts, Duration initialBackoff, Duration maxBackoff,
                                int stuckThreadLimit, Map<String, Lane> lanes, Duration lease, int intakeHighWaterMark,
                                int intakeLowWaterMark) {

    public SchedulerSettings {
        lanes = Map.copyOf(lanes);
        if (lease == null || lease.isNegative() || lease.isZero()) {
            throw new IllegalArgumentException("a job lease must be longer than zero, not " + lease);
        }
        if (intakeHighWaterMark < 0 || intakeLowWaterMark < 0
                || (intakeHighWaterMark > 0 && intakeLowWaterMark >= intakeHighWaterMark)) {
            throw new IllegalArgumentException("intake low-water mark " + intakeLowWaterMark
                    + " must be below the high-water mark " + intakeHighWaterMark + " (both at least 0)");
        }
    }

    /** Without intake throttling. */
    public SchedulerSettings(Duration pollInterval, int maxAttempts, Duration initialBackoff, Duration maxBackoff,
                             int stuckThreadLimit, Map<String, Lane> lanes, Duration lease) {
        this(pollInterval, maxAttempts, initialBackoff, maxBackoff, stuckThreadLimit, lanes, lease, 0, 0);
    }

    /** True when the listener refuses new instances above {@link #intakeHighWaterMark} queued jobs. */
    public boolean throttlesIntake() {
        return intakeHighWaterMark > 0;
    }

    /** Settings with the default lease ({@link JobJournal#DEFAULT_LEASE}). */
    public SchedulerSettings(Duration pollInterval, int maxAttempts, Duration initialBackoff, Duration maxBackoff,
                             int stuckThreadLimit, Map<String, Lane> lanes) {
        this(pollInterval, maxAttempts, initialBackoff, maxBackoff, stuckThreadLimit, lanes, JobJournal.DEFAULT_LEASE);
    }

    /** These settings with another lease duration. */
    public SchedulerSettings withLease(Duration next) {
        return new SchedulerSettings(pollInterval, maxAttempts, initialBackoff, maxBackoff, stuckThreadLimit, lanes, next,
                intakeHighWaterMark, intakeLowWaterMark);
    }

    /** Overrides for one module; null fields keep the descriptor's values. */
    public record Lane(Integer maxConcurrentJobs, Integer queueLimit, Duration timeout, Boolean enabled) {
    }

    public static SchedulerSettings defaults() {
        return new SchedulerSettings(Duration.ofMillis(500), 3, Duration.ofSeconds(5), Duration.ofMinutes(5), 4, Map.of());
    }

    public Lane lane(String moduleId) {
        return lanes.getOrDefault(moduleId, new Lane(null, null, null, null));
    }
}
