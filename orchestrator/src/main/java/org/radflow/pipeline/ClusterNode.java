package org.radflow.pipeline;

import io.vertx.core.json.JsonObject;
import org.radflow.api.ModuleException;
import org.radflow.cluster.ClusterMembership;
import org.radflow.cluster.ClusterView;
import org.radflow.cluster.Peer;
import org.radflow.cluster.PeerClient;
import org.radflow.cluster.PeerServer;
import org.radflow.cluster.SharedSpool;
import org.radflow.config.RadflowConfig;
import org.radflow.dicom.Uids;
import org.radflow.jobs.Job;
import org.radflow.jobs.JobJournal;
import org.radflow.listener.InstanceSink;
import org.radflow.listener.Replication;
import org.radflow.listener.Spool;
import org.radflow.report.ResultStore;
import org.radflow.tracking.StudyTracker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * This node as a cluster member, as the pipeline sees it: which studies it plans ({@link #owns}), the copy of each
 * instance to a second node before it is acknowledged ({@link #replication}), which other nodes' jobs it may claim
 * (the journal's claim scope) and the inputs it fetches for them ({@link #inputsHere}), the results of jobs other nodes
 * ran ({@link #resultHere}), and what it does when members come and go ({@link #ownersChanged}). The mechanisms are in
 * {@code org.radflow.cluster}; this class wires them to the stages.
 */
final class ClusterNode implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterNode.class);

    private final ClusterMembership membership;
    private final Supplier<RadflowConfig> config;
    private final JobJournal journal;
    private final String self;
    private final PeerClient client;
    private final ClusterView view;
    private final SharedSpool shared;
    private PeerServer server;
    /** The spool as the peer endpoint writes into it (its folder-sync batches are flushed at close). */
    private Spool peerSpool;
    private ScheduledExecutorService tasks;

    /** Joined already; the journal is open. Other members' copies are taken only once {@link #start} has run. */
    ClusterNode(ClusterMembership membership, Supplier<RadflowConfig> config, JobJournal journal) throws IOException {
        RadflowConfig c = config.get();
        this.membership = membership;
        this.config = config;
        this.journal = journal;
        this.self = c.server().nodeName();
        Spool spool = new Spool(c.listener().spoolDir(), c.listener().fsync(), c.listener().minFreeSpaceBytes());
        Files.createDirectories(spool.incoming());
        Files.createDirectories(spool.root().resolve("tmp"));
        client = new PeerClient(c.cluster().secret().value(), self, Duration.ofSeconds(60));
        view = new ClusterView(membership, self).start();
        shared = new SharedSpool(self, spool, view::ready, client, c.cluster().replicationFactor());
        journal.claimScope(new JobJournal.ClaimScope() {
            @Override
            public Set<String> leaveTo(String moduleId) {
                return view.running(moduleId);
            }

            @Override
            public Duration stealAfter() {
                return config.get().cluster().stealAfter();
            }
        });
    }

    /** Whether this node plans the study's units (it is the study's owner among the ready members). */
    boolean owns(String studyUid) {
        return shared.owns(studyUid);
    }

    /** The other ready members that run a module (enabled, loaded, not draining): their planned jobs are left to them. */
    Set<String> running(String moduleId) {
        return view.running(moduleId);
    }

    /** What the listener calls to make each instance durable on a second node before it is acknowledged. */
    Replication replication() {
        return shared;
    }

    /** A claimed job's inputs in this node's spool, fetched from the members that hold them when planned elsewhere. */
    Job inputsHere(Job job) throws ModuleException {
        try {
            String plannedOn = journal.inputNode(job.id());
            List<Path> here = shared.localize(job.inputFiles(), plannedOn);
            if (here.equals(job.inputFiles()) || job.lease() == null) {
                return job;
            }
            return journal.relocate(job.lease(), here, plannedOn).orElseThrow(() -> ModuleException.transientFailure(
                    "the job was taken over by another node while its inputs were fetched", null));
        } catch (IOException | SQLException e) {
            throw ModuleException.transientFailure("cannot bring the job's inputs to node " + self + ": " + e.getMessage(), e);
        }
    }

    /**
     * A job another node ran has its result folder there: copy it here (once; results do not change) so that this node's
     * API can show the job's outputs and report page. Quiet when that node is not up.
     */
    void resultHere(String jobId, ResultStore results) {
        if (Files.isDirectory(results.directory(jobId))) {
            return;
        }
        try {
            Job job = journal.find(jobId).orElse(null);
            if (job == null || job.node() == null || job.node().equals(self) || !job.state().terminal()) {
                return;
            }
            for (Peer peer : view.ready()) {
                if (peer.nodeName().equals(job.node())) {
                    client.fetchResult(peer, jobId, results.directory(jobId));
                    return;
                }
            }
        } catch (IOException | SQLException e) {
            LOG.warn("Could not copy the result of job {} from the node that ran it: {}", jobId, e.getMessage());
        }
    }

    /** What each member published, as this node last read it. */
    Map<String, JsonObject> facts() {
        return view.facts();
    }

    /** The members this node places studies on and copies to now (up, with their peer endpoint open). */
    Set<String> readyMembers() {
        Set<String> out = new TreeSet<>();
        view.ready().forEach(p -> out.add(p.nodeName()));
        return out;
    }

    /**
     * Opens this node's peer endpoint (others copy instances here and fetch from here), then publishes its facts, which
     * makes it ready for the others. Called once the listener is up (the listener's start cleans the spool's tmp/).
     *
     * @param sink    intake, for the copies other members put here
     * @param ownFacts what this node publishes (the modules it runs, draining, load)
     * @param tracker  re-offered the studies this node comes to own
     */
    void start(InstanceSink sink, Supplier<JsonObject> ownFacts, StudyTracker tracker) throws IOException {
        RadflowConfig c = config.get();
        Spool spool = new Spool(c.listener().spoolDir(), c.listener().fsync(), c.listener().minFreeSpaceBytes());
        spool.probe(); // the listener opened (recovered) the spool; this instance only learns whether records work
        peerSpool = spool;
        server = new PeerServer(spool, c.cluster().secret().value(), () -> {
            Set<String> hosts = new HashSet<>();
            membership.peers().forEach(p -> hosts.add(p.host()));
            return hosts;
        }, sink, c.server().dataDir().resolve("results")).start(c.cluster().bindAddress(), c.cluster().peerPort());
        tasks = Threads.scheduled("cluster");
        // when the ready members change (a node left, or a new one opened its peer endpoint), some studies change owners
        view.onReadyChange(before -> {
            if (!before.isEmpty()) {
                tasks.schedule(() -> ownersChanged(before, tracker), 1, TimeUnit.SECONDS);
            }
        });
        view.publish(ownFacts);
    }

    /**
     * Studies whose owner changed: what this node holds of those it no longer owns goes to their new owners, each study
     * this node owns gets its (new) second copy, and the copies it holds of studies it owns now are offered to the
     * planner (units their previous owner had not planned). Only recent studies: older ones were planned by their owner
     * when it was up, and its jobs are claimed anyway.
     */
    private void ownersChanged(Set<String> before, StudyTracker tracker) {
        RadflowConfig c = config.get();
        Duration quiet = c.tracking().studyQuiet().compareTo(c.tracking().seriesQuiet()) > 0
                ? c.tracking().studyQuiet() : c.tracking().seriesQuiet();
        Duration active = quiet.multipliedBy(2).plus(Duration.ofMinutes(10));
        try {
            shared.repair(active, before);
            shared.restoreCopies(active, before);
            int studies = 0;
            for (String study : shared.ownedRecent(active, before)) {
                try {
                    tracker.reoffer(study);
                    studies++;
                } catch (IOException e) {
                    LOG.error("Cannot offer study {} again: {}", Uids.forLog(study), e.toString());
                }
            }
            if (studies > 0) {
                LOG.info("Cluster members changed: {} recent study(ies) now owned here offered to the planner again", studies);
            }
        } catch (RuntimeException e) {
            LOG.error("Cluster repair failed: {}", e.toString(), e);
        }
    }

    @Override
    public void close() {
        if (tasks != null) {
            tasks.shutdownNow();
        }
        view.close();
        if (server != null) {
            server.close();
        }
        if (peerSpool != null) {
            peerSpool.close();
        }
    }
}
