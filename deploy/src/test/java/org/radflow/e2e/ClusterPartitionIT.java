package org.radflow.e2e;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;
import org.radflow.testkit.Dcmtk;
import org.radflow.testkit.FreePorts;
import org.radflow.testkit.OrthancServer;
import org.radflow.testkit.PostgresServer;
import org.radflow.testkit.ToolResult;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A network partition of a three-node cluster, on one machine: each RadFlow JVM runs in a network namespace of its own
 * ({@link NetNamespaces}), joined to a bridge in the root namespace where PostgreSQL (the shared store) and Orthanc (the
 * PACS) run. Node 3 is cut off by setting the root-side end of its veth down, while it holds work if the timing allows,
 * and healed later.
 *
 * <p>During the cut, nodes 1 and 2 must see two members and keep claiming, node 3 must see itself alone and claim
 * nothing because of {@code cluster.minSize}; studies sent to node 1 are acknowledged and processed, and whatever node 3
 * held is done by the majority. After healing, every node sees three members again, node 3 claims again, every job is
 * terminal, every study has exactly one SUCCEEDED job and Orthanc exactly the one SR each job journaled: no duplicate
 * report with another SOP Instance UID from the node that was cut off while running.
 *
 * <p>Needs root (ip netns); skipped otherwise. Node logs are kept in {@code target/cluster-partition-logs/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterPartitionIT {

    private static final String SLOW = "&module=" + FailoverModules.SLOW;
    private static final int BEFORE_CUT = 6;
    private static final int DURING_CUT = 3;

    @TempDir
    static Path work;

    private NetNamespaces net;
    private PostgresServer postgres;
    private OrthancServer pacs;
    private final List<ClusterNode> nodes = new ArrayList<>();
    /** Phase name -> seconds, printed at the end (what the report to the lead quotes). */
    private final Map<String, Double> phases = new LinkedHashMap<>();
    /** Study Instance UID -> the node it was sent to. */
    private final Map<String, ClusterNode> sentTo = new LinkedHashMap<>();

    @BeforeAll
    void startPartitionableCluster() throws Exception {
        String why = NetNamespaces.unavailableBecause();
        Assumptions.assumeTrue(why == null, "ClusterPartitionIT skipped: " + why);
        long t0 = System.nanoTime();
        net = NetNamespaces.create(3);
        System.out.println("ClusterPartitionIT: " + net);
        postgres = new PostgresServer().alsoListenOn(net.bridgeAddress(), net.cidr()).start();
        pacs = new OrthancServer().withName("ClusterPartitionIT").start(); // Orthanc listens on every address
        net.awaitReachable(postgres.port(), 15_000);
        postgres.createDatabase("partition");
        Map<String, Path> jars = FailoverModules.build(work.resolve("modules-build"));
        ClusterNode.Cluster cluster = new ClusterNode.Cluster("radflow-partition-it", "partition-it-secret-0123456789",
                postgres.jdbcUrl(net.bridgeAddress(), "partition"), postgres.user(),
                List.of(FreePorts.find(), FreePorts.find(), FreePorts.find()), pacs.aeTitle(), net.bridgeAddress(),
                pacs.dicomPort(), work, net.hosts());
        for (int i = 1; i <= 3; i++) {
            nodes.add(ClusterNode.create(cluster, i, jars));
        }
        phase("namespaces, PostgreSQL, Orthanc", t0);

        long t1 = System.nanoTime();
        // node 1 alone first: it creates the shared schema; then the two others together
        nodes.get(0).start();
        nodes.get(0).awaitHealthy(90_000);
        nodes.get(1).start();
        nodes.get(2).start();
        nodes.get(1).awaitHealthy(90_000);
        nodes.get(2).awaitHealthy(90_000);
        phase("three nodes healthy", t1);

        long t2 = System.nanoTime();
        for (ClusterNode n : nodes) {
            awaitView(n, v -> memberNames(v).size() == 3 && readyNames(v).size() == 3 && claiming(v), 60_000,
                    "three ready members and claiming");
        }
        phase("every node: three ready members, claiming", t2);
        long t3 = System.nanoTime();
        for (ClusterNode n : nodes) {
            awaitWorkersReady(n, 90_000);
        }
        phase("module workers ready on every node", t3);
    }

    @AfterAll
    void stopEverything() throws Exception {
        List<String> problems = new ArrayList<>();
        nodes.forEach(ClusterNode::beginStop);
        nodes.forEach(ClusterNode::stop);
        Path keep = Files.createDirectories(Path.of("target", "cluster-partition-logs"));
        for (ClusterNode n : nodes) {
            if (Files.exists(n.log)) {
                Files.copy(n.log, keep.resolve(n.log.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        if (net != null) {
            try {
                net.close();
                List<String> left = net.leftoverNamespaces();
                if (!left.isEmpty()) {
                    problems.add("namespaces left: " + left);
                }
            } catch (Exception e) {
                problems.add(e.getMessage());
            }
        }
        if (pacs != null) {
            pacs.stop();
        }
        if (postgres != null) {
            postgres.stop();
        }
        // this run's JVMs (their configuration is under this class's temporary folder), not other tests' nodes
        if (work != null && !nodes.isEmpty()) {
            String ours = NetNamespaces.run(List.of("pgrep", "-af", work.toString()), 10).output().strip();
            if (!ours.isEmpty()) {
                problems.add("processes left: " + ours);
            }
        }
        System.out.println("ClusterPartitionIT phases (s): " + phases + "; node logs in " + keep.toAbsolutePath());
        assertTrue(problems.isEmpty(), "clean-up: " + problems);
    }

    @Test
    void theMinorityStopsClaimingAndHealingLeavesOneReportPerJob() throws Exception {
        ClusterNode n1 = nodes.get(0);
        ClusterNode n2 = nodes.get(1);
        ClusterNode n3 = nodes.get(2);

        // a load round-robin over the three nodes, then the cut while node 3 runs one of its jobs (if it gets one in time)
        long t0 = System.nanoTime();
        for (int i = 0; i < BEFORE_CUT; i++) {
            send(nodes.get(i % 3), "before/" + i, 2000 + i);
        }
        phase(BEFORE_CUT + " studies sent round-robin", t0);
        boolean busyAtCut = awaitWorkerBusy(n3, 30_000);
        List<JsonObject> atCut = n1.jobs(SLOW);
        Instant cutAt = Instant.now();
        net.cut(3);
        long cutNanos = System.nanoTime();
        System.out.printf("ClusterPartitionIT: cut node-3 at %s, its worker %s; jobs then: %s%n", cutAt,
                busyAtCut ? "busy" : "NOT busy (no job of node-3 caught running)", states(atCut));

        // the majority sees two members and claims; node 3 sees one and claims nothing, naming cluster.minSize
        awaitView(n1, v -> memberNames(v).equals(Set.of("node-1", "node-2")) && claiming(v), 30_000, "node-1 and node-2, claiming");
        awaitView(n2, v -> memberNames(v).equals(Set.of("node-1", "node-2")) && claiming(v), 30_000, "node-1 and node-2, claiming");
        phase("cut -> majority sees two members", cutNanos);
        JsonObject alone = awaitView(n3, v -> memberNames(v).equals(Set.of("node-3")) && !claiming(v), 30_000,
                "node-3 alone, not claiming");
        phase("cut -> node-3 alone, not claiming", cutNanos);
        assertTrue(String.valueOf(alone.getString("notClaimingBecause")).contains("cluster.minSize"),
                "node-3 should say it claims nothing because of cluster.minSize: " + alone.encode());

        // work sent to the majority during the cut is acknowledged and done; so is what node 3 held or owned
        long t1 = System.nanoTime();
        for (int i = 0; i < DURING_CUT; i++) {
            send(n1, "during/" + i, 3000 + i);
        }
        phase(DURING_CUT + " studies sent to node-1 during the cut", t1);
        List<JsonObject> duringCut = awaitAllDone(n1, 90_000);
        phase("cut -> every study so far has a terminal job (majority only)", cutNanos);
        List<String> notSucceeded = duringCut.stream().filter(j -> !"SUCCEEDED".equals(j.getString("state")))
                .map(j -> j.getString("id") + " " + j.getString("state") + ": " + j.getString("reason")).toList();
        assertTrue(notSucceeded.isEmpty(), "during the cut, nodes 1 and 2 should finish every job: " + notSucceeded);
        String lapsed = leaseLapses(n1, duringCut, cutAt);
        System.out.println("ClusterPartitionIT: during the cut, jobs re-queued from node-3's lapsed lease: " + lapsed);
        JsonObject stillAlone = n3.cluster();
        assertEquals(Set.of("node-3"), memberNames(stillAlone), "node-3 while cut off: " + stillAlone.encode());
        assertTrue(!claiming(stillAlone), "node-3 claims work while cut off: " + stillAlone.encode());

        // heal: one cluster of three again, node 3 claims
        net.heal(3);
        long healNanos = System.nanoTime();
        for (ClusterNode n : nodes) {
            awaitView(n, v -> memberNames(v).size() == 3 && claiming(v), 60_000, "three members, claiming");
        }
        phase("heal -> every node sees three members, claiming", healNanos);
        for (ClusterNode n : nodes) {
            awaitView(n, v -> readyNames(v).size() == 3, 30_000, "three ready members");
        }
        phase("heal -> every node sees three ready members", healNanos);

        // one more study, to node 3 now that it is back; then everything settles
        send(n3, "after/0", 4000);
        List<JsonObject> jobs = awaitAllDone(n1, 90_000);
        // whatever node 3 still had in flight from before the cut (a result, an outbox item) lands now: give it time
        Thread.sleep(8_000);
        jobs = awaitAllDone(n1, 30_000);
        phase("heal -> every job terminal", healNanos);
        System.out.println("ClusterPartitionIT: jobs at the end: " + states(jobs) + "; re-queued from node-3: "
                + leaseLapses(n1, jobs, cutAt));

        // one SUCCEEDED job per study, and in Orthanc exactly the SR each journaled (no second report with other UIDs)
        Map<String, List<JsonObject>> byStudy = jobs.stream().collect(Collectors.groupingBy(j -> j.getString("studyInstanceUid")));
        List<String> problems = new ArrayList<>();
        Map<String, Set<String>> journaled = new TreeMap<>();
        for (String study : sentTo.keySet()) {
            List<JsonObject> its = byStudy.getOrDefault(study, List.of());
            List<JsonObject> succeeded = its.stream().filter(j -> "SUCCEEDED".equals(j.getString("state"))).toList();
            if (succeeded.size() != 1) {
                problems.add(uidEnd(study) + " (sent to " + sentTo.get(study).name + "): " + succeeded.size()
                        + " SUCCEEDED jobs, expected 1; jobs " + its.stream().map(j -> j.getString("id") + " " + j.getString("state")).toList());
            }
            Set<String> uids = new TreeSet<>();
            for (JsonObject j : succeeded) {
                n1.get("/api/jobs/" + j.getString("id")).getJsonArray("deliveries")
                        .forEach(d -> uids.add(((JsonObject) d).getString("sopInstanceUid")));
            }
            journaled.put(study, uids);
        }
        long t2 = System.nanoTime();
        Map<String, List<String>> srs = awaitSrs(sentTo.keySet(), 60_000);
        phase("Orthanc has one SR per study", t2);
        for (String study : sentTo.keySet()) {
            List<String> inPacs = srs.get(study);
            if (inPacs.size() != 1) {
                problems.add(uidEnd(study) + ": " + inPacs.size() + " SR(s) in Orthanc " + inPacs + ", expected 1");
            } else if (!journaled.get(study).containsAll(inPacs)) {
                problems.add(uidEnd(study) + ": Orthanc's SR " + inPacs + " is not the job's journaled output " + journaled.get(study));
            }
        }
        System.out.println("ClusterPartitionIT: " + sentTo.size() + " studies checked: "
                + (problems.isEmpty() ? "one SUCCEEDED job and one SR each" : problems));
        assertTrue(problems.isEmpty(), "after the partition healed, reports are not one per study: " + problems);
    }

    // ---------------------------------------------------------------- helpers

    /** A small MR study (16x16x4) sent to {@code node} with storescu; it must be acknowledged. */
    private void send(ClusterNode node, String folder, int seed) throws Exception {
        GeneratedSeries s = Synth.brainMr(work.resolve(folder), MrOptions.defaults().withSeed(seed).withDimensions(16, 16, 4));
        ToolResult r = Dcmtk.storescu().host(node.address).port(node.dicomPort).calledAe("RADFLOW").files(s.files())
                .timeout(Duration.ofSeconds(60)).run();
        assertTrue(r.ok(), "storescu to " + node + " was not acknowledged: " + r.describe() + "\n" + node.logTail(20));
        sentTo.put(s.studyInstanceUid(), node);
    }

    /** Polls the node's GET /api/cluster until {@code wanted}; fails with the last view and the node's log tail. */
    private static JsonObject awaitView(ClusterNode n, Predicate<JsonObject> wanted, long millis, String what) throws Exception {
        long end = System.currentTimeMillis() + millis;
        JsonObject view = n.cluster();
        while (!wanted.test(view) && System.currentTimeMillis() < end) {
            Thread.sleep(250);
            view = n.cluster();
        }
        if (!wanted.test(view)) {
            throw new AssertionError(n.name + ": expected " + what + " within " + millis / 1000 + " s; GET /api/cluster: "
                    + view.encode() + "\n" + n.logTail(25));
        }
        return view;
    }

    /** Every sent study has a job and every job is terminal, as node {@code api} lists them; the jobs then. */
    private List<JsonObject> awaitAllDone(ClusterNode api, long millis) throws Exception {
        long end = System.currentTimeMillis() + millis;
        List<JsonObject> jobs = api.jobs(SLOW);
        while (!(Api.allTerminal(jobs) && studies(jobs).containsAll(sentTo.keySet())) && System.currentTimeMillis() < end) {
            Thread.sleep(500);
            jobs = api.jobs(SLOW);
        }
        Set<String> without = new TreeSet<>(sentTo.keySet());
        without.removeAll(studies(jobs));
        assertTrue(Api.allTerminal(jobs) && without.isEmpty(), "after " + millis / 1000 + " s: jobs " + states(jobs)
                + ", studies without a job: " + without.stream().map(ClusterPartitionIT::uidEnd).toList()
                + ", open: " + jobs.stream().filter(j -> !Api.allTerminal(List.of(j))).map(j -> j.getString("id")).toList());
        return jobs;
    }

    /** The jobs whose timeline says node 3's lease lapsed after the cut, and when they ran again. */
    private static String leaseLapses(ClusterNode api, List<JsonObject> jobs, Instant cutAt) throws Exception {
        List<String> out = new ArrayList<>();
        for (JsonObject j : jobs) {
            Duration requeued = null;
            Duration rerun = null;
            for (Object o : api.get("/api/jobs/" + j.getString("id")).getJsonArray("timeline")) {
                JsonObject e = (JsonObject) o;
                Instant at = Instant.parse(e.getString("at"));
                if (!at.isAfter(cutAt)) {
                    continue;
                }
                if (requeued == null && "QUEUED".equals(e.getString("state")) && String.valueOf(e.getString("message")).contains("node-3")) {
                    requeued = Duration.between(cutAt, at);
                } else if (requeued != null && rerun == null && "RUNNING".equals(e.getString("state"))) {
                    rerun = Duration.between(cutAt, at);
                }
            }
            if (requeued != null) {
                out.add(j.getString("id") + " re-queued at cut+" + seconds(requeued) + ", running again at cut+" + seconds(rerun));
            }
        }
        return out.isEmpty() ? "none" : String.join("; ", out);
    }

    /** SOP Instance UIDs of the SRs in Orthanc per study, once each has one (or the time is up), looked at twice. */
    private Map<String, List<String>> awaitSrs(Set<String> studies, long millis) throws Exception {
        long end = System.currentTimeMillis() + millis;
        Map<String, List<String>> out = srsOf(studies);
        while (out.values().stream().anyMatch(List::isEmpty) && System.currentTimeMillis() < end) {
            Thread.sleep(500);
            out = srsOf(studies);
        }
        Thread.sleep(2_000); // a duplicate would arrive soon after: look once more
        return srsOf(studies);
    }

    private Map<String, List<String>> srsOf(Set<String> studies) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String study : studies) {
            out.put(study, pacs.instancesOfStudy(study).stream().filter(i -> "SR".equals(i.modality()))
                    .map(OrthancServer.StoredInstance::sopInstanceUid).toList());
        }
        return out;
    }

    /** Both modules loaded and a worker of each up, so that the first jobs do not wait for a JVM to boot. */
    private static void awaitWorkersReady(ClusterNode n, long millis) throws Exception {
        long end = System.currentTimeMillis() + millis;
        List<JsonObject> modules = List.of();
        while (System.currentTimeMillis() < end) {
            modules = n.getArray("/api/modules");
            long ready = modules.stream().filter(m -> Set.of(FailoverModules.SLOW, FailoverModules.STUDY).contains(m.getString("id")))
                    .filter(m -> m.getJsonObject("workers") != null && "ok".equals(m.getJsonObject("workers").getString("health")))
                    .count();
            if (ready == 2) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError(n.name + ": the test modules' workers are not ready: " + modules + "\n" + n.logTail(30));
    }

    /** Waits (bounded) until a worker of the slow module on {@code n} runs a job; whether one did. */
    private static boolean awaitWorkerBusy(ClusterNode n, long millis) throws Exception {
        long end = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < end) {
            boolean busy = n.getArray("/api/modules").stream().filter(m -> FailoverModules.SLOW.equals(m.getString("id")))
                    .map(m -> m.getJsonObject("workers")).filter(w -> w != null && w.getJsonArray("workers") != null)
                    .flatMap(w -> w.getJsonArray("workers").stream())
                    .anyMatch(w -> "busy".equals(((JsonObject) w).getString("state")));
            if (busy) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }

    private static Set<String> memberNames(JsonObject view) {
        Set<String> out = new TreeSet<>();
        if (view.getJsonArray("members") != null) {
            view.getJsonArray("members").forEach(m -> out.add(((JsonObject) m).getString("nodeName")));
        }
        return out;
    }

    private static Set<String> readyNames(JsonObject view) {
        Set<String> out = new TreeSet<>();
        if (view.getJsonArray("members") != null) {
            view.getJsonArray("members").stream().map(m -> (JsonObject) m).filter(m -> Boolean.TRUE.equals(m.getBoolean("ready")))
                    .forEach(m -> out.add(m.getString("nodeName")));
        }
        return out;
    }

    private static boolean claiming(JsonObject view) {
        return Boolean.TRUE.equals(view.getBoolean("claiming"));
    }

    private static Set<String> studies(List<JsonObject> jobs) {
        return jobs.stream().map(j -> j.getString("studyInstanceUid")).collect(Collectors.toSet());
    }

    private static Map<String, Long> states(List<JsonObject> jobs) {
        return jobs.stream().collect(Collectors.groupingBy(j -> j.getString("state"), TreeMap::new, Collectors.counting()));
    }

    private static String seconds(Duration d) {
        return d == null ? "never" : String.format("%.1f s", d.toMillis() / 100 / 10.0);
    }

    /** The end of a UID: enough to tell the test's studies apart in a message. */
    private static String uidEnd(String uid) {
        return "…" + uid.substring(Math.max(0, uid.length() - 12));
    }

    private void phase(String name, long startNanos) {
        double s = Math.round((System.nanoTime() - startNanos) / 1e8) / 10.0;
        phases.put(name, s);
        System.out.printf("ClusterPartitionIT: %s: %.1f s%n", name, s);
    }
}
