package org.radflow.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.config.RadflowConfig;
import org.radflow.server.Demo;
import org.radflow.server.DemoPacs;
import org.radflow.server.RadflowServer;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testkit.FreePorts;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code make run} does, end to end with the built-in modules and their demo models: a real Orthanc as the
 * demo PACS, the studies sent to it, auto-routed to RadFlow, and every report back in the PACS.
 */
class DemoIT {

    @TempDir
    Path dir;

    @Test
    void theDemoPutsAReportForEachSyntheticStudyIntoTheDemoPacs() throws Exception {
        try (Demo demo = Demo.prepare(dir.resolve("data"), "RADFLOW", FreePorts.find(), FreePorts.find());
             RadflowServer server = new RadflowServer(RadflowConfig.load(demo.configFile()), false)) {
            server.start().await(60, TimeUnit.SECONDS);
            List<GeneratedSeries> studies = demo.run(server);
            assertEquals(2, studies.size());
            DemoPacs pacs = demo.pacs().orElseThrow(() -> new AssertionError("Orthanc is installed by scripts/setup.sh"));
            for (GeneratedSeries s : studies) {
                Set<String> modalities = pacs.series(s.studyInstanceUid()).stream().map(DemoPacs.SeriesInfo::modality)
                        .collect(Collectors.toSet());
                Set<String> expected = s.modality().equals("MR") ? Set.of("MR", "SR", "OT", "SEG") : Set.of("DX", "SR", "OT");
                assertEquals(expected, modalities, s.modality() + " study " + s.studyInstanceUid());
            }
            assertTrue(server.queries().search(null, null, null, 100).stream()
                    .allMatch(j -> j.state() == org.radflow.jobs.JobState.SUCCEEDED), "every demo job succeeded");
        }
    }
}
