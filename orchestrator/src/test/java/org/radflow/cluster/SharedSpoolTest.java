package org.radflow.cluster;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.listener.InstanceStored;
import org.radflow.listener.Spool;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;
import org.radflow.testkit.FreePorts;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three nodes' spools and peer endpoints on loopback, without Hazelcast (the member list is given): copies go to the
 * study's owner or its backup, a job's missing inputs are fetched, a departed owner's studies are given to the next.
 */
class SharedSpoolTest {

    private static final String SECRET = "shared-spool-test-secret";

    @TempDir
    Path dir;

    private final List<PeerServer> servers = new ArrayList<>();

    /** One node: its spool, its endpoint, what its intake heard, its view of the members (changeable). */
    final class Node {
        final String name;
        final Spool spool;
        final PeerServer server;
        final List<InstanceStored> heard = new CopyOnWriteArrayList<>();
        final List<Peer> members = new CopyOnWriteArrayList<>();
        final SharedSpool shared;

        Node(String name, int replication) throws IOException {
            this.name = name;
            spool = new Spool(dir.resolve(name), true, 0);
            spool.open();
            server = new PeerServer(spool, SECRET, () -> Set.of("127.0.0.1"), heard::add).start("127.0.0.1", FreePorts.find());
            servers.add(server);
            shared = new SharedSpool(name, spool, () -> List.copyOf(members), new PeerClient(SECRET, name, Duration.ofSeconds(10)),
                    replication);
        }

        Peer peer(boolean local) {
            return new Peer(name, "127.0.0.1:" + server.port(), local, "127.0.0.1");
        }

        boolean holds(String study, String series, String sop) {
            return Files.isRegularFile(spool.finalPath(study, series, sop));
        }

        /** As the listener does: the checked file is copied before it is renamed into this node's spool. */
        void receive(GeneratedSeries s, int i) throws IOException {
            Path temp = spool.newTempFile();
            Files.copy(s.files().get(i), temp);
            shared.replicate(new InstanceStored(s.studyInstanceUid(), s.seriesInstanceUid(), s.sopInstanceUids().get(i),
                    "1.2.840.10008.5.1.4.1.1.4", "MR", "1.2.840.10008.1.2.1", "SCANNER", temp, Files.size(temp), Instant.now()));
            spool.commit(temp, s.studyInstanceUid(), s.seriesInstanceUid(), s.sopInstanceUids().get(i));
        }
    }

    @AfterEach
    void stop() {
        servers.forEach(PeerServer::close);
    }

    private static void see(List<Node> nodes, List<Node> up) {
        for (Node n : nodes) {
            n.members.clear();
            for (Node m : up) {
                n.members.add(m.peer(m == n));
            }
        }
    }

    /** A study UID whose placement over the three nodes is exactly {@code order}. */
    private static String studyPlaced(List<String> order) {
        for (int k = 1; ; k++) {
            String uid = "2.25.99" + k;
            if (Placement.order(uid, List.of("a", "b", "c")).equals(order)) {
                return uid;
            }
        }
    }

