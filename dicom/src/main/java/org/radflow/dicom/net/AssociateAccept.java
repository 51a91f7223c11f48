package org.radflow.dicom.net;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/** An A-ASSOCIATE-AC (PS3.8 9.3.3): written by the acceptor, read by the requestor. */
public record AssociateAccept(
        String calledAeTitle,
        String callingAeTitle,
        List<Result> presentationContexts,
        int maxPduLength,
        String implementationClassUid,
        String implementationVersionName,
        List<RoleSelection> roleSelections) {

    /** Without role selections (none was proposed, or none is answered). */
    public AssociateAccept(String calledAeTitle, String callingAeTitle, List<Result> presentationContexts, int maxPduLength,
                           String implementationClassUid, String implementationVersionName) {
        this(calledAeTitle, callingAeTitle, presentationContexts, maxPduLength, implementationClassUid,
                implementationVersionName, List.of());
    }

    /** The answer to one proposed context: its result and, when accepted, the one transfer syntax chosen. */
    public record Result(int id, int result, String transferSyntax) {
        public boolean accepted() {
            return result == Pdu.PC_ACCEPTANCE;
        }
    }

    public AssociateAccept {
        presentationContexts = List.copyOf(presentationContexts);
        roleSelections = List.copyOf(roleSelections);
    }

    public void write(OutputStream out) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream(256 + presentationContexts.size() * 40);
        body.write(0);
        body.write(1);
        body.write(0);
        body.write(0);
        body.write(Pdu.aeBytes(calledAeTitle));
        body.write(Pdu.aeBytes(callingAeTitle));
        body.write(new byte[32]);
        AssociateRequest.writeItem(body, Pdu.ITEM_APPLICATION_CONTEXT, AssociateRequest.ascii(org.radflow.dicom.Uids.APPLICATION_CONTEXT));
        for (Result r : presentationContexts) {
            ByteArrayOutputStream item = new ByteArrayOutputStream();
            item.write(r.id());
            item.write(0);
            item.write(r.result());
            item.write(0);
            // PS3.8: the transfer syntax sub-item is present but not significant when not accepted
            String ts = r.transferSyntax() == null ? org.radflow.dicom.TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN : r.transferSyntax();
            AssociateRequest.writeItem(item, Pdu.ITEM_TRANSFER_SYNTAX, AssociateRequest.ascii(ts));
            AssociateRequest.writeItem(body, Pdu.ITEM_PRESENTATION_CONTEXT_AC, item.toByteArray());
        }
        AssociateRequest.writeItem(body, Pdu.ITEM_USER_INFORMATION,
                AssociateRequest.userInformation(maxPduLength, implementationClassUid, implementationVersionName,
                        roleSelections));
        Pdu.writeHeader(out, Pdu.A_ASSOCIATE_AC, body.size());
        body.writeTo(out);
        out.flush();
    }

    public static AssociateAccept parse(byte[] b) throws DicomProtocolException {
        if (b.length < 68) {
            throw new DicomProtocolException("A-ASSOCIATE-AC of " + b.length + " bytes is shorter than its fixed part");
        }
        String called = Pdu.ae(b, 4);
        String calling = Pdu.ae(b, 20);
        List<Result> results = new ArrayList<>();
        UserInformation userInfo = new UserInformation(0, null, null, List.of());
        int p = 68;
        while (p + 4 <= b.length) {
            int type = b[p] & 0xff;
            int len = Pdu.u16(b, p + 2);
            int start = p + 4;
            if (start + len > b.length) {
                throw new DicomProtocolException("item 0x" + Integer.toHexString(type) + " runs past the end of the A-ASSOCIATE-AC");
            }
            if (type == Pdu.ITEM_PRESENTATION_CONTEXT_AC && len >= 4) {
                int id = b[start] & 0xff;
                int result = b[start + 2] & 0xff;
                String ts = null;
                int q = start + 4;
                while (q + 4 <= start + len) {
                    int sub = b[q] & 0xff;
                    int sublen = Pdu.u16(b, q + 2);
                    if (sub == Pdu.ITEM_TRANSFER_SYNTAX && q + 4 + sublen <= start + len) {
                        ts = Pdu.uid(b, q + 4, sublen);
                    }
                    q += 4 + sublen;
                }
                results.add(new Result(id, result, ts));
            } else if (type == Pdu.ITEM_USER_INFORMATION) {
                userInfo = UserInformation.parse(b, start, len);
            }
            p = start + len;
        }
        return new AssociateAccept(called, calling, results, userInfo.maxPduLength(), userInfo.implementationClassUid(),
                userInfo.implementationVersionName(), userInfo.roleSelections());
    }
}
