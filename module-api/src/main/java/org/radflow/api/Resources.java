package org.radflow.api;

/**
 * What a module needs and may use: its own worker pool of {@code maxConcurrentJobs} threads, a
 * {@code queueLimit} waiting jobs above which the host warns that the module is behind (jobs above it still queue
 * durably and run in priority order; none fails for being many), {@code inferenceThreads} for its models, and
 * an indicative memory budget. Operators can lower or raise these in configuration.
 */
public record Resources(int maxConcurrentJobs, int queueLimit, int inferenceThreads, long memoryMb) {

    public Resources {
        if (maxConcurrentJobs < 1 || queueLimit < 1 || inferenceThreads < 1 || memoryMb < 0) {
            throw new IllegalArgumentException("resources must be positive: " + maxConcurrentJobs + " jobs, queue "
                    + queueLimit + ", " + inferenceThreads + " inference threads, " + memoryMb + " MB");
        }
    }

    public static Resources defaults() {
        return new Resources(1, 100, 1, 1024);
    }
}
