package org.radflow.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.dispatch.StowRsSender;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RADFLOW_* environment variables over the YAML, and secrets read from …File keys. */
class EnvironmentConfigTest {

    @TempDir
    Path dir;

    private static final String YAML = """
            destinations:
              pacs-web:
                type: dicomweb
                url: http://127.0.0.1:8042/dicom-web
            modules:
              covidnet: {enabled: true}
            api:
              auth:
                tokens:
                  - {name: ops, role: operator}
            """;

    private RadflowConfig load(String yaml, Map<String, String> env) throws Exception {
        Path f = dir.resolve("radflow.yaml");
        Files.writeString(f, yaml);
        return RadflowConfig.load(f, env);
    }

    private String error(String yaml, Map<String, String> env) {
        return assertThrows(ConfigException.class, () -> load(yaml, env)).getMessage();
    }

    private Path file(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    @Test
    void aModulesOwnKeysComeFromVariablesTypedAsYamlWouldTypeThem() throws Exception {
        String yaml = """
                server: {dataDir: %s}
                modules:
                  sample-slow: {config: {delayMs: 5, fixedThreshold: 0.5}}
                """.formatted(dir.resolve("data"));
        RadflowConfig c = load(yaml, Map.of(
                "RADFLOW_MODULES_SAMPLE_SLOW_CONFIG_DELAY_MS", "250",           // a key in the file: its own spelling kept
                "RADFLOW_MODULES_SAMPLE_SLOW_CONFIG_LABEL", "night shift",      // a new key of a module in the file
                "RADFLOW_MODULES_COVIDNET_CONFIG_PROFILE", "covidnet-cxr2",     // a module not in the file
                "RADFLOW_MODULES_COVIDNET_CONFIG_MIN_CONFIDENCE", "0.35",
                "RADFLOW_MODULES_COVIDNET_CONFIG_KEY_IMAGE", "false"));
        Map<String, Object> slow = c.modules().settings().get("sample-slow").config();
        assertEquals(250, slow.get("delayMs"));
        assertEquals(0.5, slow.get("fixedThreshold"));
        assertEquals("night shift", slow.get("label"));
        Map<String, Object> covidnet = c.modules().settings().get("covidnet").config();
        assertEquals("covidnet-cxr2", covidnet.get("profile"));
        assertEquals(0.35, covidnet.get("minConfidence"));
        assertEquals(false, covidnet.get("keyImage"));
        // not of that form: still refused with the naming rule
        String e = error(yaml, Map.of("RADFLOW_MODULES_SAMPLE_SLOW_DELAY_MS", "1"));
        assertTrue(e.contains("RADFLOW_MODULES_<ID>_CONFIG_<KEY>"), e);
    }

    @Test
    void variablesOverrideKeysOfEveryKind() throws Exception {
        Path token = file("ops.token", "ops-token-from-a-file-0123\n");
        RadflowConfig c = load(YAML, Map.of(
                "RADFLOW_LISTENER_PORT", "2104",
                "RADFLOW_LISTENER_FSYNC", "false",
                "RADFLOW_LISTENER_ALLOWED_CALLING_AE_TITLES", "CT1, MR2",
                "RADFLOW_API_AUTH_TOKENS_OPS_TOKEN_FILE", token.toString(),
                "RADFLOW_DESTINATIONS_PACS_WEB_TIMEOUT_SECONDS", "7",
                "RADFLOW_MODULES_COVIDNET_HEAP_MB", "768",
                "RADFLOW_SERVER_DATA_DIR", dir.resolve("data").toString()));
        assertEquals(2104, c.listener().port());
        assertFalse(c.listener().fsync());
        assertEquals(Set.of("CT1", "MR2"), c.listener().allowedCallingAeTitles());
        assertArrayEquals(RadflowConfig.sha256("ops-token-from-a-file-0123"), c.api().auth().tokens().get(0).sha256());
        StowRsSender.Settings web = ((RadflowConfig.DicomWebDestination) c.destinations().get("pacs-web")).settings();
        assertEquals(7, web.requestTimeout().toSeconds());
        assertEquals(768, c.modules().settingsFor("covidnet").heapMb());
        assertEquals(dir.resolve("data"), c.server().dataDir());
    }

    @Test
    void theEmbeddedDefaultsTakeVariablesToo() {
        RadflowConfig c = RadflowConfig.fromMap(Map.of(), "embedded defaults", Map.of("RADFLOW_API_PORT", "9090"));
        assertEquals(9090, c.api().port());
        assertEquals(9091, c.viewer().port());
    }

    @Test
    void anUnknownVariableIsRefusedWithASuggestion() {
        String m = error(YAML, Map.of("RADFLOW_LISTENER_PROT", "104"));
        assertTrue(m.contains("RADFLOW_LISTENER_PROT is not a RadFlow setting; did you mean RADFLOW_LISTENER_PORT?"), m);
        // an entry that is not in the file has no variable
        m = error(YAML, Map.of("RADFLOW_DESTINATIONS_PACS_URL", "http://x"));
        assertTrue(m.contains("did you mean RADFLOW_DESTINATIONS_PACS_WEB_URL?"), m);
    }

    @Test
    void variablesRadFlowReadsElsewhereAreAllowed() throws Exception {
        Path pw = file("db.pw", "secret");
        RadflowConfig c = load("store: {passwordEnv: RADFLOW_DB_PASSWORD}\n", Map.of("RADFLOW_HOME", "/opt/radflow",
                "RADFLOW_JAVA_OPTS", "-Xmx1g", "RADFLOW_LOG_LEVEL", "DEBUG", "RADFLOW_SEG_KEEP", "1",
                "RADFLOW_DB_PASSWORD", "database-password", "PATH", "/bin"));
        assertEquals("database-password", c.store().password());
        assertTrue(Files.exists(pw));
    }

    @Test
    void aBadValueNamesItsVariable() {
        String m = error(YAML, Map.of("RADFLOW_LISTENER_PORT", "70000"));
        assertTrue(m.contains("listener.port: 70000 is out of range") && m.contains("set by the environment variable RADFLOW_LISTENER_PORT"), m);
        m = error(YAML, Map.of("RADFLOW_LISTENER_FSYNC", "yes"));
        assertTrue(m.contains("RADFLOW_LISTENER_FSYNC (listener.fsync): expected true or false, got 'yes'"), m);
    }

    @Test
    void everySecretHasAFileSibling() throws Exception {
        Path bearer = file("bearer", "bearer-token-value\r\n");
        Path pw = file("pw", "pacs-password\n");
        Path hook = file("hook", "webhook-secret-0123456789\n");
        Path token = file("token", "admin-token-0123456789abc\n");
        RadflowConfig c = load("""
                destinations:
                  a: {type: dicomweb, url: 'http://127.0.0.1/dicom-web', bearerTokenFile: %s}
                  b: {type: dicomweb, url: 'http://127.0.0.1/dicom-web', username: radflow, passwordFile: %s}
                api:
                  auth:
                    tokens: [{name: admin, tokenFile: %s, role: admin}]
                notifications:
                  webhooks: [{name: ops, url: 'http://127.0.0.1:9/hook', secretFile: %s}]
                """.formatted(bearer, pw, token, hook), Map.of());
        assertEquals("bearer-token-value", ((RadflowConfig.DicomWebDestination) c.destinations().get("a")).settings().bearerToken());
        assertEquals("pacs-password", ((RadflowConfig.DicomWebDestination) c.destinations().get("b")).settings().password());
        assertArrayEquals(RadflowConfig.sha256("admin-token-0123456789abc"), c.api().auth().tokens().get(0).sha256());
        RadflowConfig.Webhook w = c.notifications().webhooks().get(0);
        assertEquals("webhook-secret-0123456789", w.secret().value());
        assertEquals(Set.copyOf(RadflowConfig.NOTIFICATION_EVENTS), w.events());
    }

    @Test
    void aSecretAndItsFileTogetherOrAMissingFileAreRefused() throws Exception {
        Path bearer = file("bearer", "bearer-token-value");
        String m = error("destinations: {a: {type: dicomweb, url: 'http://127.0.0.1/dw', bearerToken: x, bearerTokenFile: %s}}"
                .formatted(bearer), Map.of());
        assertTrue(m.contains("destinations.a.bearerToken/destinations.a.bearerTokenFile: give one of them, not both"), m);
        m = error("destinations: {a: {type: dicomweb, url: 'http://127.0.0.1/dw', bearerTokenFile: %s}}"
                .formatted(dir.resolve("absent")), Map.of());
        assertTrue(m.contains("destinations.a.bearerTokenFile: the file '" + dir.resolve("absent") + "' does not exist"), m);
        m = error("destinations: {a: {type: dicomweb, url: 'http://127.0.0.1/dw', bearerTokenFile: %s}}"
                .formatted(file("empty", "\n")), Map.of());
        assertTrue(m.contains("is empty"), m);
        m = error("api: {auth: {tokens: [{name: a, token: 0123456789abcdef0, tokenFile: %s, role: admin}]}}".formatted(bearer), Map.of());
        assertTrue(m.contains("api.auth.tokens[0].token/api.auth.tokens[0].tokenFile: give one of them, not both"), m);
    }

    @Test
    void aSecretFileEveryoneMayReadIsAcceptedWithAWarning() throws Exception {
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(SecretFiles.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> seen = new ch.qos.logback.core.read.ListAppender<>();
        seen.start();
        logger.addAppender(seen);
        try {
            Path open = file("open-token", "open-token-0123456789abc\n");
            Files.setPosixFilePermissions(open, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            Path closed = file("closed-token", "closed-token-0123456789ab\n");
            Files.setPosixFilePermissions(closed, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            load("api: {auth: {tokens: [{name: a, tokenFile: %s, role: admin}, {name: b, tokenFile: %s, role: viewer}]}}"
                    .formatted(open, closed), Map.of());
            List<String> warnings = seen.list.stream().map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage).toList();
            assertEquals(1, warnings.size(), warnings.toString());
            assertTrue(warnings.get(0).contains("api.auth.tokens[0].tokenFile") && warnings.get(0).contains("chmod 600"), warnings.get(0));
            assertFalse(warnings.get(0).contains("open-token-0123456789abc"), "the secret itself is never logged");
        } finally {
            logger.detachAppender(seen);
        }
    }

    @Test
    void webhooksAreChecked() {
        String m = error("notifications: {webhooks: [{name: a, url: 'http://127.0.0.1/h', events: [job.faild]}]}", Map.of());
        assertTrue(m.contains("'job.faild' is not an event; did you mean 'job.failed'?"), m);
        m = error("notifications: {webhooks: [{name: a, url: 'ftp://x/h'}]}", Map.of());
        assertTrue(m.contains("notifications.webhooks[0].url"), m);
        m = error("notifications: {webhooks: [{name: a, url: 'http://127.0.0.1/h', secret: short}]}", Map.of());
        assertTrue(m.contains("use at least 16"), m);
    }

    @Test
    void theSchemaHasTheKeysOfEntriesAndSecretFiles() {
        Map<String, ConfigNode.Kind> t = EnvironmentOverrides.templates();
        for (String key : List.of("listener.port", "cluster.secretFile", "store.passwordFile", "destinations.*.bearerTokenFile",
                "destinations.*.host", "modules.*.heapMb", "api.auth.tokens[].tokenFile", "notifications.webhooks[].secretFile",
                "notifications.maxAttempts")) {
            assertTrue(t.containsKey(key), key + " missing from " + t.keySet());
        }
        assertEquals(ConfigNode.Kind.BOOLEAN, t.get("listener.fsync"));
        assertEquals(ConfigNode.Kind.LIST, t.get("listener.allowedCallingAeTitles"));
        assertEquals("LISTENER_MAX_PDU_LENGTH", EnvironmentOverrides.upperSnake("listener.maxPduLength"));
    }
}
