package org.radflow.e2e;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.config.RadflowConfig;
import org.radflow.server.RadflowServer;
import org.radflow.testdata.ChestOptions;
import org.radflow.testdata.CtOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Patient;
import org.radflow.testdata.Synth;
import org.radflow.testkit.Dciodvfy;
import org.radflow.testkit.Dcmtk;
import org.radflow.testkit.FreePorts;
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
 * HippoVolume end to end with the demo model shipped in the module's JAR: a HippoCrop series stored in Orthanc is
 * auto-routed to RadFlow, and the SR, the report page and the SEG arrive in the same study, each dciodvfy-clean; a CT
 * series and a chest radiograph make NOT_APPLICABLE jobs and no output.
 */
class HippoVolumeOrthancIT {

    @TempDir
    Path dir;

    private RadflowServer radflow(int dicomPort, OrthancServer pacs) throws Exception {
        Path cfg = dir.resolve("radflow.yaml");
        Files.writeString(cfg, """
                server: {dataDir: %s}
                listener: {bindAddress: 127.0.0.1, port: %d, minFreeSpaceMb: 0, fsync: false}
                api: {port: 0}
                tracking: {seriesQuietSeconds: 1, studyQuietSeconds: 2}
                modules:
                  dir: %s
                  watch: false
                  hippovolume: {config: {model: demo}}
                destinations:
                  pacs: {type: dicom, aeTitle: %s, host: 127.0.0.1, port: %d}
                rules:
                  - {name: everything-to-hippovolume, module: hippovolume, destinations: [pacs]}
                """.formatted(dir.resolve("data"), dicomPort, dir.resolve("drop-in"), pacs.aeTitle(), pacs.dicomPort()));
        RadflowServer s = new RadflowServer(RadflowConfig.load(cfg), false);
        s.start().await(60, TimeUnit.SECONDS);
        return s;
    }

    @Test
    void aHippoCropSeriesGetsSrPageAndSegAndOtherSeriesAreNotApplicable() throws Exception {
        int radflowPort = FreePorts.find();
        try (OrthancServer pacs = new OrthancServer().withName("HippoVolumeOrthancIT")
                .withModality("RADFLOW", "RADFLOW", "127.0.0.1", radflowPort)
                .withLuaScript(Path.of("orthanc", "autorouting.lua")).start();
             RadflowServer s = radflow(radflowPort, pacs)) {
            GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withSeed(71)
                    .withPatient(new Patient("Müller^Jürgen", "E2E-MR-1", "19570602", "M", "068Y"))
                    .withSpacing(0.9, 0.9, 1.2));
            GeneratedSeries ct = Synth.ctSeries(dir.resolve("ct"), CtOptions.defaults().withSeed(72).withCount(3));
            GeneratedSeries dx = Synth.chestRadiograph(dir.resolve("dx"), ChestOptions.defaults().withSeed(73));
            for (GeneratedSeries g : List.of(mr, ct, dx)) {
                Dcmtk.storescu().to(pacs).files(g.files()).run().assertOk();
            }

            Map<String, List<OrthancServer.StoredInstance>> out = Api.awaitModalities(pacs, mr.studyInstanceUid(),
                    Set.of("SR", "OT", "SEG"), 120_000);
            for (String modality : List.of("SR", "OT", "SEG")) {
                assertEquals(1, out.get(modality).size(), modality);
                Path f = dir.resolve(modality + ".dcm");
                Files.write(f, pacs.instanceFile(out.get(modality).get(0).orthancId()));
                Dciodvfy.check(f).assertNoErrors();
            }
            String sr = new String(Files.readAllBytes(dir.resolve("SR.dcm")), StandardCharsets.ISO_8859_1);
            assertTrue(sr.contains("DEMO MODEL"), "outputs of the demo model say so");
            assertTrue(sr.contains("mm3"), "volumes in UCUM mm3");

            List<JsonObject> jobs = Api.awaitJobs(s.httpPort(), "", l -> l.size() == 3 && Api.allTerminal(l), 60_000);
            for (JsonObject j : jobs) {
                String study = j.getString("studyInstanceUid");
                String expected = study.equals(mr.studyInstanceUid()) ? "SUCCEEDED" : "NOT_APPLICABLE";
                assertEquals(expected, j.getString("state"), j.encode());
                if (!study.equals(mr.studyInstanceUid())) {
                    assertTrue(j.getString("reason").contains("Modality"), j.encode());
                }
            }
            Thread.sleep(2000);
            assertEquals(Set.of("CT"), Api.byModality(pacs, ct.studyInstanceUid()).keySet(), "no output for the CT");
            assertEquals(Set.of("DX"), Api.byModality(pacs, dx.studyInstanceUid()).keySet(), "no output for the radiograph");
        }
    }
}
