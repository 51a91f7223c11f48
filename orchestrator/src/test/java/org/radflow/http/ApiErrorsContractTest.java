package org.radflow.http;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.config.RadflowConfig;
import org.radflow.server.RadflowServer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The refusals that come before a handler runs (no token, a bad token, a role too low, a body too large, a body that
 * is not JSON) answer as openapi.json documents them: a documented status and the Error schema, on a real server
 * with tokens. (ApiContractIT calls every operation without tokens.)
 */
class ApiErrorsContractTest {

    private static final String VIEWER = "viewer-token-0123456789";
    private static final String OPERATOR = "operator-token-0123456789";

    @TempDir
    Path dir;

    private RadflowServer server;
    private final HttpClient http = HttpClient.newHttpClient();
    private final ApiContract contract = ApiContract.served();
    private final List<String> problems = new ArrayList<>();

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
                      - {name: wall, token: %s, role: viewer}
                      - {name: ops, token: %s, role: operator}
                """.formatted(dir.resolve("data"), VIEWER, OPERATOR));
        server = new RadflowServer(RadflowConfig.load(config), false, config);
        try {
            server.start().await(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            server.close();
            throw e;
        }
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private void expect(int status, String method, String template, String path, String token, byte[] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path))
                .header("content-type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(status, r.statusCode(), method + " " + path + ": " + r.body());
        problems.addAll(contract.checkResponse(method, template, r.statusCode(), r.headers().firstValue("content-type").orElse(null),
                r.body()));
    }

    @Test
    void refusalsBeforeTheHandlerAreDocumentedErrors() throws Exception {
        expect(401, "GET", "/api/jobs", "/api/jobs", null, null);
        expect(401, "GET", "/api/modules", "/api/modules", "wrong-token-0123456789", null);
        expect(403, "POST", "/api/jobs/{id}/retry", "/api/jobs/some-job/retry", VIEWER, null);
        expect(403, "POST", "/api/config/reload", "/api/config/reload", OPERATOR, null);
        expect(403, "POST", "/api/rules/test", "/api/rules/test", VIEWER, "{\"paths\": [\"/etc\"]}".getBytes());
        byte[] big = new byte[HttpApi.MAX_BODY_BYTES + 4096];
        java.util.Arrays.fill(big, (byte) ' ');
        expect(413, "POST", "/api/rules/test", "/api/rules/test", null, big);
        expect(413, "POST", "/api/studies/{uid}/reprocess", "/api/studies/1.2.3/reprocess", OPERATOR, big);
        expect(400, "POST", "/api/rules/test", "/api/rules/test", OPERATOR, "{\"paths\": [".getBytes());
        expect(404, "POST", "/api/rules/test", "/api/rules/test", OPERATOR, "{\"studyInstanceUid\": \"1.2.3\"}".getBytes());
        // open probes need no token
        expect(200, "GET", "/api/health/live", "/api/health/live", null, null);
        assertEquals(List.of(), problems, "refusals that disagree with openapi.json");
    }
}
