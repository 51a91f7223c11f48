package org.radflow.api;

import java.util.List;
import java.util.Optional;

/** A condition on one attribute: {@code Modality is one of [CR, DX]}. */
public record TagMatch(String keyword, TagCondition condition) {

    public TagMatch {
        Checks.require(keyword, "keyword");
        if (condition == null) {
            throw new IllegalArgumentException("condition is required");
        }
    }

    /** Empty when it matches; otherwise why not, e.g. {@code Modality is one of [CR, DX] (was 'MR')}. */
    public Optional<String> mismatch(DicomTags tags) {
        List<String> values = tags.values(keyword);
        if (condition.test(values)) {
            return Optional.empty();
        }
        return Optional.of(keyword + " " + condition.describe() + " (was " + Checks.show(values) + ")");
    }
}
