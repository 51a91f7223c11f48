package org.radflow.server;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.config.RadflowConfig;
import org.radflow.testdata.CtOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.Synth;
import org.radflow.testkit.Dcmtk;
import org.radflow.testkit.TestCertificates;
import org.radflow.testkit.ToolResult;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole server configured with {@code listener.tls} from a YAML file: DCMTK's storescu sends over DICOM TLS with a
 * client certificate to the TLS port, the instance is received (health counts it and shows the TLS port), a peer without
 * a client certificate is refused, and the plain port keeps serving plain DICOM.
 */
class DicomTlsServerIT {

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    private JsonObject health(RadflowServer s) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.httpPort() + "/api/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        return new JsonObject(r.body()).getJsonObject("listener");
    }

    @Test
    void storescuOverTlsToTheServersTlsPort() throws Exception {
        TestCertificates.Authority ca = TestCertificates.authority(dir, "Site CA");
        TestCertificates.Issued server = ca.issue("radflow", "127.0.0.1");
        TestCertificates.Issued modality = ca.issue("modality");
        Path config = dir.resolve("radflow.yaml");
        Files.writeString(config, """
                server: {dataDir: %s}
                listener:
                  bindAddress: 127.0.0.1
                  port: 0
                  fsync: false
                  minFreeSpaceMb: 0
                  tls:
                    enabled: true
                    port: 0
                    certificateFile: %s
                    privateKeyFile: %s
                    trustedCertificatesFile: %s
                    requireClientCertificate: true
                api: {port: 0}
                viewer: {enabled: false}
                """.formatted(dir.resolve("data"), server.certificate(), server.privateKey(), ca.certificate()));
        GeneratedSeries ct = Synth.ctSeries(dir.resolve("ct"), CtOptions.defaults().withCount(1).withSize(32, 32));
        try (RadflowServer s = new RadflowServer(RadflowConfig.load(config), false, config)) {
            s.start().await(60, TimeUnit.SECONDS);
            int tlsPort = s.dicomTlsPort();
            assertTrue(tlsPort > 0 && tlsPort != s.dicomPort(), "TLS port " + tlsPort + ", plain " + s.dicomPort());

            Dcmtk.storescu().port(tlsPort).calledAe("RADFLOW").callingAe("MODALITY")
                    .option("+tls", modality.privateKey().toString(), modality.certificate().toString(), "+cf", ca.certificate().toString())
                    .files(ct.files()).run().assertOk();
            long end = System.currentTimeMillis() + 20_000;
            JsonObject listener = health(s);
            while (listener.getLong("instancesReceived") < 1 && System.currentTimeMillis() < end) {
                Thread.sleep(50);
                listener = health(s);
            }
            assertEquals(1L, listener.getLong("instancesReceived"), listener.encode());
            assertEquals(tlsPort, listener.getInteger("tlsPort"), listener.encode());

            ToolResult anonymous = Dcmtk.run(Duration.ofSeconds(30), "echoscu", "-aec", "RADFLOW", "+tla", "+cf",
                    ca.certificate().toString(), "127.0.0.1", Integer.toString(tlsPort));
            assertFalse(anonymous.ok(), "no client certificate: refused; " + anonymous.describe());
            Dcmtk.echoscu("127.0.0.1", s.dicomPort(), "RADFLOW").assertOk();
        }
    }

    /**
     * Certificate renewal: the operator replaces the listener's certificate and key files in place and reloads the
     * configuration; the TLS port presents the new certificate from the next handshake, without a restart, and a
     * changed TLS setting is still reported as needing one.
     */
    @Test
    void aRenewedListenerCertificateIsTakenByAConfigurationReload() throws Exception {
        TestCertificates.Authority ca = TestCertificates.authority(dir, "Site CA");
        TestCertificates.Issued first = ca.issue("radflow", "127.0.0.1");
        TestCertificates.Issued renewed = ca.issue("radflow-renewed", "127.0.0.1");
        TestCertificates.Issued modality = ca.issue("modality");
        Path cert = dir.resolve("listener.pem");
        Path key = dir.resolve("listener.key");
        Files.copy(first.certificate(), cert);
        Files.copy(first.privateKey(), key);
        Path config = dir.resolve("radflow.yaml");
        String yaml = """
                server: {dataDir: %s}
                listener:
                  bindAddress: 127.0.0.1
                  port: 0
                  fsync: false
                  minFreeSpaceMb: 0
                  tls:
                    enabled: true
                    port: 0
                    certificateFile: %s
                    privateKeyFile: %s
                    trustedCertificatesFile: %s
                    requireClientCertificate: %s
                api: {port: 0}
                viewer: {enabled: false}
                """;
        Files.writeString(config, yaml.formatted(dir.resolve("data"), cert, key, ca.certificate(), "true"));
        GeneratedSeries ct = Synth.ctSeries(dir.resolve("ct"), CtOptions.defaults().withCount(1).withSize(32, 32));
        try (RadflowServer s = new RadflowServer(RadflowConfig.load(config), false, config)) {
            s.start().await(60, TimeUnit.SECONDS);
            int tlsPort = s.dicomTlsPort();
            assertEquals("CN=radflow", presentedSubject(ca, tlsPort, modality));

            Files.copy(renewed.certificate(), cert, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.copy(renewed.privateKey(), key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            JsonObject reload = reload(s);
            assertTrue(reload.getJsonArray("applied").contains("listener.tls"), reload.encode());
            assertTrue(reload.getJsonArray("restartRequired").isEmpty(), reload.encode());
            assertEquals(tlsPort, s.dicomTlsPort(), "the same port");
            assertEquals("CN=radflow-renewed", presentedSubject(ca, tlsPort, modality));
            Dcmtk.storescu().port(tlsPort).calledAe("RADFLOW").callingAe("MODALITY")
                    .option("+tls", modality.privateKey().toString(), modality.certificate().toString(), "+cf", ca.certificate().toString())
                    .files(ct.files()).run().assertOk();

            // nothing changed: nothing applied; a changed TLS setting: a restart, and the running port keeps its certificate
            assertFalse(reload(s).getJsonArray("applied").contains("listener.tls"));
            Files.writeString(config, yaml.formatted(dir.resolve("data"), cert, key, ca.certificate(), "false"));
            JsonObject changed = reload(s);
            assertTrue(changed.getJsonArray("restartRequired").contains("listener"), changed.encode());
            assertEquals("CN=radflow-renewed", presentedSubject(ca, tlsPort, modality));
        }
    }

    private JsonObject reload(RadflowServer s) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.httpPort() + "/api/config/reload"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return new JsonObject(r.body());
    }

    /** The subject of the certificate the TLS port presents (a JDK client with the modality's certificate). */
    private static String presentedSubject(TestCertificates.Authority ca, int port, TestCertificates.Issued client) throws Exception {
        org.radflow.dicom.net.DicomTls tls = org.radflow.dicom.net.DicomTls.client(new org.radflow.dicom.net.DicomTls.Files(
                "test.", client.certificate(), client.privateKey(), null, ca.certificate()), false, org.radflow.dicom.net.DicomTls.PROTOCOLS);
        try (java.net.Socket plain = new java.net.Socket("127.0.0.1", port);
             javax.net.ssl.SSLSocket socket = tls.handshake(plain, "127.0.0.1", port)) {
            return ((java.security.cert.X509Certificate) socket.getSession().getPeerCertificates()[0])
                    .getSubjectX500Principal().getName();
        }
    }
}
