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
import org.radflow.testkit.OrthancServer;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Storage commitment end to end against a real Orthanc 1.10: the outbox C-STOREs a batch, requests commitment
 * (N-ACTION), and RadFlow's own listener takes Orthanc's N-EVENT-REPORT on the association Orthanc opens back
 * (to the AE it knows RadFlow by). Objects end COMMITTED; a destination without commitment keeps ending SENT; a
 * commitment that never comes re-sends the objects until the attempt limit, never forever.
 */
class StorageCommitmentIT {

    private static final String AE = "RADFLOW";

    @TempDir
    Path dir;

    private Store store;
    private final Vertx vertx = Vertx.vertx();
    private OrthancServer orthanc;
    private StoreScp listener;

    @BeforeEach
    void open() {
        store = Store.open(StoreSettings.embedded(dir.resolve("journal")));
    }

    @AfterEach
    void close() throws Exception {
        if (listener != null) {
            listener.close();
        }
        if (orthanc != null) {
            orthanc.close();
        }
        store.close();
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    /** RadFlow's listener on a free port, its commitment results routed to the outbox's tracker. */
    private StoreScp listener(Outbox outbox) throws Exception {
        for (int attempt = 0; ; attempt++) {
            ListenerSettings s = ListenerSettings.defaults(dir.resolve("spool")).withBindAddress("127.0.0.1")
                    .withPort(FreePorts.find()).withMinFreeSpaceBytes(0);
            StoreScp scp = new StoreScp(s, e -> { }, x -> { }, org.radflow.listener.Replication.NONE,
                    org.radflow.listener.IntakeGate.OPEN, (report, rq) -> outbox.commitments().report(report));
            try {
                scp.start();
                return scp;
            } catch (java.net.BindException e) {
                scp.close();
                if (attempt >= 3) {
                    throw e;
                }
            }
        }
    }

    private Map<String, Path> files(String name, int count, int seed) throws Exception {
        GeneratedSeries ct = Synth.ctSeries(dir.resolve(name), CtOptions.defaults().withCount(count).withSize(32, 32).withSeed(seed));
        Map<String, Path> files = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            files.put(ct.sopInstanceUids().get(i), ct.files().get(i));
        }
        return files;
    }

    private static JsonObject await(Outbox o, String dest, Predicate<JsonObject> done) throws Exception {
        long end = System.currentTimeMillis() + 60_000;
        JsonObject s = o.status().getJsonObject(dest);
        while (!done.test(s) && System.currentTimeMillis() < end) {
            Thread.sleep(50);
            s = o.status().getJsonObject(dest);
        }
        return s;
    }

    @Test
    void objectsSentWithCommitmentEndCommittedAndWithoutItEndSent() throws Exception {
        orthanc = new OrthancServer().withName("StorageCommitmentIT").withDicomWeb(false);
        orthanc.start();
        CStoreSender.Settings base = CStoreSender.Settings.of(orthanc.aeTitle(), "127.0.0.1", orthanc.dicomPort(), AE);
        Map<String, Sender> senders = Map.of(
                "pacs", new CStoreSender(vertx, "pacs", base.withCommitment(Duration.ofSeconds(60), Duration.ofMillis(200))),
                "plain", new CStoreSender(vertx, "plain", base));
        try (Outbox outbox = new Outbox(store, senders, new Outbox.Settings(3, Duration.ofMillis(200), Duration.ofSeconds(1), 50,
                Duration.ofMillis(50)))) {
            listener = listener(outbox);
            orthanc.withModality("radflow", AE, "127.0.0.1", listener.port());
            outbox.start();
            Map<String, Path> committed = files("a", 3, 1);
            Map<String, Path> plain = files("b", 2, 2);
            outbox.enqueue("job-1", "pacs", committed);
            outbox.enqueue("job-2", "plain", plain);

            JsonObject pacs = await(outbox, "pacs", s -> s.getInteger("committed") == 3);
            assertEquals(3, pacs.getInteger("committed"), pacs.encode());
            assertEquals(3, pacs.getInteger("sent"), pacs.encode());
            assertEquals(0, pacs.getInteger("awaitingCommitment"), pacs.encode());
            assertTrue(pacs.getBoolean("commitment"), pacs.encode());
            assertNull(pacs.getString("lastError"), pacs.encode());
            for (Outbox.Item it : outbox.items("job-1")) {
                assertEquals(Outbox.State.COMMITTED, it.state(), it.toString());
                assertEquals(1, it.attempts(), it.toString());
                assertTrue(orthanc.findInstanceBySopInstanceUid(it.sopInstanceUid()).isPresent(), it.sopInstanceUid());
            }

            JsonObject other = await(outbox, "plain", s -> s.getInteger("sent") == 2);
            assertEquals(2, other.getInteger("sent"), other.encode());
            assertEquals(0, other.getInteger("committed"), other.encode());
            assertEquals(false, other.getBoolean("commitment"), other.encode());
            assertEquals(List.of(Outbox.State.SENT, Outbox.State.SENT), outbox.items("job-2").stream().map(Outbox.Item::state).toList());
            assertEquals(0, outbox.commitments().openTransactions());
        }
    }

