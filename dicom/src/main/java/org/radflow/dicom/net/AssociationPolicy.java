package org.radflow.dicom.net;

/**
 * Who may associate, beyond what the protocol requires: capacity and AE titles. The acceptor asks in
 * the order PS3.8's rejection sources suggest: {@link #admit} first (service provider: can this node
 * take another association now), then, once protocol version and application context are checked,
 * {@link #authorize} (service user: may this caller talk to this AE). A rejection's message is logged
 * as the reason, so it should say what to configure.
 */
public interface AssociationPolicy {

    /** @param openAssociations open associations including this one */
    void admit(AssociateRequest request, String peer, int openAssociations) throws AssociationRejectedException;

    void authorize(AssociateRequest request, String peer) throws AssociationRejectedException;
}
