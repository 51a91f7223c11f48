package org.radflow.dicom.net;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TransferSyntax;
import org.junit.jupiter.api.Test;
import org.radflow.dicom.TransferSyntaxes;
import org.radflow.dicom.Uids;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The storage commitment codec: command sets, data sets (read back by PixelMed) and role selection items. */
class StorageCommitmentTest {

    private static final String CT = "1.2.840.10008.5.1.4.1.1.2";
    private static final StorageCommitment.Reference A = new StorageCommitment.Reference(CT, "1.2.3.1");
    private static final StorageCommitment.Reference B = new StorageCommitment.Reference(CT, "1.2.3.2");

    @Test
    void nActionRequestCarriesRequestedUidsAndActionTypeAndDecodesBack() throws Exception {
        byte[] bytes = DimseCommand.nActionRequest(5, StorageCommitment.SOP_CLASS_UID, StorageCommitment.SOP_INSTANCE_UID,
                StorageCommitment.ACTION_REQUEST).encode();
        AttributeList list = new AttributeList();
        list.read(new DicomInputStream(new ByteArrayInputStream(bytes), TransferSyntax.ImplicitVRLittleEndian, false));
        assertEquals(StorageCommitment.SOP_CLASS_UID, list.get(new AttributeTag(0, 0x0003)).getSingleStringValueOrNull());
        assertEquals(StorageCommitment.SOP_INSTANCE_UID, list.get(new AttributeTag(0, 0x1001)).getSingleStringValueOrNull());
        assertEquals(1, list.get(new AttributeTag(0, 0x1008)).getSingleIntegerValueOrDefault(-1));
        assertEquals(0x0130, list.get(new AttributeTag(0, 0x0100)).getSingleIntegerValueOrDefault(-1));
        DimseCommand back = DimseCommand.decode(bytes);
        assertEquals(DimseCommand.N_ACTION_RQ, back.commandField());
        assertEquals(StorageCommitment.ACTION_REQUEST, back.getInt(DimseCommand.ACTION_TYPE_ID, -1));
        assertEquals(StorageCommitment.SOP_INSTANCE_UID, back.getString(DimseCommand.REQUESTED_SOP_INSTANCE_UID));
        assertTrue(back.hasDataSet());
    }

    @Test
    void nEventReportResponseNamesTheAffectedInstanceAndEventType() throws Exception {
        DimseCommand rq = new DimseCommand().set(DimseCommand.AFFECTED_SOP_CLASS_UID, StorageCommitment.SOP_CLASS_UID)
                .set(DimseCommand.COMMAND_FIELD, DimseCommand.N_EVENT_REPORT_RQ).set(DimseCommand.MESSAGE_ID, 9)
                .set(DimseCommand.COMMAND_DATA_SET_TYPE, DimseCommand.DATA_SET_PRESENT)
                .set(DimseCommand.AFFECTED_SOP_INSTANCE_UID, StorageCommitment.SOP_INSTANCE_UID)
                .set(DimseCommand.EVENT_TYPE_ID, StorageCommitment.EVENT_FAILURES_EXIST);
        DimseCommand rsp = DimseCommand.decode(DimseCommand.nEventReportResponse(DimseCommand.decode(rq.encode()), 0).encode());
        assertEquals(DimseCommand.N_EVENT_REPORT_RSP, rsp.commandField());
        assertEquals(9, rsp.getInt(DimseCommand.MESSAGE_ID_BEING_RESPONDED_TO, -1));
        assertEquals(StorageCommitment.SOP_CLASS_UID, rsp.getString(DimseCommand.AFFECTED_SOP_CLASS_UID));
        assertEquals(StorageCommitment.SOP_INSTANCE_UID, rsp.getString(DimseCommand.AFFECTED_SOP_INSTANCE_UID));
        assertEquals(2, rsp.getInt(DimseCommand.EVENT_TYPE_ID, -1));
        assertFalse(rsp.hasDataSet());
    }

    @Test
    void requestDataSetHasTransactionUidAndReferencedSopSequenceInBothSyntaxes() throws Exception {
        for (String ts : List.of(TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN, TransferSyntaxes.EXPLICIT_VR_LITTLE_ENDIAN)) {
            byte[] data = StorageCommitment.encodeRequest("2.25.42", List.of(A, B), ts);
            AttributeList list = new AttributeList();
            list.read(new DicomInputStream(new ByteArrayInputStream(data), ts, false));
            assertEquals("2.25.42", list.get(new AttributeTag(0x0008, 0x1195)).getSingleStringValueOrNull());
            SequenceAttribute seq = (SequenceAttribute) list.get(new AttributeTag(0x0008, 0x1199));
            assertEquals(2, seq.getNumberOfItems());
            assertEquals("1.2.3.2", seq.getItem(1).getAttributeList().get(new AttributeTag(0x0008, 0x1155)).getSingleStringValueOrNull());
            StorageCommitment.Report back = StorageCommitment.decodeRequest(data, ts);
            assertEquals(List.of(A, B), back.committed());
        }
    }

