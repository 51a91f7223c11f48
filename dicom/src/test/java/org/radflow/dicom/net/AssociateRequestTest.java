package org.radflow.dicom.net;

import org.junit.jupiter.api.Test;
import org.radflow.dicom.TransferSyntaxes;
import org.radflow.dicom.Uids;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AssociateRequestTest {

    @Test
    void requestAndAcceptRoundTrip() throws Exception {
        AssociateRequest rq = new AssociateRequest(1, "RADFLOW", "MODALITY", Uids.APPLICATION_CONTEXT, List.of(
                new AssociateRequest.Proposal(1, Uids.VERIFICATION, List.of(TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN)),
                new AssociateRequest.Proposal(3, "1.2.840.10008.5.1.4.1.1.2",
                        List.of(TransferSyntaxes.JPEG_2000, TransferSyntaxes.EXPLICIT_VR_LITTLE_ENDIAN))),
                16384, Pdu.IMPLEMENTATION_CLASS_UID, Pdu.IMPLEMENTATION_VERSION_NAME);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        rq.write(out);
        ByteArrayInputStream in = new ByteArrayInputStream(out.toByteArray());
        Pdu.Header h = Pdu.readHeader(in);
        assertEquals(Pdu.A_ASSOCIATE_RQ, h.type());
        assertEquals(rq, AssociateRequest.parse(Pdu.readBody(in, h, 1 << 20)));

        AssociateAccept ac = new AssociateAccept("RADFLOW", "MODALITY", List.of(
                new AssociateAccept.Result(1, Pdu.PC_ACCEPTANCE, TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN),
                new AssociateAccept.Result(3, Pdu.PC_TRANSFER_SYNTAXES_NOT_SUPPORTED, TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN)),
                131072, Pdu.IMPLEMENTATION_CLASS_UID, Pdu.IMPLEMENTATION_VERSION_NAME);
        out.reset();
        ac.write(out);
        in = new ByteArrayInputStream(out.toByteArray());
        h = Pdu.readHeader(in);
        assertEquals(Pdu.A_ASSOCIATE_AC, h.type());
        assertEquals(ac, AssociateAccept.parse(Pdu.readBody(in, h, 1 << 20)));
    }

    @Test
    void truncatedItemsAreProtocolErrors() throws Exception {
        AssociateRequest rq = new AssociateRequest(1, "A", "B", Uids.APPLICATION_CONTEXT,
                List.of(new AssociateRequest.Proposal(1, Uids.VERIFICATION, List.of(TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN))),
                16384, Pdu.IMPLEMENTATION_CLASS_UID, null);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        rq.write(out);
        byte[] body = java.util.Arrays.copyOfRange(out.toByteArray(), 6, out.size() - 3);
        assertThrows(DicomProtocolException.class, () -> AssociateRequest.parse(body));
    }
}
