package org.radflow.dicom.net;

import java.io.IOException;

/** The peer broke the DICOM upper layer protocol (malformed or unexpected PDU); the association is aborted. */
public class DicomProtocolException extends IOException {

    public DicomProtocolException(String message) {
        super(message);
    }
}