    @Test
    void objectsOrthancDoesNotKeepAreListedFailedResentAndDeadLetteredAtTheLimit() throws Exception {
        // Orthanc deletes whatever it receives: its commitment lookup then answers "no such object instance"
        orthanc = new OrthancServer().withName("StorageCommitmentIT-deleting").withDicomWeb(false)
                .withLuaScriptSource("function OnStoredInstance(instanceId, tags, metadata, origin)\n  Delete(instanceId)\nend\n");
        orthanc.start();
        CStoreSender.Settings base = CStoreSender.Settings.of(orthanc.aeTitle(), "127.0.0.1", orthanc.dicomPort(), AE);
        try (Outbox outbox = new Outbox(store, Map.of("pacs", new CStoreSender(vertx, "pacs",
                base.withCommitment(Duration.ofSeconds(60), Duration.ZERO))),
                new Outbox.Settings(2, Duration.ofMillis(200), Duration.ofMillis(400), 50, Duration.ofMillis(50)))) {
            listener = listener(outbox);
            orthanc.withModality("radflow", AE, "127.0.0.1", listener.port());
            outbox.start();
            outbox.enqueue("job-1", "pacs", files("a", 2, 3));
            JsonObject s = await(outbox, "pacs", x -> x.getInteger("dead") == 2);
            assertEquals(2, s.getInteger("dead"), s.encode());
            assertEquals(0, s.getInteger("committed"), s.encode());
            assertTrue(s.getString("lastError").contains("no such object instance"), s.encode());
            for (Outbox.Item it : outbox.items("job-1")) {
                assertEquals(2, it.attempts(), "sent and requested twice, then given up: " + it);
                assertTrue(it.lastError().startsWith("not committed by pacs"), it.lastError());
            }
        }
    }

    @Test
    void noResultWithinTheTimeoutResendsThenDeadLetters() throws Exception {
        // Orthanc reports to a port where nothing listens: the result never comes
        orthanc = new OrthancServer().withName("StorageCommitmentIT-silent").withDicomWeb(false)
                .withModality("radflow", AE, "127.0.0.1", FreePorts.find());
        orthanc.start();
        CStoreSender.Settings base = CStoreSender.Settings.of(orthanc.aeTitle(), "127.0.0.1", orthanc.dicomPort(), AE);
        try (Outbox outbox = new Outbox(store, Map.of("pacs", new CStoreSender(vertx, "pacs",
                base.withCommitment(Duration.ofSeconds(1), Duration.ZERO))),
                new Outbox.Settings(2, Duration.ofMillis(200), Duration.ofMillis(400), 50, Duration.ofMillis(50)))) {
            outbox.start();
            outbox.enqueue("job-1", "pacs", files("a", 1, 4));
            JsonObject waiting = await(outbox, "pacs", x -> x.getInteger("awaitingCommitment") == 1);
            assertEquals(1, waiting.getInteger("awaitingCommitment"), waiting.encode());
            assertEquals(1, waiting.getInteger("sent"), waiting.encode());
            JsonObject s = await(outbox, "pacs", x -> x.getInteger("dead") == 1);
            assertEquals(1, s.getInteger("dead"), s.encode());
            assertTrue(s.getString("lastError").contains("no storage commitment result from pacs within 1 s"), s.encode());
            assertEquals(2, outbox.items("job-1").get(0).attempts());
            assertEquals(0, outbox.commitments().openTransactions());
        }
    }
}
