package org.radflow.server;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.cluster.Placement;
import org.radflow.config.RadflowConfig;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;
import org.radflow.testkit.Dcmtk;
import org.radflow.testkit.FreePorts;
import org.radflow.testkit.PostgresServer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Studies in a three-node cluster (three servers in this JVM, one real PostgreSQL): a study whose two series arrive at
 * two different nodes reaches its owner whole and yields one study-trigger job over both series; every acknowledged
 * instance is on two nodes; the peer endpoint refuses requests without the cluster's secret.
 */
class ClusterStudiesIT {

    @RegisterExtension
    static final PostgresServer POSTGRES = new PostgresServer();
    private static final String SECRET = "test-secret-0123456789abcdef";

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    record Node(String name, RadflowServer server, int dicomPort, int peerPort, Path spool) {
    }

    private Node node(String name, String store, int clusterPort, List<Integer> clusterPorts, Path modules) throws Exception {
        return node(name, store, clusterPort, clusterPorts, modules, true, "Study");
    }

    private Node node(String name, String store, int clusterPort, List<Integer> clusterPorts, Path modules, boolean sampleHere,
                      String trigger) throws Exception {
        List<String> members = clusterPorts.stream().map(p -> "'127.0.0.1:" + p + "'").toList();
        Path secret = dir.resolve("cluster-secret");
        Files.writeString(secret, SECRET + "\n");
        int dicom = FreePorts.find();
        int peer = FreePorts.find();
        Path config = dir.resolve(name + ".yaml");
        Files.writeString(config, """
                server: {dataDir: %s, nodeName: %s}
                listener: {bindAddress: 127.0.0.1, port: %d, minFreeSpaceMb: 0, fsync: false}
                api: {port: 0}
                viewer: {enabled: false}
                store: {url: '%s', user: %s}
                tracking: {seriesQuietSeconds: 1, studyQuietSeconds: 3}
                cluster: {enabled: true, name: studies-it, bindAddress: 127.0.0.1, port: %d, members: %s, minSize: 2,
                          peerPort: %d, secretFile: %s}
                modules:
                  dir: %s
                  watch: false
                  sample: {isolation: in-process, enabled: %s}
                rules:
                  - {name: mr, module: sample, trigger: %s, match: {Modality: MR}}
                """.formatted(dir.resolve(name), name, dicom, store, POSTGRES.user(), clusterPort, members, peer, secret, modules,
                sampleHere, trigger));
        RadflowServer s = new RadflowServer(RadflowConfig.load(config), false, config);
        return new Node(name, s, dicom, peer, dir.resolve(name).resolve("spool").resolve("incoming"));
    }

