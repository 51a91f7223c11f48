package org.radflow.dicom.net;

import java.io.IOException;

/**
 * Where received instances go (e.g. RadFlow's spool). Called by {@link CStoreService} for a C-STORE whose
 * command is sound; the returned receiver gets the data set as it streams in and decides the status.
 */
@FunctionalInterface
public interface CStoreHandler {

    /**
     * @throws DicomServiceException to refuse before the data set arrives (e.g. A700 when out of space)
     * @throws IOException           when storing cannot even begin; the association then ends
     */
    DataSetReceiver store(DimseRequest request) throws DicomServiceException, IOException;
}
