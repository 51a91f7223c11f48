package org.radflow.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MultiMapConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.radflow.config.RadflowConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Comparator;
import java.util.List;

/**
 * This node's membership in a RadFlow cluster: a clustered Vert.x on Hazelcast (TCP-IP join with the configured
 * members, multicast, auto-detection and phone-home off) and the view of who is in it. Each member carries its
 * {@code server.nodeName} as a Hazelcast member attribute, so every node can name all the others without a round trip.
 * Membership only: durable state and work claims stay in the shared PostgreSQL store.
 */
public final class ClusterMembership {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterMembership.class);
    /** The member attribute holding the node's {@code server.nodeName}. */
    static final String NODE_NAME_ATTRIBUTE = "radflow.nodeName";
    /** The member attribute holding the node's peer endpoint, "host:port" ({@code cluster.bindAddress:cluster.peerPort}). */
    static final String PEER_ATTRIBUTE = "radflow.peer";
    /** Each node's current facts (modules it runs, draining, load), refreshed every few seconds; a cache, never the truth. */
    static final String NODES_MAP = "radflow.nodes";
    private final java.util.List<Runnable> membershipChanged = new java.util.concurrent.CopyOnWriteArrayList<>();

    private final RadflowConfig.Cluster settings;
    private final HazelcastClusterManager manager;

    public ClusterMembership(RadflowConfig.Cluster settings, String nodeName) {
        this.settings = settings;
        this.manager = new HazelcastClusterManager(hazelcastConfig(settings, nodeName));
    }

    public RadflowConfig.Cluster settings() {
        return settings;
    }

    /** Hazelcast for RadFlow: everything explicit, nothing read from a cluster.xml on the class path. */
    static Config hazelcastConfig(RadflowConfig.Cluster c, String nodeName) {
        Config hz = new Config();
        hz.setClusterName(c.name());
        hz.setProperty("hazelcast.phone.home.enabled", "false");
        hz.setProperty("hazelcast.logging.type", "slf4j");
        // RadflowServer.close() leaves the cluster after the server's own stop; Hazelcast's hook would leave first
        hz.setProperty("hazelcast.shutdownhook.enabled", "false");
        // bind to the configured address only (with interfaces on), not to every address of the host
        hz.setProperty("hazelcast.socket.bind.any", "false");
        // a member that died without closing its connections (power, network) is removed after this, not Hazelcast's 60 s
        hz.setProperty("hazelcast.max.no.heartbeat.seconds", String.valueOf(c.failureDetection().toSeconds()));
        hz.setProperty("hazelcast.heartbeat.interval.seconds", String.valueOf(Math.max(1, c.failureDetection().toSeconds() / 5)));
        // after a network partition heals, the two sides look for each other and merge within this (Hazelcast: 300 s, then 120 s)
        hz.setProperty("hazelcast.merge.first.run.delay.seconds", String.valueOf(c.failureDetection().toSeconds()));
        hz.setProperty("hazelcast.merge.next.run.delay.seconds", String.valueOf(c.failureDetection().toSeconds()));
        hz.getMemberAttributeConfig().setAttribute(NODE_NAME_ATTRIBUTE, nodeName);
        hz.getMemberAttributeConfig().setAttribute(PEER_ATTRIBUTE, c.bindAddress() + ":" + c.peerPort());

        NetworkConfig net = hz.getNetworkConfig();
        net.setPort(c.port()).setPortAutoIncrement(false); // a taken port must fail the start, not move silently
        net.getInterfaces().setEnabled(true).setInterfaces(List.of(c.bindAddress()));
        JoinConfig join = net.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).setMembers(c.members());

        // the structures Vert.x keeps in Hazelcast (as in vertx-hazelcast's default-cluster.xml)
        hz.addMultiMapConfig(new MultiMapConfig("__vertx.subs").setBackupCount(1)
                .setValueCollectionType(MultiMapConfig.ValueCollectionType.SET));
        hz.addMapConfig(new MapConfig("__vertx.haInfo").setBackupCount(1));
        hz.addMapConfig(new MapConfig("__vertx.nodeInfo").setBackupCount(1));
        hz.addMapConfig(new MapConfig(NODES_MAP).setBackupCount(1).setTimeToLiveSeconds(30));
        return hz;
    }

    /**
     * Builds the clustered Vert.x (its event bus on the cluster address too) and joins. On failure nothing of
     * Hazelcast is left running and the error names the settings to check.
     */
    public Future<Vertx> start(VertxOptions options) {
        options.getEventBusOptions().setHost(settings.bindAddress()).setClusterPublicHost(settings.bindAddress())
                .setPort(settings.eventBusPort());
        LOG.info("Joining cluster '{}' as {}:{} through {}", settings.name(), settings.bindAddress(), settings.port(), settings.members());
        return Vertx.builder().with(options).withClusterManager(manager).buildClustered()
                .onSuccess(v -> {
                    HazelcastInstance hz = manager.getHazelcastInstance();
                    hz.getCluster().addMembershipListener(new MembershipLog());
                    hz.getCluster().addMembershipListener(new MembershipListener() {
                        @Override
                        public void memberAdded(MembershipEvent e) {
                            membershipChanged.forEach(Runnable::run);
                        }

                        @Override
                        public void memberRemoved(MembershipEvent e) {
                            membershipChanged.forEach(Runnable::run);
                        }
                    });
                    LOG.info("In cluster '{}': {} member(s)", settings.name(), hz.getCluster().getMembers().size());
                })
                .recover(err -> {
                    shutdownHazelcast();
                    return Future.failedFuture(new IllegalStateException("cannot join cluster '" + settings.name() + "' on "
                            + settings.bindAddress() + ":" + settings.port() + " (cluster.bindAddress/cluster.port; is the port free "
                            + "and the address this host's?): " + err.getMessage(), err));
                });
    }

    private void shutdownHazelcast() {
        try {
            HazelcastInstance hz = manager.getHazelcastInstance();
            if (hz != null && hz.getLifecycleService().isRunning()) {
                hz.shutdown();
            }
        } catch (RuntimeException e) {
            LOG.warn("Hazelcast did not shut down cleanly after a failed join: {}", e.toString());
        }
    }

    /**
     * Why this node must not claim work, as split-brain protection: the cluster it sees has fewer members than
     * {@code cluster.minSize} (it may be the minority side of a partition). Null when it may.
     */
    public String belowMinimum() {
        HazelcastInstance hz = manager.getHazelcastInstance();
        int size = hz == null || !hz.getLifecycleService().isRunning() ? 0 : hz.getCluster().getMembers().size();
        if (size >= settings.minSize()) {
            return null;
        }
        return "this node sees " + size + " cluster member(s), fewer than cluster.minSize (" + settings.minSize()
                + "): it keeps receiving and spooling studies but claims no work until the cluster is whole again";
    }

    /** Called (on a Hazelcast thread: hand long work on) whenever a member joins or leaves. */
    public void onMembershipChange(Runnable r) {
        membershipChanged.add(r);
    }

    /** The members up now, as this node sees them (itself included); empty while not in the cluster. */
    public List<Peer> peers() {
        HazelcastInstance hz = manager.getHazelcastInstance();
        if (hz == null || !hz.getLifecycleService().isRunning()) {
            return List.of();
        }
        return hz.getCluster().getMembers().stream()
                .map(m -> new Peer(m.getAttribute(NODE_NAME_ATTRIBUTE), m.getAttribute(PEER_ATTRIBUTE), m.localMember(),
                        m.getAddress().getHost()))
                .filter(p -> p.nodeName() != null && p.endpoint() != null)
                .toList();
    }

    /** The names of the members up now. */
    public java.util.Set<String> liveNodeNames() {
        java.util.Set<String> names = new java.util.TreeSet<>();
        peers().forEach(p -> names.add(p.nodeName()));
        return names;
    }

    /** Publishes this node's facts for the others (modules it runs, draining, load); they expire unless refreshed. */
    public void publish(String nodeName, JsonObject facts) {
        HazelcastInstance hz = manager.getHazelcastInstance();
        if (hz != null && hz.getLifecycleService().isRunning()) {
            hz.<String, String>getMap(NODES_MAP).set(nodeName, facts.encode());
        }
    }

    /** The facts each node published last (nodes that stopped publishing are gone after 30 s). */
    public java.util.Map<String, JsonObject> facts() {
        HazelcastInstance hz = manager.getHazelcastInstance();
        java.util.Map<String, JsonObject> out = new java.util.TreeMap<>();
        if (hz != null && hz.getLifecycleService().isRunning()) {
            hz.<String, String>getMap(NODES_MAP).forEach((k, v) -> out.put(k, new JsonObject(v)));
        }
        return out;
    }

    /**
     * {@code GET /api/cluster} when clustered: Hazelcast's current member list with each node's name, and the facts each
     * published as this node last read them ({@code facts}: a local copy, never read from Hazelcast here, because a
     * distributed read waits for unreachable members during a partition and this runs on an event loop).
     */
    public JsonObject view(java.util.Map<String, JsonObject> facts) {
        JsonObject out = new JsonObject().put("role", "cluster").put("name", settings.name()).put("minSize", settings.minSize());
        HazelcastInstance hz = manager.getHazelcastInstance();
        if (hz == null || !hz.getLifecycleService().isRunning()) {
            return out.put("size", 0).put("members", new JsonArray()).put("note", "not in the cluster (starting or stopping)");
        }
        Member local = hz.getCluster().getLocalMember();
        JsonArray members = new JsonArray();
        hz.getCluster().getMembers().stream()
                .sorted(Comparator.comparing(m -> m.getAddress().getHost() + ":" + m.getAddress().getPort()))
                .forEach(m -> {
                    JsonObject o = member(m).put("local", m.localMember());
                    JsonObject f = facts.get(String.valueOf((Object) m.getAttribute(NODE_NAME_ATTRIBUTE)));
                    if (f != null) {
                        // what the node published last (every 2 s): the modules it runs, whether it drains, its load
                        o.put("modules", f.getJsonArray("modules")).put("draining", f.getBoolean("draining"))
                                .put("runningJobs", f.getInteger("running")).put("version", f.getString("version"));
                    }
                    members.add(o);
                });
        out.put("replicationFactor", settings.replicationFactor());
        return out.put("size", members.size()).put("self", member(local)).put("members", members);
    }

    private static JsonObject member(Member m) {
        return new JsonObject().put("id", m.getUuid().toString()).put("nodeName", m.getAttribute(NODE_NAME_ATTRIBUTE))
                .put("address", m.getAddress().getHost() + ":" + m.getAddress().getPort())
                .put("peerEndpoint", m.getAttribute(PEER_ATTRIBUTE));
    }

    /** Joins and departures at INFO: an operator's first question when a node's work stops. */
    private static final class MembershipLog implements MembershipListener {
        @Override
        public void memberAdded(MembershipEvent e) {
            LOG.info("Cluster member joined: {} ({}); now {}", e.getMember().getAttribute(NODE_NAME_ATTRIBUTE),
                    e.getMember().getAddress(), e.getMembers().size());
        }

        @Override
        public void memberRemoved(MembershipEvent e) {
            LOG.warn("Cluster member left: {} ({}); now {}", e.getMember().getAttribute(NODE_NAME_ATTRIBUTE),
                    e.getMember().getAddress(), e.getMembers().size());
        }
    }
}
