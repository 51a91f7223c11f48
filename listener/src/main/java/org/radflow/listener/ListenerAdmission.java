package org.radflow.listener;

import org.radflow.dicom.net.AssociateRequest;
import org.radflow.dicom.net.AssociationPolicy;
import org.radflow.dicom.net.AssociationRejectedException;
import org.radflow.dicom.net.Pdu;

/** Who may associate with the listener: at most {@code listener.maxAssociations} at once, our AE title, the calling AE allow-list. */
final class ListenerAdmission implements AssociationPolicy {

    private final ListenerSettings settings;

    ListenerAdmission(ListenerSettings settings) {
        this.settings = settings;
    }

    @Override
    public void admit(AssociateRequest request, String peer, int openAssociations) throws AssociationRejectedException {
        if (openAssociations > settings.maxAssociations()) {
            throw new AssociationRejectedException(Pdu.RJ_TRANSIENT, Pdu.RJ_SOURCE_PROVIDER_PRESENTATION,
                    Pdu.RJ_PRESENTATION_LOCAL_LIMIT_EXCEEDED,
                    "already " + settings.maxAssociations() + " associations open (listener.maxAssociations)");
        }
    }

    @Override
    public void authorize(AssociateRequest request, String peer) throws AssociationRejectedException {
        if (settings.checkCalledAeTitle() && !settings.aeTitle().equals(request.calledAeTitle())) {
            throw new AssociationRejectedException(Pdu.RJ_PERMANENT, Pdu.RJ_SOURCE_USER, Pdu.RJ_USER_CALLED_AE_NOT_RECOGNIZED,
                    "called AE title '" + request.calledAeTitle() + "' is not ours ('" + settings.aeTitle()
                            + "'); set listener.aeTitle or listener.checkCalledAeTitle: false");
        }
        if (!settings.allowedCallingAeTitles().isEmpty() && !settings.allowedCallingAeTitles().contains(request.callingAeTitle())) {
            throw new AssociationRejectedException(Pdu.RJ_PERMANENT, Pdu.RJ_SOURCE_USER, Pdu.RJ_USER_CALLING_AE_NOT_RECOGNIZED,
                    "calling AE title not in listener.allowedCallingAeTitles");
        }
    }
}
