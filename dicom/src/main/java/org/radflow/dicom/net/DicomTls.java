package org.radflow.dicom.net;

import javax.crypto.Cipher;
import javax.crypto.EncryptedPrivateKeyInfo;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.net.ServerSocketFactory;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * DICOM TLS (PS3.15 Annex B, the BCP 195 profiles) with the JDK's TLS, from PEM files: this node's certificate (chain)
 * and private key, and the CA certificates it trusts for its peers. One instance is built at start-up (every file read
 * and checked then, so a wrong path, password or key fails the start and the config check with the key named) and
 * then configures sockets:
 * <ul>
 *   <li>protocols TLS 1.3 and 1.2 only (BCP 195: nothing older);</li>
 *   <li>only the AEAD cipher suites with forward secrecy BCP 195 (RFC 9325) recommends and the non-downgrading BCP 195
 *       profile of PS3.15 B.9 lists: ECDHE/DHE with AES-GCM or ChaCha20-Poly1305, and TLS 1.3's own suites;</li>
 *   <li>as server ({@link #serverSocketFactory()}): client certificates required or not; when a trust file is given
 *       and they are not required, an offered certificate is still verified;</li>
 *   <li>as client ({@link #handshake}): the peer's certificate must chain to the trusted CAs, its name checked
 *       against the host connected to unless told not to.</li>
 * </ul>
 * Problems with the files are {@link IllegalArgumentException}s whose message starts with the configuration key
 * ({@code keyPrefix} + {@code certificateFile}, {@code privateKeyFile}, ...) and says what to do.
 */
public final class DicomTls {

    /** TLS 1.3 and 1.2; nothing older (BCP 195). */
    public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    /**
     * The suites offered or accepted, in order of preference: TLS 1.3's, then TLS 1.2's ECDHE/DHE AEAD suites of
     * BCP 195 (RFC 9325 4.2) and PS3.15 B.9's non-downgrading profile. CBC, RSA key exchange, SHA-1 and anything
     * without forward secrecy are never negotiated.
     */
    public static final List<String> BCP195_CIPHER_SUITES = List.of(
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384");

    /**
     * The files, as named in the configuration.
     *
     * @param keyPrefix               prefix of the configuration keys in messages, e.g. {@code listener.tls.}
     * @param certificateFile         this node's certificate, then any intermediate CA certificates (PEM); null: none
     * @param privateKeyFile          its private key (PEM: PKCS#8 plain or encrypted, or a plain PKCS#1 RSA key); null exactly
     *                                when certificateFile is
     * @param privateKeyPassword      the password of an encrypted key; null for a plain one
     * @param trustedCertificatesFile CA certificates the peers' certificates must chain to (PEM, one or more); null: none
     * @param crlFile                 certificate revocation lists of those CAs (PEM or DER, one or more): a peer whose own
     *                                certificate is listed is refused; null: revocation is not checked
     */
    public record Files(String keyPrefix, Path certificateFile, Path privateKeyFile, char[] privateKeyPassword,
                        Path trustedCertificatesFile, Path crlFile) {

        /** Without revocation lists. */
        public Files(String keyPrefix, Path certificateFile, Path privateKeyFile, char[] privateKeyPassword,
                     Path trustedCertificatesFile) {
            this(keyPrefix, certificateFile, privateKeyFile, privateKeyPassword, trustedCertificatesFile, null);
        }

        @Override
        public String toString() {
            return "DicomTls.Files[" + certificateFile + ", " + privateKeyFile + ", " + trustedCertificatesFile
                    + (crlFile == null ? "" : ", " + crlFile) + "]";
        }
    }

    private final SSLContext context;
    private final List<String> protocols;
    private final String[] cipherSuites;
    private final boolean requireClientCertificate;
    private final boolean verifyClientCertificate;
    private final boolean verifyHostname;
    private volatile String subject;
    private final String keyPrefix;
    /** The key and trust managers the context asks, switchable to a renewed certificate's (null where there are none). */
    private final SwitchingKeyManager keys;
    private final SwitchingTrustManager trust;
    /** SHA-256 over the settings and the files' contents: equal when the same configuration would make the same context. */
    private final String fingerprint;

    private DicomTls(SSLContext context, List<String> protocols, boolean requireClientCertificate, boolean verifyClientCertificate,
                     boolean verifyHostname, String subject, String keyPrefix, String fingerprint, SwitchingKeyManager keys,
                     SwitchingTrustManager trust) {
        this.context = context;
        this.keys = keys;
        this.trust = trust;
        this.protocols = List.copyOf(protocols);
        Set<String> supported = Set.of(context.getSupportedSSLParameters().getCipherSuites());
        this.cipherSuites = BCP195_CIPHER_SUITES.stream().filter(supported::contains).toArray(String[]::new);
        this.requireClientCertificate = requireClientCertificate;
        this.verifyClientCertificate = verifyClientCertificate;
        this.verifyHostname = verifyHostname;
        this.subject = subject;
        this.keyPrefix = keyPrefix;
        this.fingerprint = fingerprint;
    }

    /**
     * TLS for an acceptor (the listener).
     *
     * @param requireClientCertificate refuse peers that present no certificate chaining to the trusted CAs
     *                                 (needs {@code trustedCertificatesFile})
     * @param protocols                a non-empty subset of {@link #PROTOCOLS}
     */
    public static DicomTls server(Files files, boolean requireClientCertificate, List<String> protocols) {
        String p = files.keyPrefix();
        if (files.certificateFile() == null || files.privateKeyFile() == null) {
            throw new IllegalArgumentException(p + (files.certificateFile() == null ? "certificateFile" : "privateKeyFile")
                    + ": missing; a TLS listener needs its certificate (" + p + "certificateFile) and private key ("
                    + p + "privateKeyFile) as PEM files");
        }
        if (requireClientCertificate && files.trustedCertificatesFile() == null) {
            throw new IllegalArgumentException(p + "trustedCertificatesFile: missing while " + p + "requireClientCertificate is true; "
                    + "give the PEM file of the CA certificates that sign your peers' certificates");
        }
        return build(files, protocols, requireClientCertificate, files.trustedCertificatesFile() != null, false);
    }

    /**
     * TLS for a requestor (a DICOM destination).
     *
     * @param verifyHostname check that the peer's certificate names the host connected to (subject alternative name)
     */
    public static DicomTls client(Files files, boolean verifyHostname, List<String> protocols) {
        String p = files.keyPrefix();
        if (files.trustedCertificatesFile() == null) {
            throw new IllegalArgumentException(p + "trustedCertificatesFile: missing; give the PEM file of the CA certificate(s) "
                    + "that sign the destination's certificate (RadFlow never connects to an unverified TLS peer)");
        }
        if ((files.certificateFile() == null) != (files.privateKeyFile() == null)) {
            throw new IllegalArgumentException(p + (files.certificateFile() == null ? "certificateFile" : "privateKeyFile")
                    + ": missing; a client certificate needs both " + p + "certificateFile and " + p + "privateKeyFile "
                    + "(or neither, when the destination does not ask for one)");
        }
        return build(files, protocols, false, false, verifyHostname);
    }

    private static DicomTls build(Files files, List<String> protocols, boolean require, boolean verifyClient, boolean verifyHostname) {
        String p = files.keyPrefix();
        if (protocols.isEmpty() || !PROTOCOLS.containsAll(protocols)) {
            throw new IllegalArgumentException(p + "protocols: " + protocols + " is not allowed; use one or both of " + PROTOCOLS
                    + " (BCP 195: no TLS before 1.2)");
        }
        try {
            KeyManagerFactory kmf = null;
            String subject = null;
            if (files.certificateFile() != null) {
                List<X509Certificate> chain = readCertificates(p + "certificateFile", files.certificateFile());
                X509Certificate leaf = chain.get(0);
                checkValidity(p + "certificateFile", files.certificateFile(), leaf);
                PrivateKey key = readPrivateKey(p, files.privateKeyFile(), files.privateKeyPassword());
                checkPair(p, files, key, leaf);
                char[] storePassword = "radflow".toCharArray();
                KeyStore ks = KeyStore.getInstance("PKCS12");
                ks.load(null, null);
                ks.setKeyEntry("radflow", key, storePassword, chain.toArray(new X509Certificate[0]));
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(ks, storePassword);
                subject = leaf.getSubjectX500Principal().getName();
            }
            TrustManagerFactory tmf = null;
            if (files.crlFile() != null && files.trustedCertificatesFile() == null) {
                throw new IllegalArgumentException(p + "crlFile: revocation lists need " + p + "trustedCertificatesFile (the CAs "
                        + "that issued them); set it, or remove " + p + "crlFile");
            }
            if (files.trustedCertificatesFile() != null) {
                List<X509Certificate> cas = readCertificates(p + "trustedCertificatesFile", files.trustedCertificatesFile());
                KeyStore ts = KeyStore.getInstance("PKCS12");
                ts.load(null, null);
                for (int i = 0; i < cas.size(); i++) {
                    ts.setCertificateEntry("ca-" + i, cas.get(i));
                }
                tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                if (files.crlFile() == null) {
                    tmf.init(ts);
                } else {
                    tmf.init(revocationChecked(ts, readCrls(p + "crlFile", files.crlFile(), cas)));
                }
            }
            SwitchingKeyManager keys = kmf == null ? null : new SwitchingKeyManager(only(kmf.getKeyManagers(), X509ExtendedKeyManager.class));
            SwitchingTrustManager trust = tmf == null ? null
                    : new SwitchingTrustManager(only(tmf.getTrustManagers(), X509ExtendedTrustManager.class));
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(keys == null ? null : new KeyManager[] {keys}, trust == null ? null : new TrustManager[] {trust}, null);
            return new DicomTls(ctx, protocols, require, verifyClient, verifyHostname, subject, p,
                    fingerprint(files, protocols, require, verifyHostname), keys, trust);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException(p + ": cannot set up TLS with these files: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            // a provider's parser failing on a damaged file in some unforeseen way: still a configuration problem
            throw new IllegalArgumentException(p + ": cannot set up TLS with these files (" + e + "); check them with "
                    + "`openssl x509 -in CERT -noout -text` and `openssl pkey -in KEY -noout`", e);
        }
    }

    /**
     * PKIX trust with the peer's own certificate checked against the given CRLs only: no OCSP and no fetching of
     * distribution points (no network), and no fallback; a peer whose CA has no current CRL in the file is refused.
     * Intermediate CAs are not checked for revocation (ONLY_END_ENTITY).
     */
    private static javax.net.ssl.ManagerFactoryParameters revocationChecked(KeyStore trusted, List<java.security.cert.X509CRL> crls)
            throws GeneralSecurityException {
        java.security.cert.PKIXBuilderParameters pkix = new java.security.cert.PKIXBuilderParameters(trusted,
                new java.security.cert.X509CertSelector());
        pkix.addCertStore(java.security.cert.CertStore.getInstance("Collection",
                new java.security.cert.CollectionCertStoreParameters(crls)));
        java.security.cert.PKIXRevocationChecker checker = (java.security.cert.PKIXRevocationChecker)
                java.security.cert.CertPathValidator.getInstance("PKIX").getRevocationChecker();
        checker.setOptions(java.util.EnumSet.of(java.security.cert.PKIXRevocationChecker.Option.PREFER_CRLS,
                java.security.cert.PKIXRevocationChecker.Option.NO_FALLBACK,
                java.security.cert.PKIXRevocationChecker.Option.ONLY_END_ENTITY));
        pkix.addCertPathChecker(checker);
        pkix.setRevocationEnabled(false); // the checker above does it, the default one (which may try OCSP) does not
        return new javax.net.ssl.CertPathTrustManagerParameters(pkix);
    }

    /**
     * The CRLs of a file (PEM blocks or DER), each checked now: signed by one of the trusted CAs, and current (its next
     * update not passed), so a stale or foreign list stops the start or reload with the key named instead of refusing
     * every peer later.
     */
    static List<java.security.cert.X509CRL> readCrls(String key, Path file, List<X509Certificate> cas) {
        byte[] bytes = readFile(key, file, "the certificate revocation list file");
        Collection<? extends java.security.cert.CRL> read;
        try {
            read = CertificateFactory.getInstance("X.509").generateCRLs(new ByteArrayInputStream(bytes));
        } catch (java.security.cert.CRLException | CertificateException e) {
            throw new IllegalArgumentException(key + ": '" + file + "' is not a PEM or DER certificate revocation list ("
                    + e.getMessage() + "); check it with `openssl crl -in FILE -noout -text`", e);
        }
        if (read.isEmpty()) {
            throw new IllegalArgumentException(key + ": '" + file + "' holds no certificate revocation list; check it with "
                    + "`openssl crl -in FILE -noout -text`");
        }
        List<java.security.cert.X509CRL> out = new ArrayList<>();
        java.util.Date now = new java.util.Date();
        for (java.security.cert.CRL c : read) {
            java.security.cert.X509CRL crl = (java.security.cert.X509CRL) c;
            String issuer = crl.getIssuerX500Principal().getName();
            boolean signed = false;
            for (X509Certificate ca : cas) {
                if (ca.getSubjectX500Principal().equals(crl.getIssuerX500Principal())) {
                    try {
                        crl.verify(ca.getPublicKey());
                        signed = true;
                        break;
                    } catch (GeneralSecurityException wrongKey) {
                        // another CA of the same name, perhaps
                    }
                }
            }
            if (!signed) {
                throw new IllegalArgumentException(key + ": the revocation list of " + issuer + " in '" + file + "' is not signed by "
                        + "a CA in trustedCertificatesFile; give the CRLs of the CAs you trust");
            }
            if (crl.getNextUpdate() != null && crl.getNextUpdate().before(now)) {
                throw new IllegalArgumentException(key + ": the revocation list of " + issuer + " in '" + file + "' is out of date "
                        + "since " + crl.getNextUpdate().toInstant() + "; fetch a current one from the CA and reload");
            }
            out.add(crl);
        }
        return out;
    }

    private static String fingerprint(Files files, List<String> protocols, boolean require, boolean verifyHostname)
            throws GeneralSecurityException {
        java.security.MessageDigest d = java.security.MessageDigest.getInstance("SHA-256");
        d.update((files.keyPrefix() + "|" + protocols + "|" + require + "|" + verifyHostname).getBytes(StandardCharsets.UTF_8));
        for (Path f : new Path[] {files.certificateFile(), files.privateKeyFile(), files.trustedCertificatesFile(), files.crlFile()}) {
            d.update((byte) '|');
            if (f != null) {
                d.update(readFile(files.keyPrefix(), f, "a TLS file"));
            }
        }
        return java.util.HexFormat.of().formatHex(d.digest());
    }

    /** Every certificate in a PEM file, in file order. */
    static List<X509Certificate> readCertificates(String key, Path file) {
        byte[] bytes = readFile(key, file, "the PEM certificate file");
        String text = new String(bytes, StandardCharsets.US_ASCII);
        if (!text.contains("-----BEGIN CERTIFICATE-----")) {
            throw new IllegalArgumentException(key + ": '" + file + "' holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
                    + (text.contains("PRIVATE KEY-----") ? "; it holds a private key: name it in privateKeyFile and give the "
                    + "certificate here" : "; convert a DER file with `openssl x509 -inform der -in FILE -out FILE.pem`"));
        }
        try {
            Collection<? extends java.security.cert.Certificate> certs = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(bytes));
            List<X509Certificate> out = new ArrayList<>();
            for (java.security.cert.Certificate c : certs) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new CertificateException("no certificate found");
            }
            return out;
        } catch (CertificateException e) {
            throw new IllegalArgumentException(key + ": '" + file + "' is not a readable PEM certificate file (" + e.getMessage()
                    + "); check it with `openssl x509 -in FILE -noout -text`", e);
        }
    }

    private static void checkValidity(String key, Path file, X509Certificate leaf) {
        try {
            leaf.checkValidity();
        } catch (java.security.cert.CertificateExpiredException e) {
            throw new IllegalArgumentException(key + ": the certificate in '" + file + "' (" + leaf.getSubjectX500Principal().getName()
                    + ") expired on " + leaf.getNotAfter().toInstant() + "; renew it", e);
        } catch (java.security.cert.CertificateNotYetValidException e) {
            throw new IllegalArgumentException(key + ": the certificate in '" + file + "' (" + leaf.getSubjectX500Principal().getName()
                    + ") is valid only from " + leaf.getNotBefore().toInstant() + "; check this machine's clock or the certificate", e);
        }
    }

    private static final Pattern PEM_BLOCK = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");

    /** A PKCS#8 private key (plain, or encrypted with {@code password}) or a plain PKCS#1 RSA key from a PEM file. */
    static PrivateKey readPrivateKey(String prefix, Path file, char[] password) {
        String key = prefix + "privateKeyFile";
        String text = new String(readFile(key, file, "the PEM private key file"), StandardCharsets.US_ASCII);
        Matcher m = PEM_BLOCK.matcher(text);
        while (m.find()) {
            String type = m.group(1);
            byte[] der;
            try {
                der = Base64.getMimeDecoder().decode(m.group(2).trim());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(key + ": '" + file + "' has a damaged " + type + " block (not Base64)");
            }
            switch (type) {
                case "PRIVATE KEY" -> {
                    if (password != null) {
                        throw new IllegalArgumentException(prefix + "privateKeyPasswordFile: given, but the key in '" + file
                                + "' is not encrypted; remove " + prefix + "privateKeyPasswordFile");
                    }
                    return pkcs8(key, file, new PKCS8EncodedKeySpec(der));
                }
                case "ENCRYPTED PRIVATE KEY" -> {
                    if (password == null) {
                        throw new IllegalArgumentException(prefix + "privateKeyPasswordFile: missing; the key in '" + file
                                + "' is encrypted: write its password into a file only RadFlow can read and name it in "
                                + prefix + "privateKeyPasswordFile");
                    }
                    return pkcs8(key, file, decrypt(prefix, file, der, password));
                }
                case "RSA PRIVATE KEY" -> {
                    if (text.contains("Proc-Type: 4,ENCRYPTED")) {
                        throw new IllegalArgumentException(key + ": '" + file + "' is a legacy encrypted RSA key; convert it to "
                                + "PKCS#8 with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in " + file + " -out key.pem` and give "
                                + prefix + "privateKeyPasswordFile, or store it unencrypted (chmod 600)");
                    }
                    if (password != null) {
                        throw new IllegalArgumentException(prefix + "privateKeyPasswordFile: given, but the key in '" + file
                                + "' is not encrypted; remove " + prefix + "privateKeyPasswordFile");
                    }
                    return pkcs8(key, file, new PKCS8EncodedKeySpec(wrapPkcs1(der)));
                }
                case "EC PRIVATE KEY", "DSA PRIVATE KEY" -> throw new IllegalArgumentException(key + ": '" + file
                        + "' holds a traditional " + type + " block; RadFlow reads PKCS#8 keys: convert it with "
                        + "`openssl pkcs8 -topk8 -nocrypt -in " + file + " -out key.pem` (or without -nocrypt, and a "
                        + "privateKeyPasswordFile, to keep it encrypted)");
                default -> {
                    // e.g. a certificate before the key in a combined file: look further
                }
            }
        }
        throw new IllegalArgumentException(key + ": '" + file + "' holds no PEM private key (-----BEGIN PRIVATE KEY-----)"
                + (text.contains("-----BEGIN CERTIFICATE-----") ? "; it holds a certificate: name it in certificateFile and give "
                + "the key here" : ""));
    }

    /** A PKCS#1 RSAPrivateKey inside a PKCS#8 PrivateKeyInfo (version 0, rsaEncryption with NULL parameters). */
    static byte[] wrapPkcs1(byte[] pkcs1) {
        byte[] algorithm = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05,
                0x00};
        byte[] version = {0x02, 0x01, 0x00};
        byte[] octets = der(0x04, pkcs1);
        byte[] body = new byte[version.length + algorithm.length + octets.length];
        System.arraycopy(version, 0, body, 0, version.length);
        System.arraycopy(algorithm, 0, body, version.length, algorithm.length);
        System.arraycopy(octets, 0, body, version.length + algorithm.length, octets.length);
        return der(0x30, body);
    }

    private static byte[] der(int tag, byte[] content) {
        int n = content.length;
        byte[] length = n < 0x80 ? new byte[] {(byte) n}
                : n < 0x100 ? new byte[] {(byte) 0x81, (byte) n}
                : n < 0x10000 ? new byte[] {(byte) 0x82, (byte) (n >> 8), (byte) n}
                : new byte[] {(byte) 0x83, (byte) (n >> 16), (byte) (n >> 8), (byte) n};
        byte[] out = new byte[1 + length.length + n];
        out[0] = (byte) tag;
        System.arraycopy(length, 0, out, 1, length.length);
        System.arraycopy(content, 0, out, 1 + length.length, n);
        return out;
    }

    private static PKCS8EncodedKeySpec decrypt(String prefix, Path file, byte[] der, char[] password) {
        try {
            EncryptedPrivateKeyInfo info = new EncryptedPrivateKeyInfo(der);
            // PBES2 names its real algorithm in its parameters (e.g. PBEWithHmacSHA256AndAES_256)
            String algorithm = info.getAlgParameters() == null ? info.getAlgName() : info.getAlgParameters().toString();
            SecretKeyFactory f = SecretKeyFactory.getInstance(algorithm);
            Cipher c = Cipher.getInstance(algorithm);
            c.init(Cipher.DECRYPT_MODE, f.generateSecret(new PBEKeySpec(password)), info.getAlgParameters());
            return info.getKeySpec(c);
        } catch (java.security.spec.InvalidKeySpecException e) {
            throw new IllegalArgumentException(prefix + "privateKeyPasswordFile: the password does not decrypt the key in '" + file
                    + "'; write the key's password into that file", e);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException(prefix + "privateKeyFile: cannot decrypt '" + file + "' (" + e.getMessage()
                    + "); re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc` or store it unencrypted (chmod 600)", e);
        }
    }

    private static PrivateKey pkcs8(String key, Path file, PKCS8EncodedKeySpec spec) {
        for (String algorithm : List.of("RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
                // not this algorithm: try the next
            }
        }
        throw new IllegalArgumentException(key + ": the key in '" + file + "' is not an RSA, EC or EdDSA private key");
    }

    /** The key must belong to the certificate: a signature made with it must verify with the certificate's public key. */
    private static void checkPair(String prefix, Files files, PrivateKey key, X509Certificate leaf) throws GeneralSecurityException {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "Ed448", "EdDSA" -> key.getAlgorithm();
            default -> null;
        };
        if (algorithm == null) {
            return;
        }
        boolean matches;
        try {
            byte[] probe = "radflow-key-check".getBytes(StandardCharsets.US_ASCII);
            Signature s = Signature.getInstance(algorithm);
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(algorithm);
            v.initVerify(leaf.getPublicKey());
            v.update(probe);
            matches = v.verify(sig);
        } catch (java.security.InvalidKeyException | java.security.SignatureException e) {
            matches = false;
        }
        if (!matches) {
            throw new IllegalArgumentException(prefix + "privateKeyFile: the key in '" + files.privateKeyFile()
                    + "' does not belong to the certificate in '" + files.certificateFile() + "' ("
                    + leaf.getSubjectX500Principal().getName() + "); give the key the certificate was issued for");
        }
    }

    private static byte[] readFile(String key, Path file, String what) {
        try {
            return java.nio.file.Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(key + ": the file '" + file + "' does not exist; give the path of " + what);
        } catch (IOException e) {
            throw new IllegalArgumentException(key + ": cannot read '" + file + "' (" + e + "); the RadFlow user must be able "
                    + "to read it (chown it to that user, chmod 600 for a key)");
        }
    }

    // ------------------------------------------------------------------ sockets

    /** Makes listening sockets whose accepted connections speak TLS with this profile. */
    public ServerSocketFactory serverSocketFactory() {
        SSLServerSocketFactory f = context.getServerSocketFactory();
        return new ServerSocketFactory() {
            @Override
            public ServerSocket createServerSocket() throws IOException {
                return configure((SSLServerSocket) f.createServerSocket());
            }

            @Override
            public ServerSocket createServerSocket(int port) throws IOException {
                return configure((SSLServerSocket) f.createServerSocket(port));
            }

            @Override
            public ServerSocket createServerSocket(int port, int backlog) throws IOException {
                return configure((SSLServerSocket) f.createServerSocket(port, backlog));
            }

            @Override
            public ServerSocket createServerSocket(int port, int backlog, InetAddress address) throws IOException {
                return configure((SSLServerSocket) f.createServerSocket(port, backlog, address));
            }
        };
    }

    private SSLServerSocket configure(SSLServerSocket s) {
        SSLParameters p = s.getSSLParameters();
        p.setProtocols(protocols.toArray(new String[0]));
        p.setCipherSuites(cipherSuites);
        p.setUseCipherSuitesOrder(true);
        if (requireClientCertificate) {
            p.setNeedClientAuth(true);
        } else if (verifyClientCertificate) {
            p.setWantClientAuth(true);
        }
        s.setSSLParameters(p);
        return s;
    }

    /**
     * Turns a connected socket into a TLS one and runs the handshake (within the socket's read timeout).
     *
     * @throws SSLException when the handshake fails; {@link #describe(IOException)} says why in a sentence
     */
    public SSLSocket handshake(Socket connected, String host, int port) throws IOException {
        SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket(connected, host, port, true);
        SSLParameters p = s.getSSLParameters();
        p.setProtocols(protocols.toArray(new String[0]));
        p.setCipherSuites(cipherSuites);
        if (verifyHostname) {
            p.setEndpointIdentificationAlgorithm("HTTPS");
        }
        s.setSSLParameters(p);
        try {
            s.startHandshake();
        } catch (IOException e) {
            try {
                s.close();
            } catch (IOException ignored) {
                // the handshake's failure is what matters
            }
            throw e;
        }
        return s;
    }

    public List<String> protocols() {
        return protocols;
    }

    public List<String> cipherSuites() {
        return Arrays.asList(cipherSuites);
    }

    public boolean requireClientCertificate() {
        return requireClientCertificate;
    }

    public boolean verifyHostname() {
        return verifyHostname;
    }

    /** This node's certificate subject; null for a client without a certificate. */
    public String subject() {
        return subject;
    }

    /** The configuration key prefix the files came from, for messages. */
    public String keyPrefix() {
        return keyPrefix;
    }

    /**
     * Equal when made from the same settings and files with the same contents: a configuration reload then sees a
     * renewed certificate (or a changed file) as a change, and an unchanged one as none.
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof DicomTls other && fingerprint.equals(other.fingerprint);
    }

    @Override
    public int hashCode() {
        return fingerprint.hashCode();
    }

    @Override
    public String toString() {
        return "DICOM TLS " + protocols + (subject == null ? "" : " as " + subject)
                + (requireClientCertificate ? ", client certificate required" : "");
    }

    /**
     * Whether {@link #renewFrom} can take {@code newer}'s certificate, key and trusted CAs into this running context:
     * the same role and settings (protocols, client-certificate policy, host name check), only the files' contents
     * differ.
     */
    public boolean canRenewFrom(DicomTls newer) {
        return newer != null && keyPrefix.equals(newer.keyPrefix) && protocols.equals(newer.protocols)
                && requireClientCertificate == newer.requireClientCertificate
                && verifyClientCertificate == newer.verifyClientCertificate && verifyHostname == newer.verifyHostname
                && (keys == null) == (newer.keys == null) && (trust == null) == (newer.trust == null);
    }

    /**
     * Takes a renewed certificate, key and trusted CAs (read and checked into {@code newer}) into this context, which
     * the running server sockets keep using: handshakes from now on present the new certificate and trust the new CAs;
     * connections already open are not touched. Certificate renewal without a restart.
     *
     * @throws IllegalArgumentException when {@link #canRenewFrom} says no
     */
    public void renewFrom(DicomTls newer) {
        if (!canRenewFrom(newer)) {
            throw new IllegalArgumentException(keyPrefix + ": only the files' contents can change without a restart, not the "
                    + "TLS settings (" + this + " -> " + newer + ")");
        }
        if (keys != null) {
            keys.delegate = newer.keys.delegate;
        }
        if (trust != null) {
            trust.delegate = newer.trust.delegate;
        }
        subject = newer.subject;
    }

    private static <T> T only(Object[] managers, Class<T> type) {
        for (Object m : managers) {
            if (type.isInstance(m)) {
                return type.cast(m);
            }
        }
        throw new IllegalStateException("the JDK gave no " + type.getSimpleName());
    }

    /** A key manager that asks the current one: renewing the certificate swaps it. */
    private static final class SwitchingKeyManager extends X509ExtendedKeyManager {
        volatile X509ExtendedKeyManager delegate;

        SwitchingKeyManager(X509ExtendedKeyManager delegate) {
            this.delegate = delegate;
        }

        @Override
        public String[] getClientAliases(String keyType, java.security.Principal[] issuers) {
            return delegate.getClientAliases(keyType, issuers);
        }

        @Override
        public String chooseClientAlias(String[] keyType, java.security.Principal[] issuers, Socket socket) {
            return delegate.chooseClientAlias(keyType, issuers, socket);
        }

        @Override
        public String[] getServerAliases(String keyType, java.security.Principal[] issuers) {
            return delegate.getServerAliases(keyType, issuers);
        }

        @Override
        public String chooseServerAlias(String keyType, java.security.Principal[] issuers, Socket socket) {
            return delegate.chooseServerAlias(keyType, issuers, socket);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return delegate.getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return delegate.getPrivateKey(alias);
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, java.security.Principal[] issuers, javax.net.ssl.SSLEngine engine) {
            return delegate.chooseEngineClientAlias(keyType, issuers, engine);
        }

        @Override
        public String chooseEngineServerAlias(String keyType, java.security.Principal[] issuers, javax.net.ssl.SSLEngine engine) {
            return delegate.chooseEngineServerAlias(keyType, issuers, engine);
        }
    }

    /** A trust manager that asks the current one: renewing the trusted CAs swaps it. */
    private static final class SwitchingTrustManager extends X509ExtendedTrustManager {
        volatile X509ExtendedTrustManager delegate;

        SwitchingTrustManager(X509ExtendedTrustManager delegate) {
            this.delegate = delegate;
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws java.security.cert.CertificateException {
            delegate.checkClientTrusted(chain, authType, socket);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws java.security.cert.CertificateException {
            delegate.checkServerTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, javax.net.ssl.SSLEngine engine)
                throws java.security.cert.CertificateException {
            delegate.checkClientTrusted(chain, authType, engine);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, javax.net.ssl.SSLEngine engine)
                throws java.security.cert.CertificateException {
            delegate.checkServerTrusted(chain, authType, engine);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
            delegate.checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
            delegate.checkServerTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return delegate.getAcceptedIssuers();
        }
    }

    /**
     * Why a TLS handshake failed, in a sentence a person can act on, followed by the JDK's own reason. The text
     * may quote what the peer sent: escape it before logging.
     */
    public static String describe(IOException e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null) {
                all.append(t.getMessage()).append(" | ");
            }
        }
        String m = all.toString();
        String root = rootMessage(e);
        String why;
        if (m.contains("has been revoked") || m.contains("certificate_revoked")) {
            why = m.contains("certificate_revoked") ? "the peer refused our certificate as revoked"
                    : "the peer's certificate has been revoked (it is listed in our revocation list file)";
        } else if (m.contains("Could not determine revocation status") || m.contains("revocation status")) {
            why = "the peer's certificate cannot be checked for revocation: our revocation list file has no current list of "
                    + "the CA that issued it";
        } else if (m.contains("certificate_expired")) {
            // the peer's alert: it found our certificate out of its validity period
            why = "the peer refused our certificate as expired; renew it and restart RadFlow";
        } else if (m.contains("validity check failed") || m.contains("NotAfter") || m.contains("NotBefore")
                || m.contains("CertificateExpired") || m.contains("CertificateNotYetValid")) {
            // checked before the chain: the JDK reports an expired peer certificate as a failed PKIX path
            why = "the peer's certificate has expired or is not valid yet (check its dates, and this machine's clock)";
        } else if (m.contains("PKIX path") || m.contains("unable to find valid certification path")
                || m.contains("signature check failed") || m.contains("Path does not chain")) {
            why = "the peer's certificate is not signed by a CA in our trusted certificates file";
        } else if (m.contains("Empty client certificate chain") || m.contains("Empty server certificate chain")
                || m.contains("certificate_required")) {
            // a Java client sends only a certificate issued by a CA the server names; OpenSSL-based ones send theirs anyway
            why = "a client certificate is required but none was sent (the client has none, or none issued by a CA in our "
                    + "trusted certificates file)";
        } else if (m.contains("No subject alternative") || m.contains("No name matching")) {
            why = "the peer's certificate does not name the host connected to (subject alternative name); fix the "
                    + "certificate or the destination's host, or set its tls.verifyHostname: false";
        } else if (m.contains("unknown_ca") || m.contains("bad_certificate") || m.contains("certificate_unknown")
                || m.contains("decrypt_error") || m.contains("access_denied")) {
            why = "the peer refused our certificate (it does not trust our CA, or wants another certificate)";
        } else if (m.contains("Unsupported or unrecognized SSL message") || m.contains("plaintext connection")) {
            why = "the peer does not speak TLS on this port (plain DICOM on a TLS port, or the other way round)";
        } else if (m.contains("no cipher suites in common") || m.contains("protocol_version") || m.contains("No appropriate protocol")
                || m.contains("handshake_failure") || m.contains("insufficient_security")) {
            why = "no protocol or cipher suite in common (RadFlow speaks TLS 1.2/1.3 with the BCP 195 suites only)";
        } else if (e instanceof java.net.SocketTimeoutException || m.contains("Read timed out")) {
            why = "the peer did not complete the handshake in time";
        } else if (m.contains("Remote host terminated") || m.contains("Connection reset") || m.contains("Broken pipe")
                || e instanceof java.io.EOFException) {
            why = "the peer closed the connection during the handshake (it may not accept our certificate or protocol)";
        } else {
            why = "TLS handshake failed";
        }
        return why + " (" + root + ")";
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        if (t != e && e.getMessage() != null && (m == null || !e.getMessage().contains(m))) {
            m = e.getMessage() + ": " + m;
        }
        return m == null ? t.getClass().getSimpleName() : m;
    }
}
