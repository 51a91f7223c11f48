package org.radflow.dicom.net;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.DicomOutputStream;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.SequenceItem;
import com.pixelmed.dicom.UniqueIdentifierAttribute;
import com.pixelmed.dicom.UnsignedShortAttribute;
import org.radflow.dicom.Uids;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Storage Commitment Push Model (PS3.4 annex J): the UIDs and the data sets of the N-ACTION request
 * (Transaction UID + Referenced SOP Sequence) and of the N-EVENT-REPORT (Transaction UID, Referenced SOP
 * Sequence of what is committed, Failed SOP Sequence with a Failure Reason each).
 */
public final class StorageCommitment {

    public static final String SOP_CLASS_UID = "1.2.840.10008.1.20.1";
    /** The well-known SOP instance every N-ACTION and N-EVENT-REPORT of the push model names. */
    public static final String SOP_INSTANCE_UID = "1.2.840.10008.1.20.1.1";
    /** N-ACTION action type "Request Storage Commitment". */
    public static final int ACTION_REQUEST = 1;
    /** N-EVENT-REPORT event types. */
    public static final int EVENT_SUCCESS = 1;
    public static final int EVENT_FAILURES_EXIST = 2;

    /** Failure Reason (0008,1197) values (PS3.3 C.14.1.1). */
    public static final int FAILURE_PROCESSING = 0x0110;
    public static final int FAILURE_NO_SUCH_OBJECT_INSTANCE = 0x0112;
    public static final int FAILURE_RESOURCE_LIMITATION = 0x0213;
    public static final int FAILURE_SOP_CLASS_NOT_SUPPORTED = 0x0122;
    public static final int FAILURE_CLASS_INSTANCE_CONFLICT = 0x0119;
    public static final int FAILURE_DUPLICATE_TRANSACTION_UID = 0x0131;

    static final AttributeTag TRANSACTION_UID = new AttributeTag(0x0008, 0x1195);
    static final AttributeTag FAILURE_REASON = new AttributeTag(0x0008, 0x1197);
    static final AttributeTag FAILED_SOP_SEQUENCE = new AttributeTag(0x0008, 0x1198);
    static final AttributeTag REFERENCED_SOP_SEQUENCE = new AttributeTag(0x0008, 0x1199);
    static final AttributeTag REFERENCED_SOP_CLASS_UID = new AttributeTag(0x0008, 0x1150);
    static final AttributeTag REFERENCED_SOP_INSTANCE_UID = new AttributeTag(0x0008, 0x1155);

    private StorageCommitment() {
    }

    /** One object asked to be committed. */
    public record Reference(String sopClassUid, String sopInstanceUid) {
    }

    /** One object the SCP did not commit, with its Failure Reason. */
    public record Failure(Reference reference, int reason) {
        public String reasonText() {
            return switch (reason) {
                case FAILURE_PROCESSING -> "processing failure";
                case FAILURE_NO_SUCH_OBJECT_INSTANCE -> "no such object instance";
                case FAILURE_RESOURCE_LIMITATION -> "resource limitation";
                case FAILURE_SOP_CLASS_NOT_SUPPORTED -> "referenced SOP class not supported";
                case FAILURE_CLASS_INSTANCE_CONFLICT -> "class/instance conflict";
                case FAILURE_DUPLICATE_TRANSACTION_UID -> "duplicate transaction UID";
                default -> "failure reason " + String.format("%04X", reason);
            };
        }
    }

    /** An N-EVENT-REPORT's content: which objects of a transaction are committed and which failed. */
    public record Report(String transactionUid, List<Reference> committed, List<Failure> failed) {
        public Report {
            committed = List.copyOf(committed);
            failed = List.copyOf(failed);
        }

        public int eventTypeId() {
            return failed.isEmpty() ? EVENT_SUCCESS : EVENT_FAILURES_EXIST;
        }
    }

    /** The N-ACTION-RQ data set in the given transfer syntax (implicit or explicit VR little endian). */
    public static byte[] encodeRequest(String transactionUid, List<Reference> references, String transferSyntax) throws IOException {
        if (references.isEmpty()) {
            throw new IllegalArgumentException("a storage commitment request names at least one object");
        }
        AttributeList list = new AttributeList();
        putUid(list, TRANSACTION_UID, transactionUid);
        list.put(sequence(REFERENCED_SOP_SEQUENCE, references, null));
        return write(list, transferSyntax);
    }

    /** The N-EVENT-REPORT-RQ data set (written by an SCP; here for tests and symmetry). */
    public static byte[] encodeReport(Report report, String transferSyntax) throws IOException {
        AttributeList list = new AttributeList();
        putUid(list, TRANSACTION_UID, report.transactionUid());
        if (!report.committed().isEmpty()) {
            list.put(sequence(REFERENCED_SOP_SEQUENCE, report.committed(), null));
        }
        if (!report.failed().isEmpty()) {
            list.put(sequence(FAILED_SOP_SEQUENCE, report.failed().stream().map(Failure::reference).toList(),
                    report.failed().stream().map(Failure::reason).toList()));
        }
        return write(list, transferSyntax);
    }

