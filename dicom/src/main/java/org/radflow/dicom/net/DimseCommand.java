package org.radflow.dicom.net;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * A DIMSE command set (group 0000, always implicit VR little endian, PS3.7 section 9.3).
 * Only the handful of element types commands use: UI, AE, LO (strings), US and UL.
 */
public final class DimseCommand {

    public static final int COMMAND_GROUP_LENGTH = 0x00000000;
    public static final int AFFECTED_SOP_CLASS_UID = 0x00000002;
    public static final int REQUESTED_SOP_CLASS_UID = 0x00000003;
    public static final int COMMAND_FIELD = 0x00000100;
    public static final int MESSAGE_ID = 0x00000110;
    public static final int MESSAGE_ID_BEING_RESPONDED_TO = 0x00000120;
    public static final int PRIORITY = 0x00000700;
    public static final int COMMAND_DATA_SET_TYPE = 0x00000800;
    public static final int STATUS = 0x00000900;
    public static final int ERROR_COMMENT = 0x00000902;
    public static final int AFFECTED_SOP_INSTANCE_UID = 0x00001000;
    public static final int REQUESTED_SOP_INSTANCE_UID = 0x00001001;
    public static final int EVENT_TYPE_ID = 0x00001002;
    public static final int ACTION_TYPE_ID = 0x00001008;
    public static final int MOVE_ORIGINATOR_AE_TITLE = 0x00001030;
    public static final int MOVE_ORIGINATOR_MESSAGE_ID = 0x00001031;

    public static final int C_STORE_RQ = 0x0001;
    public static final int C_STORE_RSP = 0x8001;
    public static final int C_ECHO_RQ = 0x0030;
    public static final int C_ECHO_RSP = 0x8030;
    public static final int N_EVENT_REPORT_RQ = 0x0100;
    public static final int N_EVENT_REPORT_RSP = 0x8100;
    public static final int N_ACTION_RQ = 0x0130;
    public static final int N_ACTION_RSP = 0x8130;

    public static final int NO_DATA_SET = 0x0101;
    public static final int DATA_SET_PRESENT = 0x0000;

    /** DIMSE status values RadFlow uses (PS3.4 annex B and PS3.7 annex C). */
    public static final int STATUS_SUCCESS = 0x0000;
    public static final int STATUS_OUT_OF_RESOURCES = 0xA700;
    public static final int STATUS_DATA_SET_DOES_NOT_MATCH_SOP_CLASS = 0xA900;
    public static final int STATUS_CANNOT_UNDERSTAND = 0xC000;
    public static final int STATUS_SOP_CLASS_NOT_SUPPORTED = 0x0122;
    public static final int STATUS_PROCESSING_FAILURE = 0x0110;
    public static final int STATUS_UNRECOGNIZED_OPERATION = 0x0211;

    private final TreeMap<Integer, Object> elements = new TreeMap<>(Integer::compareUnsigned);

    public static DimseCommand decode(byte[] b) throws DicomProtocolException {
        DimseCommand c = new DimseCommand();
        int p = 0;
        while (p + 8 <= b.length) {
            int group = (b[p] & 0xff) | ((b[p + 1] & 0xff) << 8);
            int element = (b[p + 2] & 0xff) | ((b[p + 3] & 0xff) << 8);
            int len = (b[p + 4] & 0xff) | ((b[p + 5] & 0xff) << 8) | ((b[p + 6] & 0xff) << 16) | ((b[p + 7] & 0xff) << 24);
            p += 8;
            // compared by subtraction: p + len overflows for lengths near 2^31
            if (group != 0 || len < 0 || len > b.length - p) {
                throw new DicomProtocolException("malformed command set element (" + hex4(group) + "," + hex4(element) + ")");
            }
            int tag = (group << 16) | element;
            if (tag == COMMAND_GROUP_LENGTH) {
                // recomputed on encode
            } else if (isNumeric(tag) && (len == 2 || len == 4)) {
                int v = len == 2 ? (b[p] & 0xff) | ((b[p + 1] & 0xff) << 8)
                        : (b[p] & 0xff) | ((b[p + 1] & 0xff) << 8) | ((b[p + 2] & 0xff) << 16) | ((b[p + 3] & 0xff) << 24);
                c.elements.put(tag, v);
            } else {
                int end = p + len;
                while (end > p && (b[end - 1] == 0 || b[end - 1] == ' ')) {
                    end--;
                }
                c.elements.put(tag, new String(b, p, end - p, StandardCharsets.US_ASCII));
            }
            p += len;
        }
        return c;
    }

