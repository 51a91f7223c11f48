package org.radflow.dicom.net;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.dicom.TransferSyntaxes;
import org.radflow.dicom.Uids;
import org.radflow.testkit.TestCertificates;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DICOM TLS between RadFlow's own SCU and {@link DicomServer} on loopback, with certificates made for the test by
 * openssl: the handshake under the BCP 195 profile, client certificates required and missing or from another CA,
 * host name verification, plain DICOM on the TLS port, a suite BCP 195 forbids, and the start-up errors for bad files.
 */
class DicomTlsTest {

    @TempDir
    static Path certs;

    private static TestCertificates.Authority ca;
    private static TestCertificates.Authority otherCa;
    private static TestCertificates.Issued server;
    private static TestCertificates.Issued client;
    private static TestCertificates.Issued strangerClient;
    private static TestCertificates.Issued localhostOnly;

    private static final List<AssociateRequest.Proposal> ECHO = List.of(new AssociateRequest.Proposal(1, Uids.VERIFICATION,
            List.of(TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN)));

    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger serverLog = (Logger) LoggerFactory.getLogger(DicomServer.class);
    private DicomServer scp;
    private DicomTls scpTls;

    @BeforeAll
    static void makeCertificates() {
        ca = TestCertificates.authority(certs, "RadFlow Test CA");
        otherCa = TestCertificates.authority(certs, "Stranger CA");
        server = ca.issue("radflow-scp", "127.0.0.1", "localhost");
        client = ca.issue("modality");
        strangerClient = otherCa.issue("stranger");
        localhostOnly = ca.issue("named-only", "localhost");
    }

    @BeforeEach
    void captureLog() {
        log.start();
        serverLog.addAppender(log);
    }

    @AfterEach
    void stop() {
        serverLog.detachAppender(log);
        if (scp != null) {
            scp.stop(1000);
        }
    }

    private static DicomTls.Files files(String prefix, TestCertificates.Issued own, Path trusted) {
        return new DicomTls.Files(prefix, own == null ? null : own.certificate(), own == null ? null : own.privateKey(),
                own == null || own.keyPassword() == null ? null : own.keyPassword().toCharArray(), trusted);
    }

    private void startScp(TestCertificates.Issued own, boolean requireClientCertificate) throws IOException {
        startScp(own, requireClientCertificate, Duration.ofSeconds(5));
    }

    private void startScp(TestCertificates.Issued own, boolean requireClientCertificate, Duration artim) throws IOException {
        startScp(DicomTls.server(files("listener.tls.", own, ca.certificate()), requireClientCertificate, DicomTls.PROTOCOLS), artim);
    }

    private void startScp(DicomTls tls, Duration artim) throws IOException {
        scpTls = tls;
        scp = new DicomServer(new DicomServer.Settings("127.0.0.1", 0, 65536, artim, Duration.ofSeconds(10),
                TransferSyntaxes.LISTENER_DEFAULT), new DicomServiceRegistry().register(new CEchoService()), new AssociationPolicy() {
            @Override
            public void admit(AssociateRequest request, String peer, int openAssociations) {
            }

            @Override
            public void authorize(AssociateRequest request, String peer) {
            }
        }, r -> { }, tls.serverSocketFactory());
        scp.start();
    }

    private ScuAssociation.Settings scu(DicomTls tls, String host) {
        return new ScuAssociation.Settings("SCU", "RADFLOW", host, scp.port(), Duration.ofSeconds(5), Duration.ofSeconds(10), 65536,
                tls);
    }

    private static DicomTls clientTls(TestCertificates.Issued own, Path trusted, boolean verifyHostname) {
        return DicomTls.client(files("destinations.pacs.tls.", own, trusted), verifyHostname, DicomTls.PROTOCOLS);
    }

    private void awaitWarn(String fragment) throws InterruptedException {
        await(() -> warnings().stream().anyMatch(m -> m.contains(fragment)), "a WARN containing '" + fragment + "'; got " + warnings());
    }

