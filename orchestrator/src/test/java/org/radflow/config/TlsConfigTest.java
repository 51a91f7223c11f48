package org.radflow.config;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.Main;
import org.radflow.dispatch.CStoreSender;
import org.radflow.listener.ListenerSettings;
import org.radflow.testkit.TestCertificates;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code listener.tls} and {@code destinations.<name>.tls}: off by default, the PEM files read at load (so
 * {@code config check} finds a wrong path, password or key and names the key), the password only from a file.
 */
class TlsConfigTest {

    @TempDir
    static Path certs;

    @TempDir
    Path dir;

    private static TestCertificates.Authority ca;
    private static TestCertificates.Issued server;
    private static TestCertificates.Issued encrypted;

    @BeforeAll
    static void makeCertificates() {
        ca = TestCertificates.authority(certs, "Config CA");
        server = ca.issue("radflow", "127.0.0.1");
        encrypted = ca.issueEncrypted("radflow-enc", "key-password-1234", "127.0.0.1");
    }

    private Path write(String yaml) throws Exception {
        Path f = dir.resolve("radflow.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    private RadflowConfig load(String yaml) throws Exception {
        return RadflowConfig.load(write(yaml), Map.of());
    }

    private String error(String yaml) throws Exception {
        Path f = write(yaml);
        return assertThrows(ConfigException.class, () -> RadflowConfig.load(f, Map.of())).getMessage();
    }

    private static String listenerTls(String extra) {
        return "listener:\n  tls:\n    enabled: true\n    certificateFile: " + server.certificate() + "\n    privateKeyFile: "
                + server.privateKey() + "\n    trustedCertificatesFile: " + ca.certificate() + "\n" + extra;
    }

    @Test
    void offByDefault() {
        RadflowConfig c = RadflowConfig.defaults();
        assertNull(c.listener().tls());
    }

    @Test
    void listenerTlsOnItsOwnPortBesideThePlainOne() throws Exception {
        RadflowConfig c = load(listenerTls("    requireClientCertificate: true\n"));
        ListenerSettings.Tls tls = c.listener().tls();
        assertEquals(2762, tls.port());
        assertTrue(tls.plainPort());
        assertTrue(tls.context().requireClientCertificate());
        assertEquals(List.of("TLSv1.3", "TLSv1.2"), tls.context().protocols());
        assertTrue(tls.context().subject().contains("CN=radflow"), tls.context().subject());
        String summary = Main.checkConfig(write(listenerTls("    port: 2763\n    plainPort: false\n")), Map.of());
        assertTrue(summary.contains("DICOM TLS only, on port 2763"), summary);
    }

    /** POST /api/config/reload compares configurations: the same TLS files are no change (no restart asked for). */
    @Test
    void theSameFilesLoadedTwiceAreEqual() throws Exception {
        String yaml = listenerTls("") + "destinations:\n  pacs:\n    type: dicom\n    aeTitle: PACS\n    host: pacs.example\n"
                + "    tls: {enabled: true, trustedCertificatesFile: " + ca.certificate() + "}\n";
        RadflowConfig a = load(yaml);
        RadflowConfig b = load(yaml);
        assertEquals(a.listener(), b.listener());
        assertEquals(a.destinations(), b.destinations());
    }

    @Test
    void aDisabledSectionIsCheckedForKeysButItsFilesAreNotRead() throws Exception {
        RadflowConfig c = load("listener:\n  tls:\n    enabled: false\n    certificateFile: /nowhere/cert.pem\n");
        assertNull(c.listener().tls());
        String m = error("listener:\n  tls:\n    enabled: false\n    certificatFile: x.pem\n");
        assertTrue(m.contains("unknown key 'listener.tls.certificatFile'; did you mean 'listener.tls.certificateFile'?"), m);
    }

    /** crlFile: read and checked at load like the other files; a changed list is a changed configuration (reload takes it). */
    @Test
    void revocationListsAreLoadedAndCheckedByKey() throws Exception {
        Path crl = ca.revocationList("config");
        RadflowConfig c = load(listenerTls("    crlFile: " + crl + "\n"));
        assertTrue(c.listener().tls() != null);
        assertNotEquals(c.listener(), load(listenerTls("")).listener(), "with and without a list differ");
        Path foreign = TestCertificates.authority(dir, "Foreign CA").revocationList("x");
        String m = error(listenerTls("    crlFile: " + foreign + "\n"));
        assertTrue(m.contains("listener.tls.crlFile: the revocation list of CN=Foreign CA"), m);
        m = error("destinations:\n  pacs:\n    type: dicom\n    aeTitle: PACS\n    host: pacs.example\n"
                + "    tls: {enabled: true, trustedCertificatesFile: " + ca.certificate() + ", crlFile: " + dir.resolve("none.crl") + "}\n");
        assertTrue(m.contains("destinations.pacs.tls.crlFile: the file '" + dir.resolve("none.crl") + "' does not exist"), m);
    }

    @Test
    void badFilesAreNamedByTheirKeyAtLoadAndInConfigCheck() throws Exception {
        Path missing = dir.resolve("missing.pem");
        String yaml = "listener:\n  tls:\n    enabled: true\n    certificateFile: " + missing + "\n    privateKeyFile: "
                + server.privateKey() + "\n";
        String m = error(yaml);
        assertTrue(m.endsWith("listener.tls.certificateFile: the file '" + missing + "' does not exist; give the path of the PEM "
                + "certificate file"), m);
        Path f = write(yaml);
        ConfigException check = assertThrows(ConfigException.class, () -> Main.checkConfig(f, Map.of()));
        assertTrue(check.getMessage().contains("listener.tls.certificateFile: the file"), check.getMessage());

        m = error("listener:\n  tls:\n    enabled: true\n    certificateFile: " + server.certificate() + "\n    privateKeyFile: "
                + ca.certificate() + "\n");
        assertTrue(m.contains("listener.tls.privateKeyFile: '" + ca.certificate() + "' holds no PEM private key"), m);

        m = error(listenerTls("    requireClientCertificate: true\n").replace("    trustedCertificatesFile: " + ca.certificate() + "\n", ""));
        assertTrue(m.contains("listener.tls.trustedCertificatesFile: missing while listener.tls.requireClientCertificate is true"), m);

        m = error(listenerTls("    protocols: [TLSv1.1, TLSv1.2]\n"));
        assertTrue(m.contains("listener.tls.protocols: [TLSv1.1, TLSv1.2] is not allowed"), m);

        m = error(listenerTls("    port: 11112\n"));
        assertTrue(m.contains("listener.tls.port: 11112 is also listener.port"), m);

        m = error(listenerTls("    aeTitleCertificates: {CT_SCANNER: ''}\n"));
        assertTrue(m.contains("listener.tls.aeTitleCertificates.CT_SCANNER: give the name the peer's client certificate carries"), m);
        m = error(listenerTls("    aeTitleCertificates: {FAR_TOO_LONG_AE_TITLE: ct1}\n"));
        assertTrue(m.contains("listener.tls.aeTitleCertificates: 'FAR_TOO_LONG_AE_TITLE' is no AE title"), m);
        m = error(listenerTls("    aeTitleCertificates: {CT_SCANNER: ct1}\n").replace("    trustedCertificatesFile: " + ca.certificate() + "\n", ""));
        assertTrue(m.contains("listener.tls.aeTitleCertificates: needs listener.tls.trustedCertificatesFile"), m);
        RadflowConfig bound = load(listenerTls("    aeTitleCertificates: {CT_SCANNER: ct1.hospital.example}\n"));
        assertEquals(Map.of("CT_SCANNER", "ct1.hospital.example"), bound.listener().tls().aeTitleCertificates());
    }

    @Test
    void theKeyPasswordComesFromAFileOnly() throws Exception {
        Path password = dir.resolve("key-password");
        Files.writeString(password, "key-password-1234\n");
        String base = "listener:\n  tls:\n    enabled: true\n    certificateFile: " + encrypted.certificate() + "\n    privateKeyFile: "
                + encrypted.privateKey() + "\n";
        assertEquals("CN=radflow-enc", load(base + "    privateKeyPasswordFile: " + password + "\n").listener().tls().context().subject());

        String m = error(base + "    privateKeyPassword: key-password-1234\n");
        assertTrue(m.contains("listener.tls.privateKeyPassword: the password is never written in the configuration"), m);
        m = error(base);
        assertTrue(m.contains("listener.tls.privateKeyPasswordFile: missing; the key in"), m);
        Files.writeString(password, "not-the-password\n");
        m = error(base + "    privateKeyPasswordFile: " + password + "\n");
        assertTrue(m.contains("listener.tls.privateKeyPasswordFile: the password does not decrypt the key"), m);
    }

    @Test
    void destinationTls() throws Exception {
        String dest = "destinations:\n  pacs:\n    type: dicom\n    aeTitle: PACS\n    host: pacs.example\n    port: 2762\n";
        RadflowConfig c = load(dest + "    tls:\n      enabled: true\n      trustedCertificatesFile: " + ca.certificate()
                + "\n      certificateFile: " + server.certificate() + "\n      privateKeyFile: " + server.privateKey() + "\n");
        CStoreSender.Settings s = ((RadflowConfig.DicomDestination) c.destinations().get("pacs")).settings();
        assertTrue(s.tls().verifyHostname());
        assertEquals("CN=radflow", s.tls().subject());

        c = load(dest + "    tls: {enabled: true, trustedCertificatesFile: " + ca.certificate() + ", verifyHostname: false}\n");
        s = ((RadflowConfig.DicomDestination) c.destinations().get("pacs")).settings();
        assertFalse(s.tls().verifyHostname());
        assertNull(s.tls().subject());

        assertNull(((RadflowConfig.DicomDestination) load(dest).destinations().get("pacs")).settings().tls());

        String m = error(dest + "    tls: {enabled: true}\n");
        assertTrue(m.contains("destinations.pacs.tls.trustedCertificatesFile: missing"), m);
        m = error(dest + "    tls: {enabled: true, trustedCertificatesFile: " + ca.certificate() + ", certificateFile: "
                + server.certificate() + "}\n");
        assertTrue(m.contains("destinations.pacs.tls.privateKeyFile: missing; a client certificate needs both"), m);
    }
}
