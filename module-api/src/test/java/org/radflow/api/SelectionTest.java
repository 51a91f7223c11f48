package org.radflow.api;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SelectionTest {

    private static final String MR_IMAGE = "1.2.840.10008.5.1.4.1.1.4";
    private static final String CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2";

    private static final Selection ORIGINAL_AXIAL_MR = new Selection(List.of(
            new TagMatch("Modality", TagCondition.equalTo("MR")),
            new TagMatch("ImageType", TagCondition.equalTo("ORIGINAL")),
            new TagMatch("ImageType", TagCondition.not(TagCondition.equalTo("LOCALIZER")))),
            Set.of(MR_IMAGE), 20);

    @Test
    void acceptsWhenEveryConditionPasses() {
        DicomTags t = TagMatchTest.tags(Map.of("Modality", List.of("MR"), "ImageType", List.of("ORIGINAL", "PRIMARY", "M")));
        assertEquals(Optional.empty(), ORIGINAL_AXIAL_MR.mismatch(t, MR_IMAGE));
    }

    @Test
    void theModalityIsCheckedFirstThenTheSopClass() {
        // a CT is refused for being a CT, not for its SOP class (issue 18: people ask "which modality?" first)
        DicomTags ct = TagMatchTest.tags(Map.of("Modality", List.of("CT")));
        assertEquals(Optional.of("Modality is MR (was 'CT')"), ORIGINAL_AXIAL_MR.mismatch(ct, CT_IMAGE));
        DicomTags mrTagsCtClass = TagMatchTest.tags(Map.of("Modality", List.of("MR")));
        assertEquals(Optional.of("SOP Class " + CT_IMAGE + " is not one the module reads"),
                ORIGINAL_AXIAL_MR.mismatch(mrTagsCtClass, CT_IMAGE));
    }

    @Test
    void reportsTheFirstFailedCondition() {
        DicomTags localizer = TagMatchTest.tags(Map.of("Modality", List.of("MR"), "ImageType", List.of("ORIGINAL", "PRIMARY", "LOCALIZER")));
        assertEquals(Optional.of("ImageType not (is LOCALIZER) (was 'ORIGINAL'\\'PRIMARY'\\'LOCALIZER')"),
                ORIGINAL_AXIAL_MR.mismatch(localizer, MR_IMAGE));
        DicomTags noImageType = TagMatchTest.tags(Map.of("Modality", List.of("MR")));
        assertEquals(Optional.of("ImageType is ORIGINAL (was absent)"), ORIGINAL_AXIAL_MR.mismatch(noImageType, MR_IMAGE));
    }

    @Test
    void anyAcceptsEverything() {
        assertEquals(Optional.empty(), Selection.any().mismatch(TagMatchTest.tags(Map.of()), null));
        assertEquals(1, Selection.any().minInstances());
    }

    @Test
    void minimumInstancesMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new Selection(List.of(), Set.of(), 0));
    }
}
