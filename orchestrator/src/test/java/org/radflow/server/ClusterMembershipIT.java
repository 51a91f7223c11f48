package org.radflow.server;

import com.hazelcast.core.Hazelcast;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.config.RadflowConfig;
import org.radflow.testkit.FreePorts;
import org.radflow.testkit.PostgresServer;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three RadFlow servers in this JVM forming one Hazelcast cluster on loopback (distinct ports, TCP-IP join, one real
 * PostgreSQL as their shared store): every node's GET /api/cluster lists all three by node name; when one stops the
 * others see two. No studies are sent: spooled files are still per node (the next step of the cluster issue).
 */
class ClusterMembershipIT {

    @RegisterExtension
    static final PostgresServer POSTGRES = new PostgresServer();

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    private RadflowServer node(String name, String store, int clusterPort, List<Integer> clusterPorts, int apiPort,
                               String clusterName) throws Exception {
        List<String> members = clusterPorts.stream().map(p -> "'127.0.0.1:" + p + "'").toList();
        Path config = dir.resolve(name + ".yaml");
        Path secret = dir.resolve("cluster-secret");
        Files.writeString(secret, "membership-it-secret-0123456789\n");
        Files.writeString(config, """
                server: {dataDir: %s, nodeName: %s}
                listener: {bindAddress: 127.0.0.1, port: 0, minFreeSpaceMb: 0}
                api: {port: %d}
                viewer: {enabled: false}
                store: {url: '%s', user: %s}
                cluster: {enabled: true, name: %s, bindAddress: 127.0.0.1, port: %d, members: %s, minSize: 2,
                          peerPort: %d, secretFile: %s}
                """.formatted(dir.resolve(name), name, apiPort, store, POSTGRES.user(), clusterName, clusterPort, members,
                FreePorts.find(), secret));
        return new RadflowServer(RadflowConfig.load(config), false, config);
    }

