package org.radflow.dispatch;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.listener.ListenerSettings;
import org.radflow.listener.StoreScp;
import org.radflow.store.Store;
import org.radflow.store.StoreSettings;
import org.radflow.testdata.CtOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.Synth;
import org.radflow.testkit.FreePorts;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The outbox against a real destination that is down, then up: back-off, dead letter, operator retry,
 * delivery; the same on every database the store supports (subclasses: H2, PostgreSQL).
 */
abstract class OutboxContract {

    @TempDir
    Path dir;

    Store store;

    /** A new, empty database for one test. */
    abstract StoreSettings freshStore();

    @BeforeEach
    void openStore() {
        store = Store.open(freshStore());
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    private static JsonObject await(Outbox o, String dest, String key, int value) throws Exception {
        long end = System.currentTimeMillis() + 15_000;
        JsonObject s = o.status().getJsonObject(dest);
        while (s.getInteger(key) != value && System.currentTimeMillis() < end) {
            Thread.sleep(50);
            s = o.status().getJsonObject(dest);
        }
        return s;
    }

    @Test
    void deadLettersAfterMaxAttemptsAndDeliversAfterAnOperatorRetry() throws Exception {
        GeneratedSeries ct = Synth.ctSeries(dir.resolve("in"), CtOptions.defaults().withCount(3).withSize(32, 32));
        Map<String, Path> files = new LinkedHashMap<>();
        for (int i = 0; i < 3; i++) {
            files.put(ct.sopInstanceUids().get(i), ct.files().get(i));
        }
        int port = FreePorts.find();
        Vertx vertx = Vertx.vertx();
        try (Outbox outbox = new Outbox(store, Map.of("pacs", new CStoreSender(vertx, "pacs",
                CStoreSender.Settings.of("RADFLOW", "127.0.0.1", port, "TEST"))),
                new Outbox.Settings(2, Duration.ofMillis(100), Duration.ofMillis(200), 50, Duration.ofMillis(50)))) {
            outbox.start();
            outbox.enqueue("job-1", "pacs", files);
            JsonObject dead = await(outbox, "pacs", "dead", 3);
            assertEquals(3, dead.getInteger("dead"), dead.encode());
            assertTrue(dead.getString("lastError").toLowerCase().contains("refused"), dead.encode());

            ListenerSettings s = ListenerSettings.defaults(dir.resolve("spool")).withBindAddress("127.0.0.1").withPort(port)
                    .withMinFreeSpaceBytes(0);
            try (StoreScp scp = new StoreScp(s, e -> { }, x -> { })) {
                scp.start();
                assertEquals(3, outbox.retryDead("pacs", null));
                JsonObject sent = await(outbox, "pacs", "sent", 3);
                assertEquals(3, sent.getInteger("sent"), sent.encode());
                assertEquals(null, sent.getString("lastError"));
                // the same objects queued again (a re-run) are one row each, not duplicates
                outbox.enqueue("job-1", "pacs", files);
                assertEquals(3, await(outbox, "pacs", "sent", 3).getInteger("sent"));
                assertEquals(3, outbox.items("job-1").size());
            }
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }
}
