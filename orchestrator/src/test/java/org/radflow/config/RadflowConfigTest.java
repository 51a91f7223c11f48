package org.radflow.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.store.StoreSettings;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RadflowConfigTest {

    @TempDir
    Path dir;

    private RadflowConfig load(String yaml) throws Exception {
        Path f = dir.resolve("radflow.yaml");
        Files.writeString(f, yaml);
        return RadflowConfig.load(f);
    }

    private String error(String yaml) {
        return assertThrows(ConfigException.class, () -> load(yaml)).getMessage();
    }

    @Test
    void embeddedDefaultsAreDurableAndComplete() {
        RadflowConfig c = RadflowConfig.defaults();
        assertEquals("RADFLOW", c.listener().aeTitle());
        assertEquals(11112, c.listener().port());
        assertTrue(c.listener().fsync());
        assertEquals(Path.of("data", "spool"), c.listener().spoolDir());
        assertEquals(1024L * 1024 * 1024, c.listener().minFreeSpaceBytes());
        assertTrue(c.destinations().isEmpty());
        assertEquals(8080, c.api().port());
    }

    @Test
    void theShippedExampleIsValidAndMatchesTheDefaults() {
        RadflowConfig example = RadflowConfig.load(Path.of("..", "deploy", "radflow.example.yaml"));
        RadflowConfig defaults = RadflowConfig.defaults();
        assertEquals(defaults.listener(), example.listener());
        assertEquals(defaults.api(), example.api());
        assertEquals(defaults.audit(), example.audit());
        assertEquals(defaults.viewer(), example.viewer());
        assertInstanceOf(RadflowConfig.DicomDestination.class, example.destinations().get("pacs"));
        assertInstanceOf(RadflowConfig.DicomWebDestination.class, example.destinations().get("pacs-web"));
    }

    @Test
    void theViewerFollowsTheApiPortAndChecksItsKeys() throws Exception {
        assertEquals(8081, RadflowConfig.defaults().viewer().port());
        assertEquals(0, load("api: {port: 0}").viewer().port());
        assertEquals(9001, load("api: {port: 9000}").viewer().port());
        RadflowConfig c = load("viewer: {port: 7000, dicomWebUrl: 'http://pacs:8042/dicom-web/', ohifDir: /opt/ohif}");
        assertEquals(7000, c.viewer().port());
        assertEquals("http://pacs:8042/dicom-web", c.viewer().dicomWebUrl());
        assertEquals(Path.of("/opt/ohif"), c.viewer().ohifDir());
        assertTrue(error("viewer: {dicomWebUrl: 'pacs:8042'}").contains("viewer.dicomWebUrl"));
        assertTrue(error("viewer: {port: 8080}").contains("viewer.port: 8080 is api.port too"));
        assertTrue(error("viewer: {prot: 1}").contains("did you mean 'viewer.port'"));
    }

    @Test
    void valuesAreRead() throws Exception {
        RadflowConfig c = load("""
                server: {dataDir: /var/lib/radflow}
                listener:
                  aeTitle: AI_SERVER
                  port: 104
                  allowedCallingAeTitles: [PACS1, CT_SCANNER]
                  fsync: false
                  minFreeSpaceMb: 10
                destinations:
                  main:
                    type: dicom
                    aeTitle: PACS
                    host: pacs.example
                    port: 11112
                """);
        assertEquals("AI_SERVER", c.listener().aeTitle());
        assertEquals(104, c.listener().port());
        assertEquals(2, c.listener().allowedCallingAeTitles().size());
        assertFalse(c.listener().fsync());
        assertEquals(Path.of("/var/lib/radflow/spool"), c.listener().spoolDir());
        RadflowConfig.DicomDestination d = (RadflowConfig.DicomDestination) c.destinations().get("main");
        assertEquals("PACS", d.settings().calledAeTitle());
        assertEquals("AI_SERVER", d.settings().callingAeTitle());
    }

    @Test
    void storageCommitmentIsOffByDefaultAndReadWhenOn() throws Exception {
        String base = "destinations:\n  main: {type: dicom, aeTitle: PACS, host: pacs.example";
        RadflowConfig.DicomDestination off = (RadflowConfig.DicomDestination) load(base + "}\n").destinations().get("main");
        assertFalse(off.settings().commitment());
        RadflowConfig.DicomDestination on = (RadflowConfig.DicomDestination) load(base
                + ", commitment: true, commitmentTimeoutSeconds: 120, commitmentWaitMillis: 0}\n").destinations().get("main");
        assertTrue(on.settings().commitment());
        assertEquals(java.time.Duration.ofSeconds(120), on.settings().commitmentTimeout());
        assertEquals(java.time.Duration.ZERO, on.settings().commitmentWait());
        RadflowConfig.DicomDestination defaults = (RadflowConfig.DicomDestination) load(base + ", commitment: true}\n")
                .destinations().get("main");
        assertEquals(java.time.Duration.ofMinutes(10), defaults.settings().commitmentTimeout());
        assertEquals(java.time.Duration.ofSeconds(1), defaults.settings().commitmentWait());
        String m = error(base + ", commitment: true, commitmentTimeoutSeconds: 1}\n");
        assertTrue(m.contains("destinations.main.commitmentTimeoutSeconds: 1 is out of range"), m);
        assertTrue(error(base + ", commitment: yes please}\n").contains("destinations.main.commitment: expected true or false"));
    }

    @Test
    void theJobLeaseDefaultsToThirtySecondsAndIsNeverShorterThanFive() throws Exception {
        assertEquals(java.time.Duration.ofSeconds(30), RadflowConfig.defaults().scheduler().lease());
        assertEquals(java.time.Duration.ofSeconds(30),
                RadflowConfig.load(Path.of("..", "deploy", "radflow.example.yaml")).scheduler().lease());
        assertEquals(java.time.Duration.ofSeconds(12), load("scheduler: {leaseSeconds: 12}").scheduler().lease());
        String m = error("scheduler: {leaseSeconds: 2}");
        assertTrue(m.contains("scheduler.leaseSeconds: 2 is out of range"), m);
    }

    @Test
    void intakeThrottlingIsOffByDefaultAndItsLowWaterMarkDefaultsToThreeQuartersOfTheHigh() throws Exception {
        RadflowConfig example = RadflowConfig.load(Path.of("..", "deploy", "radflow.example.yaml"));
        assertEquals(0, RadflowConfig.defaults().scheduler().intakeHighWaterMark());
        assertEquals(RadflowConfig.defaults().scheduler().intakeHighWaterMark(), example.scheduler().intakeHighWaterMark());
        assertEquals(RadflowConfig.defaults().scheduler().intakeLowWaterMark(), example.scheduler().intakeLowWaterMark());
        assertFalse(example.scheduler().throttlesIntake());
        assertEquals(750, load("scheduler: {intakeHighWaterMark: 1000}").scheduler().intakeLowWaterMark());
        assertEquals(100, load("scheduler: {intakeHighWaterMark: 1000, intakeLowWaterMark: 100}").scheduler().intakeLowWaterMark());
        String m = error("scheduler: {intakeHighWaterMark: 100, intakeLowWaterMark: 100}");
        assertTrue(m.contains("scheduler.intakeLowWaterMark: 100 must be below scheduler.intakeHighWaterMark (100)"), m);
        m = error("scheduler: {intakeLowWaterMark: 10}");
        assertTrue(m.contains("scheduler.intakeLowWaterMark: set, but scheduler.intakeHighWaterMark is 0"), m);
        m = error("scheduler: {intakeHighWaterMark: -5}");
        assertTrue(m.contains("scheduler.intakeHighWaterMark: -5 is out of range"), m);
    }

    @Test
    void unknownKeysAreNamedWithASuggestion() {
        String m = error("listener:\n  prot: 104\n");
        assertTrue(m.contains("unknown key 'listener.prot'"), m);
        assertTrue(m.contains("did you mean 'listener.port'"), m);
        assertTrue(error("listner:\n  port: 104\n").contains("'listner'"));
    }

    @Test
    void badValuesNameTheKeyAndTheFix() {
        assertTrue(error("listener: {port: 70000}").contains("listener.port: 70000 is out of range; use a whole number between 0 and 65535"));
        assertTrue(error("listener: {port: abc}").contains("listener.port: expected a whole number"));
        assertTrue(error("listener: {fsync: maybe}").contains("listener.fsync: expected true or false"));
        assertTrue(error("listener: {aeTitle: THIS_AE_TITLE_IS_TOO_LONG}").contains("listener.aeTitle"));
        assertTrue(error("destinations: {x: {type: ftp}}").contains("destinations.x.type: 'ftp' is not a destination type"));
        assertTrue(error("destinations: {x: {type: dicom, host: h}}").contains("destinations.x.aeTitle: missing"));
        assertTrue(error("destinations: {x: {type: dicomweb, url: 'ftp://x'}}").contains("destinations.x.url"));
        assertTrue(error("listener: [1, 2]").contains("listener: expected a section"));
        assertTrue(error("listener:\n  port: 1\n  port: 2\n").contains("not valid YAML"));
    }

    @Test
    void theStoreDefaultsToTheEmbeddedJournalWhereItAlwaysWas() throws Exception {
        StoreSettings d = RadflowConfig.defaults().store();
        assertEquals(StoreSettings.embedded(Path.of("data", "journal")), d);
        assertTrue(d.url().startsWith("jdbc:h2:async:" + Path.of("data").toAbsolutePath().resolve("journal").resolve("journal")), d.url());
        assertEquals("radflow", d.user());
        assertEquals("", d.password());
        assertEquals(StoreSettings.DEFAULT_MAX_CONNECTIONS, d.maxConnections());
        assertEquals(StoreSettings.embedded(Path.of("/var/lib/radflow/journal")), load("server: {dataDir: /var/lib/radflow}").store());
        assertEquals(RadflowConfig.defaults().store(), RadflowConfig.load(Path.of("..", "deploy", "radflow.example.yaml")).store());
    }

    private static final String PG = "store: {url: 'jdbc:postgresql://db:5432/radflow'}\n";

    @Test
    void theClusterIsOffByDefaultAndReadWhenOn() throws Exception {
        assertEquals(RadflowConfig.Cluster.DISABLED, RadflowConfig.defaults().cluster());
        assertFalse(RadflowConfig.defaults().cluster().enabled());
        assertEquals(new RadflowConfig.Cluster(false, "radflow", "127.0.0.1", 5701, java.util.List.of(), 1),
                RadflowConfig.defaults().cluster());
        assertEquals(RadflowConfig.defaults().cluster(), RadflowConfig.load(Path.of("..", "deploy", "radflow.example.yaml")).cluster());
        Path secret = Files.writeString(dir.resolve("cluster-secret"), "0123456789abcdef0123\n");
        RadflowConfig c = load(PG + "cluster: {enabled: true, name: ward-a, bindAddress: 10.0.0.11, port: 5801, "
                + "members: ['10.0.0.11:5801', ' 10.0.0.12:5801', 'node3.example.org:5801'], minSize: 2, secretFile: " + secret + "}");
        assertEquals(new RadflowConfig.Cluster(true, "ward-a", "10.0.0.11", 5801,
                java.util.List.of("10.0.0.11:5801", "10.0.0.12:5801", "node3.example.org:5801"), 2, 2, 5901,
                new RadflowConfig.Secret("0123456789abcdef0123"), java.time.Duration.ofSeconds(30), java.time.Duration.ofSeconds(15), 0),
                c.cluster());
        assertEquals("(secret)", c.cluster().secret().toString(), "never printed");
        c = load(PG + "cluster: {enabled: true, bindAddress: 10.0.0.11, members: ['10.0.0.11:5701'], minSize: 1, "
                + "replicationFactor: 1, peerPort: 7000, stealAfterSeconds: 5, failureDetectionSeconds: 8, eventBusPort: 5901, secretFile: " + secret + "}");
        assertEquals(5901, c.cluster().eventBusPort());
        assertEquals(java.time.Duration.ofSeconds(8), c.cluster().failureDetection());
        assertEquals(1, c.cluster().replicationFactor());
        assertEquals(7000, c.cluster().peerPort());
        assertEquals(java.time.Duration.ofSeconds(5), c.cluster().stealAfter());
    }

    @Test
    void theClusterSecretComesFromAFileOrTheEnvironmentNeverTheYaml() throws Exception {
        String base = PG + "cluster: {enabled: true, bindAddress: 10.0.0.11, members: ['10.0.0.11:5701'], minSize: 2, ";
        String m = error(base + "}");
        assertTrue(m.contains("cluster.secretFile: missing while cluster.enabled is true"), m);
        m = error(base + "secret: 0123456789abcdef0123}");
        assertTrue(m.contains("cluster.secret: the secret is never written in the configuration"), m);
        Path shortSecret = Files.writeString(dir.resolve("short"), "abc");
        m = error(base + "secretFile: " + shortSecret + "}");
        assertTrue(m.contains("cluster.secretFile: the secret has 3 characters; use at least 16"), m);
        m = error(base + "secretFile: " + dir.resolve("absent") + "}");
        assertTrue(m.contains("cluster.secretFile: cannot read"), m);
        m = error(base + "secretEnv: RADFLOW_TEST_UNSET_VARIABLE_X}");
        assertTrue(m.contains("cluster.secretEnv: the environment variable 'RADFLOW_TEST_UNSET_VARIABLE_X' is not set"), m);
        Path ok = Files.writeString(dir.resolve("ok"), "0123456789abcdef0123");
        m = error(PG + "cluster: {enabled: true, bindAddress: 10.0.0.11, members: ['10.0.0.11:5701'], minSize: 1, secretFile: " + ok + "}");
        assertTrue(m.contains("cluster.minSize: 1 is below cluster.replicationFactor (2)"), m);
        m = error(PG + "cluster: {enabled: true, bindAddress: 10.0.0.11, port: 5701, peerPort: 5701, members: ['10.0.0.11:5701'], "
                + "minSize: 2, secretFile: " + ok + "}");
        assertTrue(m.contains("cluster.peerPort: 5701 is also cluster.port"), m);
    }

    @Test
    void clusterMistakesNameTheKeyAndTheFix() {
        String m = error(PG + "cluster: {enabled: true}");
        assertTrue(m.contains("cluster.members: empty while cluster.enabled is true"), m);
        assertTrue(m.contains("host:port"), m);
        m = error("cluster: {enabled: true, members: ['127.0.0.1:5701']}");
        assertTrue(m.contains("cluster.enabled needs store.url on PostgreSQL shared by all nodes"), m);
        m = error(PG + "cluster: {enabled: true, members: ['10.0.0.12']}");
        assertTrue(m.contains("cluster.members: '10.0.0.12' is not \"host:port\""), m);
        m = error(PG + "cluster: {enabled: true, members: ['10.0.0.12:99999']}");
        assertTrue(m.contains("cluster.members: '10.0.0.12:99999'"), m);
        m = error(PG + "cluster: {enabled: true, bindAddress: 0.0.0.0, members: ['10.0.0.12:5701']}");
        assertTrue(m.contains("cluster.bindAddress: '0.0.0.0' is not one address"), m);
        m = error("cluster: {name: 'a b'}");
        assertTrue(m.contains("cluster.name: 'a b' is not a cluster name"), m);
        assertTrue(error("cluster: {port: 0}").contains("cluster.port: 0 is out of range"));
        assertTrue(error("cluster: {minSize: 0}").contains("cluster.minSize: 0 is out of range"));
        m = error("cluster: {multicast: true}");
        assertTrue(m.contains("unknown key 'cluster.multicast'"), m);
    }

    @Test
    void theStorePasswordComesFromAFileOrTheEnvironmentNeverTheYaml() throws Exception {
        Path secret = dir.resolve("db-password");
        Files.writeString(secret, "s3cret-pw\n");
        StoreSettings s = load("store: {url: 'jdbc:postgresql://db.example:5432/radflow', user: rf, passwordFile: '" + secret
                + "', maxConnections: 20}").store();
        assertEquals("jdbc:postgresql://db.example:5432/radflow", s.url());
        assertEquals("rf", s.user());
        assertEquals("s3cret-pw", s.password());
        assertEquals(20, s.maxConnections());
        assertTrue(s.postgres());
        assertFalse(s.toString().contains("s3cret"), s.toString());
        String path = System.getenv().containsKey("PATH") ? "PATH" : System.getenv().keySet().iterator().next();
        assertEquals(System.getenv(path), load("store: {passwordEnv: " + path + "}").store().password());

        String m = error("store: {password: hunter2}");
        assertTrue(m.contains("store.password: the password is never written in the configuration"), m);
        assertTrue(m.contains("store.passwordFile") && m.contains("store.passwordEnv"), m);
        m = error("store: {passwordFile: /nonexistent/radflow-db-password}");
        assertTrue(m.contains("store.passwordFile: cannot read '/nonexistent/radflow-db-password'"), m);
        m = error("store: {passwordEnv: RADFLOW_TEST_SURELY_UNSET_VARIABLE}");
        assertTrue(m.contains("store.passwordEnv: the environment variable 'RADFLOW_TEST_SURELY_UNSET_VARIABLE' is not set"), m);
        m = error("store: {passwordFile: " + secret + ", passwordEnv: X}");
        assertTrue(m.contains("store.passwordFile/store.passwordEnv: give one of them, not both"), m);
        m = error("store: {url: 'jdbc:mysql://db/radflow'}");
        assertTrue(m.contains("store.url: 'jdbc:mysql://db/radflow' is not a database RadFlow supports; use jdbc:postgresql://"), m);
        m = error("store: {maxConnections: 0}");
        assertTrue(m.contains("store.maxConnections: 0 is out of range"), m);
        m = error("store: {urll: x}");
        assertTrue(m.contains("did you mean 'store.url'"), m);
    }

    @Test
    void aMissingFileSaysWhatToDo() {
        String m = assertThrows(ConfigException.class, () -> RadflowConfig.load(dir.resolve("nope.yaml"))).getMessage();
        assertTrue(m.contains("does not exist"), m);
    }

    @Test
    void apiTokensAreHashedAndRolesChecked() throws Exception {
        String sha = java.util.HexFormat.of().formatHex(RadflowConfig.sha256("another-secret-token-1234"));
        RadflowConfig c = load("""
                api:
                  bindAddress: 0.0.0.0
                  auth:
                    tokens:
                      - {name: viewer1, token: "a-very-long-secret-token", role: viewer}
                      - {name: admin1, sha256: "%s", role: ADMIN}
                    open: [/api/health]
                """.formatted(sha));
        assertEquals(2, c.api().auth().tokens().size());
        assertEquals(RadflowConfig.Role.ADMIN, c.api().auth().tokens().get(1).role());
        assertTrue(java.util.Arrays.equals(RadflowConfig.sha256("a-very-long-secret-token"), c.api().auth().tokens().get(0).sha256()));
        assertEquals(java.util.List.of("/api/health"), c.api().auth().open());
        assertFalse(c.api().auth().tokens().get(0).toString().contains("secret"), "toString never shows the secret");
    }

    @Test
    void anOpenApiOnTheNetworkIsRefusedAndBadTokensAreNamed() {
        assertTrue(error("api: {bindAddress: 0.0.0.0}").contains("api.bindAddress"), "no tokens on a non-loopback address");
        assertTrue(error("api: {auth: {tokens: [{name: a, token: short, role: viewer}]}}").contains("api.auth.tokens[0].token"));
        assertTrue(error("api: {auth: {tokens: [{name: a, token: a-very-long-secret-token, role: boss}]}}").contains("api.auth.tokens[0].role"));
        assertTrue(error("api: {auth: {tokens: [{name: a, sha256: abc, role: viewer}]}}").contains("api.auth.tokens[0].sha256"));
        assertTrue(error("api: {auth: {tokens: [{name: a, role: viewer}]}}").contains("either token"));
        assertTrue(error("api: {auth: {tokens: [{name: a, token: a-very-long-secret-token, role: viewer, rol: x}]}}")
                .contains("unknown key 'api.auth.tokens[0].rol'"));
        assertTrue(error("api: {tls: {certificate: /x.pem}}").contains("api.tls"));
        assertTrue(error("audit: {maxFileMb: 0}").contains("audit.maxFileMb"));
        assertTrue(RadflowConfig.isLoopback("127.0.0.1") && RadflowConfig.isLoopback("::1") && RadflowConfig.isLoopback("localhost"));
        assertFalse(RadflowConfig.isLoopback("0.0.0.0") || RadflowConfig.isLoopback("10.1.2.3") || RadflowConfig.isLoopback("pacs.example"));
    }

    @Test
    void theThreeNodeClusterExampleIsOneValidClusterOfThreeNodes() throws Exception {
        Path password = Files.writeString(dir.resolve("db-password"), "change-me");
        java.util.List<RadflowConfig> nodes = new java.util.ArrayList<>();
        for (int n = 1; n <= 3; n++) {
            Path secret = Files.writeString(dir.resolve("cluster-secret"), "0123456789abcdef0123456789abcdef");
            String yaml = Files.readString(Path.of("..", "deploy", "cluster", "radflow-node" + n + ".yaml"))
                    .replace("/etc/radflow/db-password", password.toString())
                    .replace("/etc/radflow/cluster-secret", secret.toString());
            nodes.add(RadflowConfig.load(Files.writeString(dir.resolve("node" + n + ".yaml"), yaml)));
        }
        RadflowConfig first = nodes.get(0);
        assertTrue(first.cluster().enabled());
        assertEquals(3, first.cluster().members().size());
        java.util.Set<String> names = new java.util.HashSet<>();
        for (RadflowConfig c : nodes) {
            assertEquals(first.cluster().name(), c.cluster().name());
            assertEquals(first.cluster().members(), c.cluster().members());
            assertEquals(first.cluster().minSize(), c.cluster().minSize());
            assertEquals(2, c.cluster().replicationFactor(), "every acknowledged instance on two nodes");
            assertEquals(first.cluster().secret(), c.cluster().secret(), "one shared secret");
            assertEquals(first.store().url(), c.store().url(), "one shared store");
            assertEquals(first.rules().rules().toString(), c.rules().rules().toString(), "the same rules on every node");
            assertTrue(c.cluster().members().contains(c.cluster().bindAddress() + ":" + c.cluster().port()),
                    c.server().nodeName() + " is among the members");
            names.add(c.server().nodeName());
        }
        assertEquals(3, names.size(), "each node its own name");
    }
}
