package org.radflow.dicom.net;

import com.pixelmed.dicom.SOPClass;
import org.radflow.dicom.Uids;

import java.io.IOException;

/**
 * The Storage service class (SCP role): accepts every storage SOP class, checks what the C-STORE
 * command says (a data set is present, the SOP Instance UID is valid, the SOP class matches the
 * presentation context) and hands the request to a {@link CStoreHandler}.
 */
public final class CStoreService implements DicomService {

    private final CStoreHandler handler;

    public CStoreService(CStoreHandler handler) {
        this.handler = handler;
    }

    @Override
    public int commandField() {
        return DimseCommand.C_STORE_RQ;
    }

    @Override
    public boolean acceptsAbstractSyntax(String sopClassUid) {
        return isStorageSopClass(sopClassUid);
    }

    /** Every standard storage SOP class, and private (non-DICOM-root) SOP classes, which are storage in practice. */
    public static boolean isStorageSopClass(String uid) {
        if (!Uids.isValid(uid)) {
            return false;
        }
        if (uid.startsWith("1.2.840.10008.5.1.4.1.1.") || SOPClass.isStorage(uid)) {
            return true;
        }
        return !uid.startsWith("1.2.840.10008.");
    }

    @Override
    public DataSetReceiver begin(DimseRequest rq) throws DicomServiceException, IOException {
        if (!rq.hasDataSet()) {
            throw new DicomServiceException(DimseCommand.STATUS_CANNOT_UNDERSTAND, "C-STORE without a data set");
        }
        String problem = Uids.problem(rq.sopInstanceUid());
        if (problem != null) {
            throw new DicomServiceException(DimseCommand.STATUS_CANNOT_UNDERSTAND,
                    "Affected SOP Instance UID " + Uids.forLog(rq.sopInstanceUid()) + " is " + problem);
        }
        if (rq.sopClassUid() == null || !rq.sopClassUid().equals(rq.abstractSyntax())) {
            throw new DicomServiceException(DimseCommand.STATUS_DATA_SET_DOES_NOT_MATCH_SOP_CLASS,
                    "SOP Class " + Uids.forLog(rq.sopClassUid()) + " does not match the presentation context");
        }
        return handler.store(rq);
    }

    @Override
    public DimseCommand response(DimseCommand request, int status, String errorComment) {
        return DimseCommand.cStoreResponse(request, status, errorComment);
    }
}
