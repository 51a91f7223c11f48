package org.radflow.dicom.net;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** An A-ASSOCIATE-RQ (PS3.8 9.3.2): read by the acceptor, written by the requestor. */
public record AssociateRequest(
        int protocolVersion,
        String calledAeTitle,
        String callingAeTitle,
        String applicationContext,
        List<Proposal> presentationContexts,
        int maxPduLength,
        String implementationClassUid,
        String implementationVersionName,
        List<RoleSelection> roleSelections) {

    /** Without SCP/SCU role selections: every context in the default roles (requestor SCU, acceptor SCP). */
    public AssociateRequest(int protocolVersion, String calledAeTitle, String callingAeTitle, String applicationContext,
                            List<Proposal> presentationContexts, int maxPduLength, String implementationClassUid,
                            String implementationVersionName) {
        this(protocolVersion, calledAeTitle, callingAeTitle, applicationContext, presentationContexts, maxPduLength,
                implementationClassUid, implementationVersionName, List.of());
    }

    /** One proposed presentation context: its odd id, abstract syntax and transfer syntaxes in preference order. */
    public record Proposal(int id, String abstractSyntax, List<String> transferSyntaxes) {
        public Proposal {
            transferSyntaxes = List.copyOf(transferSyntaxes);
        }
    }

    public AssociateRequest {
        presentationContexts = List.copyOf(presentationContexts);
        roleSelections = List.copyOf(roleSelections);
    }

    /** The role selection proposed for this SOP class, if any. */
    public java.util.Optional<RoleSelection> roleSelection(String sopClassUid) {
        return roleSelections.stream().filter(r -> r.sopClassUid().equals(sopClassUid)).findFirst();
    }

    public static AssociateRequest parse(byte[] b) throws DicomProtocolException {
        if (b.length < 68) {
            throw new DicomProtocolException("A-ASSOCIATE-RQ of " + b.length + " bytes is shorter than its fixed part");
        }
        int version = Pdu.u16(b, 0);
        String called = Pdu.ae(b, 4);
        String calling = Pdu.ae(b, 20);
        String appContext = null;
        List<Proposal> contexts = new ArrayList<>();
        UserInformation userInfo = new UserInformation(0, null, null, List.of());
        int p = 68;
        while (p + 4 <= b.length) {
            int type = b[p] & 0xff;
            int len = Pdu.u16(b, p + 2);
            int start = p + 4;
            if (start + len > b.length) {
                throw new DicomProtocolException("item 0x" + Integer.toHexString(type) + " runs past the end of the A-ASSOCIATE-RQ");
            }
            switch (type) {
                case Pdu.ITEM_APPLICATION_CONTEXT -> appContext = Pdu.uid(b, start, len);
                case Pdu.ITEM_PRESENTATION_CONTEXT_RQ -> contexts.add(parseProposal(b, start, len));
                case Pdu.ITEM_USER_INFORMATION -> userInfo = UserInformation.parse(b, start, len);
                default -> {
                    // other items (e.g. SOP class extended negotiation) are optional to answer
                }
            }
            p = start + len;
        }
        return new AssociateRequest(version, called, calling, appContext, contexts, userInfo.maxPduLength(),
                userInfo.implementationClassUid(), userInfo.implementationVersionName(), userInfo.roleSelections());
    }

    private static Proposal parseProposal(byte[] b, int start, int len) throws DicomProtocolException {
        if (len < 4) {
            throw new DicomProtocolException("presentation context item is too short");
        }
        int id = b[start] & 0xff;
        String abstractSyntax = null;
        List<String> ts = new ArrayList<>();
        int q = start + 4;
        while (q + 4 <= start + len) {
            int sub = b[q] & 0xff;
            int sublen = Pdu.u16(b, q + 2);
            if (q + 4 + sublen > start + len) {
                throw new DicomProtocolException("presentation context " + id + " sub-item is truncated");
            }
            if (sub == Pdu.ITEM_ABSTRACT_SYNTAX) {
                abstractSyntax = Pdu.uid(b, q + 4, sublen);
            } else if (sub == Pdu.ITEM_TRANSFER_SYNTAX) {
                ts.add(Pdu.uid(b, q + 4, sublen));
            }
            q += 4 + sublen;
        }
        return new Proposal(id, abstractSyntax == null ? "" : abstractSyntax, ts);
    }

    public void write(OutputStream out) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream(256 + presentationContexts.size() * 96);
        body.write(0);
        body.write(1); // protocol version 1
        body.write(0);
        body.write(0);
        body.write(Pdu.aeBytes(calledAeTitle));
        body.write(Pdu.aeBytes(callingAeTitle));
        body.write(new byte[32]);
        writeItem(body, Pdu.ITEM_APPLICATION_CONTEXT, ascii(applicationContext));
        for (Proposal pc : presentationContexts) {
            ByteArrayOutputStream item = new ByteArrayOutputStream();
            item.write(pc.id());
            item.write(new byte[3]);
            writeItem(item, Pdu.ITEM_ABSTRACT_SYNTAX, ascii(pc.abstractSyntax()));
            for (String ts : pc.transferSyntaxes()) {
                writeItem(item, Pdu.ITEM_TRANSFER_SYNTAX, ascii(ts));
            }
            writeItem(body, Pdu.ITEM_PRESENTATION_CONTEXT_RQ, item.toByteArray());
        }
        writeItem(body, Pdu.ITEM_USER_INFORMATION, userInformation(maxPduLength, implementationClassUid, implementationVersionName,
                roleSelections));
        Pdu.writeHeader(out, Pdu.A_ASSOCIATE_RQ, body.size());
        body.writeTo(out);
        out.flush();
    }

    static byte[] userInformation(int maxPdu, String implClass, String implVersion, List<RoleSelection> roles) throws IOException {
        ByteArrayOutputStream ui = new ByteArrayOutputStream();
        ByteArrayOutputStream max = new ByteArrayOutputStream();
        Pdu.writeInt(max, maxPdu);
        writeItem(ui, Pdu.SUB_MAX_LENGTH, max.toByteArray());
        writeItem(ui, Pdu.SUB_IMPLEMENTATION_CLASS_UID, ascii(implClass));
        for (RoleSelection r : roles) {
            byte[] uid = ascii(r.sopClassUid());
            ByteArrayOutputStream item = new ByteArrayOutputStream(uid.length + 4);
            item.write(uid.length >>> 8);
            item.write(uid.length);
            item.writeBytes(uid);
            item.write(r.scuRole() ? 1 : 0);
            item.write(r.scpRole() ? 1 : 0);
            writeItem(ui, Pdu.SUB_ROLE_SELECTION, item.toByteArray());
        }
        if (implVersion != null) {
            writeItem(ui, Pdu.SUB_IMPLEMENTATION_VERSION_NAME, ascii(implVersion));
        }
        return ui.toByteArray();
    }

    static void writeItem(ByteArrayOutputStream out, int type, byte[] value) {
        out.write(type);
        out.write(0);
        out.write(value.length >>> 8);
        out.write(value.length);
        out.writeBytes(value);
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
