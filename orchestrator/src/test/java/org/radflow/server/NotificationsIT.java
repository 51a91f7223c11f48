package org.radflow.server;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.config.RadflowConfig;
import org.radflow.notify.Notifier;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real server whose job fails tells a webhook: a receiver on loopback gets job.failed (signed, after one refused
 * attempt) for the failing module and result.available for the one that succeeds; a webhook filtered to the failing
 * module hears only its event; GET /api/notifications shows the deliveries.
 */
class NotificationsIT {

    private static final String SECRET = "it-webhook-secret-0123456789";

    @TempDir
    Path dir;

    @Test
    void aFailedJobAndAResultReachTheWebhooks() throws Exception {
        Vertx vertx = Vertx.vertx();
        List<Map<String, String>> received = new CopyOnWriteArrayList<>();
        AtomicInteger calls = new AtomicInteger();
        try {
            var receiver = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
                // the first call of all is refused: the notifier must retry it
                int n = calls.getAndIncrement();
                received.add(Map.of("path", req.path(), "body", body.toString(),
                        "signature", String.valueOf(req.getHeader("X-RadFlow-Signature")), "status", n == 0 ? "503" : "200"));
                req.response().setStatusCode(n == 0 ? 503 : 204).end();
            })).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
            int hookPort = receiver.actualPort();

            Path secret = dir.resolve("webhook-secret");
            Files.writeString(secret, SECRET + "\n");
            Files.setPosixFilePermissions(secret, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            Path modules = dir.resolve("modules");
            OrchestratorIT.installSampleModule(modules);
            Path cfg = dir.resolve("radflow.yaml");
            Files.writeString(cfg, """
                    server: {dataDir: %s}
                    listener: {bindAddress: 127.0.0.1, port: 0, minFreeSpaceMb: 0, fsync: false}
                    api: {port: 0}
                    viewer: {enabled: false}
                    tracking: {seriesQuietSeconds: 1, studyQuietSeconds: 2}
                    modules:
                      dir: %s
                      watch: false
                      sample: {isolation: in-process}
                      sample-fail: {isolation: in-process, config: {mode: permanent, failTimes: -1}}
                    rules:
                      - {name: to-fail, module: sample-fail, match: {Modality: MR}}
                      - {name: to-sample, module: sample, match: {Modality: MR}}
                    notifications:
                      initialBackoffSeconds: 1
                      webhooks:
                        - {name: all, url: 'http://127.0.0.1:%d/all', secretFile: %s, events: [job.failed, result.available]}
                        - {name: failing-only, url: 'http://127.0.0.1:%d/failing', modules: [sample-fail]}
                    """.formatted(dir.resolve("data"), modules, hookPort, secret, hookPort));
            MrOptions options = MrOptions.defaults().withSeed(5);
            GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), options);
            try (RadflowServer s = new RadflowServer(RadflowConfig.load(cfg), false, cfg)) {
                s.start().await(60, TimeUnit.SECONDS);
                OrchestratorIT.send(s.dicomPort(), mr.files());
                OrchestratorIT.awaitJobs(s.httpPort(), "", l -> l.size() == 2 && OrchestratorIT.allIn(l, "SUCCEEDED", "FAILED"), 60_000);

                long end = System.currentTimeMillis() + 30_000;
                JsonObject n = OrchestratorIT.get(s.httpPort(), "/api/notifications");
                while (n.getLong("delivered") < 3 && System.currentTimeMillis() < end) {
                    Thread.sleep(100);
                    n = OrchestratorIT.get(s.httpPort(), "/api/notifications");
                }
                assertEquals(3, n.getLong("delivered"), n.encodePrettily());
                assertEquals(0, n.getInteger("waiting"));
                assertTrue(n.getBoolean("durable"), "waiting deliveries are kept in <dataDir>/notifications");
                try (var waitingFiles = java.nio.file.Files.list(dir.resolve("data").resolve("notifications"))) {
                    assertEquals(0, waitingFiles.count(), "nothing waits once all are delivered");
                }
                JsonArray deliveries = n.getJsonArray("deliveries");
                assertEquals(3, deliveries.size());
                assertEquals(4, deliveries.stream().mapToInt(o -> ((JsonObject) o).getInteger("attempts")).sum(),
                        "one refused attempt retried: " + deliveries.encodePrettily());

                // a reload carries the notifications block: the filtered webhook goes, a renamed one comes
                Files.writeString(cfg, Files.readString(cfg).replace("- {name: failing-only, url: 'http://127.0.0.1:" + hookPort
                        + "/failing', modules: [sample-fail]}", "- {name: renamed, url: 'http://127.0.0.1:" + hookPort + "/renamed'}"));
                java.net.http.HttpResponse<String> reload = java.net.http.HttpClient.newHttpClient().send(
                        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + s.httpPort() + "/api/config/reload"))
                                .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertEquals(200, reload.statusCode(), reload.body());
                assertTrue(new JsonObject(reload.body()).getJsonArray("applied").contains("notifications"), reload.body());
                JsonArray hooks = OrchestratorIT.get(s.httpPort(), "/api/notifications").getJsonArray("webhooks");
                assertEquals(List.of("all", "renamed"), hooks.stream().map(o -> ((JsonObject) o).getString("name")).toList());
                assertTrue(hooks.getJsonObject(0).getBoolean("signed"));
            }

            List<Map<String, String>> ok = received.stream().filter(m -> m.get("status").equals("200")).toList();
            assertEquals(3, ok.size(), received.toString());
            JsonObject failed = ok.stream().filter(m -> m.get("path").equals("/all")).map(m -> new JsonObject(m.get("body")))
                    .filter(o -> o.getString("event").equals("job.failed")).findFirst().orElseThrow();
            assertEquals("sample-fail", failed.getString("module"));
            assertEquals("to-fail", failed.getString("rule"));
            assertEquals(mr.studyInstanceUid(), failed.getString("studyInstanceUid"));
            assertTrue(failed.getString("reason").contains("planned permanent failure"), failed.encode());
            JsonObject result = ok.stream().filter(m -> m.get("path").equals("/all")).map(m -> new JsonObject(m.get("body")))
                    .filter(o -> o.getString("event").equals("result.available")).findFirst().orElseThrow();
            assertEquals("sample", result.getString("module"));
            for (Map<String, String> m : received) {
                String body = m.get("body");
                assertFalse(body.contains("Patient") || body.contains(options.patient().name()) || body.contains(options.patient().id()), "no patient data: " + body);
                if (m.get("path").equals("/all")) {
                    assertEquals("sha256=" + Notifier.hmacSha256Hex(SECRET, body.getBytes(StandardCharsets.UTF_8)), m.get("signature"));
                } else {
                    assertEquals("null", m.get("signature"), "a webhook without a secret is not signed");
                }
            }
            List<Map<String, String>> failing = ok.stream().filter(m -> m.get("path").equals("/failing")).toList();
            assertEquals(1, failing.size(), "the filtered webhook hears only sample-fail: " + failing);
            assertEquals("job.failed", new JsonObject(failing.get(0).get("body")).getString("event"));
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }
}
