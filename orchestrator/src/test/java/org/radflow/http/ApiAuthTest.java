package org.radflow.http;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.radflow.config.RadflowConfig;
import org.radflow.config.RadflowConfig.ApiToken;
import org.radflow.config.RadflowConfig.Auth;
import org.radflow.config.RadflowConfig.Role;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ApiAuthTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private Vertx vertx;
    private HttpServer server;
    private ApiAuth auth;

    private static ApiToken token(String name, String secret, Role role) {
        return new ApiToken(name, RadflowConfig.sha256(secret), role);
    }

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        auth = new ApiAuth(new Auth(List.of(token("wall", "viewer-secret-0123456789", Role.VIEWER),
                token("ops", "operator-secret-0123456789", Role.OPERATOR)), List.of("/api/health")), null);
        Router r = Router.router(vertx);
        r.get("/api/health").handler(auth.require(Role.VIEWER)).handler(ctx -> ctx.end(ctx.<String>get(ApiAuth.USER)));
        r.get("/api/things").handler(auth.require(Role.VIEWER)).handler(ctx -> ctx.end(ctx.<String>get(ApiAuth.USER)));
        r.post("/api/things/retry").handler(auth.require(Role.OPERATOR)).handler(ctx -> ctx.end(ctx.<String>get(ApiAuth.USER)));
        r.post("/api/config/reload").handler(auth.require(Role.ADMIN)).handler(ctx -> ctx.end(ctx.<String>get(ApiAuth.USER)));
        server = vertx.createHttpServer().requestHandler(r).listen(0, "127.0.0.1").await();
    }

    @AfterEach
    void stop() {
        vertx.close().await();
    }

    private HttpResponse<String> call(String method, String path, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void tokensAndRolesDecide() throws Exception {
        HttpResponse<String> none = call("GET", "/api/things", null);
        assertEquals(401, none.statusCode());
        assertEquals("Bearer realm=\"radflow\"", none.headers().firstValue("WWW-Authenticate").orElseThrow());
        assertTrue(none.body().contains("api.auth.tokens"), none.body());
        HttpResponse<String> bad = call("GET", "/api/things", "Bearer viewer-secret-012345678");
        assertEquals(401, bad.statusCode(), "one character short is not the token");
        assertTrue(bad.headers().firstValue("WWW-Authenticate").orElseThrow().contains("invalid_token"));
        assertEquals(401, call("GET", "/api/things", "Basic dXNlcjpwYXNz").statusCode());

        HttpResponse<String> viewer = call("GET", "/api/things", "Bearer viewer-secret-0123456789");
        assertEquals(200, viewer.statusCode());
        assertEquals("wall", viewer.body());
        assertEquals(200, call("GET", "/api/things", "bearer viewer-secret-0123456789").statusCode(), "the scheme is case-insensitive");
        HttpResponse<String> tooLow = call("POST", "/api/things/retry", "Bearer viewer-secret-0123456789");
        assertEquals(403, tooLow.statusCode());
        assertTrue(tooLow.body().contains("needs operator"), tooLow.body());
        assertEquals("ops", call("POST", "/api/things/retry", "Bearer operator-secret-0123456789").body());
        assertEquals(403, call("POST", "/api/config/reload", "Bearer operator-secret-0123456789").statusCode());

        HttpResponse<String> open = call("GET", "/api/health", null);
        assertEquals(200, open.statusCode());
        assertEquals("open", open.body());
    }

    @Test
    void aReloadReplacesTokensAndNoTokensMeansOff() throws Exception {
        auth.update(new Auth(List.of(token("root", "admin-secret-0123456789", Role.ADMIN)), List.of()));
        assertEquals(401, call("GET", "/api/things", "Bearer viewer-secret-0123456789").statusCode(), "old token gone");
        assertEquals(401, call("GET", "/api/health", null).statusCode(), "health no longer open");
        assertEquals("root", call("POST", "/api/config/reload", "Bearer admin-secret-0123456789").body(), "admin may do everything");
        assertEquals("root", call("POST", "/api/things/retry", "Bearer admin-secret-0123456789").body());

        auth.update(new Auth(List.of(), List.of()));
        HttpResponse<String> off = call("POST", "/api/config/reload", null);
        assertEquals(200, off.statusCode());
        assertEquals("anonymous", off.body());
    }
}
