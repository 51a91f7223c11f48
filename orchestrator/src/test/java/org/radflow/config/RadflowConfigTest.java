package org.radflow.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
    void aMissingFileSaysWhatToDo() {
        String m = assertThrows(ConfigException.class, () -> RadflowConfig.load(dir.resolve("nope.yaml"))).getMessage();
        assertTrue(m.contains("does not exist"), m);
    }
}
