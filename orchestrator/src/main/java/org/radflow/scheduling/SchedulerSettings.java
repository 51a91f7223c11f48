package org.radflow.scheduling;

import java.time.Duration;
import java.util.Map;

/**
 * @param maxAttempts     attempts of a job that keeps failing transiently before it fails for good
 * @param initialBackoff  wait before the second attempt; doubles each time up to {@code maxBackoff}
 * @param stuckThreadLimit a module with more abandoned (timed-out, still busy) threads than this is paused
 * @param lanes           per-module overrides of the descriptor's resources and timeout
 */
public record SchedulerSettings(Duration pollInterval, int maxAttempts, Duration initialBackoff, Duration maxBackoff,
                                int stuckThreadLimit, Map<String, Lane> lanes) {

    public SchedulerSettings {
        lanes = Map.copyOf(lanes);
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
