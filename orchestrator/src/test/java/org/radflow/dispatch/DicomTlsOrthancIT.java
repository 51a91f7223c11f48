package org.radflow.dispatch;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.dicom.net.DicomTls;
import org.radflow.dicom.net.ScuAssociation;
import org.radflow.listener.IntakeGate;
import org.radflow.listener.ListenerSettings;
import org.radflow.listener.Replication;
import org.radflow.listener.StoreScp;
import org.radflow.store.Store;
import org.radflow.store.StoreSettings;
import org.radflow.testdata.CtOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.Synth;
import org.radflow.testkit.FreePorts;
import org.radflow.testkit.OrthancServer;
import org.radflow.testkit.TestCertificates;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RadFlow's C-STORE sender against a real Orthanc 1.10 with DICOM TLS enabled ({@code DicomTlsEnabled}, its certificate,
 * key and trusted CA, client certificates required): delivery with RadFlow's client certificate; storage commitment
 * with Orthanc's N-EVENT-REPORT coming back over TLS to a TLS-only RadFlow listener that requires Orthanc's client
 * certificate; and the refusals: no client certificate for Orthanc, and an Orthanc certificate from a CA RadFlow does
 * not trust (one readable WARN for two attempts). Certificates are made by openssl for the test.
 */
class DicomTlsOrthancIT {

    private static final String AE = "RADFLOW";

    @TempDir
    static Path certs;

    @TempDir
    Path dir;

    private static TestCertificates.Authority ca;
    private static TestCertificates.Authority otherCa;
    private static TestCertificates.Issued orthancCert;
    private static TestCertificates.Issued radflowCert;

    private final Vertx vertx = Vertx.vertx();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger senderLog = (Logger) LoggerFactory.getLogger(CStoreSender.class);
    private OrthancServer orthanc;
    private StoreScp listener;
    private Store store;

    @BeforeAll
    static void makeCertificates() {
        ca = TestCertificates.authority(certs, "Hospital CA");
        otherCa = TestCertificates.authority(certs, "Other CA");
        orthancCert = ca.issue("orthanc", "127.0.0.1", "localhost");
        radflowCert = ca.issue("radflow", "127.0.0.1", "localhost");
    }

    @BeforeEach
    void captureLog() {
        log.start();
        senderLog.addAppender(log);
    }

