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
import static org.junit.jupiter.api.Assertions.assertThrows;
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
                // the rows are marked sent one by one before the batch clears the destination's last error
                long end = System.currentTimeMillis() + 5000;
                while (sent.getString("lastError") != null && System.currentTimeMillis() < end) {
                    Thread.sleep(20);
                    sent = outbox.status().getJsonObject("pacs");
                }
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

    @Test
    void aNodeThatLostItsLeaseQueuesNothing() throws Exception {
        org.radflow.jobs.JobJournal a = new org.radflow.jobs.JobJournal(store, "node-a");
        org.radflow.jobs.JobJournal b = new org.radflow.jobs.JobJournal(store, "node-b");
        a.enqueue(new org.radflow.jobs.JobJournal.NewJob("u1", org.radflow.api.Trigger.SERIES, "1.2", "1.2.3", null, "sample",
                "1.0.0", "r1", org.radflow.routing.Priority.NORMAL, java.util.List.of("pacs"), java.util.List.of(Path.of("/spool/a.dcm")),
                "h1"), org.radflow.jobs.JobState.QUEUED, null);
        org.radflow.jobs.Job held = a.claim("sample", 1, Duration.ofMillis(200)).get(0);
        Map<String, Path> files = Map.of("1.2.3.4", dir.resolve("sr.dcm"));
        Vertx vertx = Vertx.vertx();
        try (Outbox outbox = new Outbox(store, Map.of("pacs", new CStoreSender(vertx, "pacs",
                CStoreSender.Settings.of("RADFLOW", "127.0.0.1", FreePorts.find(), "TEST"))), Outbox.Settings.defaults())) {
            outbox.enqueue(held.id(), "pacs", files, held.lease());
            assertEquals(1, outbox.items(held.id()).size(), "queued while the lease holds the job");

            Thread.sleep(400); // node-a's lease lapses; node-b re-queues and claims the job
            assertEquals(1, b.recoverExpired(3).size());
            assertEquals(1, b.claim("sample", 1, Duration.ofSeconds(30)).size());
            Map<String, Path> again = Map.of("1.2.3.5", dir.resolve("sr2.dcm"));
            assertThrows(Outbox.LeaseLostException.class, () -> outbox.enqueue(held.id(), "pacs", again, held.lease()));
            assertEquals(1, outbox.items(held.id()).size(), "nothing queued by the node that lost the job");
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void objectsQueuedByANodeThatLeftTheClusterAreSentByAnotherFromTheStoresCopy() throws Exception {
        GeneratedSeries ct = Synth.ctSeries(dir.resolve("in"), CtOptions.defaults().withCount(2).withSize(32, 32));
        // node-a queues two objects, keeping copies in the store, then dies before sending: its files go with its disk
        Path aDisk = java.nio.file.Files.createDirectories(dir.resolve("node-a-results"));
        Map<String, Path> files = new LinkedHashMap<>();
        for (int i = 0; i < 2; i++) {
            Path f = aDisk.resolve(ct.sopInstanceUids().get(i) + ".dcm");
            java.nio.file.Files.copy(ct.files().get(i), f);
            files.put(ct.sopInstanceUids().get(i), f);
        }
        int port = FreePorts.find();
        Vertx vertx = Vertx.vertx();
        java.util.Set<String> live = new java.util.concurrent.CopyOnWriteArraySet<>(java.util.List.of("node-a", "node-b"));
        Outbox.Settings fast = new Outbox.Settings(5, Duration.ofMillis(100), Duration.ofMillis(200), 50, Duration.ofMillis(50));
        try (Outbox a = new Outbox(store, Map.of("pacs", new CStoreSender(vertx, "pacs",
                CStoreSender.Settings.of("RADFLOW", "127.0.0.1", port, "TEST"))), fast).clustered("node-a", () -> live, dir.resolve("a-copies"))) {
            a.enqueue("job-a", "pacs", files); // node-a's outbox is not started: it never sends
        }
        for (Path f : files.values()) {
            java.nio.file.Files.delete(f);
        }
        ListenerSettings s = ListenerSettings.defaults(dir.resolve("spool")).withBindAddress("127.0.0.1").withPort(port)
                .withMinFreeSpaceBytes(0);
        java.util.List<String> received = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (StoreScp pacs = new StoreScp(s, e -> received.add(e.sopInstanceUid()), x -> { });
             Outbox b = new Outbox(store, Map.of("pacs", new CStoreSender(vertx, "pacs",
                     CStoreSender.Settings.of("RADFLOW", "127.0.0.1", port, "TEST"))), fast)
                     .clustered("node-b", () -> live, dir.resolve("b-copies"))) {
            pacs.start();
            b.start();
            Thread.sleep(600);
            assertTrue(received.isEmpty(), "node-a is still a member: its objects are left to it");
            assertEquals(0, b.status().getJsonObject("pacs").getInteger("sent"));
            live.remove("node-a"); // node-a left the cluster
            JsonObject sent = await(b, "pacs", "sent", 2);
            assertEquals(2, sent.getInteger("sent"), sent.encode());
            assertEquals(new java.util.TreeSet<>(files.keySet()), new java.util.TreeSet<>(received), "each object once, from the copy");
            // sent: the store's copies are dropped (kept, the store would grow by every report object ever sent)
            long copiesLeft = store.read(c -> {
                try (var q = c.createStatement(); var r = q.executeQuery("SELECT COUNT(*) FROM outbox WHERE payload IS NOT NULL")) {
                    r.next();
                    return r.getLong(1);
                }
            });
            assertEquals(0, copiesLeft);
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }
}
