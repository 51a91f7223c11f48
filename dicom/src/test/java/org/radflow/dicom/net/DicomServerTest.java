package org.radflow.dicom.net;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.radflow.dicom.TransferSyntaxes;
import org.radflow.dicom.Uids;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The association layer with services that never see PDUs: a C-STORE handler here only collects the
 * fragments it is given, and refuses on cue, so what the layer does (negotiation, streaming, answers,
 * policy, counts) is seen apart from the listener's spool.
 */
class DicomServerTest {

    private static final String CT = "1.2.840.10008.5.1.4.1.1.2";
    private static final String NO_ROOM = "1.2.3.9";
    private static final String BAD_MIDWAY = "1.2.3.8";

    private final List<AssociationReport> reports = new CopyOnWriteArrayList<>();
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private final AtomicInteger fragments = new AtomicInteger();
    private final AtomicInteger abandoned = new AtomicInteger();
    private DicomServer server;

    /** Collects each data set; refuses {@link #NO_ROOM} before its data set and {@link #BAD_MIDWAY} at its first fragment. */
    private DataSetReceiver store(DimseRequest rq) throws DicomServiceException {
        if (rq.sopInstanceUid().equals(NO_ROOM)) {
            throw new DicomServiceException(DimseCommand.STATUS_OUT_OF_RESOURCES, "no room for " + rq.sopInstanceUid());
        }
        received.reset();
        return new DataSetReceiver() {
            @Override
            public void fragment(byte[] b, int off, int len) throws DicomServiceException {
                if (rq.sopInstanceUid().equals(BAD_MIDWAY)) {
                    throw new DicomServiceException(DimseCommand.STATUS_CANNOT_UNDERSTAND, "not a data set");
                }
                fragments.incrementAndGet();
                received.write(b, off, len);
            }

            @Override
            public int complete() {
                return DimseCommand.STATUS_SUCCESS;
            }

            @Override
            public void abandon() {
                abandoned.incrementAndGet();
            }
        };
    }

    @BeforeEach
    void start() throws Exception {
        DicomServiceRegistry services = new DicomServiceRegistry()
                .register(new CEchoService())
                .register(new CStoreService(this::store));
        AssociationPolicy policy = new AssociationPolicy() {
            @Override
            public void admit(AssociateRequest request, String peer, int openAssociations) throws AssociationRejectedException {
                if (openAssociations > 1) {
                    throw new AssociationRejectedException(Pdu.RJ_TRANSIENT, Pdu.RJ_SOURCE_PROVIDER_PRESENTATION,
                            Pdu.RJ_PRESENTATION_LOCAL_LIMIT_EXCEEDED, "one at a time");
                }
            }

            @Override
            public void authorize(AssociateRequest request, String peer) throws AssociationRejectedException {
                if (!request.calledAeTitle().equals("SCP")) {
                    throw new AssociationRejectedException(Pdu.RJ_PERMANENT, Pdu.RJ_SOURCE_USER,
                            Pdu.RJ_USER_CALLED_AE_NOT_RECOGNIZED, "not our AE title");
                }
            }
        };
        server = new DicomServer(new DicomServer.Settings("127.0.0.1", 0, 16384, Duration.ofSeconds(5), Duration.ofSeconds(5),
                List.of(TransferSyntaxes.EXPLICIT_VR_LITTLE_ENDIAN)), services, policy, reports::add);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(2000);
    }

    private ScuAssociation open(String calledAeTitle) throws Exception {
        return ScuAssociation.open(new ScuAssociation.Settings("SCU", calledAeTitle, "127.0.0.1", server.port(),
                Duration.ofSeconds(5), Duration.ofSeconds(5), 65536), List.of(
                new AssociateRequest.Proposal(1, Uids.VERIFICATION, List.of(TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN,
                        TransferSyntaxes.EXPLICIT_VR_LITTLE_ENDIAN)),
                new AssociateRequest.Proposal(3, CT, List.of(TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN,
                        TransferSyntaxes.EXPLICIT_VR_LITTLE_ENDIAN)),
                new AssociateRequest.Proposal(5, "1.2.840.10008.5.1.4.1.2.2.1", List.of(TransferSyntaxes.EXPLICIT_VR_LITTLE_ENDIAN))));
    }

    private AssociationReport awaitReport() throws InterruptedException {
        long end = System.currentTimeMillis() + 5000;
        while (reports.isEmpty() && System.currentTimeMillis() < end) {
            Thread.sleep(10);
        }
        assertEquals(1, reports.size(), "one report per association");
        return reports.get(0);
    }