    @Test
    void copiesReachTheOwnerOrItsBackupAndAnOwnersDepartureLeavesTheStudyWholeWithTheNext() throws Exception {
        Node a = new Node("a", 2);
        Node b = new Node("b", 2);
        Node c = new Node("c", 2);
        List<Node> all = List.of(a, b, c);
        see(all, all);
        String study = studyPlaced(List.of("c", "b", "a")); // owner c, then b
        GeneratedSeries s1 = Synth.brainMr(dir.resolve("s1"), MrOptions.defaults().withSeed(1).withStudyInstanceUid(study)
                .withDimensions(8, 8, 2));
        GeneratedSeries s2 = Synth.brainMr(dir.resolve("s2"), MrOptions.defaults().withSeed(2).withStudyInstanceUid(study)
                .withDimensions(8, 8, 2));

        a.receive(s1, 0);
        a.receive(s1, 1);
        c.receive(s2, 0);
        c.receive(s2, 1);
        // a is not the owner: its copies went to c; c is the owner: its copies went to its backup b
        for (int i = 0; i < 2; i++) {
            assertTrue(a.holds(study, s1.seriesInstanceUid(), s1.sopInstanceUids().get(i)));
            assertTrue(c.holds(study, s1.seriesInstanceUid(), s1.sopInstanceUids().get(i)), "the owner has what a received");
            assertFalse(b.holds(study, s1.seriesInstanceUid(), s1.sopInstanceUids().get(i)));
            assertTrue(c.holds(study, s2.seriesInstanceUid(), s2.sopInstanceUids().get(i)));
            assertTrue(b.holds(study, s2.seriesInstanceUid(), s2.sopInstanceUids().get(i)), "the owner's backup has what c received");
        }
        assertEquals(2, c.heard.size(), "the owner's intake heard a's copies");
        assertEquals(2, b.heard.size());
        assertArrayEquals(Files.readAllBytes(s1.files().get(0)),
                Files.readAllBytes(c.spool.finalPath(study, s1.seriesInstanceUid(), s1.sopInstanceUids().get(0))), "byte for byte");
        assertTrue(c.shared.owns(study));
        assertFalse(a.shared.owns(study));

        // c dies: b owns the study now; a gives it what b lacks, and b holds the whole study
        see(List.of(a, b), List.of(a, b));
        assertTrue(b.shared.owns(study));
        List<String> before = List.of("a", "b", "c");
        assertEquals(List.of(study), b.shared.ownedRecent(Duration.ofHours(1), before));
        assertEquals(List.of(), b.shared.ownedRecent(Duration.ofHours(1), List.of("a", "b")), "b owned it before too: nothing new");
        assertEquals(0, a.shared.repair(Duration.ofHours(1), List.of("a", "b")), "the owner did not change: nothing to give");
        assertEquals(2, a.shared.repair(Duration.ofHours(1), before), "a gives its two instances of the study to the new owner");
        assertEquals(0, a.shared.repair(Duration.ofHours(1), before), "once");
        assertEquals(0, b.shared.repair(Duration.ofHours(1), before), "the owner gives nothing");
        assertEquals(0, a.shared.repair(Duration.ZERO, before), "only recent studies");
        for (GeneratedSeries s : List.of(s1, s2)) {
            for (String sop : s.sopInstanceUids()) {
                assertTrue(b.holds(study, s.seriesInstanceUid(), sop));
            }
        }
        // b, now the owner, gives its new second node (a) what a lacks: s2 was only on c and b, now on b and a again
        assertEquals(0, a.shared.restoreCopies(Duration.ofHours(1), before), "only the owner restores copies");
        assertEquals(2, b.shared.restoreCopies(Duration.ofHours(1), before));
        assertEquals(0, b.shared.restoreCopies(Duration.ofHours(1), List.of("a", "b")), "second node unchanged: nothing to do");
        for (GeneratedSeries s : List.of(s1, s2)) {
            for (String sop : s.sopInstanceUids()) {
                assertTrue(a.holds(study, s.seriesInstanceUid(), sop), "every instance on two nodes again");
            }
        }
    }

    @Test
    void aPeersCopyCostsOneSyncAndACrashBeforeItsFolderSyncLosesNothing() throws Exception {
        Node a = new Node("a", 1);
        Node b = new Node("b", 1);
        see(List.of(a, b), List.of(a, b));
        String study = studyPlaced(List.of("b", "a", "c")); // owner b: a copies what it receives to b
        GeneratedSeries s = Synth.brainMr(dir.resolve("s"), MrOptions.defaults().withSeed(3).withStudyInstanceUid(study)
                .withDimensions(8, 8, 1));
        a.receive(s, 0);
        Path copy = b.spool.finalPath(study, s.seriesInstanceUid(), s.sopInstanceUids().get(0));
        assertTrue(Files.isRegularFile(copy));
        assertTrue(b.spool.recordsSupported(), "this test needs a file system with user extended attributes (ext4, XFS, btrfs)");
        // the copy was answered after one sync (its file's, with its record); a crash before the folder batch may lose
        // the rename: the file is back in tmp/ under its temporary name. The next start puts it where it belongs.
        Path lost = b.spool.newTempFile();
        Files.move(copy, lost);
        Spool reopened = new Spool(dir.resolve("b"), true, 0);
        Spool.Recovery r = reopened.open();
        assertEquals(1, r.recovered(), "the sealed copy was recovered, not removed as partial");
        assertArrayEquals(Files.readAllBytes(s.files().get(0)), Files.readAllBytes(copy));
    }

