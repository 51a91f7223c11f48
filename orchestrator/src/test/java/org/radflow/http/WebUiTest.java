package org.radflow.http;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The dashboard's files and settings as the API's router serves them (the page itself: DashboardBrowserIT). */
class WebUiTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** A reference to another origin in a file the page loads (the dashboard must work without network). */
    private static final Pattern EXTERNAL = Pattern.compile("(src|href|url)\\s*[=(]\\s*[\"']?(https?:)?//", Pattern.CASE_INSENSITIVE);
    private Vertx vertx;
    private HttpServer server;
    private final AtomicInteger viewerPort = new AtomicInteger(-1);

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        Router r = Router.router(vertx);
        r.get("/api/health").handler(ctx -> ctx.json(new JsonObject().put("status", "UP")));
        server = vertx.createHttpServer().requestHandler(WebUi.mount(r, viewerPort::get)).listen(0, "127.0.0.1")
                .await(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theDashboardIsServedFromTheJarWithoutExternalFilesAndLabelledForResearch() throws Exception {
        assertEquals(302, get("/").statusCode());
        assertEquals("/ui/", get("/").headers().firstValue("location").orElse(""));
        assertEquals("/ui/", get("/ui").headers().firstValue("location").orElse(""));
        HttpResponse<String> page = get("/ui/");
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("NOT FOR DIAGNOSTIC USE"), page.body());
        assertTrue(page.headers().firstValue("content-security-policy").orElse("").contains("default-src 'self'"));
        for (String file : new String[] {"/ui/index.html", "/ui/app.js", "/ui/style.css"}) {
            HttpResponse<String> f = get(file);
            assertEquals(200, f.statusCode(), file);
            assertFalse(EXTERNAL.matcher(f.body()).find(), file + " loads nothing from another origin");
        }
        assertTrue(get("/ui/app.js").headers().firstValue("content-type").orElse("").contains("javascript"));
        assertEquals(404, get("/ui/nothing.js").statusCode());
        assertEquals(200, get("/api/health").statusCode(), "the API keeps its routes");
    }

    @Test
    void settingsTellThePageWhereTheViewerIs() throws Exception {
        assertNull(new JsonObject(get("/ui/settings.json").body()).getValue("viewerPort"));
        viewerPort.set(18081);
        assertEquals(18081, new JsonObject(get("/ui/settings.json").body()).getInteger("viewerPort"));
    }
}
