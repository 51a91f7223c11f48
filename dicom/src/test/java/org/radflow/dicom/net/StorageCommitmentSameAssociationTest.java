package org.radflow.dicom.net;

import org.junit.jupiter.api.Test;
import org.radflow.dicom.TransferSyntaxes;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The same-association path of PS3.4 J.3.3, which Orthanc never takes: a scripted SCP on loopback answers the
 * N-ACTION and sends its N-EVENT-REPORT in the same P-DATA-TF PDU as the response, as an SCP may. The SCU reads
 * both, answers the report, and releases.
 */
class StorageCommitmentSameAssociationTest {

    private static final String CT = "1.2.840.10008.5.1.4.1.1.2";

    /** Reads one whole message (command PDVs, then data PDVs) from a PDU stream; returns [command, data]. */
    private static byte[][] readMessage(InputStream in) throws Exception {
        ByteArrayOutputStream cmd = new ByteArrayOutputStream();
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        boolean[] done = {false};
        boolean[] hasData = {false};
        while (!done[0]) {
            Pdu.Header h = Pdu.readHeader(in);
            assertEquals(Pdu.P_DATA_TF, h.type());
            byte[] b = Pdu.readBody(in, h, 1 << 20);
            Pdu.forEachPdv(b, b.length, (pcid, command, last, v, off, len) -> {
                (command ? cmd : data).write(v, off, len);
                if (command && last) {
                    try {
                        hasData[0] = DimseCommand.decode(cmd.toByteArray()).hasDataSet();
                    } catch (DicomProtocolException e) {
                        throw new AssertionError(e);
                    }
                    done[0] = !hasData[0];
                } else if (!command && last) {
                    done[0] = true;
                }
            });
        }
        return new byte[][] {cmd.toByteArray(), data.toByteArray()};
    }