    private static boolean isNumeric(int tag) {
        return tag == COMMAND_FIELD || tag == MESSAGE_ID || tag == MESSAGE_ID_BEING_RESPONDED_TO || tag == PRIORITY
                || tag == COMMAND_DATA_SET_TYPE || tag == STATUS || tag == MOVE_ORIGINATOR_MESSAGE_ID
                || tag == EVENT_TYPE_ID || tag == ACTION_TYPE_ID;
    }

    private static boolean isUid(int tag) {
        return tag == AFFECTED_SOP_CLASS_UID || tag == AFFECTED_SOP_INSTANCE_UID || tag == REQUESTED_SOP_CLASS_UID
                || tag == REQUESTED_SOP_INSTANCE_UID;
    }

    public DimseCommand set(int tag, int value) {
        elements.put(tag, value);
        return this;
    }

    public DimseCommand set(int tag, String value) {
        if (value != null) {
            elements.put(tag, value);
        }
        return this;
    }

    public int getInt(int tag, int defaultValue) {
        return elements.get(tag) instanceof Integer i ? i : defaultValue;
    }

    public String getString(int tag) {
        return elements.get(tag) instanceof String s ? s : null;
    }

    public int commandField() {
        return getInt(COMMAND_FIELD, -1);
    }

    public boolean hasDataSet() {
        return getInt(COMMAND_DATA_SET_TYPE, NO_DATA_SET) != NO_DATA_SET;
    }

