package org.radflow.server;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.config.RadflowConfig;
import org.radflow.metrics.PrometheusText;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;
import org.radflow.testkit.FreePorts;

import javax.imageio.ImageIO;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The operator's API over HTTPS with bearer tokens, on a real server running the sample drop-in
 * module: studies, jobs with their timeline, the report page PNG, modules (disable, enable, reload),
 * reprocess, rules, cluster, configuration reload (bad file refused, good one applied), metrics after
 * a real job, and the audit trail.
 */
class OperationsApiIT {

    private static final String VIEWER = "viewer-token-0123456789";
    private static final String OPERATOR = "operator-token-0123456789";
    private static final String ADMIN = "admin-token-0123456789abc";

    @TempDir
    Path dir;

    private HttpClient http;
    private int port;

    private HttpResponse<String> call(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonObject ok(String method, String path, String token, String body) throws Exception {
        HttpResponse<String> r = call(method, path, token, body);
        assertEquals(200, r.statusCode(), method + " " + path + ": " + r.body());
        return new JsonObject(r.body());
    }

    private JsonObject awaitJob(String query, String state, int count) throws Exception {
        long end = System.currentTimeMillis() + 40_000;
        JsonArray jobs = new JsonArray();
        while (System.currentTimeMillis() < end) {
            jobs = ok("GET", "/api/jobs?" + query, VIEWER, null).getJsonArray("jobs");
            if (jobs.size() == count && jobs.stream().allMatch(j -> state.equals(((JsonObject) j).getString("state")))) {
                return jobs.getJsonObject(0);
            }
            Thread.sleep(150);
        }
        throw new AssertionError("timed out waiting for " + count + " " + state + " job(s): " + jobs);
    }

    private String config(Path data, Path modules, int deadPort, String extraRules) {
        return """
                server: {dataDir: %s}
                listener: {bindAddress: 127.0.0.1, port: 0, minFreeSpaceMb: 0, fsync: false}
                api:
                  port: 0
                  auth:
                    tokens:
                      - {name: wall, token: %s, role: viewer}
                      - {name: ops, token: %s, role: operator}
                      - {name: root, token: %s, role: admin}
                  tls: {certificate: %s, key: %s}
                tracking: {seriesQuietSeconds: 1, studyQuietSeconds: 2}
                modules: {dir: %s, watch: false}
                destinations:
                  nowhere: {type: dicom, aeTitle: NOWHERE, host: 127.0.0.1, port: %d, connectTimeoutSeconds: 1}
                rules:
                  - {name: mr, module: sample, destinations: [nowhere], match: {Modality: MR}}
                """.formatted(data, VIEWER, OPERATOR, ADMIN, dir.resolve("cert.pem"), dir.resolve("key.pem"), modules, deadPort)
                + extraRules;
    }

    @Test
    void anOperatorRunsRadflowThroughTheApi() throws Exception {
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", dir.resolve("key.pem").toString(),
                "-out", dir.resolve("cert.pem").toString()).redirectErrorStream(true).start();
        String opensslOut = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "openssl: " + opensslOut);
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(dir.resolve("cert.pem"))) {
            trust.setCertificateEntry("radflow", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        http = HttpClient.newBuilder().sslContext(ssl).build();

        Path data = dir.resolve("data");
        Path modules = dir.resolve("modules");
        OrchestratorIT.installSampleModule(modules);
        int deadPort = FreePorts.find();
        Path cfg = dir.resolve("radflow.yaml");
        Files.writeString(cfg, config(data, modules, deadPort, ""));
        GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withSeed(31));

        try (RadflowServer s = new RadflowServer(RadflowConfig.load(cfg), false, cfg)) {
            s.start().await(60, TimeUnit.SECONDS);
            port = s.httpPort();

            // authentication and roles
            HttpResponse<String> none = call("GET", "/api/jobs", null, null);
            assertEquals(401, none.statusCode());
            assertTrue(none.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"), none.headers().toString());
            assertEquals(401, call("GET", "/api/jobs", "wrong-token-0123456789", null).statusCode());
            assertEquals(200, call("GET", "/api/health", null, null).statusCode(), "health is open by default");

            OrchestratorIT.send(s.dicomPort(), mr.files());
            JsonObject job = awaitJob("module=sample", "SUCCEEDED", 1);
            String jobId = job.getString("id");
            assertEquals(403, call("POST", "/api/jobs/" + jobId + "/retry", VIEWER, null).statusCode(), "a viewer cannot retry");

            // studies
            JsonObject studies = ok("GET", "/api/studies?limit=10", VIEWER, null);
            assertEquals(1, studies.getInteger("total"));
            JsonObject st = studies.getJsonArray("studies").getJsonObject(0);
            assertEquals(mr.studyInstanceUid(), st.getString("studyInstanceUid"));
            assertEquals(32, st.getInteger("instanceCount"));
            assertEquals(1, st.getInteger("seriesCount"));
            assertEquals(new JsonArray().add("MR"), st.getJsonArray("modalities"));
            assertEquals(1, st.getJsonObject("jobs").getInteger("SUCCEEDED"));
            assertNotNull(st.getString("firstReceived"));
            assertNotNull(st.getString("patientId"));
            JsonObject study = ok("GET", "/api/studies/" + mr.studyInstanceUid(), VIEWER, null);
            assertEquals(32, study.getJsonArray("series").getJsonObject(0).getInteger("instanceCount"));
            assertEquals(jobId, study.getJsonArray("jobs").getJsonObject(0).getString("id"));
            assertEquals(404, call("GET", "/api/studies/1.2.3.4", VIEWER, null).statusCode());

            // the job's timeline and report page
            JsonObject detail = ok("GET", "/api/jobs/" + jobId, VIEWER, null);
            List<String> states = detail.getJsonArray("timeline").stream().map(e -> ((JsonObject) e).getString("state")).toList();
            // issue 18: the attempt's record of what ran it is an event of its own, between start and end
            assertEquals(List.of("QUEUED", "RUNNING", "RUNNING", "SUCCEEDED"), states);
            String ran = detail.getJsonArray("timeline").getJsonObject(2).getString("message");
            assertTrue(ran.contains("attempt 1 ran") && ran.contains("generation"), ran);
            HttpResponse<byte[]> png = http.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/api/jobs/" + jobId
                    + "/report.png")).header("Authorization", "Bearer " + VIEWER).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, png.statusCode());
            assertEquals("image/png", png.headers().firstValue("content-type").orElse(""));
            var image = ImageIO.read(new ByteArrayInputStream(png.body()));
            assertTrue(image.getWidth() > 500 && image.getHeight() > 500, image.getWidth() + "x" + image.getHeight());

            HttpResponse<String> noPage = call("GET", "/api/jobs/no-such-job/report.png", VIEWER, null);
            assertEquals(404, noPage.statusCode());
            assertTrue(noPage.body().contains("no job"), noPage.body());

            // metrics after a real job
            HttpResponse<String> metrics = call("GET", "/metrics", null, null);
            assertEquals(200, metrics.statusCode(), "metrics are open by default");
            Map<String, Double> m = PrometheusText.parse(metrics.body());
            assertEquals(32, m.get("radflow_instances_received_total"));
            assertTrue(m.get("radflow_bytes_received_total") > 32 * 1000);
            assertEquals(1, m.get("radflow_jobs{module=\"sample\",state=\"SUCCEEDED\"}"));
            assertEquals(0, m.get("radflow_queue_depth{module=\"sample\"}"));
            assertEquals(1, m.get("radflow_job_run_seconds_count{module=\"sample\"}"));
            assertEquals(1, m.get("radflow_job_queue_wait_seconds_count{module=\"sample\"}"));
            assertTrue(m.get("jvm_memory_max_bytes{area=\"heap\"}") > 0);
            // the JVM's figures and the sample module's worker process (isolation: process is the default)
            assertTrue(m.get("process_open_fds") > 0);
            assertTrue(m.get("jvm_threads_current") > 0);
            assertTrue(m.keySet().stream().anyMatch(k -> k.startsWith("jvm_gc_collection_seconds_count{")), m.keySet().toString());
            assertTrue(m.get("radflow_module_worker_starts_total{module=\"sample\"}") >= 1);
            assertTrue(m.get("radflow_module_workers{module=\"sample\"}") >= 1, "the worker that ran the job is kept warm");
            assertEquals(0, m.get("radflow_module_worker_crashes_total{module=\"sample\"}"));
            assertTrue(m.containsKey("radflow_outbox_backlog{destination=\"nowhere\"}"));
            long failEnd = System.currentTimeMillis() + 15_000;
            while (m.get("radflow_delivery_failures_total{destination=\"nowhere\"}") < 1 && System.currentTimeMillis() < failEnd) {
                Thread.sleep(200);
                m = PrometheusText.parse(call("GET", "/metrics", null, null).body());
            }
            assertTrue(m.get("radflow_delivery_failures_total{destination=\"nowhere\"}") >= 1, "sends to a closed port fail");
            JsonObject dest = ok("GET", "/api/destinations", VIEWER, null).getJsonObject("nowhere");
            assertEquals("failing", dest.getString("status"), dest.encode());
            assertTrue(dest.getInteger("backlog") >= 1);

            // modules: disable, reprocess refused, enable, reprocess, reload
            JsonObject sample = module("sample");
            assertEquals("enabled", sample.getString("status"));
            assertEquals(1, sample.getJsonObject("jobs").getInteger("SUCCEEDED"));
            assertNotNull(sample.getJsonObject("model").getString("name"));
            assertEquals(403, call("POST", "/api/modules/sample/disable", VIEWER, null).statusCode());
            ok("POST", "/api/modules/sample/disable", OPERATOR, null);
            assertEquals("disabled", module("sample").getString("status"));
            String body = new JsonObject().put("module", "sample").encode();
            assertEquals(409, call("POST", "/api/studies/" + mr.studyInstanceUid() + "/reprocess", OPERATOR, body).statusCode());
            ok("POST", "/api/modules/sample/enable", OPERATOR, null);
            HttpResponse<String> unknown = call("POST", "/api/studies/" + mr.studyInstanceUid() + "/reprocess", OPERATOR,
                    new JsonObject().put("module", "nosuch").encode());
            assertEquals(404, unknown.statusCode());
            assertTrue(unknown.body().contains("Available"), unknown.body());
            assertEquals(404, call("POST", "/api/studies/1.2.3.4/reprocess", OPERATOR, body).statusCode());
            JsonObject re = ok("POST", "/api/studies/" + mr.studyInstanceUid() + "/reprocess", OPERATOR, body);
            assertEquals(1, re.getJsonArray("jobs").size(), re.encode());
            assertEquals(new JsonArray().add("nowhere"), re.getJsonArray("destinations"));
            awaitJob("module=sample&state=SUCCEEDED", "SUCCEEDED", 2);
            assertEquals(1, ok("GET", "/api/jobs?module=sample&limit=1&offset=1", VIEWER, null).getJsonArray("jobs").size());
            assertEquals(403, call("POST", "/api/modules/sample/reload", OPERATOR, null).statusCode());
            int generation = module("sample").getInteger("generation");
            ok("POST", "/api/modules/sample/reload", ADMIN, null);
            assertEquals(generation + 1, module("sample").getInteger("generation"));

            // rules and node
            JsonObject rules = ok("GET", "/api/rules", VIEWER, null);
            assertEquals("mr", rules.getJsonArray("rules").getJsonObject(0).getString("name"));
            assertTrue(rules.getJsonArray("rules").getJsonObject(0).getJsonObject("match").getString("Modality").contains("MR"));
            JsonObject tested = ok("POST", "/api/rules/test", VIEWER, new JsonObject().put("studyInstanceUid", mr.studyInstanceUid()).encode());
            assertTrue(tested.encode().contains("MATCH"), tested.encode());
            assertEquals(403, call("POST", "/api/rules/test", VIEWER, new JsonObject().put("paths", new JsonArray().add("/etc")).encode())
                    .statusCode(), "a viewer may not make the server read its files");
            JsonObject cluster = ok("GET", "/api/cluster", VIEWER, null);
            assertEquals("standalone", cluster.getString("role"));
            assertTrue(cluster.getLong("uptimeSeconds") >= 0);

            // configuration reload: a bad file is refused and nothing changes; a good one applies
            String good = Files.readString(cfg);
            Files.writeString(cfg, good.replace("seriesQuietSeconds: 1", "seriesQuietSecnds: 1"));
            assertEquals(403, call("POST", "/api/config/reload", OPERATOR, null).statusCode());
            HttpResponse<String> bad = call("POST", "/api/config/reload", ADMIN, null);
            assertEquals(400, bad.statusCode());
            assertTrue(bad.body().contains("tracking.seriesQuietSecnds"), bad.body());
            assertEquals(1, ok("GET", "/api/rules", VIEWER, null).getJsonArray("rules").size());
            Files.writeString(cfg, good.replace("watch: false}", "watch: false, sample: {config: {treshold: 500}}}"));
            HttpResponse<String> badModuleConfig = call("POST", "/api/config/reload", ADMIN, null);
            assertEquals(400, badModuleConfig.statusCode());
            assertTrue(badModuleConfig.body().contains("modules.sample.config"), badModuleConfig.body());
            int before = module("sample").getInteger("generation");
            Files.writeString(cfg, config(data, modules, deadPort, "  - {name: mr-too, module: sample, match: {Modality: MR}}\n")
                    .replace("seriesQuietSeconds: 1", "seriesQuietSeconds: 2")
                    .replace("watch: false}", "watch: false, sample: {config: {threshold: 500}}}"));
            JsonObject reload = ok("POST", "/api/config/reload", ADMIN, null);
            assertTrue(reload.getJsonArray("applied").contains("rules"), reload.encode());
            assertTrue(reload.getJsonArray("applied").contains("modules.sample.config"), reload.encode());
            assertTrue(reload.getJsonArray("restartRequired").contains("tracking"), reload.encode());
            assertEquals(2, ok("GET", "/api/rules", VIEWER, null).getJsonArray("rules").size());
            assertEquals(before + 1, module("sample").getInteger("generation"), "loaded again with its new configuration");
        }

        // the audit trail
        List<JsonObject> events = new ArrayList<>();
        try (Stream<Path> files = Files.list(data.resolve("audit"))) {
            for (Path f : files.toList()) {
                for (String line : Files.readAllLines(f)) {
                    events.add(new JsonObject(line));
                }
            }
        }
        JsonObject association = events.stream().filter(e -> "dicom.association".equals(e.getString("type"))).findFirst().orElseThrow();
        assertEquals(32, association.getInteger("instancesStored"));
        assertNotNull(association.getString("callingAeTitle"));
        assertNotNull(association.getString("peerAddress"));
        assertTrue(events.stream().anyMatch(e -> "job.state".equals(e.getString("type")) && "SUCCEEDED".equals(e.getString("state"))));
        assertTrue(events.stream().anyMatch(e -> "object.sent".equals(e.getString("type")) && "nowhere".equals(e.getString("destination"))
                && e.getString("seriesInstanceUid") != null && !"SENT".equals(e.getString("status"))));
        assertTrue(events.stream().anyMatch(e -> "api.action".equals(e.getString("type")) && "ops".equals(e.getString("user"))
                && "POST /api/modules/:id/disable".equals(e.getString("action")) && e.getInteger("outcome") == 200));
        assertTrue(events.stream().anyMatch(e -> "api.denied".equals(e.getString("type")) && e.getInteger("outcome") == 403));
        assertTrue(events.stream().anyMatch(e -> "api.action".equals(e.getString("type")) && "root".equals(e.getString("user"))
                && "POST /api/config/reload".equals(e.getString("action")) && e.getInteger("outcome") == 400));
        for (JsonObject e : events) {
            assertNull(e.getValue("patientName"), "no patient names in the audit trail");
            assertFalse(e.encode().contains(VIEWER) || e.encode().contains(ADMIN), "no tokens in the audit trail");
        }
    }

    private JsonObject module(String id) throws Exception {
        HttpResponse<String> r = call("GET", "/api/modules", VIEWER, null);
        assertEquals(200, r.statusCode(), r.body());
        return new JsonArray(r.body()).stream().map(o -> (JsonObject) o).filter(o -> id.equals(o.getString("id"))).findFirst()
                .orElseThrow(() -> new AssertionError("no module " + id + " in " + r.body()));
    }
}
