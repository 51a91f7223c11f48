package org.radflow.http;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.config.RadflowConfig;
import org.radflow.server.RadflowServer;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Oversized and malformed requests on a real server with tokens: 413 and 400 with a JSON error and exactly one WARN
 * line, never an ERROR ("Unhandled exception in router") or a stack trace, with and without a token.
 */
class HttpLimitsTest {

    private static final String OPERATOR = "operator-token-0123456789";

    @TempDir
    Path dir;

    private RadflowServer server;
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        Path config = dir.resolve("radflow.yaml");
        Files.writeString(config, """
                server: {dataDir: %s}
                listener: {bindAddress: 127.0.0.1, port: 0, minFreeSpaceMb: 0, fsync: false}
                api:
                  port: 0
                  auth:
                    tokens:
                      - {name: ops, token: %s, role: operator}
                """.formatted(dir.resolve("data"), OPERATOR));
        server = new RadflowServer(RadflowConfig.load(config), false, config);
        try {
            server.start().await(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            server.close();
            throw e;
        }
        log.start();
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(log);
    }

    @AfterEach
    void stop() {
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(log);
        server.close();
    }

    private HttpResponse<String> post(String path, String token, byte[] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The log lines since the last call (the appender is synchronous: lines are there when the answer is). */
    private List<ILoggingEvent> drain() throws InterruptedException {
        Thread.sleep(100); // the failure handler logs before it answers; a short grace covers a reordered flush
        synchronized (log) {
            List<ILoggingEvent> out = List.copyOf(log.list);
            log.list.clear();
            return out;
        }
    }

    private static void assertOneWarn(List<ILoggingEvent> events, String contains) {
        List<ILoggingEvent> warns = events.stream().filter(e -> e.getLevel() == Level.WARN).toList();
        List<ILoggingEvent> errors = events.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.ERROR)).toList();
        assertEquals(List.of(), errors.stream().map(ILoggingEvent::getFormattedMessage).toList(), "no ERROR");
        assertEquals(1, warns.size(), "one WARN: " + warns.stream().map(ILoggingEvent::getFormattedMessage).toList());
        assertTrue(warns.get(0).getFormattedMessage().contains(contains), warns.get(0).getFormattedMessage());
        assertEquals(null, warns.get(0).getThrowableProxy(), "no stack trace");
    }

    @Test
    void anOversizedBodyIs413WithOneWarnLineWithAndWithoutAToken() throws Exception {
        byte[] big = new byte[HttpApi.MAX_BODY_BYTES + 4096];
        java.util.Arrays.fill(big, (byte) ' ');
        for (String token : new String[] {null, OPERATOR}) {
            HttpResponse<String> r = post("/api/rules/test", token, big);
            assertEquals(413, r.statusCode(), r.body());
            assertTrue(new JsonObject(r.body()).getString("error").contains("larger than 1024 KB"), r.body());
            assertOneWarn(drain(), "HTTP 413 for POST /api/rules/test");
        }
    }

    @Test
    void malformedJsonIs400WithOneWarnLine() throws Exception {
        HttpResponse<String> r = post("/api/rules/test", OPERATOR, "{\"paths\": [".getBytes());
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(new JsonObject(r.body()).getString("error").startsWith("the body must be a JSON object"), r.body());
        assertOneWarn(drain(), "HTTP 400 for POST /api/rules/test");

        // without a token the request is refused before its body is read: 401, and nothing at ERROR
        HttpResponse<String> anonymous = post("/api/rules/test", null, "{\"paths\": [".getBytes());
        assertEquals(401, anonymous.statusCode(), anonymous.body());
        assertTrue(drain().stream().noneMatch(e -> e.getLevel().isGreaterOrEqual(Level.ERROR)));
    }
}
