package org.radflow.e2e;

import org.junit.jupiter.api.Test;
import org.radflow.config.RadflowConfig;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The configuration files shipped in deploy/ load with the server's strict reader (a typo would stop a site). */
class DeployConfigTest {

    @Test
    void theContainerConfigurationLoads() {
        RadflowConfig c = RadflowConfig.load(Path.of("container", "radflow.container.yaml"));
        assertEquals(2, c.rules().rules().size());
        assertTrue(c.destinations().containsKey("pacs"));
        assertEquals("0.0.0.0", c.api().bindAddress());
    }
}
