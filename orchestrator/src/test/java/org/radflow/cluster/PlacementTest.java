package org.radflow.cluster;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlacementTest {

    private static final List<String> THREE = List.of("node-a", "node-b", "node-c");

    @Test
    void everyNodeComputesTheSameOrderWhateverTheOrderOfTheMemberList() {
        for (int i = 0; i < 200; i++) {
            String study = "1.2.826.0.1." + i;
            List<String> order = Placement.order(study, THREE);
            assertEquals(order, Placement.order(study, List.of("node-c", "node-a", "node-b")));
            assertEquals(order.get(0), Placement.owner(study, List.of("node-b", "node-c", "node-a")));
            assertEquals(3, order.size());
        }
        assertNull(Placement.owner("1.2.3", List.of()));
    }

    @Test
    void studiesSpreadOverTheNodesAndOnlyADepartedNodesStudiesMove() {
        Map<String, Integer> owned = new HashMap<>();
        int moved = 0;
        int n = 3000;
        for (int i = 0; i < n; i++) {
            String study = "2.25." + (1_000_000 + i * 7919L);
            List<String> order = Placement.order(study, THREE);
            owned.merge(order.get(0), 1, Integer::sum);
            List<String> without = new ArrayList<>(THREE);
            without.remove("node-b");
            String after = Placement.owner(study, without);
            if (!order.get(0).equals("node-b")) {
                assertEquals(order.get(0), after, "a study node-b did not own stays where it was");
            } else {
                assertEquals(order.get(1), after, "node-b's studies go to their second node, which holds the owner's copies");
                moved++;
            }
        }
        for (String node : THREE) {
            int share = owned.getOrDefault(node, 0);
            assertTrue(share > n / 3 - n / 10 && share < n / 3 + n / 10, node + " owns " + share + " of " + n);
        }
        assertEquals(owned.get("node-b"), moved);
    }
}
