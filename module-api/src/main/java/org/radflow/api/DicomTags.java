package org.radflow.api;

import java.util.List;
import java.util.Optional;

/**
 * Read-only DICOM attributes by keyword (e.g. {@code "Modality"}, {@code "PixelSpacing"}) or by tag
 * ({@code "(0018,0050)"}), as decoded strings. Multi-valued attributes give several values.
 */
public interface DicomTags {

    /** All values; empty when the attribute is absent or empty. */
    List<String> values(String keyword);

    default Optional<String> get(String keyword) {
        List<String> v = values(keyword);
        return v.isEmpty() ? Optional.empty() : Optional.of(v.get(0));
    }

    default boolean has(String keyword) {
        return !values(keyword).isEmpty();
    }

    /** The first value as a number; empty when absent or not numeric. */
    default Optional<Double> number(String keyword) {
        return get(keyword).flatMap(s -> {
            try {
                return Optional.of(Double.parseDouble(s.trim()));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        });
    }
}
