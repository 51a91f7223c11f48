package org.radflow.modules;

import com.pixelmed.dicom.AttributeList;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.config.RadflowConfig;
import org.radflow.report.SrWriter;
import org.radflow.server.RadflowServer;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.radflow.modules.WorkerProbe.awaitJobs;
import static org.radflow.modules.WorkerProbe.send;
import static org.radflow.modules.WorkerProbe.terminal;
import static org.radflow.modules.WorkerProbe.workers;

/**
 * A {@code Finding.Qualitative} made in a real worker JVM ({@code isolation: process}) crosses the host/worker protocol
 * and reaches the stored result (result.json, {@code GET /api/jobs/{id}}) and the SR as a CODE row with its citation.
 */
class QualitativeWorkerIT {

    private static final String BAND = """
            package org.example.band;
            import org.radflow.api.*;
            import java.util.*;
            public final class BandFactory implements AiModuleFactory {
                public ModuleDescriptor descriptor() {
                    return ModuleDescriptor.builder("band-test", "1.0.0", ApiVersion.MAJOR, ApiVersion.MINOR)
                            .trigger(Trigger.SERIES).build();
                }
                public AiModule create(ModuleContext c) {
                    return (in, job) -> {
                        List<String> uids = new ArrayList<>();
                        in.series().get(0).instances().forEach(i -> uids.add(i.sopInstanceUid()));
                        Concept site = Concept.sct("5366008", "Hippocampus");
                        return ModuleResult.completed(List.of(
                                new Finding.Measurement(site, Concept.sct("118565006", "Volume"), 1234.5,
                                        Concept.ucum("mm3", "cubic millimeter"), site, uids),
                                new Finding.Qualitative(site, new Concept("99RADFLOW", "TEST-BAND", "Test band"),
                                        new Concept("99RADFLOW", "PCTL-5-10", "Between the 5th and 10th percentile"),
                                        "FICTIONAL worker test reference", "Made up in pid " + ProcessHandle.current().pid(),
                                        uids)),
                                List.of(), "band test", Map.of());
                    };
                }
            }
            """;

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void aQualitativeFindingCrossesTheWorkerBoundaryIntoResultAndSr() throws Exception {
        Path modules = dir.resolve("modules");
        TestJars.build(new TestJars.Spec().source("org.example.band.BandFactory", BAND).factory("org.example.band.BandFactory"),
                Files.createDirectories(modules.resolve("band-test")).resolve("band.jar"));
        Path cfg = dir.resolve("radflow.yaml");
        Files.writeString(cfg, """
                server: {dataDir: %s}
                listener: {bindAddress: 127.0.0.1, port: 0, minFreeSpaceMb: 0, fsync: false}
                api: {port: 0}
                viewer: {enabled: false}
                tracking: {seriesQuietSeconds: 1, studyQuietSeconds: 3600}
                modules:
                  dir: %s
                  watch: false
                  band-test: {isolation: process, heapMb: 256}
                rules:
                  - {name: to-band, module: band-test, match: {Modality: MR}}
                """.formatted(dir.resolve("data"), modules));
        try (RadflowServer s = new RadflowServer(RadflowConfig.load(cfg), false)) {
            s.start().await(60, TimeUnit.SECONDS);
            GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withSeed(17).withDimensions(16, 16, 4));
            send(s.dicomPort(), mr.files());
            List<JsonObject> jobs = awaitJobs(s.httpPort(), l -> l.size() == 1 && terminal(l.get(0).getString("state")), 90_000);
            JsonObject job = jobs.get(0);
            assertEquals("SUCCEEDED", job.getString("state"), job.encode());
            List<ProcessHandle> workers = workers("band-test");
            assertFalse(workers.isEmpty(), "the job ran in a worker process");

            JsonObject detail = new JsonObject(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.httpPort()
                    + "/api/jobs/" + job.getString("id"))).build(), HttpResponse.BodyHandlers.ofString()).body());
            JsonArray findings = detail.getJsonObject("outputs").getJsonArray("findings");
            JsonObject band = findings.stream().map(o -> (JsonObject) o).filter(f -> "qualitative".equals(f.getString("type")))
                    .findFirst().orElseThrow(() -> new AssertionError(findings.encode()));
            assertEquals("PCTL-5-10", band.getJsonObject("answer").getString("code"));
            assertEquals("Test band", band.getJsonObject("concept").getString("meaning"));
            assertEquals("FICTIONAL worker test reference", band.getString("method"));
            long workerPid = Long.parseLong(band.getString("comment").replace("Made up in pid ", ""));
            assertTrue(workerPid != ProcessHandle.current().pid(), "made in a worker (pid " + workerPid + "), not in the server");
            assertEquals(4, band.getJsonArray("evidence").size());

            Path sr = detail.getJsonObject("outputs").getJsonArray("objects").stream().map(o -> (JsonObject) o)
                    .filter(o -> SrWriter.COMPREHENSIVE_SR.equals(o.getString("sopClassUid"))).map(o -> Path.of(o.getString("file")))
                    .findFirst().orElseThrow(() -> new AssertionError(detail.encode()));
            AttributeList l = new AttributeList();
            l.read(sr.toString());
            String text = l.toString();
            assertTrue(text.contains("PCTL-5-10") && text.contains("Between the 5th and 10th percentile")
                    && text.contains("FICTIONAL worker test reference") && text.contains("121423"), "SR has the band and citation");
        }
    }
}
