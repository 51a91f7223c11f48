package org.radflow.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The listener's connection guards: defaults, values read, and out-of-range values refused with the key named. */
class ListenerGuardsConfigTest {

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
    void defaultsCloseIdleConnectionsAfterTenSecondsAndAllowSixteenPerAddress() {
        RadflowConfig c = RadflowConfig.defaults();
        assertEquals(Duration.ofSeconds(10), c.listener().artimTimeout());
        assertEquals(16, c.listener().maxConnectionsPerAddress());
        assertEquals(64, c.listener().maxPendingConnections());
    }

    @Test
    void valuesAreRead() throws Exception {
        RadflowConfig c = load("listener:\n  artimSeconds: 3\n  maxConnectionsPerAddress: 40\n  maxPendingConnections: 500\n");
        assertEquals(Duration.ofSeconds(3), c.listener().artimTimeout());
        assertEquals(40, c.listener().maxConnectionsPerAddress());
        assertEquals(500, c.listener().maxPendingConnections());
    }

    @Test
    void outOfRangeValuesNameTheKeyAndTheRange() {
        String m = error("listener: {artimSeconds: 0}");
        assertTrue(m.contains("listener.artimSeconds: 0 is out of range; use a whole number between 1 and 600"), m);
        m = error("listener: {maxConnectionsPerAddress: 0}");
        assertTrue(m.contains("listener.maxConnectionsPerAddress: 0 is out of range; use a whole number between 1 and 1000"), m);
        m = error("listener: {maxPendingConnections: many}");
        assertTrue(m.contains("listener.maxPendingConnections: expected a whole number"), m);
    }
}
