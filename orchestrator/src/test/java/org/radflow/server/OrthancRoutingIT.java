package org.radflow.server;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.config.RadflowConfig;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;
import org.radflow.testkit.Dciodvfy;
import org.radflow.testkit.Dcmtk;
import org.radflow.testkit.FreePorts;
import org.radflow.testkit.OrthancServer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real parts end to end: a study stored in Orthanc is auto-routed (deploy/orthanc/autorouting.lua) to
 * RadFlow, the sample drop-in module runs, and the SR, the report page and the SEG arrive in the same
 * study in Orthanc, each dciodvfy-clean, without looping back.
 */
class OrthancRoutingIT {

    @TempDir
    Path dir;

    private RadflowServer radflow(int dicomPort, String destinationYaml) throws Exception {
        Path modules = dir.resolve("modules");
        OrchestratorIT.installSampleModule(modules);
        Path cfg = dir.resolve("radflow.yaml");
        Files.writeString(cfg, """
                server: {dataDir: %s}
                listener: {bindAddress: 127.0.0.1, port: %d, minFreeSpaceMb: 0, fsync: false}
                api: {port: 0}
                tracking: {seriesQuietSeconds: 1, studyQuietSeconds: 2}
                delivery: {initialBackoffSeconds: 1, maxBackoffSeconds: 2}
                modules:
                  dir: %s
                  watch: false
                destinations:
                %s
                rules:
                  - {name: mr, module: sample, destinations: [pacs], match: {Modality: MR}}
                """.formatted(dir.resolve("data"), dicomPort, modules, destinationYaml));
        RadflowServer s = new RadflowServer(RadflowConfig.load(cfg), false);
        s.start().await(60, TimeUnit.SECONDS);
        return s;
    }

    private static Map<String, List<OrthancServer.StoredInstance>> byModality(OrthancServer o, String study) {
        return o.instancesOfStudy(study).stream().collect(Collectors.groupingBy(OrthancServer.StoredInstance::modality));
    }

    private static Map<String, List<OrthancServer.StoredInstance>> awaitOutputs(OrthancServer o, String study, long millis)
            throws Exception {
        long end = System.currentTimeMillis() + millis;
        Map<String, List<OrthancServer.StoredInstance>> m = Map.of();
        while (System.currentTimeMillis() < end) {
            m = byModality(o, study);
            if (m.keySet().containsAll(Set.of("SR", "OT", "SEG"))) {
                return m;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("outputs did not arrive; Orthanc has " + m.keySet());
    }

    @Test
    void aStudyStoredInOrthancComesBackWithSrReportPageAndSegInTheSameStudy() throws Exception {
        int radflowPort = FreePorts.find();
        Path lua = Path.of("..", "deploy", "orthanc", "autorouting.lua");
        try (OrthancServer pacs = new OrthancServer().withName("OrthancRoutingIT-pacs")
                .withModality("RADFLOW", "RADFLOW", "127.0.0.1", radflowPort).withLuaScript(lua).start();
             RadflowServer s = radflow(radflowPort, "  pacs: {type: dicom, aeTitle: " + pacs.aeTitle() + ", host: 127.0.0.1, port: "
                     + pacs.dicomPort() + "}")) {
            GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withSeed(41));
            Dcmtk.storescu().to(pacs).files(mr.files()).run().assertOk();

            Map<String, List<OrthancServer.StoredInstance>> outputs = awaitOutputs(pacs, mr.studyInstanceUid(), 60_000);
            assertEquals(32, outputs.get("MR").size());
            for (String modality : List.of("SR", "OT", "SEG")) {
                assertEquals(1, outputs.get(modality).size(), modality);
                Path f = dir.resolve(modality + ".dcm");
                Files.write(f, pacs.instanceFile(outputs.get(modality).get(0).orthancId()));
                Dciodvfy.check(f).assertNoErrors();
            }
            // no loop: RadFlow received only the MR series, and made one job
            Thread.sleep(3000);
            assertEquals(32, s.instancesReceived());
            assertEquals(1, OrchestratorIT.jobs(s.httpPort(), "").size());
            JsonObject dest = OrchestratorIT.get(s.httpPort(), "/api/destinations").getJsonObject("pacs");
            assertEquals(3, dest.getInteger("sent"), dest.encode());
            assertEquals("ok", dest.getString("status"), dest.encode());
            // metrics and audit of the deliveries
            String text = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + s.httpPort() + "/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            Map<String, Double> m = org.radflow.metrics.PrometheusText.parse(text);
            assertEquals(3, m.get("radflow_objects_delivered_total{destination=\"pacs\"}"), text);
            assertEquals(3, m.get("radflow_job_delivery_seconds_count{module=\"sample\"}"), text);
            assertEquals(0, m.get("radflow_outbox_backlog{destination=\"pacs\"}"));
        }
        List<JsonObject> sent = new java.util.ArrayList<>();
        try (var files = Files.list(dir.resolve("data").resolve("audit"))) {
            for (Path f : files.toList()) {
                for (String line : Files.readAllLines(f)) {
                    JsonObject e = new JsonObject(line);
                    if ("object.sent".equals(e.getString("type"))) {
                        sent.add(e);
                    }
                }
            }
        }
        assertEquals(3, sent.size(), sent.toString());
        for (JsonObject e : sent) {
            assertEquals("SENT", e.getString("status"));
            assertEquals("pacs", e.getString("destination"));
            assertNotNull(e.getString("studyInstanceUid"));
            assertNotNull(e.getString("seriesInstanceUid"));
            assertNotNull(e.getString("sopInstanceUid"));
        }
    }

    @Test
    void aDestinationWithStorageCommitmentShowsItsObjectsCommittedThroughTheApi() throws Exception {
        int radflowPort = FreePorts.find();
        Path lua = Path.of("..", "deploy", "orthanc", "autorouting.lua");
        // Orthanc reports on a new association to the AE it knows RadFlow by: RadFlow's listener
        try (OrthancServer pacs = new OrthancServer().withName("OrthancRoutingIT-commitment")
                .withModality("RADFLOW", "RADFLOW", "127.0.0.1", radflowPort).withLuaScript(lua).start();
             RadflowServer s = radflow(radflowPort, "  pacs: {type: dicom, aeTitle: " + pacs.aeTitle() + ", host: 127.0.0.1, port: "
                     + pacs.dicomPort() + ", commitment: true, commitmentWaitMillis: 0}")) {
            GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withSeed(43));
            Dcmtk.storescu().to(pacs).files(mr.files()).run().assertOk();
            awaitOutputs(pacs, mr.studyInstanceUid(), 60_000);

            long end = System.currentTimeMillis() + 30_000;
            JsonObject dest = OrchestratorIT.get(s.httpPort(), "/api/destinations").getJsonObject("pacs");
            while (dest.getInteger("committed") != 3 && System.currentTimeMillis() < end) {
                Thread.sleep(100);
                dest = OrchestratorIT.get(s.httpPort(), "/api/destinations").getJsonObject("pacs");
            }
            assertEquals(3, dest.getInteger("committed"), dest.encode());
            assertEquals(3, dest.getInteger("sent"), dest.encode());
            assertEquals(0, dest.getInteger("awaitingCommitment"), dest.encode());
            assertEquals(true, dest.getBoolean("commitment"), dest.encode());
            assertEquals("ok", dest.getString("status"), dest.encode());
            String jobId = OrchestratorIT.jobs(s.httpPort(), "").get(0).getString("id");
            io.vertx.core.json.JsonArray deliveries = OrchestratorIT.get(s.httpPort(), "/api/jobs/" + jobId).getJsonArray("deliveries");
            assertEquals(3, deliveries.size(), deliveries.encode());
            for (Object d : deliveries) {
                assertEquals("COMMITTED", ((JsonObject) d).getString("state"), deliveries.encode());
            }
        }
    }

