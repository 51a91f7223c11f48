package org.radflow.listener;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.dicom.net.DicomTls;
import org.radflow.testdata.CtOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.Synth;
import org.radflow.testkit.Dcmtk;
import org.radflow.testkit.TestCertificates;
import org.radflow.testkit.ToolResult;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The listener's DICOM TLS port with DCMTK's {@code echoscu} and {@code storescu +tls} (OpenSSL, the non-downgrading
 * BCP 195 profile by default) as real peers: C-ECHO and C-STORE into the spool over TLS with a client certificate, the
 * plain port beside it, and the refusals with their WARN: no client certificate where one is required, a client
 * certificate from a CA the listener does not trust, plain DICOM on the TLS port, an expired client certificate. Certificates are made by openssl in
 * the test's folder.
 */
class ListenerTlsIT {

    @TempDir
    static Path certs;

    @TempDir
    Path dir;

    private static TestCertificates.Authority ca;
    private static TestCertificates.Issued server;
    private static TestCertificates.Issued modality;
    private static TestCertificates.Issued stranger;

    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

    @BeforeAll
    static void makeCertificates() {
        ca = TestCertificates.authority(certs, "Hospital CA");
        server = ca.issue("radflow", "127.0.0.1", "localhost");
        modality = ca.issue("ct-scanner");
        stranger = TestCertificates.authority(certs, "Unknown CA").issue("stranger");
    }

    @BeforeEach
    void captureLog() {
        log.start();
        root.addAppender(log);
    }

    @AfterEach
    void release() {
        root.detachAppender(log);
    }

    private RunningListener listener(boolean requireClientCertificate, boolean plainPort) throws Exception {
        DicomTls tls = DicomTls.server(new DicomTls.Files("listener.tls.", server.certificate(), server.privateKey(), null,
                ca.certificate()), requireClientCertificate, DicomTls.PROTOCOLS);
        return new RunningListener(dir, s -> s.withTls(new ListenerSettings.Tls(tls, 0, plainPort)));
    }

    private RunningListener listenerBinding(java.util.Map<String, String> aeTitleCertificates) throws Exception {
        DicomTls tls = DicomTls.server(new DicomTls.Files("listener.tls.", server.certificate(), server.privateKey(), null,
                ca.certificate()), false, DicomTls.PROTOCOLS);
        return new RunningListener(dir, s -> s.withTls(new ListenerSettings.Tls(tls, 0, true, aeTitleCertificates)));
    }

    private static ToolResult echoscuAs(String callingAe, RunningListener l, int port, List<String> options) {
        List<String> command = new ArrayList<>(List.of("echoscu", "-aet", callingAe, "-aec", l.aeTitle()));
        command.addAll(options);
        command.addAll(List.of("127.0.0.1", Integer.toString(port)));
        return Dcmtk.run(Duration.ofSeconds(30), command.toArray(String[]::new));
    }

    /** {@code +tls KEY CERT +cf CA}: DCMTK's order is the private key first. */
    private static List<String> tlsOptions(TestCertificates.Issued own) {
        List<String> o = new ArrayList<>();
        if (own == null) {
            o.add("+tla");
        } else {
            o.addAll(List.of("+tls", own.privateKey().toString(), own.certificate().toString()));
        }
        o.addAll(List.of("+cf", ca.certificate().toString()));
        return o;
    }

    private static ToolResult echoscu(RunningListener l, int port, List<String> options) {
        List<String> command = new ArrayList<>(List.of("echoscu", "-aet", "MODALITY", "-aec", l.aeTitle()));
        command.addAll(options);
        command.addAll(List.of("127.0.0.1", Integer.toString(port)));
        return Dcmtk.run(Duration.ofSeconds(30), command.toArray(String[]::new));
    }