    private JsonObject cluster(RadflowServer s) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.httpPort() + "/api/cluster")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return new JsonObject(r.body());
    }

    /** The node names in s's view once it has {@code size} members (Hazelcast notices a departure within seconds). */
    private JsonObject awaitSize(RadflowServer s, int size) throws Exception {
        long end = System.currentTimeMillis() + 60_000;
        JsonObject c = cluster(s);
        while (c.getInteger("size") != size && System.currentTimeMillis() < end) {
            Thread.sleep(200);
            c = cluster(s);
        }
        assertEquals(size, c.getInteger("size"), "cluster view of " + s.config().server().nodeName() + ": " + c.encodePrettily());
        return c;
    }

    private static Set<String> nodeNames(JsonObject view) {
        Set<String> names = new TreeSet<>();
        for (Object o : view.getJsonArray("members")) {
            names.add(((JsonObject) o).getString("nodeName"));
        }
        return names;
    }

    @Test
    void threeNodesSeeEachOtherByNameAndTheRestSeeTwoWhenOneStops() throws Exception {
        String store = POSTGRES.createDatabase();
        List<Integer> ports = List.of(FreePorts.find(), FreePorts.find(), FreePorts.find());
        List<String> names = List.of("node-a", "node-b", "node-c");
        List<RadflowServer> nodes = new ArrayList<>();
        long t0 = System.nanoTime();
        try {
            for (int i = 0; i < 3; i++) { // one after the other: the first creates the shared schema
                RadflowServer s = node(names.get(i), store, ports.get(i), ports, 0, "radflow-it");
                nodes.add(s);
                s.start().await(90, TimeUnit.SECONDS);
            }
            System.out.printf("ClusterMembershipIT: three nodes started in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            for (int i = 0; i < 3; i++) {
                JsonObject view = awaitSize(nodes.get(i), 3);
                assertEquals("cluster", view.getString("role"));
                assertEquals("radflow-it", view.getString("name"));
                assertEquals(2, view.getInteger("minSize"));
                assertEquals(new TreeSet<>(names), nodeNames(view), view.encodePrettily());
                JsonObject self = view.getJsonObject("self");
                assertEquals(names.get(i), self.getString("nodeName"));
                assertEquals("127.0.0.1:" + ports.get(i), self.getString("address"));
                JsonArray members = view.getJsonArray("members");
                List<JsonObject> local = members.stream().map(o -> (JsonObject) o).filter(m -> m.getBoolean("local")).toList();
                assertEquals(1, local.size(), view.encodePrettily());
                assertEquals(self.getString("id"), local.get(0).getString("id"));
                for (Object o : members) {
                    JsonObject m = (JsonObject) o;
                    assertEquals("127.0.0.1:" + ports.get(names.indexOf(m.getString("nodeName"))), m.getString("address"));
                    assertFalse(m.getString("id").isBlank());
                }
            }
            HttpResponse<String> ready = readiness(nodes.get(0));
            assertEquals(200, ready.statusCode(), ready.body());
            assertEquals("UP", new JsonObject(ready.body()).getJsonObject("components").getJsonObject("cluster").getString("status"),
                    ready.body());

            // the same member ids on every node: one cluster, not three that happen to have the same members' names
            assertEquals(ids(cluster(nodes.get(0))), ids(cluster(nodes.get(1))));
            assertEquals(ids(cluster(nodes.get(0))), ids(cluster(nodes.get(2))));

            // a whole cluster claims work; a drained node does not, until it resumes
            for (RadflowServer s : nodes) {
                assertEquals(true, cluster(s).getBoolean("claiming"), cluster(s).encodePrettily());
            }
            HttpResponse<String> drained = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + nodes.get(0).httpPort()
                    + "/api/cluster/drain")).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, drained.statusCode(), drained.body());
            assertEquals(false, cluster(nodes.get(0)).getBoolean("claiming"));
            assertTrue(cluster(nodes.get(0)).getString("notClaimingBecause").startsWith("draining"), cluster(nodes.get(0)).encode());
            assertEquals(true, cluster(nodes.get(1)).getBoolean("claiming"), "a drain is one node's");
            http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + nodes.get(0).httpPort() + "/api/cluster/resume"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(true, cluster(nodes.get(0)).getBoolean("claiming"));

            // cluster settings need a restart: a reload says so and keeps the running membership
            Path configA = dir.resolve("node-a.yaml");
            Files.writeString(configA, Files.readString(configA).replace("minSize: 2", "minSize: 3"));
            HttpResponse<String> reload = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + nodes.get(0).httpPort()
                    + "/api/config/reload")).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, reload.statusCode(), reload.body());
            assertTrue(new JsonObject(reload.body()).getJsonArray("restartRequired").contains("cluster"), reload.body());
            assertEquals(2, cluster(nodes.get(0)).getInteger("minSize"));

            long stop = System.nanoTime();
            nodes.remove(2).close();
            for (RadflowServer s : nodes) {
                assertEquals(new TreeSet<>(List.of("node-a", "node-b")), nodeNames(awaitSize(s, 2)));
            }
            System.out.printf("ClusterMembershipIT: node-c stopped and gone from both views in %.1f s%n", (System.nanoTime() - stop) / 1e9);
            assertEquals(true, cluster(nodes.get(0)).getBoolean("claiming"), "two of three is cluster.minSize (2)");

            // alone, below cluster.minSize: node-a may be a partition's minority side and claims nothing
            nodes.remove(1).close();
            JsonObject alone = awaitSize(nodes.get(0), 1);
            assertEquals(false, cluster(nodes.get(0)).getBoolean("claiming"), alone.encodePrettily());
            assertTrue(cluster(nodes.get(0)).getString("notClaimingBecause").contains("fewer than cluster.minSize (2)"),
                    cluster(nodes.get(0)).encode());
            // readiness warns (the node still receives and spools) but stays ready
            HttpResponse<String> warned = readiness(nodes.get(0));
            assertEquals(200, warned.statusCode(), warned.body());
            JsonObject clusterReady = new JsonObject(warned.body()).getJsonObject("components").getJsonObject("cluster");
            assertEquals("WARN", clusterReady.getString("status"), warned.body());
            assertTrue(clusterReady.getString("detail").contains("fewer than cluster.minSize (2)"), warned.body());
        } finally {
            nodes.forEach(RadflowServer::close);
        }
    }

    private HttpResponse<String> readiness(RadflowServer s) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.httpPort() + "/api/health/ready")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static Set<String> ids(JsonObject view) {
        Set<String> ids = new TreeSet<>();
        view.getJsonArray("members").forEach(o -> ids.add(((JsonObject) o).getString("id")));
        return ids;
    }

    @Test
    void aNodeWhoseClusterPortIsTakenFailsToStartAndLeavesNothingRunning() throws Exception {
        String store = POSTGRES.createDatabase();
        int apiPort = FreePorts.find();
        try (ServerSocket taken = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            RadflowServer s = node("node-busy", store, port, List.of(port), apiPort, "radflow-busy");
            try {
                Exception e = assertThrows(Exception.class, () -> s.start().await(60, TimeUnit.SECONDS));
                String message = String.valueOf(e.getMessage());
                assertTrue(message.contains("cannot join cluster 'radflow-busy' on 127.0.0.1:" + port), message);
                assertNull(s.vertx(), "no Vert.x without the cluster");
                assertFalse(FreePorts.isListening(apiPort), "the API must not be started by a node outside its cluster");
                assertTrue(Hazelcast.getAllHazelcastInstances().stream()
                        .noneMatch(h -> h.getConfig().getClusterName().equals("radflow-busy")), "Hazelcast left running");
            } finally {
                s.close();
            }
        }
    }
}