    @AfterEach
    void close() throws Exception {
        senderLog.detachAppender(log);
        if (listener != null) {
            listener.close();
        }
        if (orthanc != null) {
            orthanc.close();
        }
        if (store != null) {
            store.close();
        }
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    /** Orthanc speaking only DICOM TLS on its DICOM port, requiring client certificates from the hospital CA. */
    private OrthancServer tlsOrthanc(JsonObject modalities) {
        OrthancServer o = new OrthancServer().withName("DicomTlsOrthancIT").withDicomWeb(false)
                .withConfig("DicomTlsEnabled", true)
                .withConfig("DicomTlsCertificate", orthancCert.certificate().toString())
                .withConfig("DicomTlsPrivateKey", orthancCert.privateKey().toString())
                .withConfig("DicomTlsTrustedCertificates", ca.certificate().toString())
                .withConfig("DicomTlsRemoteCertificateRequired", true);
        if (modalities != null) {
            o.withConfig("DicomModalities", modalities);
        }
        return o.start();
    }

    private static DicomTls client(TestCertificates.Issued own, Path trusted) {
        return DicomTls.client(new DicomTls.Files("destinations.pacs.tls.", own == null ? null : own.certificate(),
                own == null ? null : own.privateKey(), null, trusted), true, DicomTls.PROTOCOLS);
    }

    private CStoreSender sender(DicomTls tls) {
        return new CStoreSender(vertx, "pacs", CStoreSender.Settings.of(orthanc.aeTitle(), "127.0.0.1", orthanc.dicomPort(), AE)
                .withTls(tls));
    }

    private GeneratedSeries series(String name, int count) throws Exception {
        return Synth.ctSeries(dir.resolve(name), CtOptions.defaults().withCount(count).withSize(32, 32).withSeed(count));
    }

    @Test
    void deliversOverTlsWithAClientCertificate() throws Exception {
        orthanc = tlsOrthanc(null);
        GeneratedSeries ct = series("ct", 3);
        DeliveryReport report = sender(client(radflowCert, ca.certificate())).send(ct.files()).await(60, TimeUnit.SECONDS);
        assertTrue(report.allSucceeded(), report.failures().toString());
        assertEquals(new HashSet<>(ct.sopInstanceUids()), new HashSet<>(orthanc.sopInstanceUidsOfStudy(ct.studyInstanceUid())));
    }

    @Test
    void orthancRefusesASenderWithoutClientCertificate() throws Exception {
        orthanc = tlsOrthanc(null);
        GeneratedSeries ct = series("ct", 1);
        Exception e = assertThrows(Exception.class, () -> sender(client(null, ca.certificate())).sendBlocking(ct.files()));
        assertInstanceOf(ScuAssociation.TlsHandshakeException.class, e, e.toString());
        assertTrue(orthanc.sopInstanceUidsOfStudy(ct.studyInstanceUid()).isEmpty());
    }

    @Test
    void anOrthancCertificateFromAnUntrustedCaIsRefusedWithOneWarn() throws Exception {
        orthanc = tlsOrthanc(null);
        GeneratedSeries ct = series("ct", 1);
        CStoreSender s = sender(client(radflowCert, otherCa.certificate()));
        for (int attempt = 0; attempt < 2; attempt++) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> s.send(ct.files()).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS));
            assertInstanceOf(ScuAssociation.TlsHandshakeException.class, e.getCause());
        }
        List<String> warnings = log.list.stream().filter(ev -> ev.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
                .toList();
        assertEquals(1, warnings.size(), "one WARN for the same refusal twice: " + warnings);
        assertTrue(warnings.get(0).startsWith("C-STORE to pacs: TLS handshake with ORTHANC@127.0.0.1:" + orthanc.dicomPort()
                + " failed: the peer's certificate is not signed by a CA in our trusted certificates file ("), warnings.get(0));
        assertTrue(log.list.stream().noneMatch(ev -> ev.getThrowableProxy() != null), "no stack trace");
    }

    @Test
    void storageCommitmentOverTlsBothWays() throws Exception {
        store = Store.open(StoreSettings.embedded(dir.resolve("journal")));
        AtomicReference<Outbox> outboxRef = new AtomicReference<>();
        // RadFlow's listener on TLS only, requiring Orthanc's client certificate: the N-EVENT-REPORT must come over TLS
        DicomTls serverTls = DicomTls.server(new DicomTls.Files("listener.tls.", radflowCert.certificate(),
                radflowCert.privateKey(), null, ca.certificate()), true, DicomTls.PROTOCOLS);
        int port = FreePorts.find();
        ListenerSettings ls = ListenerSettings.defaults(dir.resolve("spool")).withBindAddress("127.0.0.1").withMinFreeSpaceBytes(0)
                .withTls(new ListenerSettings.Tls(serverTls, port, false));
        List<org.radflow.listener.AssociationSummary> inbound = new java.util.concurrent.CopyOnWriteArrayList<>();
        listener = new StoreScp(ls, e -> { }, inbound::add, Replication.NONE, IntakeGate.OPEN,
                (report, rq) -> outboxRef.get().commitments().report(report));
        listener.start();
        assertEquals(port, listener.tlsPort());
        orthanc = tlsOrthanc(new JsonObject().put("radflow", new JsonObject().put("AET", AE).put("Host", "127.0.0.1")
                .put("Port", port).put("UseDicomTls", true)));
        CStoreSender.Settings settings = CStoreSender.Settings.of(orthanc.aeTitle(), "127.0.0.1", orthanc.dicomPort(), AE)
                .withCommitment(Duration.ofSeconds(60), Duration.ofMillis(200)).withTls(client(radflowCert, ca.certificate()));
        try (Outbox outbox = new Outbox(store, Map.of("pacs", new CStoreSender(vertx, "pacs", settings)),
                new Outbox.Settings(3, Duration.ofMillis(200), Duration.ofSeconds(1), 50, Duration.ofMillis(50)))) {
            outboxRef.set(outbox);
            outbox.start();
            GeneratedSeries ct = series("ct", 2);
            Map<String, Path> files = new LinkedHashMap<>();
            for (int i = 0; i < 2; i++) {
                files.put(ct.sopInstanceUids().get(i), ct.files().get(i));
            }
            outbox.enqueue("job-1", "pacs", files);
            long end = System.currentTimeMillis() + 60_000;
            JsonObject s = outbox.status().getJsonObject("pacs");
            while (s.getInteger("committed") < 2 && System.currentTimeMillis() < end) {
                Thread.sleep(50);
                s = outbox.status().getJsonObject("pacs");
            }
            assertEquals(2, s.getInteger("committed"), s.encode());
            for (Outbox.Item it : outbox.items("job-1")) {
                assertEquals(Outbox.State.COMMITTED, it.state(), it.toString());
            }
            // the report came on Orthanc's own association to the TLS port (there is no other port)
            assertTrue(inbound.stream().anyMatch(a -> a.callingAeTitle().equals(orthanc.aeTitle())), inbound.toString());
        }
    }
}
