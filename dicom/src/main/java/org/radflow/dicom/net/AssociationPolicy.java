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

    /**
     * {@link #authorize(AssociateRequest, String)} knowing the transport: over DICOM TLS, the certificate the peer
     * presented (null on a plain connection or when the peer sent none), so a policy can bind calling AE titles to
     * certificates. The acceptor calls this one.
     */
    default void authorize(AssociateRequest request, String peer, java.security.cert.X509Certificate clientCertificate)
            throws AssociationRejectedException {
        authorize(request, peer);
    }
}
