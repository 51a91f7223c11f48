package org.radflow.cluster;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * This node's working view of the cluster, refreshed every second (and at once when a member joins or leaves): which
 * members are <em>ready</em> — up in Hazelcast and publishing their facts, which a node starts only once its peer
 * endpoint is open — and what each runs. Study placement, replication and claims use the ready members only, so a
 * node that is still starting is never sent a copy it cannot take. Reads are local (no Hazelcast round trip per
 * instance or per claim).
 */
public final class ClusterView implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterView.class);

    private final ClusterMembership membership;
    private final String self;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "radflow-cluster-view");
        t.setDaemon(true);
        return t;
    });
    private volatile Supplier<JsonObject> ownFacts;
    private volatile Map<String, JsonObject> facts = Map.of();
    private volatile List<Peer> ready = List.of();
    private volatile java.util.function.Consumer<Set<String>> onReadyChange = before -> { };

    public ClusterView(ClusterMembership membership, String self) {
        this.membership = membership;
        this.self = self;
    }

    /** Starts refreshing; call once joined. */
    public ClusterView start() {
        membership.onMembershipChange(() -> timer.execute(this::refresh));
        timer.scheduleWithFixedDelay(this::refresh, 0, 1, TimeUnit.SECONDS);
        return this;
    }

    /** From now on this node publishes its facts (it is ready: its peer endpoint is open). */
    public void publish(Supplier<JsonObject> facts) {
        this.ownFacts = facts;
        timer.execute(this::refresh);
    }

    /**
     * Called on the view's thread (hand long work on) whenever the set of ready members changes, with the set before
     * the change (the current one is {@link #ready}).
     */
    public void onReadyChange(java.util.function.Consumer<Set<String>> r) {
        this.onReadyChange = r;
    }

    private void refresh() {
        try {
            Supplier<JsonObject> own = ownFacts;
            if (own != null) {
                membership.publish(self, own.get());
            }
            Map<String, JsonObject> f = membership.facts();
            List<Peer> up = membership.peers().stream().filter(p -> p.local() || f.containsKey(p.nodeName())).toList();
            Set<String> before = names(ready);
            facts = f;
            ready = up;
            if (!before.equals(names(up))) {
                LOG.info("Cluster members ready: {}", names(up));
                onReadyChange.accept(before);
            }
        } catch (RuntimeException e) {
            LOG.warn("Cluster view not refreshed: {}", e.toString());
        }
    }

    private static Set<String> names(List<Peer> peers) {
        Set<String> s = new TreeSet<>();
        peers.forEach(p -> s.add(p.nodeName()));
        return s;
    }

    /** What each node published, as read at the last refresh. */
    public Map<String, JsonObject> facts() {
        return facts;
    }

    /** The members up and ready now (this node always, once joined). */
    public List<Peer> ready() {
        return ready;
    }

    /** The other ready members that run a module (enabled there, not draining). */
    public Set<String> running(String moduleId) {
        Set<String> out = new TreeSet<>();
        Map<String, JsonObject> f = facts;
        for (Peer p : ready) {
            JsonObject o = f.get(p.nodeName());
            if (!p.local() && o != null && !o.getBoolean("draining", false)
                    && o.getJsonArray("modules", new JsonArray()).contains(moduleId)) {
                out.add(p.nodeName());
            }
        }
        return out;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
