package org.radflow.pipeline;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ThreadsTest {

    @Test
    void threadsAreNamedAfterTheirStageAreDaemonsAndLogWhatKillsThem() throws Exception {
        ExecutorService pool = Threads.fixed("test-stage", 2);
        try {
            Thread t = pool.submit(Thread::currentThread).get(5, TimeUnit.SECONDS);
            assertEquals("radflow-test-stage-1", t.getName());
            assertTrue(t.isDaemon(), "a stray stage thread never keeps the JVM alive");
            assertTrue(t.getUncaughtExceptionHandler() != t.getThreadGroup(), "a handler of our own logs the stage");
        } finally {
            pool.shutdownNow();
        }
        assertEquals("radflow-intake", Threads.single("intake").submit(() -> Thread.currentThread().getName()).get());
    }

    @Test
    void blockingWorkOnAnEventLoopIsRefusedInTests() throws Exception {
        assertTrue(Boolean.getBoolean(Threads.STRICT), "the build runs tests with -D" + Threads.STRICT + "=true");
        Threads.requireBlockingAllowed("a database call"); // a plain thread may block
        Vertx vertx = Vertx.vertx();
        try {
            AtomicReference<Throwable> seen = new AtomicReference<>();
            CompletableFuture<Void> done = new CompletableFuture<>();
            vertx.runOnContext(v -> {
                try {
                    Threads.requireBlockingAllowed("a database call");
                } catch (Throwable e) {
                    seen.set(e);
                }
                done.complete(null);
            });
            done.get(10, TimeUnit.SECONDS);
            assertInstanceOf(IllegalStateException.class, seen.get());
            assertTrue(seen.get().getMessage().startsWith("a database call on the Vert.x event loop thread vert.x-eventloop-thread-"),
                    seen.get().getMessage());
            // a worker of Vert.x's may block
            Promise<Void> worker = Promise.promise();
            vertx.executeBlocking(() -> {
                Threads.requireBlockingAllowed("a database call");
                return null;
            }, false).onComplete(ar -> worker.handle(ar.mapEmpty()));
            worker.future().await(10, TimeUnit.SECONDS);
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }
}
