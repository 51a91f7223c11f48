package org.radflow.api;

import java.util.List;

/**
 * The unit a job processes: one instance, one series or a whole study, depending on the trigger.
 * Metadata comes as read-only tag maps; pixels are decoded by the platform on request.
 */
public interface StudyInput {

    String studyInstanceUid();

    /** Patient and study attributes (from the first instance). */
    DicomTags studyTags();

    /** The series in the unit, each with only the instances of the unit. */
    List<SeriesInput> series();

    interface SeriesInput {

        String seriesInstanceUid();

        /** Series attributes (from its first instance). */
        DicomTags tags();

        List<InstanceInput> instances();

        /**
         * The series as a volume: slices sorted along the normal by Image Position (Patient), spacing
         * from the positions. Throws {@link PixelDataException} naming the inconsistency (mixed
         * orientation, uneven spacing beyond tolerance, sizes that differ, missing geometry).
         */
        Volume volume() throws PixelDataException;
    }

    interface InstanceInput {

        String sopInstanceUid();

        String sopClassUid();

        DicomTags tags();

        /** Frames in this instance (1 for single-frame images, 0 for non-images). */
        int frames();

        /** One frame, decoded; see {@link PlaneOptions}. */
        ImagePlane plane(int frame, PlaneOptions options) throws PixelDataException;

        default ImagePlane plane() throws PixelDataException {
            return plane(0, PlaneOptions.DEFAULT);
        }
    }

    /**
     * @param invertMonochrome1 return MONOCHROME1 images inverted, so that higher always means brighter
     */
    record PlaneOptions(boolean invertMonochrome1) {
        public static final PlaneOptions DEFAULT = new PlaneOptions(false);
        public static final PlaneOptions BRIGHTER_IS_HIGHER = new PlaneOptions(true);
    }
}