    @Test
    void aJobsInputsAreFetchedFromTheMembersThatHoldThem() throws Exception {
        Node a = new Node("a", 2);
        Node b = new Node("b", 2);
        List<Node> two = List.of(a, b);
        see(two, two);
        String study = studyPlaced(List.of("b", "a", "c"));
        GeneratedSeries s = Synth.brainMr(dir.resolve("s"), MrOptions.defaults().withSeed(3).withStudyInstanceUid(study)
                .withDimensions(8, 8, 3));
        for (int i = 0; i < 3; i++) {
            b.receive(s, i); // b owns it: copies on b and a
        }
        // a job planned on node c (gone) names c's paths; a has the files already, b too
        List<Path> planned = new ArrayList<>();
        for (String sop : s.sopInstanceUids()) {
            planned.add(Path.of("/gone/node-c/spool/incoming", study, s.seriesInstanceUid(), sop + ".dcm"));
        }
        List<Path> onA = a.shared.localize(planned, "c");
        assertEquals(3, onA.size());
        onA.forEach(p -> assertTrue(p.startsWith(dir.resolve("a")), p + " is in a's spool"));

        // a third node with nothing fetches all three from the others
        Node c = new Node("c", 2);
        see(List.of(a, b, c), List.of(a, b, c));
        List<Path> onC = c.shared.localize(planned, "b");
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(Files.readAllBytes(s.files().get(i)), Files.readAllBytes(onC.get(i)));
        }
        assertTrue(c.heard.isEmpty(), "fetched inputs are not arrivals: nothing is planned again from them");

        List<Path> unknown = List.of(Path.of("/x/incoming", study, s.seriesInstanceUid(), "1.2.3.4.5.dcm"));
        IOException e = assertThrows(IOException.class, () -> c.shared.localize(unknown, "b"));
        assertTrue(e.getMessage().startsWith("1 of the job's 1 input instance(s) are on no cluster member that is up"), e.getMessage());
    }

    @Test
    void withReplicationFactorTwoAnInstanceIsRefusedWhenNoSecondNodeTakesIt() throws Exception {
        Node a = new Node("a", 2);
        see(List.of(a), List.of(a));
        GeneratedSeries s = Synth.brainMr(dir.resolve("s"), MrOptions.defaults().withSeed(4).withDimensions(8, 8, 1));
        IOException alone = assertThrows(IOException.class, () -> a.receive(s, 0));
        assertTrue(alone.getMessage().contains("no other cluster member is up to hold the second copy"), alone.getMessage());

        // a member whose endpoint does not answer: refused with its reason
        a.members.add(new Peer("b", "127.0.0.1:" + FreePorts.find(), false, "127.0.0.1"));
        IOException down = assertThrows(IOException.class, () -> a.receive(s, 0));
        assertTrue(down.getMessage().contains("did not answer"), down.getMessage());

        // a wrong secret is refused by the peer
        Node b = new Node("b", 2);
        SharedSpool wrong = new SharedSpool("a", a.spool, () -> List.of(a.peer(true), b.peer(false)),
                new PeerClient("not-the-secret-at-all", "a", Duration.ofSeconds(5)), 2);
        Path temp = a.spool.newTempFile();
        Files.copy(s.files().get(0), temp);
        IOException refused = assertThrows(IOException.class, () -> wrong.replicate(new InstanceStored(s.studyInstanceUid(),
                s.seriesInstanceUid(), s.sopInstanceUids().get(0), null, "MR", null, null, temp, Files.size(temp), Instant.now())));
        assertTrue(refused.getMessage().contains("HTTP 403") && refused.getMessage().contains("cluster secret"), refused.getMessage());
        assertTrue(b.heard.isEmpty());
    }
}
