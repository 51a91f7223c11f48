package org.radflow.http;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The served OpenAPI document and the routes the API really registers are the same set, both ways. */
class OpenApiRoutesTest {

    @Test
    void everyRouteIsDocumentedAndEveryDocumentedPathIsARoute() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            HttpApi api = new HttpApi(vertx, null, null, null, null, null, null);
            Set<String> routes = new TreeSet<>(HttpApi.describe(api.router()));
            JsonObject doc;
            try (InputStream in = HttpApi.class.getResourceAsStream("openapi.json")) {
                assertNotNull(in, "openapi.json is on the class path next to HttpApi");
                doc = new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
            assertTrue(doc.getString("openapi").startsWith("3."));
            Set<String> documented = new TreeSet<>();
            JsonObject paths = doc.getJsonObject("paths");
            for (String p : paths.fieldNames()) {
                for (String method : paths.getJsonObject(p).fieldNames()) {
                    documented.add(method.toUpperCase() + " " + p);
                }
            }
            Set<String> undocumented = new TreeSet<>(routes);
            undocumented.removeAll(documented);
            Set<String> missing = new TreeSet<>(documented);
            missing.removeAll(routes);
            assertEquals(Set.of(), undocumented, "routes missing from openapi.json");
            assertEquals(Set.of(), missing, "openapi.json paths with no route");
            assertTrue(routes.contains("GET /api/jobs/{id}/report.png"), routes.toString());
            assertTrue(routes.size() >= 20, "the whole API is registered: " + routes);
        } finally {
            vertx.close().await();
        }
    }
}
