package org.radflow.pipeline;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one way RadFlow makes platform threads: named after the stage ({@code radflow-<stage>[-n]}), daemon (a stage's
 * own close() ends its work; a stray thread must never keep the JVM alive after the server stopped), and with an
 * uncaught-exception handler that logs which stage lost a thread. Vert.x code uses Vert.x's own worker executors.
 */
public final class Threads {

    private static final Logger LOG = LoggerFactory.getLogger(Threads.class);

    private Threads() {
    }

    /** Threads named {@code radflow-<stage>} (the first) and {@code radflow-<stage>-<n>} after it. */
    public static ThreadFactory factory(String stage) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            int i = n.incrementAndGet();
            return named(r, i == 1 ? stage : stage + "-" + i, stage);
        };
    }

    /** Threads always numbered: {@code radflow-<stage>-1}, {@code -2}, … (pools whose threads come and go). */
    public static ThreadFactory numbered(String stage) {
        AtomicInteger n = new AtomicInteger();
        return r -> named(r, stage + "-" + n.incrementAndGet(), stage);
    }

    /** Starts one thread of a stage. */
    public static Thread start(String stage, Runnable body) {
        Thread t = named(body, stage, stage);
        t.start();
        return t;
    }

    /** One thread working through a queue, in order. */
    public static ExecutorService single(String stage) {
        return Executors.newSingleThreadExecutor(factory(stage));
    }

    /** One thread for periodic and delayed work. */
    public static ScheduledExecutorService scheduled(String stage) {
        return Executors.newSingleThreadScheduledExecutor(factory(stage));
    }

    /** A fixed number of threads. */
    public static ExecutorService fixed(String stage, int threads) {
        return Executors.newFixedThreadPool(threads, numbered(stage));
    }

    /** Threads made as needed (the caller bounds concurrency), kept 60 s when idle. */
    public static ExecutorService cached(String stage) {
        return Executors.newCachedThreadPool(numbered(stage));
    }

    /** Stops taking work and waits (bounded) for what is under way; false when something was still running. */
    public static boolean shutdown(ExecutorService executor, long timeout, TimeUnit unit) {
        executor.shutdown();
        try {
            return executor.awaitTermination(timeout, unit);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * System property: when {@code true} (the tests set it), blocking work found on a Vert.x event loop throws instead
     * of being logged.
     */
    public static final String STRICT = "radflow.strictThreads";
    private static final boolean STRICT_MODE = Boolean.getBoolean(STRICT);

    /**
     * Refuses blocking work (JDBC, files, DICOM I/O) on a Vert.x event loop: in tests it throws; in production it logs
     * an error with the stack (the work still runs: refusing it there would lose it).
     */
    public static void requireBlockingAllowed(String what) {
        if (io.vertx.core.Context.isOnEventLoopThread()) {
            IllegalStateException e = new IllegalStateException(what + " on the Vert.x event loop thread "
                    + Thread.currentThread().getName() + ": blocking work belongs on a stage's own thread or a worker");
            if (STRICT_MODE) {
                throw e;
            }
            LOG.error("Blocking work on the event loop", e);
        }
    }

    private static Thread named(Runnable r, String name, String stage) {
        Thread t = new Thread(r, name.startsWith("radflow-") ? name : "radflow-" + name);
        t.setDaemon(true);
        t.setUncaughtExceptionHandler((thread, e) ->
                LOG.error("Stage {}: thread {} ended with an uncaught error", stage, thread.getName(), e));
        return t;
    }
}
