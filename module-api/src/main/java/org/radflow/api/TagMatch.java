package org.radflow.api;

import java.util.List;
import java.util.Optional;

/**
 * A condition on one attribute: {@code Modality is one of [CR, DX]}, with an optional explanation a person reads
 * when a study is refused ("COVID-Net reads frontal (PA/AP) chest radiographs").
 */
public record TagMatch(String keyword, TagCondition condition, String explanation) {

    public TagMatch {
        Checks.require(keyword, "keyword");
        if (condition == null) {
            throw new IllegalArgumentException("condition is required");
        }
        if (explanation != null && explanation.isBlank()) {
            explanation = null;
        }
    }

    /** A condition without an explanation. */
    public TagMatch(String keyword, TagCondition condition) {
        this(keyword, condition, null);
    }

    /** Empty when it matches; otherwise the raw condition, e.g. {@code Modality is one of [CR, DX] (was 'MR')}. */
    public Optional<String> mismatch(DicomTags tags) {
        List<String> values = tags.values(keyword);
        if (condition.test(values)) {
            return Optional.empty();
        }
        return Optional.of(keyword + " " + condition.describe() + " (was " + Checks.show(values) + ")");
    }

    /**
     * Empty when it matches; otherwise a sentence with the attribute's value first and then why it is refused, e.g.
     * {@code View Position is LAT; COVID-Net reads frontal (PA/AP) chest radiographs}, or without an explanation
     * {@code Modality is MR; needed: is one of [CR, DX]}.
     *
     * @param showValue false for attributes that identify the patient: the value is not repeated
     */
    public Optional<String> sentence(DicomTags tags, boolean showValue) {
        List<String> values = tags.values(keyword);
        if (condition.test(values)) {
            return Optional.empty();
        }
        String value = values.isEmpty() ? "absent"
                : showValue ? String.join("\\", values.stream().map(String::trim).toList()) : "present (value not shown)";
        if (value.length() > 80) {
            value = value.substring(0, 80) + "…";
        }
        return Optional.of(readable(keyword) + " is " + value + "; "
                + (explanation != null ? explanation : "needed: " + condition.describe()));
    }

    /** "ViewPosition" as "View Position": a keyword split at its capitals (runs of capitals kept: "SOPClassUID"). */
    static String readable(String keyword) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < keyword.length(); i++) {
            char c = keyword.charAt(i);
            boolean boundary = i > 0 && Character.isUpperCase(c)
                    && (Character.isLowerCase(keyword.charAt(i - 1))
                    || i + 1 < keyword.length() && Character.isLowerCase(keyword.charAt(i + 1)) && Character.isUpperCase(keyword.charAt(i - 1)));
            if (boundary) {
                b.append(' ');
            }
            b.append(c);
        }
        return b.toString();
    }
}