    /** Reads an N-ACTION-RQ data set: the transaction UID and the objects (the report's committed list). */
    public static Report decodeRequest(byte[] dataSet, String transferSyntax) throws DicomServiceException {
        AttributeList list = read(dataSet, transferSyntax);
        return new Report(transactionUid(list), references(list, REFERENCED_SOP_SEQUENCE, false).committed, List.of());
    }

    /**
     * Reads an N-EVENT-REPORT-RQ data set.
     *
     * @throws DicomServiceException (C000, with what is wrong) when it is not a storage commitment result
     */
    public static Report decodeReport(byte[] dataSet, String transferSyntax) throws DicomServiceException {
        AttributeList list = read(dataSet, transferSyntax);
        String transactionUid = transactionUid(list);
        Parsed ok = references(list, REFERENCED_SOP_SEQUENCE, false);
        Parsed failed = references(list, FAILED_SOP_SEQUENCE, true);
        return new Report(transactionUid, ok.committed, failed.failed);
    }

    private record Parsed(List<Reference> committed, List<Failure> failed) {
    }

    private static String transactionUid(AttributeList list) throws DicomServiceException {
        String uid = Attribute.getSingleStringValueOrNull(list, TRANSACTION_UID);
        String problem = Uids.problem(uid == null ? null : uid.trim());
        if (problem != null) {
            throw new DicomServiceException(DimseCommand.STATUS_CANNOT_UNDERSTAND, "Transaction UID (0008,1195) " + problem);
        }
        return uid.trim();
    }

    private static Parsed references(AttributeList list, AttributeTag tag, boolean failures) throws DicomServiceException {
        List<Reference> refs = new ArrayList<>();
        List<Failure> failed = new ArrayList<>();
        if (list.get(tag) instanceof SequenceAttribute seq) {
            for (int i = 0; i < seq.getNumberOfItems(); i++) {
                AttributeList item = seq.getItem(i).getAttributeList();
                String cls = Attribute.getSingleStringValueOrNull(item, REFERENCED_SOP_CLASS_UID);
                String inst = Attribute.getSingleStringValueOrNull(item, REFERENCED_SOP_INSTANCE_UID);
                if (Uids.problem(inst) != null || Uids.problem(cls) != null) {
                    throw new DicomServiceException(DimseCommand.STATUS_CANNOT_UNDERSTAND, "item " + (i + 1) + " of " + tag
                            + " lacks a valid Referenced SOP Class/Instance UID");
                }
                Reference r = new Reference(cls, inst);
                if (failures) {
                    failed.add(new Failure(r, Attribute.getSingleIntegerValueOrDefault(item, FAILURE_REASON, FAILURE_PROCESSING)));
                } else {
                    refs.add(r);
                }
            }
        }
        return new Parsed(refs, failed);
    }

    /** Items of Referenced SOP Class/Instance UID, each with its Failure Reason when {@code reasons} is given. */
    private static SequenceAttribute sequence(AttributeTag tag, List<Reference> refs, List<Integer> reasons) {
        SequenceAttribute seq = new SequenceAttribute(tag);
        for (int i = 0; i < refs.size(); i++) {
            AttributeList item = new AttributeList();
            putUid(item, REFERENCED_SOP_CLASS_UID, refs.get(i).sopClassUid());
            putUid(item, REFERENCED_SOP_INSTANCE_UID, refs.get(i).sopInstanceUid());
            if (reasons != null) {
                try {
                    UnsignedShortAttribute reason = new UnsignedShortAttribute(FAILURE_REASON);
                    reason.addValue(reasons.get(i));
                    item.put(reason);
                } catch (DicomException e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
            }
            seq.addItem(new SequenceItem(item));
        }
        return seq;
    }

    private static void putUid(AttributeList list, AttributeTag tag, String uid) {
        String problem = Uids.problem(uid);
        if (problem != null) {
            throw new IllegalArgumentException("UID for " + tag + " is " + problem + ": " + Uids.forLog(uid));
        }
        try {
            UniqueIdentifierAttribute a = new UniqueIdentifierAttribute(tag);
            a.addValue(uid);
            list.put(a);
        } catch (DicomException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private static byte[] write(AttributeList list, String transferSyntax) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        try {
            DicomOutputStream dos = new DicomOutputStream(out, null, transferSyntax);
            list.write(dos);
            dos.flush();
        } catch (DicomException e) {
            throw new IOException("cannot encode a storage commitment data set in " + transferSyntax + ": " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    private static AttributeList read(byte[] dataSet, String transferSyntax) throws DicomServiceException {
        AttributeList list = new AttributeList();
        try (DicomInputStream in = new DicomInputStream(new ByteArrayInputStream(dataSet), transferSyntax, false)) {
            list.read(in);
        } catch (IOException | DicomException | RuntimeException e) {
            throw new DicomServiceException(DimseCommand.STATUS_CANNOT_UNDERSTAND,
                    "storage commitment data set cannot be read: " + e.getMessage());
        }
        return list;
    }
}
