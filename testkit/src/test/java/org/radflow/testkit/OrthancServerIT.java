package org.radflow.testkit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One Orthanc for the class (static field): DICOM and REST paths, and Orthanc to a DCMTK storescp. */
class OrthancServerIT {

    @RegisterExtension
    static OrthancServer orthanc = new OrthancServer()
            .withAeTitle("ORTHANCIT")
            .withModality("NOWHERE", "NOWHERE", "127.0.0.1", 9);

    @TempDir
    Path dir;

    @Test
    void startsOnFreeLoopbackPorts() {
        assertTrue(orthanc.isRunning());
        assertNotEquals(orthanc.httpPort(), orthanc.dicomPort());
        assertEquals("http://127.0.0.1:" + orthanc.httpPort(), orthanc.httpUrl());
        assertEquals(orthanc.httpUrl() + "/dicom-web", orthanc.dicomWebUrl());
        var system = orthanc.system();
        assertEquals("ORTHANCIT", system.getString("DicomAet"));
        assertEquals(orthanc.dicomPort(), system.getInteger("DicomPort"));
        assertTrue(orthanc.modalities().containsKey("NOWHERE"));
        assertTrue(Files.exists(orthanc.logFile()));
        assertTrue(orthanc.logFile().toString().contains("orthanc-logs"), orthanc.logFile().toString());
        assertTrue(orthanc.logTail(200).contains("\"RemoteAccessAllowed\" : false"));
        // the DICOMweb plugin answers
        assertEquals(200, orthanc.request("GET", "/dicom-web/studies", null, null).statusCode());
    }

    @Test
    void echoscuSucceeds() {
        Dcmtk.echoscu("127.0.0.1", orthanc.dicomPort(), orthanc.aeTitle()).assertOk();
    }

    @Test
    void wrongCalledAeTitleIsRefused() {
        ToolResult result = Dcmtk.echoscu("127.0.0.1", orthanc.dicomPort(), "NOT-ORTHANC");
        assertFalse(result.ok(), result::describe);
    }

    @Test
    void storescuFileIsFoundThroughRest() {
        List<Path> files = SampleDicom.study(dir, 2);
        String study = studyUidOf(files.get(0));
        String sop = sopUidOf(files.get(1));
        Dcmtk.storescu().to(orthanc).callingAe("STORESCUIT").files(files).run().assertOk();

        List<OrthancServer.StoredInstance> instances = orthanc.awaitInstanceCount(study, 2, Duration.ofSeconds(10));
        assertEquals(2, instances.size());
        assertTrue(orthanc.studyInstanceUids().contains(study));
        Optional<String> id = orthanc.findInstanceBySopInstanceUid(sop);
        assertTrue(id.isPresent());
        assertTrue(orthanc.instanceIds().contains(id.get()));
        OrthancServer.StoredInstance stored = instances.stream().filter(i -> i.sopInstanceUid().equals(sop))
                .findFirst().orElseThrow();
        assertEquals(id.get(), stored.orthancId());
        assertEquals(SampleDicom.SECONDARY_CAPTURE, stored.sopClassUid());
        assertEquals("OT", stored.modality());
        assertEquals("STORESCUIT", stored.remoteAet());
        assertEquals("1.2.840.10008.1.2.1", stored.transferSyntaxUid());
        assertTrue(orthanc.sopInstanceUidsOfStudy(study).contains(sop));
        assertEquals(Optional.empty(), orthanc.findInstanceBySopInstanceUid("2.25.404"));
    }

    @Test
    void storescuScansADirectoryAndProposesTheRequestedTransferSyntax() {
        List<Path> files = SampleDicom.study(dir.resolve("nested/deeper"), 3);
        String study = studyUidOf(files.get(0));
        Dcmtk.storescu().to(orthanc).directory(dir).propose(Dcmtk.ProposedTransferSyntax.IMPLICIT_LITTLE_ENDIAN)
                .run().assertOk();
        List<OrthancServer.StoredInstance> stored = orthanc.awaitInstanceCount(study, 3, Duration.ofSeconds(10));
        assertTrue(stored.stream().allMatch(i -> "1.2.840.10008.1.2".equals(i.transferSyntaxUid())), stored::toString);
    }

    @Test
    void uploadAndInstanceFileRoundTrip() throws Exception {
        Path file = SampleDicom.study(dir, 1).get(0);
        String id = orthanc.upload(file);
        assertArrayEquals(Files.readAllBytes(file), orthanc.instanceFile(id));
        assertEquals(Optional.of(id), orthanc.findInstanceBySopInstanceUid(sopUidOf(file)));
    }

    @Test
    void storeToModalityReachesDcmtkStorescp() throws Exception {
        try (Dcmtk.StoreScp scp = Dcmtk.storescp().aeTitle("SINK").start()) {
            orthanc.withModality("SINK", "SINK", "127.0.0.1", scp.port()); // REST PUT while running
            assertTrue(orthanc.modalities().containsKey("SINK"));
            List<Path> files = SampleDicom.study(dir, 2);
            List<String> ids = files.stream().map(orthanc::upload).toList();

            OrthancServer.StoreResult result = orthanc.storeToModality("SINK", ids);
            assertEquals(2, result.instancesCount());
            assertEquals(0, result.failedInstancesCount());
            List<Path> received = scp.awaitFiles(2, Duration.ofSeconds(10));
            assertEquals(2, received.size());
            String sop = sopUidOf(files.get(0));
            assertTrue(received.stream().anyMatch(p -> p.getFileName().toString().contains(sop)), received::toString);
        }
    }

    @Test
    void storeToUnreachableModalityThrows() {
        String id = orthanc.upload(SampleDicom.study(dir, 1).get(0));
        OrthancServer.OrthancRestException e = assertThrows(OrthancServer.OrthancRestException.class,
                () -> orthanc.storeToModality("NOWHERE", List.of(id)));
        assertTrue(e.status() >= 400, e::getMessage);
    }

    @Test
    void storescuCanBeKilledMidTransfer() throws Exception {
        try (Dcmtk.StoreScp scp = Dcmtk.storescp().aeTitle("SLOW").option("--sleep-during", "5").start()) {
            Path file = SampleDicom.study(dir, 1).get(0);
            Process storescu = Dcmtk.storescu().port(scp.port()).calledAe("SLOW").file(file).start();
            Thread.sleep(500);
            assertTrue(storescu.isAlive(), "storescu should still wait for the C-STORE response");
            storescu.destroyForcibly().waitFor();
            assertTrue(scp.isAlive(), "storescp survives an aborted association");
        }
    }

    static String studyUidOf(Path file) {
        return tag(file, "(0020,000d)");
    }

    static String sopUidOf(Path file) {
        return tag(file, "(0008,0018)");
    }

    private static String tag(Path file, String tag) {
        String line = Dcmtk.dcmdump(file).assertOk().output().lines().filter(l -> l.startsWith(tag))
                .findFirst().orElseThrow();
        return line.substring(line.indexOf('[') + 1, line.indexOf(']'));
    }
}
