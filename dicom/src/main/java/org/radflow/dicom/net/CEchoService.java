package org.radflow.dicom.net;

import org.radflow.dicom.Uids;

/** The Verification SOP class: C-ECHO is answered Success. */
public final class CEchoService implements DicomService {

    @Override
    public int commandField() {
        return DimseCommand.C_ECHO_RQ;
    }

    @Override
    public boolean acceptsAbstractSyntax(String sopClassUid) {
        return Uids.VERIFICATION.equals(sopClassUid);
    }

    @Override
    public DataSetReceiver begin(DimseRequest request) {
        return DataSetReceiver.answering(DimseCommand.STATUS_SUCCESS);
    }

    @Override
    public DimseCommand response(DimseCommand request, int status, String errorComment) {
        return DimseCommand.cEchoResponse(request).set(DimseCommand.STATUS, status);
    }
}
