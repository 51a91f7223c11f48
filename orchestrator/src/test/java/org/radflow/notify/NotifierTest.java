package org.radflow.notify;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.radflow.config.RadflowConfig;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Webhook deliveries against a real Vert.x HTTP receiver on loopback: body, signature, retries, give-up, filters. */
class NotifierTest {

    private static final String SECRET = "webhook-secret-0123456789";

    private Vertx vertx;
    private HttpServer receiver;
    private int port;
    /** Status codes the receiver answers, in turn; 200 once they are used up. */
    private final List<Integer> answers = new CopyOnWriteArrayList<>();
    private final AtomicInteger calls = new AtomicInteger();
    private final List<Map<String, String>> received = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startReceiver() throws Exception {
        vertx = Vertx.vertx();
        receiver = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
            int n = calls.getAndIncrement();
            received.add(Map.of("body", body.toString(), "signature", String.valueOf(req.getHeader("X-RadFlow-Signature")),
                    "event", String.valueOf(req.getHeader("X-RadFlow-Event")), "delivery", String.valueOf(req.getHeader("X-RadFlow-Delivery")),
                    "timestamp", String.valueOf(req.getHeader("X-RadFlow-Timestamp")),
                    "signatureV2", String.valueOf(req.getHeader("X-RadFlow-Signature-V2"))));
            req.response().setStatusCode(n < answers.size() ? answers.get(n) : 200).end();
        })).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
        port = receiver.actualPort();
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private RadflowConfig.Notifications settings(int maxAttempts, int queueLimit, RadflowConfig.Webhook... hooks) {
        return new RadflowConfig.Notifications(List.of(hooks), queueLimit, maxAttempts, Duration.ofMillis(50), Duration.ofMillis(200),
                Duration.ofSeconds(5));
    }

    private RadflowConfig.Webhook hook(String name, String secret, Set<String> modules, Set<String> rules) {
        return new RadflowConfig.Webhook(name, "http://127.0.0.1:" + port + "/hook/" + name, Set.copyOf(RadflowConfig.NOTIFICATION_EVENTS),
                secret == null ? RadflowConfig.Secret.NONE : new RadflowConfig.Secret(secret), modules, rules);
    }

    private static Notification failed(String module, String rule) {
        return new Notification("job.failed", Instant.parse("2026-12-04T10:00:00Z"), "job-1", module, rule, "1.2.3.4", null,
                "the module failed: no lungs found");
    }

    private static JsonObject await(Notifier n, Predicate<JsonObject> done) throws InterruptedException {
        long end = System.currentTimeMillis() + 15_000;
        JsonObject r = n.recent();
        while (System.currentTimeMillis() < end) {
            r = n.recent();
            if (done.test(r)) {
                return r;
            }
            Thread.sleep(20);
        }
        fail("not reached: " + r.encodePrettily());
        return r;
    }

    @Test
    void aSignedBodyIsRetriedUntilTheReceiverTakesIt() throws Exception {
        answers.addAll(List.of(500, 503));
        try (Notifier n = new Notifier(settings(5, 10, hook("ops", SECRET, Set.of(), Set.of())), "node-a")) {
            n.publish(failed("covidnet", "chest"));
            JsonObject r = await(n, x -> x.getLong("delivered") == 1);
            JsonObject d = r.getJsonArray("deliveries").getJsonObject(0);
            assertEquals("delivered", d.getString("status"));
            assertEquals(3, d.getInteger("attempts"));
            assertEquals(0, r.getInteger("waiting"));
            assertFalse(r.getBoolean("durable"));
            // the API shows where a webhook goes, not its path (chat services put their secret there)
            assertEquals("http://127.0.0.1:" + port + "/...", r.getJsonArray("webhooks").getJsonObject(0).getString("url"));
        }
        assertEquals(3, received.size());
        for (Map<String, String> m : received) {
            String body = m.get("body");
            assertEquals("sha256=" + Notifier.hmacSha256Hex(SECRET, body.getBytes(java.nio.charset.StandardCharsets.UTF_8)), m.get("signature"));
            assertEquals("job.failed", m.get("event"));
            JsonObject o = new JsonObject(body);
            assertEquals(m.get("delivery"), o.getString("id"));
            assertEquals("job-1", o.getString("jobId"));
            assertEquals("covidnet", o.getString("module"));
            assertEquals("1.2.3.4", o.getString("studyInstanceUid"));
            assertEquals("2026-12-04T10:00:00Z", o.getString("time"));
            assertEquals("node-a", o.getString("node"));
            assertFalse(o.containsKey("patientName") || o.containsKey("patientId"));
        }
        // against replay: each attempt's own time, signed together with the body
        for (Map<String, String> m : received) {
            long t = Long.parseLong(m.get("timestamp"));
            assertTrue(Math.abs(Instant.now().getEpochSecond() - t) < 60, m.get("timestamp"));
            assertEquals("sha256=" + Notifier.hmacSha256Hex(SECRET, Notifier.timestamped(m.get("timestamp"),
                    m.get("body").getBytes(java.nio.charset.StandardCharsets.UTF_8))), m.get("signatureV2"));
            // a replayed body with a fresh time does not verify without the secret
            assertFalse(m.get("signatureV2").equals("sha256=" + Notifier.hmacSha256Hex(SECRET, Notifier.timestamped(
                    Long.toString(t + 3600), m.get("body").getBytes(java.nio.charset.StandardCharsets.UTF_8)))));
        }
        // one delivery id across its retries, so that a receiver can drop repeats
        assertEquals(1, received.stream().map(m -> m.get("delivery")).distinct().count());
        // a wrong key gives another signature
        assertFalse(received.get(0).get("signature").endsWith(Notifier.hmacSha256Hex("another-secret-0123456", received.get(0).get("body").getBytes())));
    }

    @Test
    void waitingDeliveriesSurviveARestartWithTheirIdAndAttempts(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path pending = dir.resolve("notifications");
        // the receiver refuses the first 3 attempts; the first notifier stops after 2, as a server would at a restart
        answers.addAll(List.of(500, 500, 500));
        RadflowConfig.Notifications slow = new RadflowConfig.Notifications(List.of(hook("ops", SECRET, Set.of(), Set.of())), 10, 10,
                Duration.ofMillis(50), Duration.ofMillis(200), Duration.ofSeconds(5));
        try (Notifier n = new Notifier(slow, "node-a", pending)) {
            n.publish(failed("covidnet", "chest"));
            await(n, x -> calls.get() >= 2 && x.getJsonArray("deliveries").getJsonObject(0).getInteger("attempts") >= 2);
            assertTrue(n.recent().getBoolean("durable"));
        }
        int before = calls.get();
        try (var files = java.nio.file.Files.list(pending)) {
            assertEquals(1, files.filter(f -> f.toString().endsWith(".json")).count(), "one waiting delivery on disk");
        }
        // a webhook removed from the configuration meanwhile: its waiting deliveries are dropped, not sent elsewhere
        java.nio.file.Files.writeString(pending.resolve("0-gone.json"), new JsonObject().put("id", "gone").put("webhook", "removed")
                .put("event", "job.failed").put("time", "2026-12-04T10:00:00Z").put("attempts", 1).put("body", "{}").encode());
        try (Notifier n = new Notifier(slow, "node-a", pending)) {
            JsonObject r = await(n, x -> x.getLong("delivered") == 1);
            JsonObject d = r.getJsonArray("deliveries").getJsonObject(0);
            assertTrue(d.getInteger("attempts") > 1 && d.getInteger("attempts") >= calls.get() - 1,
                    "attempts carry on from before the restart: " + d + ", " + calls.get() + " calls");
            assertTrue(calls.get() > before);
        }
        try (var files = java.nio.file.Files.list(pending)) {
            assertEquals(0, files.count(), "nothing left waiting");
        }
        // the same delivery id and body before and after the restart
        assertEquals(1, received.stream().map(m -> m.get("delivery")).distinct().count());
        assertEquals(1, received.stream().map(m -> m.get("body")).distinct().count());
        assertTrue(received.size() >= 4, "3 refusals then a success: " + received.size());
    }

    @Test
    void aReceiverThatKeepsFailingIsGivenUpAfterMaxAttempts() throws Exception {
        answers.addAll(List.of(500, 500, 500, 500, 500));
        try (Notifier n = new Notifier(settings(3, 10, hook("ops", null, Set.of(), Set.of())), "node-a")) {
            n.publish(failed("covidnet", "chest"));
            JsonObject r = await(n, x -> x.getLong("failed") == 1);
            JsonObject d = r.getJsonArray("deliveries").getJsonObject(0);
            assertEquals("failed", d.getString("status"));
            assertEquals(3, d.getInteger("attempts"));
            assertEquals(500, d.getInteger("lastStatusCode"));
        }
        assertEquals(3, received.size());
        assertEquals("null", received.get(0).get("signature"), "no secret: no signature header");
    }

    @Test
    void anUnreachableReceiverIsRetriedThenFails() throws Exception {
        int closedPort = port;
        receiver.close().await(5, TimeUnit.SECONDS);
        RadflowConfig.Webhook w = new RadflowConfig.Webhook("gone", "http://127.0.0.1:" + closedPort + "/h", Set.of("job.failed"),
                RadflowConfig.Secret.NONE, Set.of(), Set.of());
        try (Notifier n = new Notifier(settings(2, 10, w), "node-a")) {
            n.publish(failed("covidnet", "chest"));
            JsonObject d = await(n, x -> x.getLong("failed") == 1).getJsonArray("deliveries").getJsonObject(0);
            assertEquals(2, d.getInteger("attempts"));
            assertNull(d.getInteger("lastStatusCode"));
            assertTrue(d.getString("lastError").toLowerCase().contains("connect"), d.getString("lastError"));
        }
    }

    @Test
    void filtersChooseTheWebhooks() throws Exception {
        try (Notifier n = new Notifier(settings(1, 10, hook("cxr", null, Set.of("covidnet"), Set.of()),
                hook("chest-rule", null, Set.of(), Set.of("chest"))), "node-a")) {
            n.publish(failed("hippovolume", "brain")); // neither
            n.publish(failed("covidnet", "other")); // cxr only
            n.publish(new Notification("module.paused", Instant.now(), null, "hippovolume", null, null, null, "crashed")); // chest-rule
            JsonObject r = await(n, x -> x.getLong("delivered") == 2);
            assertEquals(2, r.getJsonArray("deliveries").size());
        }
        assertEquals(2, received.size());
        assertTrue(received.stream().anyMatch(m -> m.get("event").equals("module.paused")));
    }

    @Test
    void theQueueIsBounded() throws Exception {
        answers.addAll(List.of(500, 500, 500, 500, 500, 500, 500, 500));
        try (Notifier n = new Notifier(settings(3, 2, hook("ops", null, Set.of(), Set.of())), "node-a")) {
            for (int i = 0; i < 5; i++) {
                n.publish(failed("covidnet", "chest"));
            }
            JsonObject r = n.recent();
            assertEquals(3, r.getLong("dropped"));
            assertEquals(2, r.getJsonArray("deliveries").stream().filter(o -> !((JsonObject) o).getString("status").equals("dropped")).count());
            await(n, x -> x.getLong("failed") == 2 && x.getInteger("waiting") == 0);
        }
    }

    @Test
    void backOffDoublesUpToItsLimit() {
        RadflowConfig.Notifications s = new RadflowConfig.Notifications(List.of(), 10, 10, Duration.ofSeconds(2), Duration.ofSeconds(10),
                Duration.ofSeconds(1));
        assertEquals(List.of(2L, 4L, 8L, 10L, 10L), List.of(1, 2, 3, 4, 5).stream().map(i -> Notifier.backoff(s, i).toSeconds()).toList());
    }
}
