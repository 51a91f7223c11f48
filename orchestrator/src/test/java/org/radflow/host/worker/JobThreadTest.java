package org.radflow.host.worker;

import org.junit.jupiter.api.Test;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobThreadTest {

    @Test
    void jobsRunOneAfterAnotherOnTheSameThread() throws Exception {
        JobThread t = new JobThread("test-job");
        BlockingQueue<Thread> ran = new ArrayBlockingQueue<>(2);
        t.run(() -> ran.add(Thread.currentThread()));
        Thread first = ran.poll(10, TimeUnit.SECONDS);
        t.run(() -> ran.add(Thread.currentThread()));
        Thread second = ran.poll(10, TimeUnit.SECONDS);
        assertNotNull(first);
        assertEquals(first, second);
        assertEquals("test-job", first.getName());
        assertTrue(first.isDaemon(), "the job thread must not keep a worker alive after SHUTDOWN");
    }

    @Test
    void aCancelInterruptsTheRunningJobAndNeverReachesTheNextOne() throws Exception {
        JobThread t = new JobThread("test-job");
        CountDownLatch started = new CountDownLatch(1);
        BlockingQueue<String> outcome = new ArrayBlockingQueue<>(4);
        t.run(() -> {
            started.countDown();
            try {
                Thread.sleep(30_000);
                outcome.add("slept");
            } catch (InterruptedException e) {
                outcome.add("interrupted");
            }
        });
        assertTrue(started.await(10, TimeUnit.SECONDS));
        t.interrupt();
        assertEquals("interrupted", outcome.poll(10, TimeUnit.SECONDS));

        t.interrupt(); // a cancel that arrives after its job ended
        t.run(() -> outcome.add(Thread.currentThread().isInterrupted() ? "next job interrupted" : "next job clean"));
        assertEquals("next job clean", outcome.poll(10, TimeUnit.SECONDS));
    }

    @Test
    void aJobThatThrowsDoesNotStopTheThread() throws Exception {
        JobThread t = new JobThread("test-job");
        t.run(() -> {
            throw new IllegalStateException("module bug that escaped");
        });
        BlockingQueue<Boolean> ran = new ArrayBlockingQueue<>(1);
        t.run(() -> ran.add(true));
        assertEquals(Boolean.TRUE, ran.poll(10, TimeUnit.SECONDS));
    }
}
