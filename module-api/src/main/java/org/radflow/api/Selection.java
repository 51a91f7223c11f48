package org.radflow.api;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What a module accepts, as data the platform checks before running it (a mismatch is recorded as
 * {@code NOT_APPLICABLE} with the reason): tag conditions on each candidate instance, the SOP
 * classes it reads (empty: any), and the minimum number of instances in a series or study unit.
 */
public record Selection(List<TagMatch> conditions, Set<String> sopClassUids, int minInstances) {

    public Selection {
        conditions = List.copyOf(conditions);
        sopClassUids = Set.copyOf(sopClassUids);
        if (minInstances < 1) {
            throw new IllegalArgumentException("minInstances must be at least 1");
        }
    }

    public static Selection any() {
        return new Selection(List.of(), Set.of(), 1);
    }

    /**
     * The first condition the tags fail, as the raw condition ({@link TagMatch#mismatch}); empty when all pass.
     * Modality conditions come first, then the SOP classes, then the other conditions in order.
     */
    public Optional<String> mismatch(DicomTags tags, String sopClassUid) {
        for (TagMatch m : conditions) {
            if ("Modality".equals(m.keyword())) {
                Optional<String> why = m.mismatch(tags);
                if (why.isPresent()) {
                    return why;
                }
            }
        }
        if (!sopClassUids.isEmpty() && !sopClassUids.contains(sopClassUid)) {
            return Optional.of("SOP Class " + sopClassUid + " is not one the module reads");
        }
        for (TagMatch m : conditions) {
            if (!"Modality".equals(m.keyword())) {
                Optional<String> why = m.mismatch(tags);
                if (why.isPresent()) {
                    return why;
                }
            }
        }
        return Optional.empty();
    }
}
