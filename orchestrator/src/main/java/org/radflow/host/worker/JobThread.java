package org.radflow.host.worker;

import java.util.concurrent.SynchronousQueue;

/**
 * The worker's one job thread, started once and reused for every job: a new thread per job cost about 2 ms on the
 * job's path (docs/benchmarks.md, "Process isolation"). Jobs run one at a time, as the host sends them; the main
 * thread keeps reading frames meanwhile, so a CANCEL can {@link #interrupt()} the running job.
 */
final class JobThread {

    private final SynchronousQueue<Runnable> next = new SynchronousQueue<>();
    private final Thread thread;
    private volatile boolean busy;

    JobThread(String name) {
        thread = new Thread(this::serve, name);
        thread.setDaemon(true); // never keeps the worker alive: it exits when the host says SHUTDOWN or closes stdin
        thread.start();
    }

    /** Hands a job to the thread; waits only if the previous job is still running (the host sends one at a time). */
    void run(Runnable job) throws InterruptedException {
        busy = true;
        next.put(job);
    }

    /** Interrupts the running job, if any; an idle thread is left alone. */
    void interrupt() {
        if (busy) {
            thread.interrupt();
        }
    }

    private void serve() {
        while (true) {
            Runnable job;
            try {
                job = next.take();
            } catch (InterruptedException late) {
                continue; // a cancel that came after its job ended: nothing to stop
            }
            Thread.interrupted(); // likewise: a late cancel never reaches the next job
            try {
                job.run();
            } catch (RuntimeException | StackOverflowError e) {
                // the job answers the host itself; whatever escapes it must not take the job thread down with it
                System.err.println("worker: job thread: " + e);
            } finally {
                busy = false;
            }
        }
    }
}
