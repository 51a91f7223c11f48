package org.radflow.e2e;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.config.RadflowConfig;
import org.radflow.server.RadflowServer;
import org.radflow.testdata.ChestOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;
import org.radflow.testkit.Dciodvfy;
import org.radflow.testkit.Dcmtk;
import org.radflow.testkit.FreePorts;
import org.radflow.testkit.OnnxModels;
import org.radflow.testkit.OnnxModels.Attribute;
import org.radflow.testkit.OrthancServer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * COVID-Net end to end, as a site runs it: a modality stores into Orthanc, Orthanc's auto-routing script
 * (deploy/orthanc/autorouting.lua) forwards to RadFlow, the built-in covidnet module (on the server's class path,
 * found by ServiceLoader) classifies with an ONNX model from the models directory, and the SR and the report page
 * come back into the same study. A lateral view and an MR series make NOT_APPLICABLE jobs and no output.
 */
class CovidNetOrthancIT {

    @TempDir
    Path dir;

    /**
     * A stand-in with the cxr4 signature whose probabilities follow the mean intensity (the real weights are not
     * redistributable): softmax(W * mean + B).
     */
    static void writeModel(Path file) throws Exception {
        Files.createDirectories(file.getParent());
        OnnxModels.graph("covidnet_e2e")
                .node("ReduceMean", List.of("input_1:0"), "mean", Attribute.ints("axes", 1, 2), Attribute.of("keepdims", 0))
                .node("MatMul", List.of("mean", "W"), "mm")
                .node("Add", List.of("mm", "B"), "logits")
                .node("Softmax", List.of("logits"), "norm_dense_1/Softmax:0", Attribute.of("axis", 1))
                .initializer("W", new long[] {3, 3}, new float[] {0, 0, 1f, 0, 0, 2f, 0, 0, 3f})
                .initializer("B", new long[] {3}, new float[] {1f, 0f, -1f})
                .input("input_1:0", OnnxModels.FLOAT, 1, 480, 480, 3)
                .output("norm_dense_1/Softmax:0", OnnxModels.FLOAT, 1, 3)
                .write(file);
    }

    private RadflowServer radflow(int dicomPort, OrthancServer pacs) throws Exception {
        Path models = dir.resolve("models");
        writeModel(models.resolve("covidnet").resolve("covidnet.onnx"));
        Path cfg = dir.resolve("radflow.yaml");
        Files.writeString(cfg, """
                server: {dataDir: %s}
                listener: {bindAddress: 127.0.0.1, port: %d, minFreeSpaceMb: 0, fsync: false}
                api: {port: 0}
                tracking: {seriesQuietSeconds: 1, studyQuietSeconds: 2}
                modules:
                  dir: %s
                  modelsDir: %s
                  watch: false
                destinations:
                  pacs: {type: dicom, aeTitle: %s, host: 127.0.0.1, port: %d}
                rules:
                  - {name: everything-to-covidnet, module: covidnet, destinations: [pacs]}
                """.formatted(dir.resolve("data"), dicomPort, dir.resolve("drop-in"), models, pacs.aeTitle(),
                pacs.dicomPort()));
        RadflowServer s = new RadflowServer(RadflowConfig.load(cfg), false);
        s.start().await(60, TimeUnit.SECONDS);
        return s;
    }