    private JsonArray jobs(Node n, String studyUid) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.server().httpPort()
                + "/api/jobs?limit=100&study=" + studyUid)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return new JsonObject(r.body()).getJsonArray("jobs");
    }

    /** Where each SOP Instance UID is held: node names by UID, from the spools. */
    private static Map<String, List<String>> holders(List<Node> nodes, String studyUid) throws Exception {
        Map<String, List<String>> out = new TreeMap<>();
        for (Node n : nodes) {
            Path study = n.spool().resolve(studyUid);
            if (!Files.isDirectory(study)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(study)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".dcm")).toList()) {
                    String sop = f.getFileName().toString().replace(".dcm", "");
                    out.computeIfAbsent(sop, k -> new ArrayList<>()).add(n.name());
                }
            }
        }
        return out;
    }

    @Test
    void aStudyWhoseSeriesArriveAtTwoNodesYieldsOneStudyJobOverBothAndEveryInstanceIsOnTwoNodes() throws Exception {
        String store = POSTGRES.createDatabase();
        Path modules = dir.resolve("modules");
        OrchestratorIT.installSampleModule(modules);
        List<Integer> ports = List.of(FreePorts.find(), FreePorts.find(), FreePorts.find());
        List<String> names = List.of("node-a", "node-b", "node-c");
        List<Node> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                Node n = node(names.get(i), store, ports.get(i), ports, modules);
                nodes.add(n);
                n.server().start().await(90, TimeUnit.SECONDS);
            }
            // a study owned by node-c, with one series sent to node-a and one to node-b: neither receiver owns it
            String studyUid = null;
            for (int k = 1; studyUid == null; k++) {
                String candidate = "2.25.7" + k;
                if (Placement.owner(candidate, names).equals("node-c")) {
                    studyUid = candidate;
                }
            }
            for (Node n : nodes) {
                awaitMembers(n, 3);
            }
            GeneratedSeries s1 = Synth.brainMr(dir.resolve("s1"), MrOptions.defaults().withSeed(31).withStudyInstanceUid(studyUid)
                    .withSeriesNumber(1).withDimensions(16, 16, 3));
            GeneratedSeries s2 = Synth.brainMr(dir.resolve("s2"), MrOptions.defaults().withSeed(32).withStudyInstanceUid(studyUid)
                    .withSeriesNumber(2).withDimensions(16, 16, 4));
            Dcmtk.storescu().host("127.0.0.1").port(nodes.get(0).dicomPort()).calledAe("RADFLOW").files(s1.files()).run().assertOk();
            Dcmtk.storescu().host("127.0.0.1").port(nodes.get(1).dicomPort()).calledAe("RADFLOW").files(s2.files()).run().assertOk();

            // acknowledged means on two nodes: the receiver and the owner
            Map<String, List<String>> held = holders(nodes, studyUid);
            assertEquals(7, held.size(), held.toString());
            held.forEach((sop, at) -> {
                assertEquals(2, at.size(), sop + " is on " + at);
                assertTrue(at.contains("node-c"), sop + ": the owner holds every instance (" + at + ")");
            });

            JsonArray jobs = new JsonArray();
            long end = System.currentTimeMillis() + 60_000;
            while (System.currentTimeMillis() < end) {
                jobs = jobs(nodes.get(0), studyUid);
                if (!jobs.isEmpty() && jobs.stream().map(o -> ((JsonObject) o).getString("state")).allMatch("SUCCEEDED"::equals)) {
                    break;
                }
                Thread.sleep(250);
            }
            Thread.sleep(2000); // any second job (a node that planned a part of the study) would show by now
            jobs = jobs(nodes.get(0), studyUid);
            assertEquals(1, jobs.size(), "one study-trigger job for the study: " + jobs.encodePrettily());
            JsonObject job = jobs.getJsonObject(0);
            assertEquals("SUCCEEDED", job.getString("state"), job.encodePrettily());
            assertEquals("STUDY", job.getString("trigger"), job.encodePrettily());
            JsonObject detail = new JsonObject(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + nodes.get(0).server().httpPort() + "/api/jobs/" + job.getString("id"))).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            assertEquals(7, detail.getInteger("inputs"), "both series: " + detail.encodePrettily());

            // the peer endpoint serves members only with the secret
            HttpResponse<String> noSecret = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + nodes.get(2).peerPort()
                    + "/peer/v1/studies/" + studyUid)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(403, noSecret.statusCode(), noSecret.body());
            HttpResponse<String> withSecret = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + nodes.get(2).peerPort()
                    + "/peer/v1/studies/" + studyUid)).header("X-RadFlow-Secret", SECRET).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, withSecret.statusCode(), withSecret.body());
            assertEquals(7, new JsonObject(withSecret.body()).getJsonArray("instances").size());
        } finally {
            for (int i = nodes.size() - 1; i >= 0; i--) {
                nodes.get(i).server().close();
            }
        }
    }

    /**
     * Placement and a late join: the module runs on node-c only, which joins after the others. A study owned by node-a
     * is planned there (node-a does not run the module, node-c does), claimed by node-c, which fetches its inputs from
     * the nodes that hold them.
     */
    @Test
    void aModuleEnabledOnOneNodeOnlyRunsThereAndANodeThatJoinsLaterGetsWork() throws Exception {
        String store = POSTGRES.createDatabase();
        Path modules = dir.resolve("modules");
        OrchestratorIT.installSampleModule(modules);
        List<Integer> first = List.of(FreePorts.find(), FreePorts.find());
        List<Node> nodes = new ArrayList<>();
        try {
            nodes.add(node("node-a", store, first.get(0), first, modules, false, "Series"));
            nodes.add(node("node-b", store, first.get(1), first, modules, false, "Series"));
            for (Node n : nodes) {
                n.server().start().await(90, TimeUnit.SECONDS);
            }
            awaitMembers(nodes.get(0), 2);
            // the new node lists the running ones and joins through them; their lists need not name it (README)
            int late = FreePorts.find();
            Node c = node("node-c", store, late, List.of(first.get(0), first.get(1), late), modules, true, "Series");
            nodes.add(c);
            c.server().start().await(90, TimeUnit.SECONDS);
            for (Node n : nodes) {
                awaitMembers(n, 3);
            }
            String studyUid = null;
            for (int k = 1; studyUid == null; k++) {
                String candidate = "2.25.8" + k;
                if (Placement.order(candidate, List.of("node-a", "node-b", "node-c")).equals(List.of("node-a", "node-b", "node-c"))) {
                    studyUid = candidate;
                }
            }
            GeneratedSeries s = Synth.brainMr(dir.resolve("placed"), MrOptions.defaults().withSeed(41).withStudyInstanceUid(studyUid)
                    .withDimensions(16, 16, 3));
            // sent to node-b: copied to the owner node-a; node-c has nothing of it
            Dcmtk.storescu().host("127.0.0.1").port(nodes.get(1).dicomPort()).calledAe("RADFLOW").files(s.files()).run().assertOk();
            JsonArray jobs = new JsonArray();
            long end = System.currentTimeMillis() + 60_000;
            while (System.currentTimeMillis() < end) {
                jobs = jobs(nodes.get(0), studyUid);
                if (jobs.size() == 1 && "SUCCEEDED".equals(jobs.getJsonObject(0).getString("state"))) {
                    break;
                }
                Thread.sleep(250);
            }
            assertEquals(1, jobs.size(), jobs.encodePrettily());
            JsonObject job = jobs.getJsonObject(0);
            assertEquals("SUCCEEDED", job.getString("state"), job.encodePrettily());
            assertEquals("node-c", job.getString("node"), "only node-c runs the module: " + job.encodePrettily());
            assertEquals("node-c", job.getString("inputNode"), "its inputs were fetched to node-c: " + job.encodePrettily());
            JsonObject detail = new JsonObject(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + c.server().httpPort() + "/api/jobs/" + job.getString("id"))).build(), HttpResponse.BodyHandlers.ofString()).body());
            assertTrue(detail.getJsonArray("timeline").stream().map(e -> ((JsonObject) e).getString("message"))
                    .anyMatch(m -> m != null && m.startsWith("inputs fetched to node node-c (planned on node-a)")), detail.encodePrettily());
            for (String sop : s.sopInstanceUids()) {
                assertTrue(Files.isRegularFile(c.spool().resolve(studyUid).resolve(s.seriesInstanceUid()).resolve(sop + ".dcm")), sop);
            }
            // node-a's API shows the outputs and report page of the job node-c ran (copied from node-c's result folder)
            JsonObject onA = new JsonObject(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + nodes.get(0).server().httpPort() + "/api/jobs/" + job.getString("id"))).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            JsonObject outputs = onA.getJsonObject("outputs");
            assertTrue(outputs != null && outputs.getString("summary") != null, onA.encodePrettily());
            assertEquals(detail.getJsonObject("outputs").getJsonArray("objects").size(), outputs.getJsonArray("objects").size(),
                    "the same objects as on node-c");
            assertTrue(outputs.getString("reportPage") != null, "the sample module's result has a report page: " + outputs.encode());
            HttpResponse<byte[]> png = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + nodes.get(0).server().httpPort() + outputs.getString("reportPage"))).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, png.statusCode());
            assertEquals((byte) 0x89, png.body()[0], "a PNG");
        } finally {
            for (int i = nodes.size() - 1; i >= 0; i--) {
                nodes.get(i).server().close();
            }
        }
    }

    private JsonObject awaitMembers(Node n, int size) throws Exception {
        long end = System.currentTimeMillis() + 60_000;
        JsonObject c = null;
        while (System.currentTimeMillis() < end) {
            c = new JsonObject(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.server().httpPort()
                    + "/api/cluster")).build(), HttpResponse.BodyHandlers.ofString()).body());
            // ready: up, and its peer endpoint open (it published its facts), as this node sees it
            if (c.getInteger("size", 0) == size
                    && c.getJsonArray("members").stream().allMatch(m -> ((JsonObject) m).getBoolean("ready", false))) {
                return c;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("cluster of " + size + " not formed: " + c);
    }
}
