package org.radflow.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import org.junit.jupiter.api.Test;
import org.radflow.config.RadflowConfig;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Hazelcast configuration RadFlow builds: nothing left to Hazelcast's defaults that would reach the network. */
class ClusterMembershipTest {

    @Test
    void joinsOnlyTheListedMembersOnTheConfiguredAddressAndNeverPhonesHome() {
        RadflowConfig.Cluster c = new RadflowConfig.Cluster(true, "ward-a", "10.0.0.11", 5801,
                List.of("10.0.0.11:5801", "10.0.0.12:5801"), 2);
        Config hz = ClusterMembership.hazelcastConfig(c, "node-1");
        assertEquals("ward-a", hz.getClusterName());
        assertEquals("false", hz.getProperty("hazelcast.phone.home.enabled"));
        assertEquals("false", hz.getProperty("hazelcast.socket.bind.any"));
        assertEquals("false", hz.getProperty("hazelcast.shutdownhook.enabled"));
        assertEquals(5801, hz.getNetworkConfig().getPort());
        assertFalse(hz.getNetworkConfig().isPortAutoIncrement());
        assertTrue(hz.getNetworkConfig().getInterfaces().isEnabled());
        assertEquals(List.of("10.0.0.11"), List.copyOf(hz.getNetworkConfig().getInterfaces().getInterfaces()));
        JoinConfig join = hz.getNetworkConfig().getJoin();
        assertFalse(join.getMulticastConfig().isEnabled());
        assertFalse(join.getAutoDetectionConfig().isEnabled());
        assertTrue(join.getTcpIpConfig().isEnabled());
        assertEquals(List.of("10.0.0.11:5801", "10.0.0.12:5801"), join.getTcpIpConfig().getMembers());
        assertEquals("node-1", hz.getMemberAttributeConfig().getAttribute(ClusterMembership.NODE_NAME_ATTRIBUTE));
        assertNotNull(hz.getMultiMapConfigs().get("__vertx.subs"));
        assertNotNull(hz.getMapConfigs().get("__vertx.haInfo"));
        assertNotNull(hz.getMapConfigs().get("__vertx.nodeInfo"));
    }
}
