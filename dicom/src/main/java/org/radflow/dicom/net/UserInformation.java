package org.radflow.dicom.net;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The user information item (0x50) both association PDUs carry: maximum PDU length, implementation identity
 * and SCP/SCU role selections (PS3.7 D.3.3.4), which storage commitment needs when the PACS opens an
 * association to send its N-EVENT-REPORT as the SCP.
 */
record UserInformation(int maxPduLength, String implementationClassUid, String implementationVersionName,
                       List<RoleSelection> roleSelections) {

    UserInformation {
        roleSelections = List.copyOf(roleSelections);
    }

    static UserInformation parse(byte[] b, int start, int len) throws DicomProtocolException {
        int maxPdu = 0;
        String implClass = null;
        String implVersion = null;
        List<RoleSelection> roles = new ArrayList<>();
        int q = start;
        while (q + 4 <= start + len) {
            int sub = b[q] & 0xff;
            int sublen = Pdu.u16(b, q + 2);
            int s = q + 4;
            if (s + sublen > start + len) {
                throw new DicomProtocolException("user information sub-item 0x" + Integer.toHexString(sub) + " is truncated");
            }
            if (sub == Pdu.SUB_MAX_LENGTH && sublen == 4) {
                maxPdu = Pdu.u32(b, s);
            } else if (sub == Pdu.SUB_IMPLEMENTATION_CLASS_UID) {
                implClass = Pdu.uid(b, s, sublen);
            } else if (sub == Pdu.SUB_IMPLEMENTATION_VERSION_NAME) {
                implVersion = new String(b, s, sublen, StandardCharsets.US_ASCII).trim();
            } else if (sub == Pdu.SUB_ROLE_SELECTION) {
                if (sublen < 4) {
                    throw new DicomProtocolException("SCP/SCU role selection sub-item of " + sublen + " bytes is too short");
                }
                int uidLength = Pdu.u16(b, s);
                if (uidLength != sublen - 4) {
                    throw new DicomProtocolException("SCP/SCU role selection sub-item: UID length " + uidLength
                            + " does not fit its " + sublen + " bytes");
                }
                roles.add(new RoleSelection(Pdu.uid(b, s + 2, uidLength), b[s + 2 + uidLength] != 0, b[s + 3 + uidLength] != 0));
            }
            q = s + sublen;
        }
        return new UserInformation(maxPdu, implClass, implVersion, roles);
    }
}
