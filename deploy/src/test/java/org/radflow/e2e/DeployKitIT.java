package org.radflow.e2e;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.testdata.ChestOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.Synth;
import org.radflow.testkit.Dcmtk;
import org.radflow.testkit.FreePorts;
import org.radflow.testkit.OrthancServer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * deploy/orthanc/ as a site installs it: Orthanc 1.10 accepts orthanc.json, knows RadFlow as modality RADFLOW, and
 * its auto-routing script forwards a new instance there (a DCMTK storescp stands in for RadFlow's listener) but
 * not an object that RadFlow made.
 */
class DeployKitIT {

    /** Keys the test must change to run on free loopback ports in a temporary folder (or that its client needs). */
    static final Set<String> LOCAL = Set.of("StorageDirectory", "IndexDirectory", "DicomPort", "HttpPort", "LuaScripts",
            "Plugins", "DicomModalities", "AuthenticationEnabled", "RegisteredUsers", "RemoteAccessAllowed");

    @TempDir
    Path dir;

    @Test
    void theOrthancConfigurationAndItsLuaScriptRouteNewInstancesToRadflowButNotRadflowsOwn() throws Exception {
        JsonObject site = new JsonObject(Files.readString(Path.of("orthanc", "orthanc.json")));
        JsonArray radflow = site.getJsonObject("DicomModalities").getJsonArray("RADFLOW");
        assertEquals("RADFLOW", radflow.getString(0), "the modality's AE title is RadFlow's default listener AE");
        assertTrue(site.getJsonArray("LuaScripts").getString(0).endsWith("radflow-autorouting.lua"));

        int radflowPort = FreePorts.find();
        OrthancServer orthanc = new OrthancServer().withName("DeployKitIT")
                .withModality("RADFLOW", radflow.getString(0), "127.0.0.1", radflowPort)
                .withLuaScript(Path.of("orthanc", "autorouting.lua"));
        for (String key : site.fieldNames()) {
            if (!LOCAL.contains(key)) {
                orthanc.withConfig(key, site.getValue(key));
            }
        }
        try (Dcmtk.StoreScp radflowStandIn = Dcmtk.storescp().port(radflowPort).aeTitle("RADFLOW")
                .outputDir(Files.createDirectories(dir.resolve("received"))).start();
             OrthancServer pacs = orthanc.start()) {
            GeneratedSeries dx = Synth.chestRadiograph(dir.resolve("dx"), ChestOptions.defaults().withSeed(61));
            Dcmtk.storescu().to(pacs).files(dx.files()).run().assertOk();
            long end = System.currentTimeMillis() + 30_000;
            while (count(dir.resolve("received")) < 1 && System.currentTimeMillis() < end) {
                Thread.sleep(200);
            }
            assertEquals(1, count(dir.resolve("received")), "the new instance was forwarded to RADFLOW\n" + pacs.logTail(20));

            // an object RadFlow made (Manufacturer RadFlow) stays in the PACS: no loop
            Path own = dir.resolve("own.dcm");
            Files.copy(dx.files().get(0), own);
            Process p = new ProcessBuilder("dcmodify", "-nb", "-gin", "-m", "(0008,0070)=RadFlow", own.toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertEquals(0, p.waitFor(), out);
            Dcmtk.storescu().to(pacs).file(own).run().assertOk();
            Thread.sleep(3000);
            assertEquals(2, pacs.instanceIds().size());
            assertEquals(1, count(dir.resolve("received")), "RadFlow's own object was not sent back to it");
        }
    }

    private static long count(Path folder) throws Exception {
        try (Stream<Path> s = Files.walk(folder)) {
            return s.filter(Files::isRegularFile).count();
        }
    }
}
