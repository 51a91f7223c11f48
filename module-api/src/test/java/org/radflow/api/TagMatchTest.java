package org.radflow.api;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TagMatchTest {

    static DicomTags tags(Map<String, List<String>> values) {
        return keyword -> values.getOrDefault(keyword, List.of());
    }

    @Test
    void mismatchSaysWhatWasExpectedAndWhatWasThere() {
        DicomTags mr = tags(Map.of("Modality", List.of("MR"), "ImageType", List.of("DERIVED", "SECONDARY")));
        assertEquals(Optional.empty(), new TagMatch("Modality", TagCondition.equalTo("MR")).mismatch(mr));
        assertEquals(Optional.of("Modality is one of [CR, DX] (was 'MR')"),
                new TagMatch("Modality", TagCondition.anyOf(List.of("CR", "DX"))).mismatch(mr));
        assertEquals(Optional.of("ImageType matches /ORIGINAL/i (was 'DERIVED'\\'SECONDARY')"),
                new TagMatch("ImageType", TagCondition.regex("ORIGINAL")).mismatch(mr));
        assertEquals(Optional.of("SliceThickness < 2.5 (was absent)"),
                new TagMatch("SliceThickness", TagCondition.compare(TagCondition.Comparison.Op.LT, 2.5)).mismatch(mr));
    }

    @Test
    void keywordAndConditionAreRequired() {
        assertThrows(IllegalArgumentException.class, () -> new TagMatch(" ", TagCondition.present()));
        assertThrows(IllegalArgumentException.class, () -> new TagMatch("Modality", null));
    }
}
