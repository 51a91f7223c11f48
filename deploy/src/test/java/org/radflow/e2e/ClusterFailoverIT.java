package org.radflow.e2e;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;
import org.radflow.testkit.Dcmtk;
import org.radflow.testkit.FreePorts;
import org.radflow.testkit.OrthancServer;
import org.radflow.testkit.PostgresServer;
import org.radflow.testkit.ToolResult;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Three real RadFlow JVMs (bin/radflow serve) in one cluster on loopback, one real PostgreSQL as their shared store and
 * a real Orthanc as the PACS they report to. First, a study whose two series arrive at two different nodes makes one
 * study-trigger job that sees both series. Then, under load (12 studies sent round-robin with storescu, a slow module),
 * node 3 is killed with SIGKILL, its data directory deleted and never restarted: every acknowledged study must still
 * get its job done and exactly one SR per job in Orthanc, nothing may stay QUEUED or RUNNING, and the time from the
 * kill to the first of node 3's jobs starting on another node is measured.
 *
 * <p>Modules run with the default isolation (worker processes): with 1.5 s jobs and one lane per node the workers
 * cost start-up time only (they boot while the cluster forms). The kill is of node 3's server JVM; its workers must
 * leave by themselves (their socket closes), and any still there after 5 s are killed as a lost machine's would be.
 * Node logs are kept in {@code target/cluster-failover-logs/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterFailoverIT {

    private static final int STUDIES = 12;
    private static final long TERMINAL_WAIT_MILLIS = 120_000;

    @RegisterExtension
    static final PostgresServer POSTGRES = new PostgresServer();

    @RegisterExtension
    static final OrthancServer PACS = new OrthancServer().withName("ClusterFailoverIT");

    @TempDir
    static Path work;

    private final List<ClusterNode> nodes = new ArrayList<>();
    /** Phase name -> seconds, printed at the end (what the report to the lead quotes). */
    private final Map<String, Double> phases = new LinkedHashMap<>();

    @BeforeAll
    void startCluster() throws Exception {
        long t0 = System.nanoTime();
        Map<String, Path> jars = FailoverModules.build(work.resolve("modules-build"));
        ClusterNode.Cluster cluster = new ClusterNode.Cluster("radflow-failover-it", "failover-it-secret-0123456789",
                POSTGRES.createDatabase(), POSTGRES.user(), List.of(FreePorts.find(), FreePorts.find(), FreePorts.find()),
                PACS.aeTitle(), PACS.dicomPort(), work);
        for (int i = 1; i <= 3; i++) {
            nodes.add(ClusterNode.create(cluster, i, jars));
        }
        // node 1 alone first: it creates the shared schema; then the two others together
        nodes.get(0).start();
        nodes.get(0).awaitHealthy(90_000);
        nodes.get(1).start();
        nodes.get(2).start();
        nodes.get(1).awaitHealthy(90_000);
        nodes.get(2).awaitHealthy(90_000);
        phase("three nodes healthy", t0);

        long t1 = System.nanoTime();
        Set<String> names = nodes.stream().map(n -> n.name).collect(Collectors.toCollection(TreeSet::new));
        for (ClusterNode n : nodes) {
            awaitMembers(n, names, 60_000);
        }
        phase("every GET /api/cluster lists all three", t1);

        long t2 = System.nanoTime();
        for (ClusterNode n : nodes) {
            awaitWorkersReady(n, 90_000);
        }
        phase("module workers ready on every node", t2);
    }

    @AfterAll
    void stopCluster() throws Exception {
        nodes.forEach(ClusterNode::beginStop);
        nodes.forEach(ClusterNode::stop);
        Path keep = Files.createDirectories(Path.of("target", "cluster-failover-logs"));
        for (ClusterNode n : nodes) {
            if (Files.exists(n.log)) {
                Files.copy(n.log, keep.resolve(n.log.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        System.out.println("ClusterFailoverIT phases (s): " + phases + "; node logs in " + keep.toAbsolutePath());
    }

    @Test
    @Order(1)
    void aStudyWhoseSeriesArriveAtTwoNodesMakesOneStudyJobWithBothSeries() throws Exception {
        long t0 = System.nanoTime();
        MrOptions base = MrOptions.defaults().withSeed(900).withDimensions(16, 16, 4).withStudyDescription("two-node study");
        GeneratedSeries first = Synth.brainMr(work.resolve("two-node/1"), base.withSeriesNumber(1).withSeriesDescription("part one"));
        GeneratedSeries second = Synth.brainMr(work.resolve("two-node/2"), base.withSeriesNumber(2).withSeriesDescription("part two")
                .withStudyInstanceUid(first.studyInstanceUid()));
        assertEquals(first.studyInstanceUid(), second.studyInstanceUid());
        store(nodes.get(0), first).assertOk();
        store(nodes.get(1), second).assertOk();

        String query = "&module=" + FailoverModules.STUDY + "&study=" + first.studyInstanceUid();
        ClusterNode api = nodes.get(0);
        Api.awaitJobs(api.apiPort, query, l -> !l.isEmpty() && Api.allTerminal(l), 60_000);
        // a second study job (the other node's half) may be planned a moment later: look again after a quiet period
        Thread.sleep(5_000);
        List<JsonObject> jobs = Api.awaitJobs(api.apiPort, query, l -> !l.isEmpty() && Api.allTerminal(l), 30_000);
        phase("two-node study: sent to terminal jobs", t0);

        List<String> seen = new ArrayList<>();
        for (JsonObject j : jobs) {
            JsonObject detail = Api.get(api.apiPort, "/api/jobs/" + j.getString("id"));
            seen.add(j.getString("id") + " " + j.getString("state") + " inputs=" + detail.getInteger("inputs")
                    + " summary=" + summary(j.getString("id")));
        }
        assertEquals(1, jobs.size(), "series 1 went to node-1 and series 2 to node-2: expected ONE study-trigger job for the study, "
                + "found " + jobs.size() + ": " + seen);
        JsonObject job = jobs.get(0);
        assertEquals("SUCCEEDED", job.getString("state"), job.encode());
        JsonObject detail = Api.get(api.apiPort, "/api/jobs/" + job.getString("id"));
        int instances = first.files().size() + second.files().size();
        assertEquals(instances, detail.getInteger("inputs"), "the study job's input is both series (" + instances
                + " instances): " + seen);
        String summary = summary(job.getString("id"));
        assertNotNull(summary, "no live node has the result of job " + job.getString("id"));
        assertTrue(summary.contains(first.seriesInstanceUid()) && summary.contains(second.seriesInstanceUid()),
                "the module saw both series: " + summary);
    }

    @Test
    @Order(2)
    void killingANodeUnderLoadLosesNoAcknowledgedStudyAndMakesOneReportPerJob() throws Exception {
        List<GeneratedSeries> studies = new ArrayList<>();
        for (int i = 0; i < STUDIES; i++) {
            studies.add(Synth.brainMr(work.resolve("load/" + i), MrOptions.defaults().withSeed(1000 + i).withDimensions(16, 16, 4)));
        }
        // round-robin, one association per study; acknowledged = storescu exit 0
        long t0 = System.nanoTime();
        Map<String, ClusterNode> receivedBy = new LinkedHashMap<>();
        Set<String> acknowledged = new TreeSet<>();
        for (int i = 0; i < STUDIES; i++) {
            ClusterNode to = nodes.get(i % 3);
            String study = studies.get(i).studyInstanceUid();
            receivedBy.put(study, to);
            if (store(to, studies.get(i)).ok()) {
                acknowledged.add(study);
            }
        }
        phase("12 studies sent", t0);
        assertEquals(STUDIES, acknowledged.size(), "every study is acknowledged while all three nodes are up");
        ClusterNode victim = nodes.get(2);
        ClusterNode api = nodes.get(0);
        Set<String> victimStudies = receivedBy.entrySet().stream().filter(e -> e.getValue() == victim).map(Map.Entry::getKey)
                .collect(Collectors.toCollection(TreeSet::new));

        // kill -9 node 3 while the load runs: some job has SUCCEEDED, not all of node 3's studies are done, and node 3's
        // worker is busy (it holds a job under lease: the API names no job's node, its Modules view shows a busy worker)
        String slow = "&module=" + FailoverModules.SLOW;
        List<JsonObject> atKill = List.of();
        long end = System.currentTimeMillis() + 60_000;
        while (true) {
            atKill = Api.jobs(api.apiPort, slow);
            long succeeded = atKill.stream().filter(j -> "SUCCEEDED".equals(j.getString("state"))).count();
            Set<String> victimDone = atKill.stream().filter(j -> terminal(j) && victimStudies.contains(j.getString("studyInstanceUid")))
                    .map(j -> j.getString("studyInstanceUid")).collect(Collectors.toSet());
            if (succeeded >= 1 && succeeded < STUDIES && victimDone.size() < victimStudies.size() && workerBusy(victim)) {
                break;
            }
            if (victimDone.size() == victimStudies.size() || System.currentTimeMillis() > end) {
                fail("no moment to kill node-3 mid-load (node-3's studies done: " + victimDone.size() + "/" + victimStudies.size()
                        + ", succeeded " + succeeded + "): " + states(atKill));
            }
            Thread.sleep(100);
        }
        Instant killedAt = victim.killNow();
        long killNanos = System.nanoTime();
        phase("sent -> kill", t0);
        System.out.printf("ClusterFailoverIT: killed %s at %s; jobs then: %s; node-3's studies not done: %d of %d%n", victim.name,
                killedAt, states(atKill), victimStudies.size() - atKill.stream()
                        .filter(j -> terminal(j) && victimStudies.contains(j.getString("studyInstanceUid"))).count(), victimStudies.size());
        Set<String> unfinishedAtKill = new TreeSet<>(victimStudies);
        atKill.stream().filter(ClusterFailoverIT::terminal).forEach(j -> unfinishedAtKill.remove(j.getString("studyInstanceUid")));

        // Hazelcast's view: how long until the survivors no longer list node 3
        Set<String> survivors = nodes.stream().filter(ClusterNode::alive).map(n -> n.name).collect(Collectors.toCollection(TreeSet::new));
        long gone = System.currentTimeMillis() + 30_000;
        while (!survivors.equals(memberNames(api.cluster())) && System.currentTimeMillis() < gone) {
            Thread.sleep(100);
        }
        phase(survivors.equals(memberNames(api.cluster())) ? "kill -> node-3 gone from node-1's GET /api/cluster"
                : "kill -> node-3 still listed by node-1 (gave up)", killNanos);
        int orphans = victim.awaitOrphansGone(5_000);
        System.out.printf("ClusterFailoverIT: %s's %d child process(es) (module workers): %d still alive after waiting up to 5 s (then killed)%n",
                victim.name, victim.killedChildren(), orphans);
        deleteRecursively(victim.dataDir);

        // the journal is shared: node 1 lists every job; wait (bounded) until all are terminal and every study has one
        List<JsonObject> jobs = Api.jobs(api.apiPort, slow);
        long until = System.currentTimeMillis() + TERMINAL_WAIT_MILLIS;
        while (System.currentTimeMillis() < until && !(Api.allTerminal(jobs) && studiesWithJobs(jobs).containsAll(acknowledged))) {
            Thread.sleep(500);
            jobs = Api.jobs(api.apiPort, slow);
        }
        boolean settled = Api.allTerminal(jobs) && studiesWithJobs(jobs).containsAll(acknowledged);
        phase(settled ? "kill -> every job terminal" : "kill -> gave up waiting for terminal jobs", killNanos);

        // failover time: kill -> the first job that node 3 held starts again on another node (node 3 is dead, so any
        // start after the kill is elsewhere). "Held": its timeline says node 3's lease lapsed. The API names no node, so
        // jobs node 3 had only planned are approximated by the unfinished jobs of the studies node 3 received.
        Duration held = null;
        Duration planned = null;
        Duration requeued = null;
        String heldJob = null;
        String plannedJob = null;
        for (JsonObject j : jobs) {
            List<JsonObject> timeline = Api.get(api.apiPort, "/api/jobs/" + j.getString("id")).getJsonArray("timeline").stream()
                    .map(o -> (JsonObject) o).toList();
            boolean leaseLapsed = false;
            Duration firstStart = null;
            for (JsonObject e : timeline) {
                Instant at = Instant.parse(e.getString("at"));
                if (!at.isAfter(killedAt)) {
                    continue;
                }
                Duration d = Duration.between(killedAt, at);
                if ("QUEUED".equals(e.getString("state")) && String.valueOf(e.getString("message")).contains("node " + victim.name)) {
                    leaseLapsed = true;
                    requeued = requeued == null || d.compareTo(requeued) < 0 ? d : requeued;
                }
                if ("RUNNING".equals(e.getString("state")) && firstStart == null) {
                    firstStart = d;
                }
            }
            if (firstStart == null) {
                continue;
            }
            if (leaseLapsed && (held == null || firstStart.compareTo(held) < 0)) {
                held = firstStart;
                heldJob = j.getString("id");
            }
            if (unfinishedAtKill.contains(j.getString("studyInstanceUid")) && (planned == null || firstStart.compareTo(planned) < 0)) {
                planned = firstStart;
                plannedJob = j.getString("id");
            }
        }
        Duration failover = held != null ? held : planned;
        String failoverText = failover == null ? "none of node-3's jobs started again within " + TERMINAL_WAIT_MILLIS / 1000
                + " s of the kill (re-queued when its lease lapsed: " + seconds(requeued) + ")"
                : String.format("%s (job %s, %s; re-queued when its lease lapsed: %s)", seconds(failover), held != null ? heldJob : plannedJob,
                held != null ? "held by node-3 at the kill" : "of a study node-3 received", seconds(requeued));
        System.out.println("ClusterFailoverIT: kill -> first re-run of a node-3 job: " + failoverText
                + "; of a job of a study node-3 received: " + seconds(planned) + " (job " + plannedJob + ")");
        if (requeued != null) {
            phases.put("kill -> node-3's running job re-queued (its lease lapsed)", requeued.toMillis() / 100 / 10.0);
        }
        if (held != null) {
            phases.put("kill -> node-3's running job started elsewhere", held.toMillis() / 100 / 10.0);
        }
        if (planned != null) {
            phases.put("kill -> first job of a node-3 study started", planned.toMillis() / 100 / 10.0);
        }
        System.out.println("ClusterFailoverIT: jobs at the end: " + states(jobs));

        Map<String, List<JsonObject>> byStudy = jobs.stream().collect(Collectors.groupingBy(j -> j.getString("studyInstanceUid")));

        // in Orthanc: one SR per SUCCEEDED job, the one RadFlow journaled for delivery (no second report with other UIDs);
        // looked at before the other assertions, so that a run that fails on them still says whether reports were doubled
        long t3 = System.nanoTime();
        Map<String, Set<String>> delivered = new LinkedHashMap<>();
        Map<String, Integer> expectedSrs = new LinkedHashMap<>();
        for (String study : acknowledged) {
            Set<String> uids = new TreeSet<>();
            int succeeded = 0;
            for (JsonObject j : byStudy.getOrDefault(study, List.of())) {
                if ("SUCCEEDED".equals(j.getString("state"))) {
                    succeeded++;
                    Api.get(api.apiPort, "/api/jobs/" + j.getString("id")).getJsonArray("deliveries")
                            .forEach(d -> uids.add(((JsonObject) d).getString("sopInstanceUid")));
                }
            }
            delivered.put(study, uids);
            expectedSrs.put(study, succeeded);
        }
        Map<String, List<String>> srs = awaitSrs(expectedSrs, 60_000);
        phase("Orthanc has the reports", t3);
        List<String> reportProblems = new ArrayList<>();
        for (String study : acknowledged) {
            List<String> inPacs = srs.get(study);
            if (inPacs.size() != expectedSrs.get(study) || new TreeSet<>(inPacs).size() != inPacs.size()) {
                reportProblems.add(uidEnd(study) + ": " + expectedSrs.get(study) + " SUCCEEDED job(s) but " + inPacs.size()
                        + " SR(s) in Orthanc " + inPacs);
            } else if (!delivered.get(study).containsAll(inPacs)) {
                reportProblems.add(uidEnd(study) + ": Orthanc has SR(s) " + inPacs + " that are not the job's journaled outputs "
                        + delivered.get(study) + " (a second, different report)");
            }
        }
        System.out.println("ClusterFailoverIT: SRs in Orthanc checked for " + acknowledged.size() + " studies ("
                + expectedSrs.values().stream().mapToInt(Integer::intValue).sum() + " SUCCEEDED jobs): "
                + (reportProblems.isEmpty() ? "one per job" : reportProblems));

        // every acknowledged study has a SUCCEEDED job; nothing is left QUEUED or RUNNING
        List<String> missing = new ArrayList<>();
        for (String study : acknowledged) {
            List<JsonObject> its = byStudy.getOrDefault(study, List.of());
            if (its.stream().noneMatch(j -> "SUCCEEDED".equals(j.getString("state")))) {
                missing.add(uidEnd(study) + " (received by " + receivedBy.get(study).name + ", jobs "
                        + its.stream().map(j -> j.getString("state") + (j.getString("reason") == null ? "" : ": " + j.getString("reason")))
                        .toList() + ")");
            }
        }
        assertTrue(missing.isEmpty(), missing.size() + " of " + acknowledged.size() + " acknowledged studies have no SUCCEEDED "
                + FailoverModules.SLOW + " job " + (TERMINAL_WAIT_MILLIS / 1000) + " s after node-3 was killed: " + missing
                + "; failover: " + failoverText);
        List<String> open = jobs.stream().filter(j -> !terminal(j)).map(j -> j.getString("id") + " " + j.getString("state")).toList();
        assertTrue(open.isEmpty(), "jobs still QUEUED or RUNNING " + (TERMINAL_WAIT_MILLIS / 1000) + " s after the kill: " + open);
        assertTrue(reportProblems.isEmpty(), "reports in Orthanc are not one per job: " + reportProblems);
        assertNotNull(failover, "kill -> first re-run of a node-3 job: " + failoverText);
        assertTrue(failover.compareTo(Duration.ofSeconds(60)) < 0, "kill -> first re-run of a node-3 job took " + failoverText
                + " (leaseSeconds is 5)");
    }

    // ---------------------------------------------------------------- helpers

    private static ToolResult store(ClusterNode node, GeneratedSeries series) {
        return Dcmtk.storescu().host("127.0.0.1").port(node.dicomPort).calledAe("RADFLOW").files(series.files())
                .timeout(Duration.ofSeconds(60)).run();
    }

    private void phase(String name, long startNanos) {
        double s = Math.round((System.nanoTime() - startNanos) / 1e8) / 10.0;
        phases.put(name, s);
        System.out.printf("ClusterFailoverIT: %s: %.1f s%n", name, s);
    }

    private static void awaitMembers(ClusterNode n, Set<String> names, long millis) throws Exception {
        long end = System.currentTimeMillis() + millis;
        JsonObject view = n.cluster();
        while (!names.equals(memberNames(view)) && System.currentTimeMillis() < end) {
            Thread.sleep(250);
            view = n.cluster();
        }
        assertEquals(names, memberNames(view), n.name + "'s GET /api/cluster: " + view.encodePrettily());
        assertEquals(true, view.getBoolean("claiming"), n.name + " does not claim work: " + view.encode());
    }

    private static Set<String> memberNames(JsonObject view) {
        Set<String> out = new TreeSet<>();
        if (view.getJsonArray("members") != null) {
            view.getJsonArray("members").forEach(m -> out.add(((JsonObject) m).getString("nodeName")));
        }
        return out;
    }

    /** Both modules loaded and a worker of each up, so that the first jobs do not wait for a JVM to boot. */
    private static void awaitWorkersReady(ClusterNode n, long millis) throws Exception {
        long end = System.currentTimeMillis() + millis;
        List<JsonObject> modules = List.of();
        while (System.currentTimeMillis() < end) {
            modules = Api.getArray(n.apiPort, "/api/modules");
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

    /** The job's summary from whichever live node has its result (results are kept by the node that ran the job). */
    private String summary(String jobId) throws Exception {
        for (ClusterNode n : nodes) {
            if (n.alive()) {
                JsonObject outputs = Api.get(n.apiPort, "/api/jobs/" + jobId).getJsonObject("outputs");
                if (outputs != null) {
                    return outputs.getString("summary");
                }
            }
        }
        return null;
    }

    /** SOP Instance UIDs of the SRs in Orthanc per study, once each study has at least the expected number (or the time is up). */
    private static Map<String, List<String>> awaitSrs(Map<String, Integer> expected, long millis) throws Exception {
        long end = System.currentTimeMillis() + millis;
        Map<String, List<String>> out;
        do {
            out = new LinkedHashMap<>();
            boolean all = true;
            for (var e : expected.entrySet()) {
                List<String> srs = PACS.instancesOfStudy(e.getKey()).stream().filter(i -> "SR".equals(i.modality()))
                        .map(OrthancServer.StoredInstance::sopInstanceUid).toList();
                out.put(e.getKey(), srs);
                all &= srs.size() >= e.getValue();
            }
            if (all) {
                Thread.sleep(2_000); // a duplicate would arrive soon after: look once more
                for (String study : expected.keySet()) {
                    out.put(study, PACS.instancesOfStudy(study).stream().filter(i -> "SR".equals(i.modality()))
                            .map(OrthancServer.StoredInstance::sopInstanceUid).toList());
                }
                return out;
            }
            Thread.sleep(500);
        } while (System.currentTimeMillis() < end);
        return out;
    }

    /** Whether one of the node's workers of the slow module is running a job now (GET /api/modules). */
    private static boolean workerBusy(ClusterNode n) throws Exception {
        return Api.getArray(n.apiPort, "/api/modules").stream().filter(m -> FailoverModules.SLOW.equals(m.getString("id")))
                .map(m -> m.getJsonObject("workers")).filter(w -> w != null && w.getJsonArray("workers") != null)
                .flatMap(w -> w.getJsonArray("workers").stream()).anyMatch(w -> "busy".equals(((JsonObject) w).getString("state")));
    }

    private static String seconds(Duration d) {
        return d == null ? "never" : String.format("%.1f s", d.toMillis() / 100 / 10.0);
    }

    private static boolean terminal(JsonObject job) {
        return !Set.of("QUEUED", "RUNNING").contains(job.getString("state"));
    }

    private static Set<String> studiesWithJobs(List<JsonObject> jobs) {
        return jobs.stream().map(j -> j.getString("studyInstanceUid")).collect(Collectors.toSet());
    }

    private static Map<String, Long> states(List<JsonObject> jobs) {
        return jobs.stream().collect(Collectors.groupingBy(j -> j.getString("state"), java.util.TreeMap::new, Collectors.counting()));
    }

    /** The end of a UID: enough to tell the test's studies apart in a message. */
    private static String uidEnd(String uid) {
        return "…" + uid.substring(Math.max(0, uid.length() - 12));
    }

    private static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