    @Test
    void negotiatesByTheRegisteredServicesAndStreamsEachDataSetInFragments() throws Exception {
        byte[] dataSet = new byte[40_000];
        new Random(7).nextBytes(dataSet);
        try (ScuAssociation a = open("SCP")) {
            assertEquals(2, a.acceptedContexts().size(), "Verification and CT storage; query/retrieve has no service");
            assertEquals(TransferSyntaxes.EXPLICIT_VR_LITTLE_ENDIAN, a.acceptedContexts().get(3).transferSyntax(),
                    "only the configured transfer syntaxes are accepted");
            assertEquals(DimseCommand.STATUS_SUCCESS, a.echo());
            ScuAssociation.StoreResponse rsp = a.store(a.acceptedContexts().get(3), "1.2.3.4", new ByteArrayInputStream(dataSet),
                    dataSet.length);
            assertEquals(DimseCommand.STATUS_SUCCESS, rsp.status());
        }
        assertArrayEquals(dataSet, received.toByteArray());
        assertTrue(fragments.get() >= 3, "40000 bytes arrive as PDVs of at most 16 KiB, not whole: " + fragments.get());
        AssociationReport r = awaitReport();
        assertEquals("released", r.outcome());
        assertEquals("SCU", r.callingAeTitle());
        assertEquals(new AssociationReport.Requests(1, 0, 40_000), r.of(DimseCommand.C_STORE_RQ));
        assertEquals(1, r.of(DimseCommand.C_ECHO_RQ).succeeded());
        assertEquals(0, abandoned.get());
    }

    @Test
    void aServiceRefusalIsAnsweredWithItsStatusAndReasonAndTheAssociationGoesOn() throws Exception {
        byte[] dataSet = new byte[20_000];
        try (ScuAssociation a = open("SCP")) {
            ScuAssociation.Context ct = a.acceptedContexts().get(3);
            ScuAssociation.StoreResponse before = a.store(ct, NO_ROOM, new ByteArrayInputStream(dataSet), dataSet.length);
            assertEquals(DimseCommand.STATUS_OUT_OF_RESOURCES, before.status());
            assertEquals("no room for " + NO_ROOM, before.errorComment());
            ScuAssociation.StoreResponse midway = a.store(ct, BAD_MIDWAY, new ByteArrayInputStream(dataSet), dataSet.length);
            assertEquals(DimseCommand.STATUS_CANNOT_UNDERSTAND, midway.status());
            assertEquals("not a data set", midway.errorComment());
            ScuAssociation.StoreResponse badUid = a.store(ct, "1.02.3", new ByteArrayInputStream(dataSet), dataSet.length);
            assertEquals(DimseCommand.STATUS_CANNOT_UNDERSTAND, badUid.status(), "checked by the C-STORE service, not the handler");
            ScuAssociation.StoreResponse ok = a.store(ct, "1.2.3.5", new ByteArrayInputStream(dataSet), dataSet.length);
            assertEquals(DimseCommand.STATUS_SUCCESS, ok.status());
        }
        AssociationReport r = awaitReport();
        assertEquals(new AssociationReport.Requests(1, 3, 20_000), r.of(DimseCommand.C_STORE_RQ));
        assertEquals(3, r.failed());
        assertEquals(0, abandoned.get(), "a receiver that refused has cleaned up itself");
    }

    @Test
    void thePolicyRejectsBeforeNegotiationAndARejectedRequestLeavesNoReport() throws Exception {
        AssociationRejectedException e = assertThrows(AssociationRejectedException.class, () -> open("OTHER"));
        assertFalse(e.isTransient());
        assertEquals(Pdu.RJ_USER_CALLED_AE_NOT_RECOGNIZED, e.reason());
        try (ScuAssociation first = open("SCP")) {
            AssociationRejectedException busy = assertThrows(AssociationRejectedException.class, () -> open("SCP"));
            assertTrue(busy.isTransient(), busy.getMessage());
            assertEquals(DimseCommand.STATUS_SUCCESS, first.echo());
        }
        AssociationReport r = awaitReport();
        assertEquals(1, r.of(DimseCommand.C_ECHO_RQ).succeeded());
    }

    @Test
    void oneServicePerCommandField() {
        DicomServiceRegistry registry = new DicomServiceRegistry().register(new CEchoService());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> registry.register(new CEchoService()));
        assertTrue(e.getMessage().contains("CEchoService"), e.getMessage());
        assertEquals(null, registry.forCommandField(DimseCommand.C_STORE_RQ));
    }
}
