package org.radflow.api;

import java.util.List;

/** One thing a module found: a classification, a measurement, a segmentation or a qualitative evaluation. */
public sealed interface Finding permits Finding.Classification, Finding.Measurement, Finding.Segmentation,
        Finding.Qualitative {

    /** What the finding is about (e.g. SCT "Hippocampus"); the SR's finding and finding site come from it. */
    Concept finding();

    /**
     * Class probabilities in the model's order, and the predicted class.
     *
     * @param evidenceSopInstanceUids the images the classification was made from
     */
    record Classification(Concept finding, List<ClassProbability> probabilities, Concept predicted,
                          List<String> evidenceSopInstanceUids) implements Finding {
        public Classification {
            probabilities = List.copyOf(probabilities);
            evidenceSopInstanceUids = List.copyOf(evidenceSopInstanceUids);
            if (probabilities.isEmpty()) {
                throw new IllegalArgumentException("a classification needs at least one class probability");
            }
        }
    }

    record ClassProbability(Concept label, double probability) {
        public ClassProbability {
            if (!(probability >= 0 && probability <= 1)) {
                throw new IllegalArgumentException("probability of " + label.meaning() + " must be within 0..1, was " + probability);
            }
        }
    }

    /**
     * A numeric measurement.
     *
     * @param quantity             what was measured (e.g. SCT "Volume")
     * @param unit                 a UCUM unit ({@link Concept#ucum})
     * @param findingSite          where (e.g. SCT "Hippocampus"), may equal {@code finding}; may be null
     * @param findingSiteModifiers laterality and topographical modifiers of the finding site (e.g. SCT "Anterior"),
     *                             in the SR as children of the Finding Site item; empty when none
     * @param segment              the segment of a {@link Segmentation} in the same result the value was measured
     *                             from, or null: the SR then references the SEG segment (TID 1411 "Referenced Segment")
     */
    record Measurement(Concept finding, Concept quantity, double value, Concept unit, Concept findingSite,
                       List<Modifier> findingSiteModifiers, Segment segment,
                       List<String> evidenceSopInstanceUids) implements Finding {
        public Measurement {
            evidenceSopInstanceUids = List.copyOf(evidenceSopInstanceUids);
            findingSiteModifiers = List.copyOf(findingSiteModifiers);
            if (!"UCUM".equals(unit.scheme())) {
                throw new IllegalArgumentException("measurement units are UCUM concepts, not " + unit);
            }
            if (!Double.isFinite(value)) {
                throw new IllegalArgumentException(quantity.meaning() + " is not a finite number: " + value);
            }
            if (!findingSiteModifiers.isEmpty() && findingSite == null) {
                throw new IllegalArgumentException("finding site modifiers need a finding site");
            }
        }

        /** A measurement with no finding-site modifiers and no segment reference (module-api 0.2). */
        public Measurement(Concept finding, Concept quantity, double value, Concept unit, Concept findingSite,
                           List<String> evidenceSopInstanceUids) {
            this(finding, quantity, value, unit, findingSite, List.of(), null, evidenceSopInstanceUids);
        }
    }

    /**
     * A modifier of a finding site or of a segment's type: a laterality (SCT 24028007 Right, 7771000 Left,
     * 51440002 Right and left) or a topographical modifier (e.g. SCT 255549009 Anterior, 255551008 Posterior).
     * The SR writes it under the Finding Site as "Laterality" (SCT 272741003) or "Topographical modifier"
     * (SCT 106233006); the SEG writes it in the Segmented Property Type Modifier Code Sequence.
     */
    record Modifier(Kind kind, Concept value) {
        public enum Kind { LATERALITY, TOPOGRAPHICAL }

        public Modifier {
            if (kind == null || value == null) {
                throw new IllegalArgumentException("a modifier needs a kind and a value");
            }
        }

        public static Modifier laterality(Concept value) {
            return new Modifier(Kind.LATERALITY, value);
        }

        public static Modifier topographical(Concept value) {
            return new Modifier(Kind.TOPOGRAPHICAL, value);
        }
    }

    /**
     * A label map on the grid of a {@link Volume}: {@code labels[(slice * rows + row) * columns + column]},
     * 0 for background and each segment's {@code label} elsewhere.
     *
     * @param sopInstanceUids the source instance of each slice, in slice order (from the Volume)
     */
    record Segmentation(Concept finding, int columns, int rows, int slices, byte[] labels, List<Segment> segments,
                        List<String> sopInstanceUids) implements Finding {
        public Segmentation {
            if (labels.length != (long) columns * rows * slices || sopInstanceUids.size() != slices) {
                throw new IllegalArgumentException("label map does not match " + columns + " x " + rows + " x " + slices);
            }
            segments = List.copyOf(segments);
            sopInstanceUids = List.copyOf(sopInstanceUids);
        }
    }

    /**
     * One labelled structure: its value in the label map, category and type codes (with modifiers of the type,
     * e.g. Hippocampus + Anterior), and a display colour.
     */
    record Segment(int label, String name, Concept category, Concept type, List<Modifier> typeModifiers, int rgb) {
        public Segment {
            if (label < 1 || label > 255) {
                throw new IllegalArgumentException("segment labels are 1..255, was " + label);
            }
            typeModifiers = List.copyOf(typeModifiers);
        }

        /** A segment whose type has no modifiers (module-api 0.2). */
        public Segment(int label, String name, Concept category, Concept type, int rgb) {
            this(label, name, category, type, List.of(), rgb);
        }
    }

    /**
     * A coded evaluation without a probability: an answer the module states rather than predicts, e.g. the band of a
     * reference table a measurement falls in. The SR writes it as a CODE content item ({@code concept} = {@code value})
     * in the finding's measurement group with {@code method} as its method citation and {@code comment} as a comment;
     * the report page prints it as text (never as a percentage).
     *
     * @param concept  what was evaluated (the SR's concept name), e.g. a private "Percentile band of total volume"
     * @param value    the coded answer, e.g. a private "Between the 5th and 10th percentile"
     * @param method   where the evaluation comes from, for a reader (a citation of the reference used); may be empty
     * @param comment  what a reader must know to read it (the group compared with, caveats); may be empty
     * @param evidenceSopInstanceUids the images the evaluation was made from
     * @param confidence how sure the module is of the answer, 0 to 1, when it has such a figure (a classifier that gives
     *                   one answer without class probabilities); null when it has none (a rule, a table look-up). Written
     *                   beside the answer as DICOM's "Certainty of Finding" (DCM 111012), in percent; since API 0.5
     * @since API 0.4
     */
    record Qualitative(Concept finding, Concept concept, Concept value, String method, String comment,
                       List<String> evidenceSopInstanceUids, Double confidence) implements Finding {
        public Qualitative {
            if (finding == null || concept == null || value == null) {
                throw new IllegalArgumentException("a qualitative evaluation needs its finding, concept and value");
            }
            if (confidence != null && !(confidence >= 0 && confidence <= 1)) {
                throw new IllegalArgumentException("the confidence of " + concept.meaning() + " must be between 0 and 1, not "
                        + confidence);
            }
            method = method == null ? "" : method;
            comment = comment == null ? "" : comment;
            evidenceSopInstanceUids = List.copyOf(evidenceSopInstanceUids);
        }

        /** Without a confidence (API 0.4). */
        public Qualitative(Concept finding, Concept concept, Concept value, String method, String comment,
                           List<String> evidenceSopInstanceUids) {
            this(finding, concept, value, method, comment, evidenceSopInstanceUids, null);
        }
    }
}
