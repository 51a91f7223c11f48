package org.radflow.listener;

import org.radflow.dicom.net.AssociateRequest;
import org.radflow.dicom.net.AssociationPolicy;
import org.radflow.dicom.net.AssociationRejectedException;
import org.radflow.dicom.net.Pdu;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Who may associate with the listener: at most {@code listener.maxAssociations} at once, our AE title, the calling AE
 * allow-list, and calling AE titles bound to client certificates ({@code listener.tls.aeTitleCertificates}).
 */
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
        authorize(request, peer, null);
    }

    @Override
    public void authorize(AssociateRequest request, String peer, X509Certificate clientCertificate) throws AssociationRejectedException {
        if (settings.checkCalledAeTitle() && !settings.aeTitle().equals(request.calledAeTitle())) {
            throw new AssociationRejectedException(Pdu.RJ_PERMANENT, Pdu.RJ_SOURCE_USER, Pdu.RJ_USER_CALLED_AE_NOT_RECOGNIZED,
                    "called AE title '" + request.calledAeTitle() + "' is not ours ('" + settings.aeTitle()
                            + "'); set listener.aeTitle or listener.checkCalledAeTitle: false");
        }
        if (!settings.allowedCallingAeTitles().isEmpty() && !settings.allowedCallingAeTitles().contains(request.callingAeTitle())) {
            throw new AssociationRejectedException(Pdu.RJ_PERMANENT, Pdu.RJ_SOURCE_USER, Pdu.RJ_USER_CALLING_AE_NOT_RECOGNIZED,
                    "calling AE title not in listener.allowedCallingAeTitles");
        }
        ListenerSettings.Tls tls = settings.tls();
        String expected = tls == null ? null : tls.aeTitleCertificates().get(request.callingAeTitle());
        if (expected != null) {
            // an AE title bound to a certificate: anyone can type it, only its holder can present the certificate
            if (clientCertificate == null) {
                throw new AssociationRejectedException(Pdu.RJ_PERMANENT, Pdu.RJ_SOURCE_USER, Pdu.RJ_USER_CALLING_AE_NOT_RECOGNIZED,
                        "calling AE title is bound to a client certificate for '" + expected + "' (listener.tls.aeTitleCertificates) "
                                + "and the peer presented none (a plain connection, or TLS without a client certificate)");
            }
            List<String> names = certificateNames(clientCertificate);
            if (names.stream().noneMatch(n -> n.equalsIgnoreCase(expected))) {
                throw new AssociationRejectedException(Pdu.RJ_PERMANENT, Pdu.RJ_SOURCE_USER, Pdu.RJ_USER_CALLING_AE_NOT_RECOGNIZED,
                        "calling AE title is bound to a client certificate for '" + expected + "' (listener.tls.aeTitleCertificates); "
                                + "the peer's certificate names " + names);
            }
        }
    }

    /** The names a certificate vouches for: its subject's CN(s) and its DNS subject alternative names. */
    static List<String> certificateNames(X509Certificate certificate) {
        List<String> names = new ArrayList<>();
        try {
            for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    names.add(String.valueOf(rdn.getValue()));
                }
            }
        } catch (InvalidNameException e) {
            // an unparsable subject names nothing
        }
        try {
            Collection<List<?>> alternatives = certificate.getSubjectAlternativeNames();
            if (alternatives != null) {
                for (List<?> alternative : alternatives) {
                    if (alternative.size() >= 2 && Integer.valueOf(2).equals(alternative.get(0))) { // dNSName
                        names.add(String.valueOf(alternative.get(1)));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // no usable alternative names
        }
        return names;
    }
}
