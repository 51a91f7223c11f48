package org.radflow.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Certificates for DICOM TLS tests, made with Debian's {@code openssl} (the same library DCMTK and Orthanc use) in a
 * folder the test owns: nothing with a private key is checked in. A CA signs leaf certificates valid two days for
 * both server and client use; keys are RSA 2048 in PKCS#8 PEM (plain, or encrypted with a password).
 *
 * <pre>{@code
 * TestCertificates.Authority ca = TestCertificates.authority(dir, "Test CA");
 * TestCertificates.Issued server = ca.issue("radflow", "127.0.0.1");
 * }</pre>
 */
public final class TestCertificates {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private TestCertificates() {
    }

    /** A certificate and its key as PEM files; {@code keyPassword} is null for a plain key. */
    public record Issued(Path certificate, Path privateKey, String keyPassword) {
    }

    /** A self-signed CA in {@code dir/<name>-ca.pem} (key beside it). */
    public static Authority authority(Path dir, String name) {
        String file = fileName(name);
        Path key = dir.resolve(file + "-ca.key");
        Path cert = dir.resolve(file + "-ca.pem");
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(), "-out", cert.toString(),
                "-subj", "/CN=" + name, "-days", "2", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        return new Authority(dir, name, new Issued(cert, key, null));
    }

    /** A CA that signs leaf certificates. */
    public static final class Authority {
        private final Path dir;
        private final String name;
        private final Issued self;

        private Authority(Path dir, String name, Issued self) {
            this.dir = dir;
            this.name = name;
            this.self = self;
        }

        /** The CA certificate (PEM): what a peer trusts. */
        public Path certificate() {
            return self.certificate();
        }

        public String name() {
            return name;
        }

        /**
         * A leaf certificate with common name {@code cn}; {@code hosts} become subject alternative names (IP
         * addresses as IP, the rest as DNS names).
         */
        public Issued issue(String cn, String... hosts) {
            return make(cn, null, "2", hosts);
        }

        /** As {@link #issue(String, String...)}, but expired: its Not After lies a day before its Not Before (now). */
        public Issued issueExpired(String cn, String... hosts) {
            return make(cn + "-expired", null, "-1", hosts);
        }

        /** As {@link #issue(String, String...)}, its key encrypted (PKCS#8, AES-256) with {@code password}. */
        public Issued issueEncrypted(String cn, String password, String... hosts) {
            return make(cn, java.util.Objects.requireNonNull(password), "2", hosts);
        }

        /**
         * A current certificate revocation list of this CA (PEM, valid two days) listing {@code revoked} (none: an
         * empty list), made with {@code openssl ca}; written to {@code dir/<name>-<fileTag>.crl}.
         */
        public Path revocationList(String fileTag, Issued... revoked) {
            String file = fileName(name) + "-" + fileName(fileTag);
            Path db = dir.resolve(file + "-crl-db");
            Path out = dir.resolve(file + ".crl");
            try {
                Files.createDirectories(db);
                Files.writeString(db.resolve("index.txt"), "", StandardCharsets.US_ASCII);
                Files.writeString(db.resolve("crlnumber"), "01\n", StandardCharsets.US_ASCII);
                Files.writeString(db.resolve("ca.cnf"), "[ ca ]\ndefault_ca = CA_default\n[ CA_default ]\ndatabase = "
                        + db.resolve("index.txt") + "\ncrlnumber = " + db.resolve("crlnumber")
                        + "\ndefault_md = sha256\ndefault_crl_days = 2\n", StandardCharsets.US_ASCII);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            String cnf = db.resolve("ca.cnf").toString();
            for (Issued r : revoked) {
                openssl("ca", "-config", cnf, "-keyfile", self.privateKey().toString(), "-cert", self.certificate().toString(),
                        "-revoke", r.certificate().toString());
            }
            openssl("ca", "-config", cnf, "-keyfile", self.privateKey().toString(), "-cert", self.certificate().toString(),
                    "-gencrl", "-out", out.toString());
            return out;
        }

        private Issued make(String cn, String password, String days, String... hosts) {
            String file = fileName(cn) + "-by-" + fileName(name);
            Path key = dir.resolve(file + ".key");
            Path csr = dir.resolve(file + ".csr");
            Path cert = dir.resolve(file + ".pem");
            Path ext = dir.resolve(file + ".ext");
            List<String> sans = new ArrayList<>();
            for (String h : hosts) {
                sans.add((h.matches("[0-9.]+") || h.contains(":") ? "IP:" : "DNS:") + h);
            }
            try {
                Files.writeString(ext, (sans.isEmpty() ? "" : "subjectAltName=" + String.join(",", sans) + "\n")
                        + "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                        + "extendedKeyUsage=serverAuth,clientAuth\n", StandardCharsets.US_ASCII);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(), "-out", csr.toString(),
                    "-subj", "/CN=" + cn);
            openssl("x509", "-req", "-in", csr.toString(), "-CA", self.certificate().toString(), "-CAkey",
                    self.privateKey().toString(), "-CAcreateserial", "-out", cert.toString(), "-days", days, "-extfile",
                    ext.toString());
            if (password != null) {
                Path encrypted = dir.resolve(file + ".enc.key");
                openssl("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", key.toString(), "-out", encrypted.toString(),
                        "-passout", "pass:" + password);
                return new Issued(cert, encrypted, password);
            }
            return new Issued(cert, key, null);
        }
    }

    private static String fileName(String name) {
        return name.replaceAll("[^A-Za-z0-9.-]", "_");
    }

    private static void openssl(String... args) {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        ToolResult r = Processes.run(command, TIMEOUT);
        if (!r.ok()) {
            throw new IllegalStateException("openssl failed (is Debian's openssl installed?): " + r.describe());
        }
    }
}
