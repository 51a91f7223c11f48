package org.radflow.server;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.config.RadflowConfig;
import org.radflow.testkit.FreePorts;
import org.radflow.testkit.PostgresServer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GET /api/health/ready on a real server: UP when all is well, then each cause of not-ready (a dead letter, the DICOM
 * listener's port closed, the spool below listener.minFreeSpaceMb, a module that failed to load, the store's
 * PostgreSQL stopped) answers 503 with that component DOWN and a detail naming it. Live and ready need no token
 * though api.auth has tokens; /api/health stays 200 with readiness's status.
 */
class HealthIT {

    private static final String TOKEN = "viewer-token-0123456789";
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private RadflowServer start(String extra) throws Exception {
        Path config = dir.resolve("radflow.yaml");
        Files.writeString(config, """
                server: {dataDir: %s}
                listener: {bindAddress: 127.0.0.1, port: 0, fsync: false, minFreeSpaceMb: %s}
                api:
                  port: 0
                  auth:
                    tokens:
                      - {name: wall, token: %s, role: viewer}
                """.formatted(dir.resolve("data"), extra.contains("HUGE") ? "100000000" : "0", TOKEN)
                + extra.replace("HUGE", ""));
        RadflowServer s = new RadflowServer(RadflowConfig.load(config), false, config);
        try {
            s.start().await(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            s.close();
            throw e;
        }
        return s;
    }

    private HttpResponse<String> get(RadflowServer s, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.httpPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String component(HttpResponse<String> r, String name) {
        return new JsonObject(r.body()).getJsonObject("components").getJsonObject(name).getString("status");
    }

    private static String detail(HttpResponse<String> r, String name) {
        return new JsonObject(r.body()).getJsonObject("components").getJsonObject(name).getString("detail");
    }

    /** Polls ready until the component reaches the status (state changes asynchronously), then returns that answer. */
    private HttpResponse<String> awaitComponent(RadflowServer s, String name, String status) throws Exception {
        long end = System.currentTimeMillis() + 20_000;
        HttpResponse<String> r = get(s, "/api/health/ready");
        while (!status.equals(component(r, name)) && System.currentTimeMillis() < end) {
            Thread.sleep(100);
            r = get(s, "/api/health/ready");
        }
        assertEquals(status, component(r, name), r.body());
        return r;
    }

    @Test
    void readyWhenAllIsWellThenNotReadyForADeadLetterAndForAClosedDicomPort() throws Exception {
        int closedPort = FreePorts.find();
        try (RadflowServer s = start("""
                delivery: {maxAttempts: 1, initialBackoffSeconds: 1}
                destinations:
                  nowhere: {type: dicom, aeTitle: NOWHERE, host: 127.0.0.1, port: %d, connectTimeoutSeconds: 1}
                """.formatted(closedPort))) {
            HttpResponse<String> live = get(s, "/api/health/live");
            assertEquals(200, live.statusCode(), "live needs no token: " + live.body());
            HttpResponse<String> ready = get(s, "/api/health/ready");
            assertEquals(200, ready.statusCode(), "ready needs no token and is UP: " + ready.body());
            for (String c : new String[] {"store", "spool", "listener", "outbox", "modules"}) {
                assertEquals("UP", component(ready, c), c + ": " + ready.body());
            }
            assertEquals(401, get(s, "/api/jobs").statusCode(), "other routes still need the token");
            HttpResponse<String> health = get(s, "/api/health");
            assertEquals(200, health.statusCode());
            assertEquals("UP", new JsonObject(health.body()).getString("status"));

            // a delivery that fails its only attempt becomes a dead letter
            Path file = dir.resolve("object.dcm");
            Files.write(file, new byte[256]);
            s.outbox().enqueue("job-health-1", "nowhere", Map.of("1.2.826.0.1.3680043.10.543.1", file));
            s.outbox().wake();
            HttpResponse<String> dead = awaitComponent(s, "outbox", "DOWN");
            assertEquals(503, dead.statusCode(), dead.body());
            assertTrue(detail(dead, "outbox").contains("nowhere (1 dead letter)"), dead.body());
            HttpResponse<String> summary = get(s, "/api/health");
            assertEquals(200, summary.statusCode(), "/api/health stays 200 for old checks");
            assertEquals("DOWN", new JsonObject(summary.body()).getString("status"), summary.body());

            int dicomPort = s.dicomPort();
            assertTrue(FreePorts.isListening(dicomPort));
            s.listenerVerticle().scp().stop(1000);
            HttpResponse<String> closed = awaitComponent(s, "listener", "DOWN");
            assertEquals(503, closed.statusCode());
            assertTrue(detail(closed, "listener").contains(":" + dicomPort), closed.body());
            assertEquals(200, get(s, "/api/health/live").statusCode(), "the process still answers");
        }
    }

    @Test
    void aSpoolBelowMinFreeSpaceIsNotReady() throws Exception {
        try (RadflowServer s = start("HUGE")) {
            HttpResponse<String> r = get(s, "/api/health/ready");
            assertEquals(503, r.statusCode(), r.body());
            assertEquals("DOWN", component(r, "spool"));
            assertTrue(detail(r, "spool").contains("below listener.minFreeSpaceMb"), r.body());
            assertEquals("UP", component(r, "store"), r.body());
            assertEquals("UP", component(r, "listener"), r.body());
        }
    }

    @Test
    void aModuleThatFailedToLoadIsNotReady() throws Exception {
        Path modules = dir.resolve("modules");
        Files.createDirectories(modules.resolve("broken"));
        Files.writeString(modules.resolve("broken").resolve("README.txt"), "no jar here");
        try (RadflowServer s = start("modules: {dir: %s, watch: false}\n".formatted(modules))) {
            HttpResponse<String> r = get(s, "/api/health/ready");
            assertEquals(503, r.statusCode(), r.body());
            assertEquals("DOWN", component(r, "modules"));
            assertTrue(detail(r, "modules").contains("failed to load"), r.body());
            assertEquals("UP", component(r, "spool"), r.body());
        }
    }

    @Test
    void aStoppedDatabaseIsNotReadyWithinSeconds() throws Exception {
        try (PostgresServer pg = new PostgresServer().start()) {
            String url = pg.createDatabase();
            try (RadflowServer s = start("store: {url: '%s', user: %s}\n".formatted(url, pg.user()))) {
                HttpResponse<String> up = get(s, "/api/health/ready");
                assertEquals(200, up.statusCode(), up.body());
                assertEquals("UP", component(up, "store"));
                pg.stop();
                long t0 = System.nanoTime();
                HttpResponse<String> down = awaitComponent(s, "store", "DOWN");
                assertEquals(503, down.statusCode(), down.body());
                assertTrue(detail(down, "store").contains("database"), down.body());
                assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(15), "DOWN within seconds, not the pool's timeout");
            }
        }
    }
}
