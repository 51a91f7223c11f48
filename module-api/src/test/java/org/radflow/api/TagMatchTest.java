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

    @Test
    void sentenceNamesTheValueFirstThenTheExplanationOrTheNeed() {
        DicomTags lat = tags(Map.of("Modality", List.of("DX"), "ViewPosition", List.of("LAT")));
        TagMatch frontal = new TagMatch("ViewPosition", TagCondition.orAbsent(TagCondition.regex("PA|AP")),
                "COVID-Net reads frontal (PA/AP) chest radiographs");
        assertEquals(Optional.of("View Position is LAT; COVID-Net reads frontal (PA/AP) chest radiographs"),
                frontal.sentence(lat, true));
        assertEquals(Optional.of("ViewPosition matches /PA|AP/i or is absent (was 'LAT')"), frontal.mismatch(lat));
        assertEquals(Optional.empty(), frontal.sentence(tags(Map.of()), true), "absent passes orAbsent");
        assertEquals(Optional.of("Modality is DX; needed: is one of [CR, MR]"),
                new TagMatch("Modality", TagCondition.anyOf(List.of("CR", "MR"))).sentence(lat, true));
        assertEquals(Optional.of("Patient ID is present (value not shown); needed: is absent"),
                new TagMatch("PatientID", TagCondition.absent()).sentence(tags(Map.of("PatientID", List.of("123"))), false));
        assertEquals("Body Part Examined", TagMatch.readable("BodyPartExamined"));
        assertEquals("SOP Class UID", TagMatch.readable("SOPClassUID"));
        assertEquals("Patient ID", TagMatch.readable("PatientID"));
    }

    @Test
    void eitherAndOrAbsentAreConditionsOfTheirOwn() {
        TagCondition chestOrNone = TagCondition.orAbsent(TagCondition.regex("chest|thorax"));
        assertEquals(true, chestOrNone.test(List.of()));
        assertEquals(true, chestOrNone.test(List.of("THORAX")));
        assertEquals(false, chestOrNone.test(List.of("SKULL")));
        TagCondition either = TagCondition.either(List.of(TagCondition.equalTo("CR"), TagCondition.regex("D.")));
        assertEquals(true, either.test(List.of("DX")));
        assertEquals(false, either.test(List.of("MR")));
        assertEquals("(is CR or matches /D./i)", either.describe());
    }
}
