package org.radflow.testkit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An instance field gives each test its own empty Orthanc; Lua scripts; programmatic start/stop. */
class OrthancPerTestIT {

    private static final Set<Integer> PORTS_SEEN = new HashSet<>();

    private static final String REJECT_LUA = """
            function ReceivedInstanceFilter(dicom, origin, info)
              if dicom.PatientID == 'REJECTME' then
                return false
              end
              return true
            end
            """;

    @RegisterExtension
    OrthancServer orthanc = new OrthancServer().withLuaScriptSource(REJECT_LUA);

    @TempDir
    Path dir;

    @Test
    void firstTestGetsAnEmptyServer() {
        assertTrue(orthanc.instanceIds().isEmpty());
        orthanc.upload(SampleDicom.study(dir, 1).get(0));
        assertEquals(1, orthanc.instanceIds().size());
        assertTrue(PORTS_SEEN.add(orthanc.httpPort()));
        assertTrue(orthanc.logFile().getFileName().toString().startsWith("OrthancPerTestIT-firstTestGetsAnEmptyServer"));
    }

    @Test
    void secondTestGetsAnotherEmptyServer() {
        assertTrue(orthanc.instanceIds().isEmpty());
        assertTrue(PORTS_SEEN.add(orthanc.httpPort()));
    }

    @Test
    void luaScriptFiltersIncomingInstances() throws Exception {
        Path kept = SampleDicom.instance().write(dir.resolve("kept.dcm"));
        Path rejected = SampleDicom.instance().patient("REJECT^ME", "REJECTME").write(dir.resolve("rejected.dcm"));
        Dcmtk.storescu().to(orthanc).noHalt().files(List.of(kept, rejected)).run();
        assertTrue(orthanc.findInstanceBySopInstanceUid(OrthancServerIT.sopUidOf(kept)).isPresent());
        assertFalse(orthanc.findInstanceBySopInstanceUid(OrthancServerIT.sopUidOf(rejected)).isPresent());
    }

    @Test
    void programmaticStartStop() throws Exception {
        Path logs = dir.resolve("logs");
        OrthancServer standalone = new OrthancServer().withName("bench").withLogDirectory(logs)
                .withStableAge(Duration.ofSeconds(1)).withConfig("OverwriteInstances", true);
        Path log;
        try (standalone) {
            standalone.start();
            assertTrue(standalone.isRunning());
            Dcmtk.echoscu("127.0.0.1", standalone.dicomPort(), "ORTHANC").assertOk();
            log = standalone.logFile();
            assertTrue(standalone.logTail(200).contains("\"OverwriteInstances\" : true"));
            assertThrows(IllegalStateException.class, () -> standalone.withAeTitle("LATE"));
        }
        assertFalse(standalone.isRunning());
        assertEquals(logs.resolve("bench.log"), log);
        assertTrue(Files.readString(log).contains("Orthanc has stopped"));
        assertThrows(IllegalStateException.class, standalone::httpUrl);
    }
}