    private List<String> warnings() {
        return log.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage).toList();
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within 10 s: " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void echoOverTlsWithClientCertificateRequired() throws Exception {
        startScp(server, true);
        try (ScuAssociation a = ScuAssociation.open(scu(clientTls(client, ca.certificate(), true), "127.0.0.1"), ECHO)) {
            assertEquals(DimseCommand.STATUS_SUCCESS, a.echo());
        }
        assertTrue(warnings().isEmpty(), warnings().toString());
    }

    @Test
    void missingClientCertificateIsRefusedWithOneReadableWarn() throws Exception {
        startScp(server, true);
        ScuAssociation.TlsHandshakeException e = assertThrows(ScuAssociation.TlsHandshakeException.class,
                () -> ScuAssociation.open(scu(clientTls(null, ca.certificate(), true), "127.0.0.1"), ECHO));
        assertTrue(e.getMessage().startsWith("TLS with RADFLOW@127.0.0.1:" + scp.port() + " failed: "), e.getMessage());
        awaitWarn("a client certificate is required but none was sent");
        List<String> w = warnings();
        assertEquals(1, w.size(), w.toString());
        assertTrue(w.get(0).startsWith("TLS handshake with 127.0.0.1:"), w.get(0));
        assertFalse(log.list.stream().anyMatch(ev -> ev.getThrowableProxy() != null), "no stack trace in the log");
        assertEquals(0, scp.activeAssociations());
    }

    /** The JDK's client withholds a certificate from a CA the server does not name; DCMTK sends it (ListenerTlsIT). */
    @Test
    void clientCertificateFromAnotherCaIsRefused() throws Exception {
        startScp(server, true);
        assertThrows(ScuAssociation.TlsHandshakeException.class,
                () -> ScuAssociation.open(scu(clientTls(strangerClient, ca.certificate(), true), "127.0.0.1"), ECHO));
        awaitWarn("none issued by a CA in our trusted certificates file");
    }

    @Test
    void serverFromAnotherCaIsRefusedByTheSender() throws Exception {
        startScp(server, false);
        ScuAssociation.TlsHandshakeException e = assertThrows(ScuAssociation.TlsHandshakeException.class,
                () -> ScuAssociation.open(scu(clientTls(null, otherCa.certificate(), true), "127.0.0.1"), ECHO));
        assertTrue(e.getMessage().contains("the peer's certificate is not signed by a CA in our trusted certificates file"),
                e.getMessage());
    }

    @Test
    void hostNameIsVerifiedUnlessTurnedOff() throws Exception {
        startScp(localhostOnly, false);
        ScuAssociation.TlsHandshakeException e = assertThrows(ScuAssociation.TlsHandshakeException.class,
                () -> ScuAssociation.open(scu(clientTls(null, ca.certificate(), true), "127.0.0.1"), ECHO));
        assertTrue(e.getMessage().contains("does not name the host connected to"), e.getMessage());
        try (ScuAssociation a = ScuAssociation.open(scu(clientTls(null, ca.certificate(), false), "127.0.0.1"), ECHO)) {
            assertEquals(DimseCommand.STATUS_SUCCESS, a.echo());
        }
        try (ScuAssociation a = ScuAssociation.open(scu(clientTls(null, ca.certificate(), true), "localhost"), ECHO)) {
            assertEquals(DimseCommand.STATUS_SUCCESS, a.echo());
        }
    }

    @Test
    void anExpiredCertificateOfOurOwnIsRefusedAtStartNamingTheKey() {
        TestCertificates.Issued expired = ca.issueExpired("radflow-scp", "127.0.0.1");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DicomTls.server(files("listener.tls.", expired, ca.certificate()), false, DicomTls.PROTOCOLS));
        assertTrue(e.getMessage().startsWith("listener.tls.certificateFile: the certificate in '" + expired.certificate()),
                e.getMessage());
        assertTrue(e.getMessage().contains("expired on") && e.getMessage().endsWith("; renew it"), e.getMessage());
        IllegalArgumentException c = assertThrows(IllegalArgumentException.class,
                () -> clientTls(expired, ca.certificate(), true));
        assertTrue(c.getMessage().startsWith("destinations.pacs.tls.certificateFile: "), c.getMessage());
    }

    /**
     * A peer whose certificate has expired (here a JDK TLS server the test runs, since RadFlow refuses to start with
     * one): the sender refuses it and says why, not "not signed by a trusted CA" (the JDK reports both as a PKIX failure).
     */
    @Test
    void aPeerWithAnExpiredCertificateIsRefusedAsExpired() throws Exception {
        TestCertificates.Issued expired = ca.issueExpired("old-pacs", "127.0.0.1");
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        char[] pw = "test".toCharArray();
        ks.setKeyEntry("pacs", DicomTls.readPrivateKey("test.", expired.privateKey(), null), pw,
                DicomTls.readCertificates("test.certificateFile", expired.certificate()).toArray(new X509Certificate[0]));
        javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance("PKIX");
        kmf.init(ks, pw);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), null, null);
        try (javax.net.ssl.SSLServerSocket pacs = (javax.net.ssl.SSLServerSocket) context.getServerSocketFactory()
                .createServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Thread accept = new Thread(() -> {
                try (SSLSocket s = (SSLSocket) pacs.accept()) {
                    s.startHandshake();
                } catch (IOException expected) {
                    // the sender aborts the handshake
                }
            }, "expired-pacs");
            accept.start();
            ScuAssociation.Settings settings = new ScuAssociation.Settings("SCU", "PACS", "127.0.0.1", pacs.getLocalPort(),
                    Duration.ofSeconds(5), Duration.ofSeconds(10), 65536, clientTls(null, ca.certificate(), true));
            ScuAssociation.TlsHandshakeException e = assertThrows(ScuAssociation.TlsHandshakeException.class,
                    () -> ScuAssociation.open(settings, ECHO));
            assertTrue(e.getMessage().contains("the peer's certificate has expired or is not valid yet"), e.getMessage());
            accept.join(10_000);
        }
    }

    /** The subject of the certificate the running SCP presents now (a plain JDK client trusting the test CA). */
    private String presentedSubject() throws Exception {
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("ca", DicomTls.readCertificates("test", ca.certificate()).get(0));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(null, tmf.getTrustManagers(), null);
        try (SSLSocket s = (SSLSocket) c.getSocketFactory().createSocket("127.0.0.1", scp.port())) {
            s.startHandshake();
            return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
        }
    }

    /** Certificate renewal without a restart: the running server socket presents the renewed certificate from then on. */
    @Test
    void aRenewedCertificateIsPresentedWithoutRestartingTheServer() throws Exception {
        startScp(server, false);
        assertEquals("CN=radflow-scp", presentedSubject());
        TestCertificates.Issued renewed = ca.issue("radflow-scp-renewed", "127.0.0.1");
        DicomTls next = DicomTls.server(files("listener.tls.", renewed, ca.certificate()), false, DicomTls.PROTOCOLS);
        assertTrue(scpTls.canRenewFrom(next));
        scpTls.renewFrom(next);
        assertEquals("CN=radflow-scp-renewed", presentedSubject());
        try (ScuAssociation a = ScuAssociation.open(scu(clientTls(null, ca.certificate(), true), "127.0.0.1"), ECHO)) {
            assertEquals(DimseCommand.STATUS_SUCCESS, a.echo());
        }
        // a changed setting (here: client certificates now required) is not a renewal: it needs a restart
        DicomTls stricter = DicomTls.server(files("listener.tls.", renewed, ca.certificate()), true, DicomTls.PROTOCOLS);
        assertFalse(scpTls.canRenewFrom(stricter));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> scpTls.renewFrom(stricter));
        assertTrue(e.getMessage().startsWith("listener.tls.: only the files' contents can change without a restart"), e.getMessage());
    }

    private static DicomTls.Files withCrl(String prefix, TestCertificates.Issued own, Path trusted, Path crl) {
        DicomTls.Files f = files(prefix, own, trusted);
        return new DicomTls.Files(f.keyPrefix(), f.certificateFile(), f.privateKeyFile(), f.privateKeyPassword(),
                f.trustedCertificatesFile(), crl);
    }

    @Test
    void aRevokedClientCertificateIsRefusedAndOthersAreNot() throws Exception {
        TestCertificates.Issued revoked = ca.issue("stolen-laptop");
        Path crl = ca.revocationList("listener", revoked);
        startScp(DicomTls.server(withCrl("listener.tls.", server, ca.certificate(), crl), true, DicomTls.PROTOCOLS),
                Duration.ofSeconds(5));
        assertThrows(IOException.class, () -> {
            try (ScuAssociation a = ScuAssociation.open(scu(clientTls(revoked, ca.certificate(), true), "127.0.0.1"), ECHO)) {
                a.echo(); // under TLS 1.3 the server's refusal of a client certificate may reach the client only now
            }
        });
        awaitWarn("the peer's certificate has been revoked (it is listed in our revocation list file)");
        try (ScuAssociation a = ScuAssociation.open(scu(clientTls(client, ca.certificate(), true), "127.0.0.1"), ECHO)) {
            assertEquals(DimseCommand.STATUS_SUCCESS, a.echo());
        }
    }

    @Test
    void theSenderRefusesAPeerWhoseCertificateIsRevokedOrHasNoCurrentList() throws Exception {
        startScp(server, false);
        Path revokingServer = ca.revocationList("sender", server);
        DicomTls sender = DicomTls.client(withCrl("destinations.pacs.tls.", null, ca.certificate(), revokingServer), true,
                DicomTls.PROTOCOLS);
        ScuAssociation.TlsHandshakeException e = assertThrows(ScuAssociation.TlsHandshakeException.class,
                () -> ScuAssociation.open(scu(sender, "127.0.0.1"), ECHO));
        assertTrue(e.getMessage().contains("the peer's certificate has been revoked"), e.getMessage());
        // both CAs trusted, but only the other one's list given: the PACS's status cannot be known, so it is refused
        // (no fallback to "not revoked")
        Path strangersList = otherCa.revocationList("strangers");
        Path bothCas = certs.resolve("both-cas.pem");
        Files.writeString(bothCas, Files.readString(ca.certificate()) + Files.readString(otherCa.certificate()));
        DicomTls unknown = DicomTls.client(withCrl("destinations.pacs.tls.", null, bothCas, strangersList), true, DicomTls.PROTOCOLS);
        ScuAssociation.TlsHandshakeException u = assertThrows(ScuAssociation.TlsHandshakeException.class,
                () -> ScuAssociation.open(scu(unknown, "127.0.0.1"), ECHO));
        assertTrue(u.getMessage().contains("cannot be checked for revocation"), u.getMessage());
        // a list that is not signed by a trusted CA is refused at load, naming the key
        IllegalArgumentException foreign = assertThrows(IllegalArgumentException.class, () -> DicomTls.client(
                withCrl("destinations.pacs.tls.", null, ca.certificate(), strangersList), true, DicomTls.PROTOCOLS));
        assertTrue(foreign.getMessage().startsWith("destinations.pacs.tls.crlFile: the revocation list of CN=Stranger CA"),
                foreign.getMessage());
        // an empty list of our CA: nothing revoked, the PACS is accepted
        DicomTls current = DicomTls.client(withCrl("destinations.pacs.tls.", null, ca.certificate(), ca.revocationList("empty")),
                true, DicomTls.PROTOCOLS);
        try (ScuAssociation a = ScuAssociation.open(scu(current, "127.0.0.1"), ECHO)) {
            assertEquals(DimseCommand.STATUS_SUCCESS, a.echo());
        }
    }

    @Test
    void revocationListFilesAreCheckedWhenLoaded() throws Exception {
        Path notACrl = Files.writeString(certs.resolve("not-a-crl.pem"), "hello", StandardCharsets.US_ASCII);
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> DicomTls.server(
                withCrl("listener.tls.", server, ca.certificate(), notACrl), false, DicomTls.PROTOCOLS));
        assertTrue(bad.getMessage().startsWith("listener.tls.crlFile: '" + notACrl + "'"), bad.getMessage());
        IllegalArgumentException noCas = assertThrows(IllegalArgumentException.class, () -> DicomTls.server(
                withCrl("listener.tls.", server, null, ca.revocationList("orphan")), false, DicomTls.PROTOCOLS));
        assertTrue(noCas.getMessage().startsWith("listener.tls.crlFile: revocation lists need listener.tls.trustedCertificatesFile"),
                noCas.getMessage());
    }

    @Test
    void plainDicomOnTheTlsPortIsRefused() throws Exception {
        startScp(server, false);
        assertThrows(IOException.class, () -> ScuAssociation.open(scu(null, "127.0.0.1"), ECHO));
        awaitWarn("the peer does not speak TLS on this port");
    }

    /** The handshake runs under ARTIM: a connection that never sends its ClientHello is closed like a silent plain one. */
    @Test
    void aConnectionThatNeverStartsTheHandshakeIsClosedByArtim() throws Exception {
        startScp(server, true, Duration.ofSeconds(1));
        try (Socket idle = new Socket()) {
            idle.connect(new InetSocketAddress("127.0.0.1", scp.port()), 5000);
            idle.setSoTimeout(10_000);
            long start = System.nanoTime();
            // the server's TLS socket may say goodbye with an alert record (content type 21) before the end of the stream
            int first;
            try {
                first = idle.getInputStream().read();
                while (first == 21 && idle.getInputStream().read() >= 0) {
                    // the rest of the alert record, up to the end of the stream
                }
            } catch (IOException reset) {
                first = -1;
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertTrue(first == -1 || first == 21, "closed by the server, not " + first);
            assertTrue(took.compareTo(Duration.ofSeconds(4)) < 0, "closed after about the ARTIM time (1 s), not " + took);
        }
        awaitWarn("no A-ASSOCIATE-RQ within 1 s (ARTIM)");
        try (ScuAssociation a = ScuAssociation.open(scu(clientTls(client, ca.certificate(), true), "127.0.0.1"), ECHO)) {
            assertEquals(DimseCommand.STATUS_SUCCESS, a.echo());
        }
    }

    @Test
    void cipherSuitesOutsideBcp195AreNotNegotiated() throws Exception {
        startScp(server, false);
        assertTrue(DicomTls.BCP195_CIPHER_SUITES.stream().noneMatch(s -> s.contains("CBC") || s.contains("SHA1")
                || s.startsWith("TLS_RSA_")), "only AEAD suites with forward secrecy");
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (var in = Files.newInputStream(ca.certificate())) {
            trust.setCertificateEntry("ca", (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        try (Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress("127.0.0.1", scp.port()), 5000);
            plain.setSoTimeout(5000);
            SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(plain, "127.0.0.1", scp.port(), true);
            s.setEnabledProtocols(new String[] {"TLSv1.2"});
            s.setEnabledCipherSuites(new String[] {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"});
            assertThrows(IOException.class, s::startHandshake);
        }
        awaitWarn("no protocol or cipher suite in common");
    }

    /** A traditional PKCS#1 RSA key (what {@code openssl genrsa -traditional} and many CAs hand out) works as is. */
    @Test
    void pkcs1RsaKey() throws Exception {
        Path pkcs1 = certs.resolve("server-pkcs1.key");
        org.radflow.testkit.ToolResult r = org.radflow.testkit.Dcmtk.run(Duration.ofSeconds(30), "openssl", "rsa", "-traditional",
                "-in", server.privateKey().toString(), "-out", pkcs1.toString());
        assertTrue(r.ok(), r.describe());
        assertTrue(Files.readString(pkcs1).startsWith("-----BEGIN RSA PRIVATE KEY-----"));
        startScp(new TestCertificates.Issued(server.certificate(), pkcs1, null), false);
        try (ScuAssociation a = ScuAssociation.open(scu(clientTls(null, ca.certificate(), true), "127.0.0.1"), ECHO)) {
            assertEquals(DimseCommand.STATUS_SUCCESS, a.echo());
        }
    }

    @Test
    void encryptedKeyWithItsPassword() throws Exception {
        TestCertificates.Issued encrypted = ca.issueEncrypted("encrypted", "s3cret-passw0rd", "127.0.0.1");
        startScp(encrypted, false);
        try (ScuAssociation a = ScuAssociation.open(scu(clientTls(null, ca.certificate(), true), "127.0.0.1"), ECHO)) {
            assertEquals(DimseCommand.STATUS_SUCCESS, a.echo());
        }
        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class, () -> DicomTls.server(
                new DicomTls.Files("listener.tls.", encrypted.certificate(), encrypted.privateKey(), "wrong".toCharArray(), null),
                false, DicomTls.PROTOCOLS));
        assertTrue(wrong.getMessage().startsWith("listener.tls.privateKeyPasswordFile: the password does not decrypt the key"),
                wrong.getMessage());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> DicomTls.server(
                new DicomTls.Files("listener.tls.", encrypted.certificate(), encrypted.privateKey(), null, null),
                false, DicomTls.PROTOCOLS));
        assertTrue(none.getMessage().startsWith("listener.tls.privateKeyPasswordFile: missing; the key in"), none.getMessage());
    }

    /** A configuration reload compares settings: the same files are the same TLS, a renewed certificate is not. */
    @Test
    void equalWhenMadeFromTheSameSettingsAndFileContents() throws Exception {
        DicomTls a = DicomTls.server(files("listener.tls.", server, ca.certificate()), true, DicomTls.PROTOCOLS);
        DicomTls b = DicomTls.server(files("listener.tls.", server, ca.certificate()), true, DicomTls.PROTOCOLS);
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertFalse(a.equals(DicomTls.server(files("listener.tls.", server, ca.certificate()), false, DicomTls.PROTOCOLS)));
        Path copy = certs.resolve("renewed.pem");
        Path key = certs.resolve("renewed.key");
        TestCertificates.Issued renewed = ca.issue("radflow-renewed", "127.0.0.1", "localhost");
        Files.copy(renewed.certificate(), copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(renewed.privateKey(), key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        DicomTls before = DicomTls.server(files("listener.tls.", new TestCertificates.Issued(copy, key, null), ca.certificate()), true,
                DicomTls.PROTOCOLS);
        Files.copy(server.certificate(), copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(server.privateKey(), key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        DicomTls after = DicomTls.server(files("listener.tls.", new TestCertificates.Issued(copy, key, null), ca.certificate()), true,
                DicomTls.PROTOCOLS);
        assertFalse(before.equals(after), "same paths, new contents: a change");
    }

    @Test
    void badFilesAreNamedByTheirKeyWithTheFix() throws Exception {
        Path missing = certs.resolve("nope.pem");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DicomTls.server(
                new DicomTls.Files("listener.tls.", missing, server.privateKey(), null, null), false, DicomTls.PROTOCOLS));
        assertEquals("listener.tls.certificateFile: the file '" + missing + "' does not exist; give the path of the PEM "
                + "certificate file", e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> DicomTls.server(
                new DicomTls.Files("listener.tls.", server.privateKey(), server.certificate(), null, null), false, DicomTls.PROTOCOLS));
        assertTrue(e.getMessage().startsWith("listener.tls.certificateFile: '" + server.privateKey() + "' holds no PEM certificate"),
                e.getMessage());
        assertTrue(e.getMessage().contains("it holds a private key"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> DicomTls.server(
                new DicomTls.Files("listener.tls.", server.certificate(), client.privateKey(), null, null), false, DicomTls.PROTOCOLS));
        assertTrue(e.getMessage().startsWith("listener.tls.privateKeyFile: the key in '" + client.privateKey()
                + "' does not belong to the certificate"), e.getMessage());

        Path sec1 = certs.resolve("traditional-ec.key");
        Files.writeString(sec1, "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBqvQ3o0Hh0M\n-----END EC PRIVATE KEY-----\n",
                StandardCharsets.US_ASCII);
        e = assertThrows(IllegalArgumentException.class, () -> DicomTls.server(
                new DicomTls.Files("listener.tls.", server.certificate(), sec1, null, null), false, DicomTls.PROTOCOLS));
        assertTrue(e.getMessage().startsWith("listener.tls.privateKeyFile: '" + sec1 + "' holds a traditional EC PRIVATE KEY block"),
                e.getMessage());
        assertTrue(e.getMessage().contains("openssl pkcs8 -topk8"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> DicomTls.server(files("listener.tls.", server, null), true,
                DicomTls.PROTOCOLS));
        assertTrue(e.getMessage().startsWith("listener.tls.trustedCertificatesFile: missing while listener.tls.requireClientCertificate"),
                e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> DicomTls.server(files("listener.tls.", server, null), false,
                List.of("TLSv1.1")));
        assertTrue(e.getMessage().startsWith("listener.tls.protocols: [TLSv1.1] is not allowed"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> DicomTls.client(files("destinations.pacs.tls.", null, null), true,
                DicomTls.PROTOCOLS));
        assertTrue(e.getMessage().startsWith("destinations.pacs.tls.trustedCertificatesFile: missing"), e.getMessage());
    }
}
