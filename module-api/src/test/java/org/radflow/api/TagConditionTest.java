package org.radflow.api;

import org.junit.jupiter.api.Test;
import org.radflow.api.TagCondition.Comparison.Op;

import java.util.List;
import java.util.regex.PatternSyntaxException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TagConditionTest {

    private static final List<String> ABSENT = List.of();
    private static final List<String> IMAGE_TYPE = List.of("ORIGINAL", "PRIMARY", "AXIAL");

    @Test
    void exactValuesTestEachValueOfAMultiValuedAttribute() {
        assertTrue(TagCondition.equalTo("AXIAL").test(IMAGE_TYPE), "any value passing is enough");
        assertTrue(TagCondition.anyOf(List.of("LOCALIZER", "PRIMARY")).test(IMAGE_TYPE));
        assertFalse(TagCondition.equalTo("ORIGINAL\\PRIMARY").test(IMAGE_TYPE), "values are compared one by one, never joined");
        assertFalse(TagCondition.equalTo("LOCALIZER").test(IMAGE_TYPE));
    }

    @Test
    void exactValuesIgnoreSurroundingSpacesButNotCase() {
        assertTrue(TagCondition.equalTo("CT").test(List.of(" CT ")));
        assertFalse(TagCondition.equalTo("CT").test(List.of("ct")));
    }

    @Test
    void notOfAValueMeansNoValueIsIt() {
        TagCondition notLocalizer = TagCondition.not(TagCondition.equalTo("LOCALIZER"));
        assertTrue(notLocalizer.test(IMAGE_TYPE));
        assertFalse(notLocalizer.test(List.of("DERIVED", "SECONDARY", "LOCALIZER")));
    }

    @Test
    void anAbsentAttributeFailsEveryValueTestSoItsNegationPasses() {
        assertFalse(TagCondition.equalTo("LL").test(ABSENT));
        assertFalse(TagCondition.regex(".*").test(ABSENT), "even a pattern that matches anything needs a value");
        assertFalse(TagCondition.compare(Op.LT, 2.5).test(ABSENT));
        assertTrue(TagCondition.not(TagCondition.equalTo("LL")).test(ABSENT));
        assertTrue(TagCondition.not(TagCondition.compare(Op.LT, 2.5)).test(ABSENT), "not (< 2.5) includes 'absent'");
        assertTrue(TagCondition.absent().test(ABSENT));
        assertFalse(TagCondition.present().test(ABSENT));
        assertTrue(TagCondition.not(TagCondition.present()).test(ABSENT));
        assertTrue(TagCondition.present().test(List.of("x")));
    }

    @Test
    void regexIsCaseInsensitiveAndMatchesWholeValues() {
        TagCondition chest = TagCondition.regex("chest|thorax");
        assertTrue(chest.test(List.of("CHEST")));
        assertTrue(chest.test(List.of("Thorax ")), "values are trimmed");
        assertFalse(chest.test(List.of("CHEST PA")), "a whole-value match, not a search");
        assertTrue(TagCondition.regex(".*ORIGINAL.*").test(IMAGE_TYPE));
        assertTrue(TagCondition.regex("thorax é").test(List.of("THORAX É")), "Unicode case folding applies");
        assertThrows(PatternSyntaxException.class, () -> TagCondition.regex("chest("));
    }

    @Test
    void comparisonsUseTheFirstNumericValue() {
        assertTrue(TagCondition.compare(Op.LT, 2.5).test(List.of("1.25")));
        assertFalse(TagCondition.compare(Op.LT, 2.5).test(List.of("2.5")));
        assertTrue(TagCondition.compare(Op.LE, 2.5).test(List.of("2.50")));
        assertTrue(TagCondition.compare(Op.EQ, 3).test(List.of(" 3.0 ")));
        assertTrue(TagCondition.compare(Op.NE, 3).test(List.of("4")));
        assertTrue(TagCondition.compare(Op.GT, 0.6).test(List.of("0.7", "0.5")), "PixelSpacing: the row spacing decides");
        assertFalse(TagCondition.compare(Op.GT, 0.6).test(List.of("0.5", "0.7")));
        assertTrue(TagCondition.compare(Op.GE, 1).test(List.of("n/a", "1")), "non-numeric values are skipped");
    }

    @Test
    void comparisonOfANonNumericValueFails() {
        for (Op op : Op.values()) {
            assertFalse(TagCondition.compare(op, 1).test(List.of("ABC")), op.name());
        }
        assertTrue(TagCondition.not(TagCondition.compare(Op.EQ, 1)).test(List.of("ABC")), "so its negation passes");
    }

    @Test
    void allOfNeedsEveryCondition() {
        TagCondition range = new TagCondition.AllOf(List.of(TagCondition.compare(Op.GE, 1), TagCondition.compare(Op.LE, 3)));
        assertTrue(range.test(List.of("2")));
        assertFalse(range.test(List.of("4")));
        assertFalse(range.test(ABSENT));
        assertEquals(">= 1 and <= 3", range.describe());
    }

    @Test
    void descriptions() {
        assertEquals("is CT", TagCondition.equalTo("CT").describe());
        assertEquals("is one of [CR, DX]", TagCondition.anyOf(List.of("CR", "DX")).describe());
        assertEquals("matches /chest|thorax/i", TagCondition.regex("chest|thorax").describe());
        assertEquals("not (is one of [LL, RL])", TagCondition.not(TagCondition.anyOf(List.of("LL", "RL"))).describe());
        assertEquals("< 2.5", TagCondition.compare(Op.LT, 2.5).describe());
        assertEquals("!= 3", TagCondition.compare(Op.NE, 3).describe());
        assertEquals("is present", TagCondition.present().describe());
        assertEquals("is absent", TagCondition.absent().describe());
    }

    @Test
    void valuesShownInMessagesAreQuotedAndBounded() {
        assertEquals("absent", Checks.show(ABSENT));
        assertEquals("'ORIGINAL'\\'PRIMARY'\\'AXIAL'", Checks.show(IMAGE_TYPE));
        String longValue = "X".repeat(200);
        assertEquals(81, Checks.show(List.of(longValue)).length(), "80 characters and an ellipsis");
    }
}