    public byte[] encode() {
        ByteArrayOutputStream body = new ByteArrayOutputStream(256);
        for (Map.Entry<Integer, Object> e : elements.entrySet()) {
            int tag = e.getKey();
            if (e.getValue() instanceof Integer v) {
                boolean ul = tag == COMMAND_GROUP_LENGTH;
                writeTag(body, tag, ul ? 4 : 2);
                body.write(v);
                body.write(v >>> 8);
                if (ul) {
                    body.write(v >>> 16);
                    body.write(v >>> 24);
                }
            } else {
                String s = (String) e.getValue();
                byte[] v = s.getBytes(StandardCharsets.US_ASCII);
                boolean pad = (v.length & 1) == 1;
                writeTag(body, tag, v.length + (pad ? 1 : 0));
                body.writeBytes(v);
                if (pad) {
                    // UIDs pad with NUL; AE and LO with space
                    body.write(isUid(tag) ? 0 : ' ');
                }
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.size() + 12);
        writeTag(out, COMMAND_GROUP_LENGTH, 4);
        int gl = body.size();
        out.write(gl);
        out.write(gl >>> 8);
        out.write(gl >>> 16);
        out.write(gl >>> 24);
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }

    private static void writeTag(ByteArrayOutputStream out, int tag, int len) {
        out.write(tag >>> 16);
        out.write(tag >>> 24);
        out.write(tag);
        out.write(tag >>> 8);
        out.write(len);
        out.write(len >>> 8);
        out.write(len >>> 16);
        out.write(len >>> 24);
    }

    private static String hex4(int v) {
        return String.format("%04X", v);
    }

    public static DimseCommand cStoreResponse(DimseCommand rq, int status, String errorComment) {
        DimseCommand rsp = new DimseCommand()
                .set(AFFECTED_SOP_CLASS_UID, rq.getString(AFFECTED_SOP_CLASS_UID))
                .set(COMMAND_FIELD, C_STORE_RSP)
                .set(MESSAGE_ID_BEING_RESPONDED_TO, rq.getInt(MESSAGE_ID, 0))
                .set(COMMAND_DATA_SET_TYPE, NO_DATA_SET)
                .set(STATUS, status)
                .set(AFFECTED_SOP_INSTANCE_UID, rq.getString(AFFECTED_SOP_INSTANCE_UID));
        if (errorComment != null && status != STATUS_SUCCESS) {
            // ErrorComment is LO: at most 64 characters, printable
            String c = errorComment.replaceAll("[^\\x20-\\x7e]", "?");
            rsp.set(ERROR_COMMENT, c.length() > 64 ? c.substring(0, 64) : c);
        }
        return rsp;
    }

    /** A bare response (no data set) to any request: its command field with the response bit, and a status. */
    public static DimseCommand response(DimseCommand rq, int status) {
        return new DimseCommand()
                .set(COMMAND_FIELD, rq.commandField() | 0x8000)
                .set(MESSAGE_ID_BEING_RESPONDED_TO, rq.getInt(MESSAGE_ID, 0))
                .set(COMMAND_DATA_SET_TYPE, NO_DATA_SET)
                .set(STATUS, status);
    }

    public static DimseCommand cEchoResponse(DimseCommand rq) {
        return new DimseCommand()
                .set(AFFECTED_SOP_CLASS_UID, rq.getString(AFFECTED_SOP_CLASS_UID))
                .set(COMMAND_FIELD, C_ECHO_RSP)
                .set(MESSAGE_ID_BEING_RESPONDED_TO, rq.getInt(MESSAGE_ID, 0))
                .set(COMMAND_DATA_SET_TYPE, NO_DATA_SET)
                .set(STATUS, STATUS_SUCCESS);
    }

    /**
     * An N-ACTION-RQ (PS3.7 10.1.4) with a data set, e.g. a storage commitment request (PS3.4 J.3.2:
     * action type 1 on the well-known instance {@code 1.2.840.10008.1.20.1.1}).
     */
    public static DimseCommand nActionRequest(int messageId, String sopClassUid, String sopInstanceUid, int actionTypeId) {
        return new DimseCommand()
                .set(REQUESTED_SOP_CLASS_UID, sopClassUid)
                .set(COMMAND_FIELD, N_ACTION_RQ)
                .set(MESSAGE_ID, messageId)
                .set(COMMAND_DATA_SET_TYPE, DATA_SET_PRESENT)
                .set(REQUESTED_SOP_INSTANCE_UID, sopInstanceUid)
                .set(ACTION_TYPE_ID, actionTypeId);
    }

    /**
     * The N-EVENT-REPORT-RSP (PS3.7 10.1.1) to a request: it names the affected SOP class and instance and the
     * event type of the request, as Orthanc (DCMTK) checks.
     */
    public static DimseCommand nEventReportResponse(DimseCommand rq, int status) {
        DimseCommand rsp = new DimseCommand()
                .set(AFFECTED_SOP_CLASS_UID, rq.getString(AFFECTED_SOP_CLASS_UID))
                .set(COMMAND_FIELD, N_EVENT_REPORT_RSP)
                .set(MESSAGE_ID_BEING_RESPONDED_TO, rq.getInt(MESSAGE_ID, 0))
                .set(COMMAND_DATA_SET_TYPE, NO_DATA_SET)
                .set(STATUS, status)
                .set(AFFECTED_SOP_INSTANCE_UID, rq.getString(AFFECTED_SOP_INSTANCE_UID));
        int eventType = rq.getInt(EVENT_TYPE_ID, -1);
        if (eventType >= 0) {
            rsp.set(EVENT_TYPE_ID, eventType);
        }
        return rsp;
    }

    public static boolean isSuccessOrWarning(int status) {
        return status == STATUS_SUCCESS || (status & 0xF000) == 0xB000 || status == 0x0107 || status == 0x0116;
    }

    @Override
    public String toString() {
        return "DimseCommand" + elements;
    }
}
