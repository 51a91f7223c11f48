package org.radflow.api;

import java.util.List;

/** One thing a module found: a classification, a measurement or a segmentation. */
public sealed interface Finding permits Finding.Classification, Finding.Measurement, Finding.Segmentation {

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
     * @param quantity   what was measured (e.g. SCT "Volume")
     * @param unit       a UCUM unit ({@link Concept#ucum})
     * @param findingSite where (e.g. SCT "Anterior hippocampus"), may equal {@code finding}
     */
    record Measurement(Concept finding, Concept quantity, double value, Concept unit, Concept findingSite,
                       List<String> evidenceSopInstanceUids) implements Finding {
        public Measurement {
            evidenceSopInstanceUids = List.copyOf(evidenceSopInstanceUids);
            if (!"UCUM".equals(unit.scheme())) {
                throw new IllegalArgumentException("measurement units are UCUM concepts, not " + unit);
            }
            if (!Double.isFinite(value)) {
                throw new IllegalArgumentException(quantity.meaning() + " is not a finite number: " + value);
            }
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

    /** One labelled structure: its value in the label map, category and type codes, and a display colour. */
    record Segment(int label, String name, Concept category, Concept type, int rgb) {
        public Segment {
            if (label < 1 || label > 255) {
                throw new IllegalArgumentException("segment labels are 1..255, was " + label);
            }
        }
    }
}
