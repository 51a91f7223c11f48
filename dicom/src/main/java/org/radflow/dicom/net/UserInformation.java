package org.radflow.dicom.net;

import java.nio.charset.StandardCharsets;

/** The user information item (0x50) both association PDUs carry: maximum PDU length and implementation identity. */
record UserInformation(int maxPduLength, String implementationClassUid, String implementationVersionName) {

    static UserInformation parse(byte[] b, int start, int len) throws DicomProtocolException {
        int maxPdu = 0;
        String implClass = null;
        String implVersion = null;
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
            }
            q = s + sublen;
        }
        return new UserInformation(maxPdu, implClass, implVersion);
    }
}
