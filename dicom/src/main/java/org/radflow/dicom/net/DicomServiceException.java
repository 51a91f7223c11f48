package org.radflow.dicom.net;

/**
 * A DIMSE service refuses a request: the status the peer sees and the reason a person reads travel
 * together. The association answers with both (the reason as Error Comment where the response has one)
 * and logs them. Not an IOException: the association goes on, only this request failed.
 */
public class DicomServiceException extends Exception {

    private final int status;

    public DicomServiceException(int status, String errorComment) {
        super(errorComment);
        this.status = status;
    }

    public DicomServiceException(int status, String errorComment, Throwable cause) {
        super(errorComment, cause);
        this.status = status;
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
