package org.radflow.server;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.config.RadflowConfig;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The assembled server: listener, event subscription, health endpoint, and the demo that make run shows. */
class RadflowServerIT {

    @TempDir
    Path dir;

    @Test
    void theDemoSendsItsStudiesThroughTheListenerAndHealthCountsThem() throws Exception {
        Path config = dir.resolve("radflow.yaml");
        Files.writeString(config, """
                server: {dataDir: %s}
                listener: {bindAddress: 127.0.0.1, port: 0, minFreeSpaceMb: 0}
                api: {port: 0}
                """.formatted(dir.resolve("data")));
        try (RadflowServer server = new RadflowServer(RadflowConfig.load(config), false)) {
            server.start().await(30, TimeUnit.SECONDS);
            new Demo(server).run();

            long spooled;
            try (Stream<Path> s = Files.walk(dir.resolve("data/spool/incoming"))) {
                spooled = s.filter(Files::isRegularFile).count();
            }
            assertEquals(33, spooled, "1 chest radiograph + 32 HippoCrop slices");
            long end = System.currentTimeMillis() + 5000;
            while (server.instancesReceived() < 33 && System.currentTimeMillis() < end) {
                Thread.sleep(20);
            }
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.httpPort() + "/api/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            JsonObject health = new JsonObject(r.body());
            assertEquals("UP", health.getString("status"));
            assertEquals(33, health.getJsonObject("listener").getLong("instancesReceived"));
            assertEquals(404, HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.httpPort() + "/nope")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        }
    }
}
