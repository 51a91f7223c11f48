package org.radflow.cluster;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Which nodes hold and plan a study: rendezvous (highest-random-weight) hashing of the Study Instance UID over the
 * names of the members up now. The first node is the study's owner (it sees every instance and plans the study's jobs),
 * the second its backup (it keeps the second copy of what the owner receives itself).
 *
 * <p>Why not Hazelcast's partition table: every node computes the same order from the member list alone, including
 * the second node (Hazelcast does not expose a partition's backup), and when a node leaves only the studies it owned
 * move, each to the node that was next in its order.
 */
public final class Placement {

    private Placement() {
    }

    /** The nodes in the order they hold {@code studyUid}: owner first. Empty when {@code nodes} is. */
    public static List<String> order(String studyUid, Collection<String> nodes) {
        return nodes.stream().distinct()
                .sorted(Comparator.comparingLong((String n) -> weight(n, studyUid)).reversed().thenComparing(Comparator.naturalOrder()))
                .toList();
    }

    /** The study's owner among {@code nodes}, or null when there are none. */
    public static String owner(String studyUid, Collection<String> nodes) {
        String best = null;
        long bestWeight = 0;
        for (String n : nodes) {
            long w = weight(n, studyUid);
            if (best == null || w > bestWeight || (w == bestWeight && n.compareTo(best) < 0)) {
                best = n;
                bestWeight = w;
            }
        }
        return best;
    }

    static long weight(String node, String studyUid) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(node.getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            byte[] h = md.digest(studyUid.getBytes(StandardCharsets.US_ASCII));
            long w = 0;
            for (int i = 0; i < 8; i++) {
                w = (w << 8) | (h[i] & 0xff);
            }
            return w;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java platform", e);
        }
    }
}
