package org.radflow.server;

import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.config.RadflowConfig;
import org.radflow.http.ApiContract;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;
import org.radflow.testkit.FreePorts;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * openapi.json is a contract the server keeps: a real server runs a job of the sample drop-in module, a destination
 * that refuses and a webhook nobody answers, and every operation of the document is called (successes and errors);
 * each answer's status, content type and JSON body are checked against the document with {@link ApiContract}
 * (strict: a property the document does not declare is a failure too).
 */
class ApiContractIT {

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();
    private final ApiContract contract = ApiContract.served();
    private final List<String> problems = new ArrayList<>();
    private final Set<String> called = new TreeSet<>();
    private int port;

    /** Calls a route, checks its answer against the document, and returns the answer. */
    private HttpResponse<String> call(String method, String template, String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("content-type", "application/json").build();
        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        problems.addAll(contract.checkResponse(method, template, r.statusCode(), r.headers().firstValue("content-type").orElse(null),
                r.body()));
        Operation op = contract.operation(method, template);
        if (op != null) {
            called.add(op.getOperationId());
        }
        return r;
    }

    private JsonObject ok(String method, String template, String path, String body) throws Exception {
        HttpResponse<String> r = call(method, template, path, body);
        assertEquals(200, r.statusCode(), method + " " + path + ": " + r.body());
        return new JsonObject(r.body());
    }

    private void status(int expected, String method, String template, String path, String body) throws Exception {
        HttpResponse<String> r = call(method, template, path, body);
        assertEquals(expected, r.statusCode(), method + " " + path + ": " + r.body());
    }