    @Test
    void reportWithFailuresRoundTrips() throws Exception {
        StorageCommitment.Report report = new StorageCommitment.Report("2.25.7", List.of(A),
                List.of(new StorageCommitment.Failure(B, StorageCommitment.FAILURE_NO_SUCH_OBJECT_INSTANCE)));
        assertEquals(StorageCommitment.EVENT_FAILURES_EXIST, report.eventTypeId());
        StorageCommitment.Report back = StorageCommitment.decodeReport(
                StorageCommitment.encodeReport(report, TransferSyntaxes.EXPLICIT_VR_LITTLE_ENDIAN), TransferSyntaxes.EXPLICIT_VR_LITTLE_ENDIAN);
        assertEquals(report, back);
        assertEquals("no such object instance", back.failed().get(0).reasonText());
    }

    @Test
    void reportWithoutAValidTransactionUidIsRefusedWithCannotUnderstand() throws Exception {
        byte[] noUid = StorageCommitment.encodeReport(new StorageCommitment.Report("2.25.7", List.of(A), List.of()),
                TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN);
        // overwrite the UID's value "2.25.7" + pad with a value that is no UID
        String s = new String(noUid, java.nio.charset.StandardCharsets.ISO_8859_1).replace("2.25.7", "2.x5.7");
        DicomServiceException e = assertThrows(DicomServiceException.class, () -> StorageCommitment.decodeReport(
                s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN));
        assertEquals(DimseCommand.STATUS_CANNOT_UNDERSTAND, e.status());
        assertTrue(e.errorComment().contains("Transaction UID"), e.errorComment());
        assertThrows(DicomServiceException.class, () -> StorageCommitment.decodeReport(new byte[] {8, 0, (byte) 0x95, 0x11, 9},
                TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN));
    }

    @Test
    void requestRefusesAnInvalidUidNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StorageCommitment.encodeRequest("2.25.1",
                List.of(new StorageCommitment.Reference(CT, "1.02.3")), TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN));
        assertTrue(e.getMessage().contains("1.02.3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> StorageCommitment.encodeRequest("2.25.1", List.of(),
                TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN));
    }

    @Test
    void roleSelectionsRoundTripInRequestAndAccept() throws Exception {
        RoleSelection scpOnly = new RoleSelection(StorageCommitment.SOP_CLASS_UID, false, true);
        AssociateRequest rq = new AssociateRequest(1, "RADFLOW", "ORTHANC", Uids.APPLICATION_CONTEXT, List.of(
                new AssociateRequest.Proposal(1, StorageCommitment.SOP_CLASS_UID, List.of(TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN))),
                16384, "1.2.3", "X", List.of(scpOnly));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        rq.write(out);
        byte[] pdu = out.toByteArray();
        AssociateRequest back = AssociateRequest.parse(java.util.Arrays.copyOfRange(pdu, 6, pdu.length));
        assertEquals(List.of(scpOnly), back.roleSelections());
        assertEquals(scpOnly, back.roleSelection(StorageCommitment.SOP_CLASS_UID).orElseThrow());

        AssociateAccept ac = new AssociateAccept("RADFLOW", "ORTHANC", List.of(new AssociateAccept.Result(1, Pdu.PC_ACCEPTANCE,
                TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN)), 16384, "1.2.3", "X", List.of(scpOnly));
        out.reset();
        ac.write(out);
        pdu = out.toByteArray();
        assertEquals(List.of(scpOnly), AssociateAccept.parse(java.util.Arrays.copyOfRange(pdu, 6, pdu.length)).roleSelections());
    }

    @Test
    void registryGrantsTheScpRoleOnlyWhereAServiceTakesReports() {
        DicomServiceRegistry registry = new DicomServiceRegistry().register(new CEchoService())
                .register(new StorageCommitmentReportService((r, rq) -> { }));
        assertEquals(new RoleSelection(StorageCommitment.SOP_CLASS_UID, false, true),
                registry.answer(new RoleSelection(StorageCommitment.SOP_CLASS_UID, true, true)));
        assertEquals(new RoleSelection(Uids.VERIFICATION, true, false),
                registry.answer(new RoleSelection(Uids.VERIFICATION, true, true)));
        assertEquals(new RoleSelection(CT, false, false), registry.answer(new RoleSelection(CT, true, true)));
    }
}
