package org.radflow.host.worker;

import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A worker's own guard, on a daemon thread: a heartbeat to the host every second (a worker that stops sending them is
 * killed by the host), and the thread limit, checked four times a second: a module that floods threads ends its
 * worker with {@link WorkerMain#EXIT_THREAD_LIMIT} before it exhausts the machine. On Linux every thread of the
 * process is counted (the JVM's own and native ones), elsewhere the JVM's.
 */
final class Watchdog {

    private static final Path TASKS = Path.of("/proc/self/task");

    private Watchdog() {
    }

    static void start(DataOutputStream out, String moduleId, int maxThreads) {
        Thread t = new Thread(() -> {
            long beats = 0;
            while (true) {
                try {
                    Thread.sleep(250);
                    int threads = threads();
                    if (threads > maxThreads) {
                        System.err.println("radflow-worker: " + threads + " threads, above modules." + moduleId
                                + ".maxThreads (" + maxThreads + "): the worker stops");
                        Runtime.getRuntime().halt(WorkerMain.EXIT_THREAD_LIMIT);
                    }
                    if (++beats % 4 == 0) {
                        Frames.write(out, Frames.HEARTBEAT, new byte[0]);
                    }
                } catch (InterruptedException e) {
                    return;
                } catch (IOException e) {
                    Runtime.getRuntime().halt(4); // the host is gone: nobody would read a result
                }
            }
        }, "radflow-worker-watchdog");
        t.setDaemon(true);
        t.start();
    }

    private static int threads() {
        if (Files.isDirectory(TASKS)) {
            try (var tasks = Files.list(TASKS)) {
                return (int) tasks.count();
            } catch (IOException | RuntimeException e) {
                // fall through to the JVM's count
            }
        }
        return ManagementFactory.getThreadMXBean().getThreadCount();
    }
}
