package org.radflow.dicom.net;

import java.io.IOException;

/**
 * A DIMSE service provider (SCP role) for one kind of request: C-ECHO, C-STORE, later N-ACTION for
 * storage commitment. It plugs into a {@link DicomServiceRegistry} and never sees PDUs: the
 * association negotiates, reassembles commands, streams data sets and sends the response.
 */
public interface DicomService {

    /** The request command field served, e.g. {@link DimseCommand#C_STORE_RQ}. */
    int commandField();

    /** Whether a presentation context with this abstract syntax (SOP class) is accepted for this service. */
    boolean acceptsAbstractSyntax(String sopClassUid);

    /**
     * Whether an association requestor may take the SCU role for this SOP class (send us requests this service
     * serves). The default role; asked only when the requestor proposed an SCP/SCU role selection.
     */
    default boolean acceptsRequestorScuRole(String sopClassUid) {
        return acceptsAbstractSyntax(sopClassUid);
    }

    /**
     * Whether an association requestor may take the SCP role for this SOP class: a storage commitment SCP that
     * opens an association to send its N-EVENT-REPORT proposes this (PS3.4 J.3.3, PS3.7 D.3.3.4).
     */
    default boolean acceptsRequestorScpRole(String sopClassUid) {
        return false;
    }

    /**
     * A request's command set has arrived. Returns the receiver of its data set, or throws to refuse
     * the request at once (its data set, if any, is then read and dropped before the answer).
     *
     * @throws IOException when the service cannot go on at all; the association then ends
     */
    DataSetReceiver begin(DimseRequest request) throws DicomServiceException, IOException;

    /** The response command for a request of this service; failures carry the error comment where the response has one. */
    default DimseCommand response(DimseCommand request, int status, String errorComment) {
        return DimseCommand.response(request, status);
    }
}
