package org.radflow.dicom.net;

/**
 * One request being served: receives the request's data set fragment by fragment as the P-DATA
 * arrives (never the whole data set at once), then decides the response status.
 *
 * <p>Once {@link #fragment} or {@link #complete} has thrown, the receiver has released what it held
 * and gets no further calls; the association discards the rest of the data set and answers the failure.
 */
public interface DataSetReceiver {

    /** The next bytes of the data set, in order; {@code b} is reused once this returns. */
    void fragment(byte[] b, int off, int len) throws DicomServiceException;

    /** The data set is complete (or the request has none): do the work; returns a success or warning status. */
    int complete() throws DicomServiceException;

    /** The association ended before the data set was complete: release whatever was started. */
    void abandon();

    /** For requests without a data set whose answer is already known (C-ECHO). */
    static DataSetReceiver answering(int status) {
        return new DataSetReceiver() {
            @Override
            public void fragment(byte[] b, int off, int len) {
                // a data set nobody asked for is dropped
            }

            @Override
            public int complete() {
                return status;
            }

            @Override
            public void abandon() {
                // nothing was started
            }
        };
    }
}