    @Test
    void aDestinationThatIsDownGetsTheObjectsOnceItIsBack() throws Exception {
        int destinationPort = FreePorts.find();
        try (RadflowServer s = radflow(FreePorts.find(), "  pacs: {type: dicom, aeTitle: LATE, host: 127.0.0.1, port: " + destinationPort + "}")) {
            GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withSeed(42));
            OrchestratorIT.send(s.dicomPort(), mr.files());
            OrchestratorIT.awaitJobs(s.httpPort(), "", l -> l.size() == 1 && "SUCCEEDED".equals(l.get(0).getString("state")), 30_000);
            long end = System.currentTimeMillis() + 20_000;
            JsonObject dest;
            do {
                Thread.sleep(200);
                dest = OrchestratorIT.get(s.httpPort(), "/api/destinations").getJsonObject("pacs");
            } while (dest.getString("lastError") == null && System.currentTimeMillis() < end);
            assertEquals(3, dest.getInteger("pending"), "waiting for the destination: " + dest.encode());
            assertTrue(dest.getString("lastError").toLowerCase().contains("refused"), dest.encode());

            try (OrthancServer late = new OrthancServer().withName("OrthancRoutingIT-late").withAeTitle("LATE")
                    .withConfig("DicomPort", destinationPort).start()) {
                awaitOutputs(late, mr.studyInstanceUid(), 30_000);
                assertEquals(Set.of("SR", "OT", "SEG"), byModality(late, mr.studyInstanceUid()).keySet());
            }
        }
    }

    @Test
    void aDicomWebDestinationReceivesTheReportsThroughStowRs() throws Exception {
        try (OrthancServer pacs = new OrthancServer().withName("OrthancRoutingIT-stow").start();
             RadflowServer s = radflow(FreePorts.find(), "  pacs: {type: dicomweb, url: '" + pacs.dicomWebUrl() + "'}")) {
            GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withSeed(43));
            OrchestratorIT.send(s.dicomPort(), mr.files());
            Map<String, List<OrthancServer.StoredInstance>> outputs = awaitOutputs(pacs, mr.studyInstanceUid(), 60_000);
            assertEquals(Set.of("SR", "OT", "SEG"), outputs.keySet(), "only the reports were sent, not the MR");
            // the outbox records each object of the batch after the destination's answer, so the PACS may show all three
            // a moment before the counter does
            JsonObject dest = OrchestratorIT.get(s.httpPort(), "/api/destinations").getJsonObject("pacs");
            for (long end = System.currentTimeMillis() + 10_000; dest.getInteger("sent") < 3 && System.currentTimeMillis() < end; ) {
                Thread.sleep(100);
                dest = OrchestratorIT.get(s.httpPort(), "/api/destinations").getJsonObject("pacs");
            }
            assertEquals(3, dest.getInteger("sent"), dest.encode());
        }
    }
}
