package org.radflow.dicom.net;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.dicom.TransferSyntaxes;
import org.radflow.dicom.Uids;
import org.radflow.testkit.FreePorts;
import org.radflow.testkit.OrthancServer;
import org.radflow.testkit.SampleDicom;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Storage commitment against a real Orthanc 1.10: it answers the N-ACTION on the request's association and
 * reports later on a new association it opens to the requestor's AE (looked up by calling AE title in its
 * DicomModalities), proposing the SCP role by role selection. RadFlow's DicomServer with the report
 * service takes that association and the report.
 */
class StorageCommitmentOrthancIT {

    private static final String CT = "1.2.840.10008.5.1.4.1.1.2";
    private static final String SC = SampleDicom.SECONDARY_CAPTURE;

    private final CompletableFuture<AssociationReport> firstAssociation = new CompletableFuture<>();
    private DicomServer server;
    private OrthancServer orthanc;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (orthanc != null) {
            orthanc.close();
        }
    }

    private DicomServer listener(StorageCommitmentReportService.Handler handler) throws Exception {
        AssociationPolicy all = new AssociationPolicy() {
            @Override
            public void admit(AssociateRequest request, String peer, int openAssociations) {
            }

            @Override
            public void authorize(AssociateRequest request, String peer) {
            }
        };
        for (int attempt = 0; ; attempt++) {
            DicomServer s = new DicomServer(new DicomServer.Settings("127.0.0.1", FreePorts.find(), 16384, Duration.ofSeconds(5),
                    Duration.ofSeconds(30), List.of(TransferSyntaxes.EXPLICIT_VR_LITTLE_ENDIAN, TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN)),
                    new DicomServiceRegistry().register(new CEchoService()).register(new StorageCommitmentReportService(handler)),
                    all, firstAssociation::complete);
            try {
                s.start();
                return s;
            } catch (java.net.BindException e) {
                // FreePorts' race: another process took the port in between
                if (attempt >= 3) {
                    throw e;
                }
            }
        }
    }

    private ScuAssociation open() throws Exception {
        return ScuAssociation.open(new ScuAssociation.Settings("RADFLOW", orthanc.aeTitle(), "127.0.0.1", orthanc.dicomPort(),
                Duration.ofSeconds(5), Duration.ofSeconds(30), 16384), List.of(new AssociateRequest.Proposal(1,
                StorageCommitment.SOP_CLASS_UID, List.of(TransferSyntaxes.EXPLICIT_VR_LITTLE_ENDIAN,
                        TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN))));
    }

    @Test
    void orthancCommitsWhatItStoredAndListsTheRestAsFailedOnANewAssociation(@TempDir Path dir) throws Exception {
        CompletableFuture<StorageCommitment.Report> received = new CompletableFuture<>();
        List<DimseRequest> from = new CopyOnWriteArrayList<>();
        server = listener((report, rq) -> {
            from.add(rq);
            received.complete(report);
        });
        orthanc = new OrthancServer().withName("StorageCommitmentOrthancIT").withDicomWeb(false)
                .withModality("radflow", "RADFLOW", "127.0.0.1", server.port());
        orthanc.start();
        List<Path> files = SampleDicom.study(dir, 2);
        for (Path f : files) {
            orthanc.upload(f);
        }
        List<OrthancServer.StoredInstance> stored = orthanc.instancesOfStudy(
                orthanc.studyInstanceUids().get(0));
        assertEquals(2, stored.size());
        List<StorageCommitment.Reference> refs = new java.util.ArrayList<>(stored.stream()
                .map(s -> new StorageCommitment.Reference(s.sopClassUid(), s.sopInstanceUid())).toList());
        StorageCommitment.Reference missing = new StorageCommitment.Reference(SC, SampleDicom.newUid());
        refs.add(missing);
        String transaction = SampleDicom.newUid();

        try (ScuAssociation a = open()) {
            ScuAssociation.StoreResponse rsp = a.requestCommitment(transaction, refs);
            assertEquals(0, rsp.status(), "N-ACTION-RSP status " + Integer.toHexString(rsp.status()) + " " + rsp.errorComment());
            // Orthanc never reports on the request's association: waiting there ends empty, without harm
            assertTrue(a.awaitCommitmentReport(Duration.ofMillis(300)).isEmpty());
        }

        StorageCommitment.Report report = received.get(30, TimeUnit.SECONDS);
        assertEquals(transaction, report.transactionUid());
        assertEquals(stored.stream().map(OrthancServer.StoredInstance::sopInstanceUid).collect(Collectors.toSet()),
                report.committed().stream().map(StorageCommitment.Reference::sopInstanceUid).collect(Collectors.toSet()));
        assertEquals(1, report.failed().size());
        assertEquals(missing, report.failed().get(0).reference());
        assertEquals(StorageCommitment.FAILURE_NO_SUCH_OBJECT_INSTANCE, report.failed().get(0).reason());
        assertEquals(orthanc.aeTitle(), from.get(0).callingAeTitle());
        assertEquals(StorageCommitment.SOP_CLASS_UID, from.get(0).abstractSyntax());
        // Orthanc got its N-EVENT-REPORT-RSP: its association to us ended with a release, counted as served
        AssociationReport served = awaitAssociation();
        assertEquals("released", served.outcome());
    }

    @Test
    void aHandlerThatCannotTakeTheReportAnswersAFailureStatus(@TempDir Path dir) throws Exception {
        CompletableFuture<String> tried = new CompletableFuture<>();
        server = listener((report, rq) -> {
            tried.complete(report.transactionUid());
            throw new DicomServiceException(DimseCommand.STATUS_PROCESSING_FAILURE, "unknown transaction " + report.transactionUid());
        });
        orthanc = new OrthancServer().withName("StorageCommitmentOrthancIT-refused").withDicomWeb(false)
                .withModality("radflow", "RADFLOW", "127.0.0.1", server.port());
        orthanc.start();
        Path f = SampleDicom.study(dir, 1).get(0);
        orthanc.upload(f);
        OrthancServer.StoredInstance s = orthanc.instancesOfStudy(orthanc.studyInstanceUids().get(0)).get(0);
        String transaction = SampleDicom.newUid();
        try (ScuAssociation a = open()) {
            assertEquals(0, a.requestCommitment(transaction, List.of(new StorageCommitment.Reference(s.sopClassUid(),
                    s.sopInstanceUid()))).status());
        }
        assertEquals(transaction, tried.get(30, TimeUnit.SECONDS));
        AssociationReport served = awaitAssociation();
        assertEquals(Set.of(DimseCommand.N_EVENT_REPORT_RQ), served.requests().keySet());
        assertEquals(1, served.requests().get(DimseCommand.N_EVENT_REPORT_RQ).failed(), served.toString());
        assertTrue(Uids.isValid(transaction));
    }

    private AssociationReport awaitAssociation() throws Exception {
        try {
            return firstAssociation.get(20, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("Orthanc's reporting association did not end within 20 s; Orthanc log:\n" + orthanc.logTail(40));
        }
    }
}