    @Test
    void aReportOnTheRequestAssociationIsReadAnsweredAndReturned() throws Exception {
        try (ServerSocket listening = new ServerSocket()) {
            listening.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            List<DimseCommand> seenByScp = new ArrayList<>();
            CompletableFuture<StorageCommitment.Report> requested = new CompletableFuture<>();
            CompletableFuture<Void> scp = CompletableFuture.runAsync(() -> {
                try (Socket s = listening.accept()) {
                    s.setSoTimeout(10_000);
                    InputStream in = new BufferedInputStream(s.getInputStream());
                    OutputStream out = new BufferedOutputStream(s.getOutputStream());
                    Pdu.Header h = Pdu.readHeader(in);
                    AssociateRequest rq = AssociateRequest.parse(Pdu.readBody(in, h, 1 << 20));
                    int pcid = rq.presentationContexts().get(0).id();
                    new AssociateAccept(rq.calledAeTitle(), rq.callingAeTitle(), List.of(new AssociateAccept.Result(pcid,
                            Pdu.PC_ACCEPTANCE, TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN)), 16384, "1.2.3", "SCRIPTED").write(out);
                    byte[][] action = readMessage(in);
                    DimseCommand nAction = DimseCommand.decode(action[0]);
                    seenByScp.add(nAction);
                    StorageCommitment.Report asked = StorageCommitment.decodeRequest(action[1], TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN);
                    requested.complete(asked);
                    // N-ACTION-RSP and the start of the N-EVENT-REPORT-RQ in one P-DATA-TF
                    byte[] rsp = new DimseCommand().set(DimseCommand.AFFECTED_SOP_CLASS_UID, StorageCommitment.SOP_CLASS_UID)
                            .set(DimseCommand.COMMAND_FIELD, DimseCommand.N_ACTION_RSP)
                            .set(DimseCommand.MESSAGE_ID_BEING_RESPONDED_TO, nAction.getInt(DimseCommand.MESSAGE_ID, -1))
                            .set(DimseCommand.COMMAND_DATA_SET_TYPE, DimseCommand.NO_DATA_SET).set(DimseCommand.STATUS, 0)
                            .set(DimseCommand.AFFECTED_SOP_INSTANCE_UID, StorageCommitment.SOP_INSTANCE_UID).encode();
                    byte[] event = new DimseCommand().set(DimseCommand.AFFECTED_SOP_CLASS_UID, StorageCommitment.SOP_CLASS_UID)
                            .set(DimseCommand.COMMAND_FIELD, DimseCommand.N_EVENT_REPORT_RQ).set(DimseCommand.MESSAGE_ID, 1)
                            .set(DimseCommand.COMMAND_DATA_SET_TYPE, DimseCommand.DATA_SET_PRESENT)
                            .set(DimseCommand.AFFECTED_SOP_INSTANCE_UID, StorageCommitment.SOP_INSTANCE_UID)
                            .set(DimseCommand.EVENT_TYPE_ID, StorageCommitment.EVENT_FAILURES_EXIST).encode();
                    byte[] eventData = StorageCommitment.encodeReport(new StorageCommitment.Report(asked.transactionUid(),
                            List.of(asked.committed().get(0)), List.of(new StorageCommitment.Failure(asked.committed().get(1),
                            StorageCommitment.FAILURE_RESOURCE_LIMITATION))), TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN);
                    Pdu.writeHeader(out, Pdu.P_DATA_TF, rsp.length + 6 + event.length + 6);
                    for (byte[] v : List.of(rsp, event)) {
                        Pdu.writeInt(out, v.length + 2);
                        out.write(pcid);
                        out.write(3); // command, last fragment
                        out.write(v);
                    }
                    new PDataWriter(out, 16384).writeData(pcid, new java.io.ByteArrayInputStream(eventData), eventData.length);
                    byte[][] answer = readMessage(in);
                    seenByScp.add(DimseCommand.decode(answer[0]));
                    Pdu.Header rel = Pdu.readHeader(in);
                    assertEquals(Pdu.A_RELEASE_RQ, rel.type());
                    Pdu.readBody(in, rel, 64);
                    Pdu.writeReleaseRp(out);
                } catch (Exception e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });

            StorageCommitment.Reference a = new StorageCommitment.Reference(CT, "1.2.3.1");
            StorageCommitment.Reference b = new StorageCommitment.Reference(CT, "1.2.3.2");
            StorageCommitment.Report report;
            try (ScuAssociation assoc = ScuAssociation.open(new ScuAssociation.Settings("RADFLOW", "PACS", "127.0.0.1",
                    listening.getLocalPort(), Duration.ofSeconds(5), Duration.ofSeconds(10), 16384), List.of(
                    new AssociateRequest.Proposal(1, StorageCommitment.SOP_CLASS_UID, List.of(TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN))))) {
                assertEquals(0, assoc.requestCommitment("2.25.99", List.of(a, b)).status());
                report = assoc.awaitCommitmentReport(Duration.ofSeconds(5)).orElseThrow();
            }
            scp.get(10, TimeUnit.SECONDS);

            assertEquals(List.of(a, b), requested.get().committed());
            assertEquals("2.25.99", report.transactionUid());
            assertEquals(List.of(a), report.committed());
            assertEquals(b, report.failed().get(0).reference());
            assertEquals("resource limitation", report.failed().get(0).reasonText());
            DimseCommand nAction = seenByScp.get(0);
            assertEquals(DimseCommand.N_ACTION_RQ, nAction.commandField());
            assertEquals(StorageCommitment.SOP_INSTANCE_UID, nAction.getString(DimseCommand.REQUESTED_SOP_INSTANCE_UID));
            DimseCommand answered = seenByScp.get(1);
            assertEquals(DimseCommand.N_EVENT_REPORT_RSP, answered.commandField());
            assertEquals(0, answered.getInt(DimseCommand.STATUS, -1));
            assertEquals(1, answered.getInt(DimseCommand.MESSAGE_ID_BEING_RESPONDED_TO, -1));
            assertEquals(StorageCommitment.EVENT_FAILURES_EXIST, answered.getInt(DimseCommand.EVENT_TYPE_ID, -1));
            assertTrue(answered.getString(DimseCommand.AFFECTED_SOP_INSTANCE_UID).equals(StorageCommitment.SOP_INSTANCE_UID));
        }
    }
}