    /** Polls a GET route (unchecked) until its JSON answer satisfies the condition, then checks that last answer. */
    private JsonObject await(String template, String path, Predicate<JsonObject> done, String what) throws Exception {
        long end = System.currentTimeMillis() + 60_000;
        JsonObject last = null;
        while (System.currentTimeMillis() < end) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                last = new JsonObject(r.body());
                if (done.test(last)) {
                    return ok("GET", template, path, null);
                }
            }
            Thread.sleep(150);
        }
        throw new AssertionError("timed out waiting for " + what + "; last answer " + last);
    }

    @Test
    void everyOperationAnswersAsOpenApiJsonSays() throws Exception {
        Path data = dir.resolve("data");
        Path modules = dir.resolve("modules");
        OrchestratorIT.installSampleModule(modules);
        int deadPort = FreePorts.find();
        int deadHookPort = FreePorts.find();
        Path cfg = dir.resolve("radflow.yaml");
        Files.writeString(cfg, """
                server: {dataDir: %s}
                listener: {bindAddress: 127.0.0.1, port: 0, minFreeSpaceMb: 0, fsync: false}
                api: {port: 0}
                tracking: {seriesQuietSeconds: 1, studyQuietSeconds: 2}
                modules: {dir: %s, watch: false}
                destinations:
                  nowhere: {type: dicom, aeTitle: NOWHERE, host: 127.0.0.1, port: %d, connectTimeoutSeconds: 1}
                rules:
                  - {name: mr, module: sample, destinations: [nowhere], match: {Modality: MR}}
                notifications:
                  webhooks:
                    - {name: nobody, url: "http://127.0.0.1:%d/hook", events: [result.available]}
                """.formatted(data, modules, deadPort, deadHookPort));
        GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withSeed(41));
        String study = mr.studyInstanceUid();

        try (RadflowServer s = new RadflowServer(RadflowConfig.load(cfg), false, cfg)) {
            s.start().await(60, TimeUnit.SECONDS);
            port = s.httpPort();

            ok("GET", "/api/health/live", "/api/health/live", null);
            call("GET", "/api/health/ready", "/api/health/ready", null); // 200 or 503: both are documented
            ok("GET", "/api/health", "/api/health", null);
            ok("GET", "/api/openapi.json", "/api/openapi.json", null);
            status(200, "GET", "/metrics", "/metrics", null);
            ok("GET", "/api/studies", "/api/studies", null); // none yet: an empty page

            OrchestratorIT.send(s.dicomPort(), mr.files());
            JsonObject jobs = await("/api/jobs", "/api/jobs?module=sample", j -> j.getJsonArray("jobs").size() == 1
                    && "SUCCEEDED".equals(j.getJsonArray("jobs").getJsonObject(0).getString("state")), "the sample module's job");
            String jobId = jobs.getJsonArray("jobs").getJsonObject(0).getString("id");

            // studies and jobs, with their errors
            ok("GET", "/api/studies", "/api/studies?limit=10", null);
            ok("GET", "/api/studies/{uid}", "/api/studies/" + study, null);
            status(404, "GET", "/api/studies/{uid}", "/api/studies/1.2.3.4", null);
            status(400, "GET", "/api/studies/{uid}", "/api/studies/not-a-uid", null);
            status(400, "GET", "/api/jobs", "/api/jobs?state=DONE", null);
            ok("GET", "/api/jobs/{id}", "/api/jobs/" + jobId, null);
            status(404, "GET", "/api/jobs/{id}", "/api/jobs/no-such-job", null);
            HttpResponse<byte[]> png = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/jobs/" + jobId
                    + "/report.png")).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, png.statusCode());
            problems.addAll(contract.checkResponse("GET", "/api/jobs/{id}/report.png", 200,
                    png.headers().firstValue("content-type").orElse(null), ""));
            status(404, "GET", "/api/jobs/{id}/report.png", "/api/jobs/no-such-job/report.png", null);

            // a refusing destination and an unanswered webhook fill lastError and the deliveries
            await("/api/destinations", "/api/destinations", d -> d.getJsonObject("nowhere") != null
                    && d.getJsonObject("nowhere").getString("lastError") != null, "the destination's failure");
            await("/api/notifications", "/api/notifications", n -> !n.getJsonArray("deliveries").isEmpty()
                    && n.getJsonArray("deliveries").getJsonObject(0).getInteger("attempts") >= 1, "a webhook delivery attempt");
            await("/api/jobs/{id}", "/api/jobs/" + jobId, j -> !j.getJsonArray("deliveries").isEmpty(), "the job's deliveries");
            ok("POST", "/api/destinations/{name}/retry", "/api/destinations/nowhere/retry", null);
            status(404, "POST", "/api/destinations/{name}/retry", "/api/destinations/nosuch/retry", null);

            // modules
            JsonArray list = new JsonArray(call("GET", "/api/modules", "/api/modules", null).body());
            assertTrue(list.stream().anyMatch(m -> "sample".equals(((JsonObject) m).getString("id"))), list.encode());
            ok("POST", "/api/modules/{id}/disable", "/api/modules/sample/disable", null);
            status(409, "POST", "/api/studies/{uid}/reprocess", "/api/studies/" + study + "/reprocess",
                    new JsonObject().put("module", "sample").encode());
            ok("POST", "/api/modules/{id}/enable", "/api/modules/sample/enable", null);
            status(404, "POST", "/api/modules/{id}/enable", "/api/modules/nosuch/enable", null);
            ok("POST", "/api/modules/{id}/reload", "/api/modules/sample/reload", null);
            status(404, "POST", "/api/modules/{id}/reload", "/api/modules/nosuch/reload", null);

            // rules, node, configuration
            ok("GET", "/api/rules", "/api/rules", null);
            ok("POST", "/api/rules/test", "/api/rules/test", new JsonObject().put("studyInstanceUid", study).encode());
            status(400, "POST", "/api/rules/test", "/api/rules/test", "{}");
            status(400, "POST", "/api/rules/test", "/api/rules/test", "not json");
            ok("GET", "/api/cluster", "/api/cluster", null);
            ok("POST", "/api/cluster/drain", "/api/cluster/drain", null);
            ok("POST", "/api/cluster/resume", "/api/cluster/resume", null);
            ok("POST", "/api/config/reload", "/api/config/reload", null);

            // an operator's hold from retention, and its release
            JsonObject held = ok("POST", "/api/studies/{uid}/retention", "/api/studies/" + study + "/retention",
                    new JsonObject().put("hold", true).encode());
            assertTrue(held.getBoolean("hold"), held.encode());
            assertFalse(ok("POST", "/api/studies/{uid}/retention", "/api/studies/" + study + "/retention",
                    new JsonObject().put("hold", false).encode()).getBoolean("hold"));
            status(400, "POST", "/api/studies/{uid}/retention", "/api/studies/" + study + "/retention", "{\"hold\": \"yes\"}");
            status(404, "POST", "/api/studies/{uid}/retention", "/api/studies/9.9.9/retention", "{\"hold\": true}");

            // reprocess, retry, cancel: the same job queued again
            status(400, "POST", "/api/studies/{uid}/reprocess", "/api/studies/" + study + "/reprocess", "{}");
            status(404, "POST", "/api/studies/{uid}/reprocess", "/api/studies/" + study + "/reprocess",
                    new JsonObject().put("module", "nosuch").encode());
            int events = ok("GET", "/api/jobs/{id}", "/api/jobs/" + jobId, null).getJsonArray("timeline").size();
            JsonObject re = ok("POST", "/api/studies/{uid}/reprocess", "/api/studies/" + study + "/reprocess",
                    new JsonObject().put("module", "sample").put("priority", "high").encode());
            assertEquals(1, re.getJsonArray("jobs").size(), re.encode());
            String again = re.getJsonArray("jobs").getJsonObject(0).getString("id");
            await("/api/jobs/{id}", "/api/jobs/" + again, j -> "SUCCEEDED".equals(j.getString("state"))
                    && j.getJsonArray("timeline").size() > (again.equals(jobId) ? events : 0), "the reprocessed job");
            ok("POST", "/api/jobs/{id}/retry", "/api/jobs/" + again + "/retry", null);
            HttpResponse<String> cancel = call("POST", "/api/jobs/{id}/cancel", "/api/jobs/" + again + "/cancel", null);
            assertTrue(cancel.statusCode() == 200 || cancel.statusCode() == 409, cancel.statusCode() + " " + cancel.body());
            status(404, "POST", "/api/jobs/{id}/retry", "/api/jobs/no-such-job/retry", null);
            await("/api/jobs/{id}", "/api/jobs/" + again, j -> !List.of("QUEUED", "RUNNING").contains(j.getString("state")),
                    "the retried job to end");
            ok("GET", "/api/jobs", "/api/jobs", null);
            assertEquals(200, call("GET", "/api/modules", "/api/modules", null).statusCode());
            ok("GET", "/api/health", "/api/health", null);
            ok("GET", "/api/notifications", "/api/notifications", null);
        }

        assertEquals(List.of(), problems, "answers that disagree with openapi.json");
        Set<String> documented = new TreeSet<>();
        for (PathItem item : contract.api().getPaths().values()) {
            item.readOperations().forEach(op -> documented.add(op.getOperationId()));
        }
        assertEquals(documented, called, "every documented operation is called");
    }
}
