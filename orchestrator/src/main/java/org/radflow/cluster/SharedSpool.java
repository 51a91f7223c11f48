package org.radflow.cluster;

import org.radflow.dicom.Uids;
import org.radflow.intake.InstanceHeader;
import org.radflow.listener.InstanceStored;
import org.radflow.listener.Replication;
import org.radflow.listener.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The spools of a cluster's nodes seen as one: each node keeps what it receives, and
 * <ul>
 *   <li>copies it, before the sender is answered, to the study's owner (or, when it is the owner, to the study's
 *   backup): with {@code replicationFactor: 2} every acknowledged instance is on two nodes, and the owner has every
 *   instance of its studies, so its tracker sees whole studies ({@link #replicate});</li>
 *   <li>plans only the studies it owns ({@link #owns});</li>
 *   <li>fetches a claimed job's inputs it lacks from the members that hold them ({@link #localize});</li>
 *   <li>when members come or go, gives each recently active study it holds but does not own to its (new) owner,
 *   so that a study whose owner died is tracked and planned by the next one ({@link #repair}).</li>
 * </ul>
 */
public final class SharedSpool implements Replication {

    private static final Logger LOG = LoggerFactory.getLogger(SharedSpool.class);

    private final String self;
    private final Spool spool;
    private final Supplier<List<Peer>> members;
    private final PeerClient client;
    private final int replicationFactor;

    /** @param members the members up now (this node included) */
    public SharedSpool(String self, Spool spool, Supplier<List<Peer>> members, PeerClient client, int replicationFactor) {
        this.self = self;
        this.spool = spool;
        this.members = members;
        this.client = client;
        this.replicationFactor = replicationFactor;
    }

    private List<String> names(List<Peer> peers) {
        return peers.stream().map(Peer::nodeName).toList();
    }

    private static Peer named(List<Peer> peers, String name) {
        return peers.stream().filter(p -> p.nodeName().equals(name)).findFirst().orElse(null);
    }

    /**
     * Whether this node plans the study's units: it is the study's owner among the members up now. A node that sees no
     * members (leaving, or not joined) plans what it holds, so nothing waits for a cluster that is not there.
     */
    public boolean owns(String studyUid) {
        List<Peer> peers = members.get();
        if (peers.stream().noneMatch(Peer::local)) {
            return true;
        }
        return self.equals(Placement.owner(studyUid, names(peers)));
    }

    @Override
    public void replicate(InstanceStored instance) throws IOException {
        List<Peer> peers = members.get();
        boolean alone = peers.stream().noneMatch(p -> !p.local());
        if (replicationFactor < 2 && owns(instance.studyInstanceUid())) {
            return;
        }
        List<String> order = Placement.order(instance.studyInstanceUid(), names(peers));
        String target = order.isEmpty() ? null : order.get(0).equals(self) ? (order.size() > 1 ? order.get(1) : null) : order.get(0);
        if (alone || target == null) {
            if (replicationFactor < 2) {
                return;
            }
            throw new IOException("no other cluster member is up to hold the second copy (cluster.replicationFactor is 2)");
        }
        Peer to = named(peers, target);
        try {
            client.put(to, instance.studyInstanceUid(), instance.seriesInstanceUid(), instance.sopInstanceUid(), instance.path(),
                    new PeerClient.Meta(instance.sopClassUid(), instance.modality(), instance.transferSyntaxUid(),
                            instance.callingAeTitle()));
        } catch (IOException e) {
            if (replicationFactor < 2) {
                // one copy is enough: the owner fetches it when it plans (repair, or a job's inputs)
                LOG.warn("Could not give instance {} to its study's owner {}: {}", Uids.forLog(instance.sopInstanceUid()), target,
                        e.getMessage());
                return;
            }
            throw e;
        }
    }

    /**
     * The job's input files as paths in this node's spool, fetching from the other members those it lacks (the node
     * that planned the job first). Throws, naming how many are missing, when some are on no member that is up.
     *
     * @param plannedOn the node that planned the job (its input_node), or null
     */
    public List<Path> localize(List<Path> inputs, String plannedOn) throws IOException {
        List<Path> local = new ArrayList<>(inputs.size());
        List<Peer> peers = null;
        int missing = 0;
        for (Path p : inputs) {
            Path series = p.getParent();
            Path study = series == null ? null : series.getParent();
            String name = p.getFileName().toString();
            if (study == null || !name.endsWith(Spool.SUFFIX)) {
                throw new IOException("input " + p + " is not a spooled instance");
            }
            String studyUid = study.getFileName().toString();
            String seriesUid = series.getFileName().toString();
            String sop = name.substring(0, name.length() - Spool.SUFFIX.length());
            Path here = spool.finalPath(studyUid, seriesUid, sop);
            if (!Files.isRegularFile(here)) {
                if (peers == null) {
                    peers = new ArrayList<>(members.get().stream().filter(x -> !x.local()).toList());
                    peers.sort((a, b) -> Boolean.compare(!a.nodeName().equals(plannedOn), !b.nodeName().equals(plannedOn)));
                }
                if (!fetch(peers, studyUid, seriesUid, sop)) {
                    missing++;
                    continue;
                }
            }
            local.add(here);
        }
        if (missing > 0) {
            throw new IOException(missing + " of the job's " + inputs.size() + " input instance(s) are on no cluster member that is "
                    + "up" + (plannedOn == null ? "" : " (planned on " + plannedOn + ")"));
        }
        return local;
    }

    private boolean fetch(List<Peer> from, String study, String series, String sop) throws IOException {
        for (Peer p : from) {
            Path temp = spool.newTempFile();
            try {
                if (client.fetch(p, study, series, sop, temp)) {
                    if (spool.fsync()) {
                        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                            ch.force(false);
                        }
                    }
                    spool.commit(temp, study, series, sop);
                    return true;
                }
            } catch (IOException e) {
                LOG.warn("Fetching instance {} from node {} failed: {}", Uids.forLog(sop), p.nodeName(), e.getMessage());
            } finally {
                Files.deleteIfExists(temp);
            }
        }
        return false;
    }

    /**
     * After the ready members changed from {@code before}: each study this node holds that had an instance within
     * {@code active} and whose owner changed to another node goes to that node (what it lacks), so that the new owner
     * tracks and plans it whole. Returns the number of instances given.
     */
    public int repair(Duration active, java.util.Collection<String> before) {
        List<Peer> peers = members.get();
        if (peers.stream().noneMatch(p -> !p.local())) {
            return 0;
        }
        int given = 0;
        for (Path study : recentStudies(active)) {
            String uid = study.getFileName().toString();
            String owner = Placement.owner(uid, names(peers));
            if (owner == null || owner.equals(self) || owner.equals(Placement.owner(uid, before))) {
                continue; // this node's own, or the owner did not change: it has had the copies since they arrived
            }
            given += give(named(peers, owner), uid, study);
        }
        if (given > 0) {
            LOG.info("Cluster repair: gave {} instance(s) to the new owners of their studies", given);
        }
        return given;
    }

    /**
     * After the ready members changed from {@code before}: for each recent study this node owns now whose second node
     * changed (the old one left, or this node became the owner), the new second node gets what it lacks, so that the
     * study is on two nodes again (with replicationFactor 2). Returns the number of instances given.
     */
    public int restoreCopies(Duration active, java.util.Collection<String> before) {
        if (replicationFactor < 2) {
            return 0;
        }
        List<Peer> peers = members.get();
        if (peers.stream().noneMatch(p -> !p.local())) {
            return 0;
        }
        int given = 0;
        for (Path study : recentStudies(active)) {
            String uid = study.getFileName().toString();
            List<String> now = Placement.order(uid, names(peers));
            if (now.size() < 2 || !now.get(0).equals(self)) {
                continue;
            }
            List<String> was = Placement.order(uid, before);
            if (was.size() >= 2 && was.get(0).equals(self) && was.get(1).equals(now.get(1))) {
                continue; // same owner, same second node: it has had the copies since they arrived
            }
            given += give(named(peers, now.get(1)), uid, study);
        }
        if (given > 0) {
            LOG.info("Cluster repair: gave {} instance(s) to their studies' new second node (two copies again)", given);
        }
        return given;
    }

    /** The studies this node holds, owns now but did not own among {@code before}, with an instance within {@code active}. */
    public List<String> ownedRecent(Duration active, java.util.Collection<String> before) {
        List<String> out = new ArrayList<>();
        List<Peer> peers = members.get();
        if (peers.stream().noneMatch(Peer::local)) {
            return out;
        }
        for (Path study : recentStudies(active)) {
            String uid = study.getFileName().toString();
            if (self.equals(Placement.owner(uid, names(peers))) && !self.equals(Placement.owner(uid, before))) {
                out.add(uid);
            }
        }
        return out;
    }

    /** The study folders in this node's spool with an instance within {@code active} (empty when it cannot be listed). */
    private List<Path> recentStudies(Duration active) {
        Instant since = Instant.now().minus(active);
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> studies = Files.newDirectoryStream(spool.incoming())) {
            for (Path study : studies) {
                if (Files.isDirectory(study) && Uids.isValid(study.getFileName().toString()) && recent(study, since)) {
                    out.add(study);
                }
            }
        } catch (IOException e) {
            LOG.error("Cluster repair could not list the spool: {}", e.toString());
        }
        return out;
    }

    private static boolean recent(Path study, Instant since) throws IOException {
        if (Files.getLastModifiedTime(study).toInstant().isAfter(since)) {
            return true;
        }
        try (DirectoryStream<Path> series = Files.newDirectoryStream(study)) {
            for (Path s : series) {
                if (Files.getLastModifiedTime(s).toInstant().isAfter(since)) {
                    return true;
                }
            }
        }
        return false;
    }

    private int give(Peer owner, String study, Path dir) {
        int given = 0;
        try {
            Set<String> held = new HashSet<>();
            client.list(owner, study).forEach(h -> held.add(h.series() + "/" + h.sop()));
            try (DirectoryStream<Path> seriesDirs = Files.newDirectoryStream(dir)) {
                for (Path s : seriesDirs) {
                    try (DirectoryStream<Path> files = Files.newDirectoryStream(s, "*" + Spool.SUFFIX)) {
                        for (Path f : files) {
                            String n = f.getFileName().toString();
                            String sop = n.substring(0, n.length() - Spool.SUFFIX.length());
                            String series = s.getFileName().toString();
                            if (held.contains(series + "/" + sop)) {
                                continue;
                            }
                            client.put(owner, study, series, sop, f, meta(f));
                            given++;
                        }
                    }
                }
            }
        } catch (IOException e) {
            LOG.warn("Cluster repair: could not give study {} to its owner {}: {}", Uids.forLog(study), owner.nodeName(), e.getMessage());
        }
        return given;
    }

    private static PeerClient.Meta meta(Path f) {
        try {
            InstanceHeader h = InstanceHeader.read(f);
            return new PeerClient.Meta(first(h, "SOPClassUID"), first(h, "Modality"), null, null);
        } catch (Exception e) {
            return new PeerClient.Meta(null, null, null, null);
        }
    }

    private static String first(InstanceHeader h, String keyword) {
        List<String> v = h.values(keyword);
        return v.isEmpty() ? null : v.get(0);
    }
}
