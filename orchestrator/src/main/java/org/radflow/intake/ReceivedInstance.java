package org.radflow.intake;

import org.radflow.api.DicomTags;
import org.radflow.listener.InstanceStored;

import java.nio.file.Path;

/**
 * One stored instance as it travels through the pipeline: the listener's facts (UIDs, path, size, calling AE) and its
 * header, read once by {@link Intake}. Immutable; no pixel data.
 */
public record ReceivedInstance(InstanceStored stored, InstanceHeader header) {

    public String studyUid() {
        return stored.studyInstanceUid();
    }

    public String seriesUid() {
        return stored.seriesInstanceUid();
    }

    public String sopUid() {
        return stored.sopInstanceUid();
    }

    public Path path() {
        return stored.path();
    }

    /** The header's attributes by keyword or tag; empty when the header could not be read. */
    public DicomTags tags() {
        return header;
    }
}