    private List<String> warnings() {
        return log.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage).toList();
    }

    private void awaitWarn(String fragment) throws InterruptedException {
        await(() -> warnings().stream().anyMatch(m -> m.contains(fragment)), "a WARN containing '" + fragment + "'; got " + warnings());
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within 15 s: " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void echoscuAndStorescuOverTlsWithAClientCertificate() throws Exception {
        GeneratedSeries series = Synth.ctSeries(dir.resolve("in"), CtOptions.defaults().withCount(3).withSize(64, 64));
        try (RunningListener l = listener(true, true)) {
            assertTrue(l.tlsPort() > 0 && l.tlsPort() != l.port(), "a TLS port of its own beside the plain one");
            echoscu(l, l.tlsPort(), tlsOptions(modality)).assertOk();
            Dcmtk.storescu().port(l.tlsPort()).calledAe(l.aeTitle()).callingAe("MODALITY").option(tlsOptions(modality)
                    .toArray(String[]::new)).files(series.files()).run().assertOk();
            l.awaitEvents(3, 15_000);
            assertEquals(3, l.spooled().size());
            l.awaitAssociations(2, 10_000);
            assertEquals(3, l.associations.stream().mapToInt(AssociationSummary::stored).sum());
            // the plain port still serves peers not moved to TLS yet
            Dcmtk.echoscu("127.0.0.1", l.port(), l.aeTitle()).assertOk();
            assertTrue(warnings().isEmpty(), warnings().toString());
        }
    }

    @Test
    void aCallingAeTitleBoundToACertificateIsAcceptedOnlyFromItsHolder() throws Exception {
        // CT_SCANNER may only be used by the holder of the 'ct-scanner' certificate; other AE titles as before
        try (RunningListener l = listenerBinding(java.util.Map.of("CT_SCANNER", "ct-scanner"))) {
            echoscuAs("CT_SCANNER", l, l.tlsPort(), tlsOptions(modality)).assertOk();
            assertTrue(warnings().isEmpty(), warnings().toString());

            ToolResult impostor = echoscuAs("CT_SCANNER", l, l.tlsPort(), tlsOptions(ca.issue("workstation")));
            assertFalse(impostor.ok(), impostor.describe());
            awaitWarn("bound to a client certificate for 'ct-scanner'");
            assertTrue(warnings().stream().anyMatch(w -> w.contains("CT_SCANNER") && w.contains("[workstation]")), warnings().toString());

            log.list.clear();
            ToolResult plain = Dcmtk.run(Duration.ofSeconds(30), "echoscu", "-aet", "CT_SCANNER", "-aec", l.aeTitle(),
                    "127.0.0.1", Integer.toString(l.port()));
            assertFalse(plain.ok(), "the bound AE title over the plain port: " + plain.describe());
            awaitWarn("presented none");

            ToolResult anonymous = echoscuAs("CT_SCANNER", l, l.tlsPort(), tlsOptions(null));
            assertFalse(anonymous.ok(), anonymous.describe());

            // an AE title not bound stays as it was: plain, and TLS without a certificate
            echoscuAs("OTHER", l, l.port(), List.of()).assertOk();
            echoscuAs("OTHER", l, l.tlsPort(), tlsOptions(null)).assertOk();
        }
    }

    @Test
    void requiredClientCertificateMissingIsRefusedWithAWarn() throws Exception {
        try (RunningListener l = listener(true, true)) {
            ToolResult r = echoscu(l, l.tlsPort(), tlsOptions(null));
            assertFalse(r.ok(), r.describe());
            awaitWarn("a client certificate is required but none was sent");
            String w = warnings().get(0);
            assertTrue(w.startsWith("TLS handshake with 127.0.0.1:"), w);
            assertTrue(log.list.stream().noneMatch(e -> e.getThrowableProxy() != null), "no stack trace");
            assertTrue(l.associations.isEmpty());
        }
    }

    @Test
    void clientCertificateFromAnUntrustedCaIsRefusedWithAReadableWarn() throws Exception {
        GeneratedSeries series = Synth.ctSeries(dir.resolve("in"), CtOptions.defaults().withCount(1).withSize(64, 64));
        try (RunningListener l = listener(true, true)) {
            ToolResult r = Dcmtk.storescu().port(l.tlsPort()).calledAe(l.aeTitle()).callingAe("MODALITY")
                    .option(tlsOptions(stranger).toArray(String[]::new)).files(series.files()).run();
            assertFalse(r.ok(), r.describe());
            awaitWarn("the peer's certificate is not signed by a CA in our trusted certificates file");
            assertEquals(0, l.spooled().size());
        }
    }

    @Test
    void anExpiredClientCertificateIsRefusedAsExpired() throws Exception {
        GeneratedSeries series = Synth.ctSeries(dir.resolve("in"), CtOptions.defaults().withCount(1).withSize(64, 64));
        TestCertificates.Issued expired = ca.issueExpired("old-modality");
        try (RunningListener l = listener(true, true)) {
            ToolResult r = Dcmtk.storescu().port(l.tlsPort()).calledAe(l.aeTitle()).callingAe("MODALITY")
                    .option(tlsOptions(expired).toArray(String[]::new)).files(series.files()).run();
            assertFalse(r.ok(), r.describe());
            awaitWarn("the peer's certificate has expired or is not valid yet");
            assertEquals(0, l.spooled().size());
            assertTrue(l.associations.isEmpty());
        }
    }

    @Test
    void tlsOnlyListenerRefusesPlainDicom() throws Exception {
        try (RunningListener l = listener(false, false)) {
            assertEquals(l.tlsPort(), l.port(), "without the plain port, port() is the TLS port");
            ToolResult plain = Dcmtk.echoscu("127.0.0.1", l.tlsPort(), l.aeTitle());
            assertFalse(plain.ok(), plain.describe());
            awaitWarn("the peer does not speak TLS on this port");
            // no client certificate needed here: anonymous TLS from the peer's side, the server verified with +cf
            echoscu(l, l.tlsPort(), tlsOptions(null)).assertOk();
        }
    }
}
