package org.radflow.dicom.net;

import java.io.ByteArrayOutputStream;

/**
 * Receives Storage Commitment results (N-EVENT-REPORT-RQ, PS3.4 J.3.3) that a PACS sends on an association it
 * opens to us, taking the SCP role by SCP/SCU role selection (Orthanc does so from a job after its N-ACTION-RSP).
 * The report is decoded and handed to the {@link Handler}, which routes it by Transaction UID; the response
 * is Success only once the handler has taken it, so a PACS that gets a failure status can report again.
 */
public final class StorageCommitmentReportService implements DicomService {

    /** Bounds the data set held in memory: 16 MiB is about 100,000 references. */
    static final int MAX_DATA_SET_BYTES = 16 << 20;

    /** Takes one report; throwing makes the response a failure with the exception's status and comment. */
    @FunctionalInterface
    public interface Handler {
        void report(StorageCommitment.Report report, DimseRequest request) throws DicomServiceException;
    }

    private final Handler handler;

    public StorageCommitmentReportService(Handler handler) {
        this.handler = handler;
    }

    @Override
    public int commandField() {
        return DimseCommand.N_EVENT_REPORT_RQ;
    }

    @Override
    public boolean acceptsAbstractSyntax(String sopClassUid) {
        return StorageCommitment.SOP_CLASS_UID.equals(sopClassUid);
    }

    /** This node sends no N-ACTION to be served here: it is only the SCU of storage commitment. */
    @Override
    public boolean acceptsRequestorScuRole(String sopClassUid) {
        return false;
    }

    @Override
    public boolean acceptsRequestorScpRole(String sopClassUid) {
        return acceptsAbstractSyntax(sopClassUid);
    }

    @Override
    public DataSetReceiver begin(DimseRequest request) throws DicomServiceException {
        if (!StorageCommitment.SOP_CLASS_UID.equals(request.sopClassUid())
                || !StorageCommitment.SOP_CLASS_UID.equals(request.abstractSyntax())) {
            throw new DicomServiceException(0x0118, "N-EVENT-REPORT is served only for Storage Commitment Push Model");
        }
        int eventType = request.command().getInt(DimseCommand.EVENT_TYPE_ID, -1);
        if (eventType != StorageCommitment.EVENT_SUCCESS && eventType != StorageCommitment.EVENT_FAILURES_EXIST) {
            throw new DicomServiceException(0x0113, "event type " + eventType + " is not a storage commitment result (1 or 2)");
        }
        if (!request.hasDataSet()) {
            throw new DicomServiceException(0x0120, "a storage commitment result needs its data set");
        }
        ByteArrayOutputStream data = new ByteArrayOutputStream(1024);
        return new DataSetReceiver() {
            @Override
            public void fragment(byte[] b, int off, int len) throws DicomServiceException {
                if (data.size() + len > MAX_DATA_SET_BYTES) {
                    throw new DicomServiceException(DimseCommand.STATUS_OUT_OF_RESOURCES,
                            "storage commitment result larger than " + (MAX_DATA_SET_BYTES >> 20) + " MiB");
                }
                data.write(b, off, len);
            }

            @Override
            public int complete() throws DicomServiceException {
                StorageCommitment.Report report = StorageCommitment.decodeReport(data.toByteArray(), request.transferSyntax());
                handler.report(report, request);
                return DimseCommand.STATUS_SUCCESS;
            }

            @Override
            public void abandon() {
                // nothing was handed on
            }
        };
    }

    @Override
    public DimseCommand response(DimseCommand request, int status, String errorComment) {
        DimseCommand rsp = DimseCommand.nEventReportResponse(request, status);
        if (errorComment != null && status != DimseCommand.STATUS_SUCCESS) {
            String c = errorComment.replaceAll("[^\\x20-\\x7e]", "?");
            rsp.set(DimseCommand.ERROR_COMMENT, c.length() > 64 ? c.substring(0, 64) : c);
        }
        return rsp;
    }
}
