package org.radflow.hippovolume;

import org.radflow.api.Concept;

/**
 * The coded concepts of HippoVolume's findings (see README, "Output codes"): standard codes only.
 *
 * <p>"Anterior hippocampus" is written as DICOM writes it: finding site Hippocampus (SCT 5366008) with the
 * topographical modifier Anterior (SCT 255549009) or Posterior (SCT 255551008) from CID 2, in the SR under the
 * Finding Site item and in the SEG as the segment type's modifier. The crop holds one hippocampus of unknown side,
 * so no laterality is stated.
 */
final class Codes {
    private Codes() {
    }

    /** SCT 5366008 Hippocampal structure, in DICOM CID 7140 "Brain Structure for Volumetric Measurement". */
    static final Concept HIPPOCAMPUS = Concept.sct("5366008", "Hippocampus");
    /** SCT 255549009 Anterior (CID 2 Anatomic Modifier): label 1 of the model. */
    static final Concept ANTERIOR = Concept.sct("255549009", "Anterior");
    /** SCT 255551008 Posterior (CID 2 Anatomic Modifier): label 2 of the model. */
    static final Concept POSTERIOR = Concept.sct("255551008", "Posterior");
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
