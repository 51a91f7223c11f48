package org.radflow.hippovolume;

import org.radflow.api.Concept;

/**
 * The coded concepts of HippoVolume's findings (see README, "Output codes").
 *
 * <p>DICOM would write "anterior hippocampus" as finding site Hippocampus with a topographical modifier
 * (SCT 255549009 Anterior / 255551008 Posterior, CID 2). {@code Finding.Measurement} and {@code Finding.Segment}
 * carry no modifiers, so the SR's finding site for the two parts is a private code in RadFlow's declared scheme
 * {@code 99RADFLOW}, and the SEG segments say anterior/posterior in their labels with type Hippocampus.
 */
final class Codes {
    private Codes() {
    }

    /** SCT 5366008 Hippocampal structure, in DICOM CID 7140 "Brain Structure for Volumetric Measurement". */
    static final Concept HIPPOCAMPUS = Concept.sct("5366008", "Hippocampus");
    /** The anterior part (label 1 of the model), private: no pre-coordinated SNOMED concept was verified. */
    static final Concept ANTERIOR_HIPPOCAMPUS = new Concept("99RADFLOW", "HIPPO-ANT", "Anterior hippocampus");
    /** The posterior part (label 2 of the model), private as above. */
    static final Concept POSTERIOR_HIPPOCAMPUS = new Concept("99RADFLOW", "HIPPO-POST", "Posterior hippocampus");
    /** SCT 118565006 Volume (CID 7469 Generic Intensity and Size Measurements). */
    static final Concept VOLUME = Concept.sct("118565006", "Volume");
    /** UCUM cubic millimetre. */
    static final Concept MM3 = Concept.ucum("mm3", "cubic millimeter");
    /** SCT 123037004 Anatomical Structure (CID 7150 Segmentation Property Category). */
    static final Concept ANATOMICAL_STRUCTURE = Concept.sct("123037004", "Anatomical Structure");

    /** Overlay and SEG display colours (gold and dodger blue: distinct, also for common colour blindness). */
    static final int ANTERIOR_RGB = 0xFFD700;
    static final int POSTERIOR_RGB = 0x1E90FF;
}