    @Test
    void aFrontalChestRadiographGetsItsSrAndReportPageInTheSameStudyAndOthersAreNotApplicable() throws Exception {
        int radflowPort = FreePorts.find();
        Path lua = Path.of("orthanc", "autorouting.lua");
        try (OrthancServer pacs = new OrthancServer().withName("CovidNetOrthancIT")
                .withModality("RADFLOW", "RADFLOW", "127.0.0.1", radflowPort).withLuaScript(lua).start();
             RadflowServer s = radflow(radflowPort, pacs)) {
            GeneratedSeries pa = Synth.chestRadiograph(dir.resolve("pa"), ChestOptions.defaults().withSeed(51));
            GeneratedSeries lat = Synth.chestRadiograph(dir.resolve("lat"), ChestOptions.defaults().withSeed(52)
                    .withView(ChestOptions.View.LAT));
            GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withSeed(53));
            for (GeneratedSeries g : List.of(pa, lat, mr)) {
                Dcmtk.storescu().to(pacs).files(g.files()).run().assertOk();
            }

            Map<String, List<OrthancServer.StoredInstance>> out = Api.awaitModalities(pacs, pa.studyInstanceUid(),
                    Set.of("SR", "OT"), 90_000);
            assertEquals(1, out.get("SR").size());
            assertEquals(1, out.get("OT").size());
            Path sr = dir.resolve("sr.dcm");
            Files.write(sr, pacs.instanceFile(out.get("SR").get(0).orthancId()));
            Dciodvfy.check(sr).assertNoErrors();
            Path page = dir.resolve("page.dcm");
            Files.write(page, pacs.instanceFile(out.get("OT").get(0).orthancId()));
            Dciodvfy.check(page).assertNoErrors();
            String srText = new String(Files.readAllBytes(sr), StandardCharsets.ISO_8859_1);
            assertTrue(srText.contains("COVID-Net"), "SR names the algorithm");
            assertTrue(srText.contains("Pneumonia") && srText.contains("COVID-19") && srText.contains("Normal"),
                    "SR has each class");

            List<JsonObject> all = Api.awaitJobs(s.httpPort(), "", l -> l.size() == 34 && Api.allTerminal(l), 60_000);
            JsonObject paJob = all.stream().filter(j -> pa.studyInstanceUid().equals(j.getString("studyInstanceUid")))
                    .findFirst().orElseThrow();
            assertEquals("SUCCEEDED", paJob.getString("state"), paJob.encode());
            JsonObject latJob = all.stream().filter(j -> lat.studyInstanceUid().equals(j.getString("studyInstanceUid")))
                    .findFirst().orElseThrow();
            assertEquals("NOT_APPLICABLE", latJob.getString("state"), latJob.encode());
            // a sentence with the value first and the module's explanation (issue 15); the raw condition is in the timeline
            assertTrue(latJob.getString("reason").contains("View Position is LL; COVID-Net reads frontal (PA/AP)"),
                    latJob.encode());
            List<JsonObject> mrJobs = all.stream().filter(j -> mr.studyInstanceUid().equals(j.getString("studyInstanceUid"))).toList();
            assertEquals(32, mrJobs.size());
            mrJobs.forEach(j -> {
                assertEquals("NOT_APPLICABLE", j.getString("state"), j.encode());
                assertTrue(j.getString("reason").contains("Modality"), j.encode());
            });
            Thread.sleep(2000);
            assertEquals(Set.of("DX"), Api.byModality(pacs, lat.studyInstanceUid()).keySet(), "no output for the lateral");
            assertEquals(Set.of("MR"), Api.byModality(pacs, mr.studyInstanceUid()).keySet(), "no output for the MR");

            // a re-run of the same instance makes the same objects: Orthanc still has one SR and one page
            Set<String> before = Set.copyOf(pacs.sopInstanceUidsOfStudy(pa.studyInstanceUid()));
            java.time.Instant retried = java.time.Instant.now();
            Api.post(s.httpPort(), "/api/jobs/" + paJob.getString("id") + "/retry");
            Api.awaitJobs(s.httpPort(), "&study=" + pa.studyInstanceUid(),
                    l -> l.size() == 1 && "SUCCEEDED".equals(l.get(0).getString("state"))
                            && l.get(0).getInteger("attempts", 0) >= 2, 60_000);
            long end = System.currentTimeMillis() + 30_000;
            List<JsonObject> deliveries;
            do {
                Thread.sleep(300);
                deliveries = Api.get(s.httpPort(), "/api/jobs/" + paJob.getString("id")).getJsonArray("deliveries").stream()
                        .map(o -> (JsonObject) o).toList();
            } while (!deliveries.stream().allMatch(d -> "SENT".equals(d.getString("state")) && d.getString("sentAt") != null
                    && java.time.Instant.parse(d.getString("sentAt")).isAfter(retried)) && System.currentTimeMillis() < end);
            assertEquals(2, deliveries.size(), deliveries.toString());
            for (JsonObject d : deliveries) {
                assertTrue(java.time.Instant.parse(d.getString("sentAt")).isAfter(retried), "sent again: " + d.encode());
            }
            assertEquals(before, Set.copyOf(pacs.sopInstanceUidsOfStudy(pa.studyInstanceUid())),
                    "the re-run replaced its objects instead of adding new ones");
        }
    }
}
