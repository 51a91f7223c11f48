package org.radflow.testkit;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The guard sees a blocked event loop (and this test takes the warning away, so that it passes). */
class BlockedEventLoopGuardTest {

    @Test
    void aBlockingEventLoopTaskIsSeen() throws Exception {
        Vertx vertx = Vertx.vertx(new VertxOptions().setMaxEventLoopExecuteTime(50).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
                .setBlockedThreadCheckInterval(20).setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS));
        try {
            assertTrue(BlockedEventLoopGuard.pending().isEmpty());
            vertx.runOnContext(v -> {
                try {
                    Thread.sleep(400); // a blocking call on the event loop
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            long end = System.currentTimeMillis() + 5000;
            while (BlockedEventLoopGuard.pending().isEmpty() && System.currentTimeMillis() < end) {
                Thread.sleep(20);
            }
            assertFalse(BlockedEventLoopGuard.pending().isEmpty(), "the blocked-thread checker's warning reached the guard");
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
            new BlockedEventLoopGuard().afterEachClear();
        }
    }
}
