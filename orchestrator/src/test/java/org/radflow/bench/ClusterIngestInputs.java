package org.radflow.bench;

import org.radflow.cluster.Placement;
import org.radflow.testdata.CtOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.Synth;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The instances bench/cluster-ingest.sh sends: CT-size instances (512x512, 16 bit) in studies whose Study Instance UIDs
 * are chosen by their owner in the two-node cluster {@code node-1, node-2} (rendezvous hashing, {@link Placement}), so
 * that the benchmark knows which instances the receiving node owns. Two sets with different UIDs, {@code warmup} and
 * {@code measured}, so that the warm-up pass and the measured pass store different instances.
 *
 * <p>Usage: {@code ClusterIngestInputs OUT_DIR COUNT half|receiver}: {@code half} puts half the instances in a study
 * owned by node-1 (the receiver) and half in one owned by node-2; {@code receiver} puts all in studies node-1 owns.
 * Prints one line per study: set, study UID, owner, instances.
 */
public final class ClusterIngestInputs {

    static final List<String> NODES = List.of("node-1", "node-2");

    public static void main(String[] args) throws Exception {
        if (args.length != 3 || !(args[2].equals("half") || args[2].equals("receiver"))) {
            throw new IllegalArgumentException("usage: ClusterIngestInputs OUT_DIR COUNT half|receiver");
        }
        Path out = Path.of(args[0]);
        int count = Integer.parseInt(args[1]);
        boolean half = args[2].equals("half");
        List<String> sets = List.of("warmup", "measured");
        for (int set = 0; set < sets.size(); set++) {
            List<String> owners = half ? List.of("node-1", "node-2") : List.of("node-1");
            int k = 0;
            for (int i = 0; i < owners.size(); i++) {
                // the remainder goes to the first study, so that COUNT instances are sent in all
                int n = count / owners.size() + (i == 0 ? count % owners.size() : 0);
                while (!Placement.owner(studyUid(set, k), NODES).equals(owners.get(i))) {
                    k++;
                }
                String uid = studyUid(set, k++);
                GeneratedSeries g = Synth.ctSeries(out.resolve(sets.get(set)).resolve("study-" + (i + 1)),
                        CtOptions.defaults().withSeed(7 + 100L * set + i).withStudyInstanceUid(uid).withCount(n));
                System.out.printf("%s %s %s %d%n", sets.get(set), g.studyInstanceUid(), owners.get(i), g.files().size());
            }
        }
    }

    /** Candidate study UIDs, apart per set so that the warm-up and the measured pass never share a study. */
    private static String studyUid(int set, int k) {
        return "2.25." + (900_000 + set * 10_000 + k);
    }

    private ClusterIngestInputs() {
    }
}
