package org.radflow.dicom.net;

/**
 * A DIMSE service refuses a request: the status the peer sees and the reason a person reads travel
 * together. The association answers with both (the reason as Error Comment where the response has one)
 * and logs them. Not an IOException: the association goes on, only this request failed.
 */
public class DicomServiceException extends Exception {

    private final int status;
    private final boolean summarized;

    public DicomServiceException(int status, String errorComment) {
        this(status, errorComment, null, false);
    }

    public DicomServiceException(int status, String errorComment, Throwable cause) {
        this(status, errorComment, cause, false);
    }

    private DicomServiceException(int status, String errorComment, Throwable cause, boolean summarized) {
        super(errorComment, cause);
        this.status = status;
        this.summarized = summarized;
    }

    /**
     * A refusal its service reports in summary itself (e.g. intake throttling: one WARN a minute however many are
     * refused), so the association logs each one at DEBUG instead of WARN; the peer still gets status and comment.
     */
    public static DicomServiceException summarized(int status, String errorComment) {
        return new DicomServiceException(status, errorComment, null, true);
    }

    /** True when the service logs these refusals in summary (see {@link #summarized}). */
    public boolean isSummarized() {
        return summarized;
    }

    /** The DIMSE status, e.g. {@link DimseCommand#STATUS_OUT_OF_RESOURCES}. */
    public int status() {
        return status;
    }

    /** Why, in words a person can act on. */
    public String errorComment() {
        return getMessage();
    }
}
