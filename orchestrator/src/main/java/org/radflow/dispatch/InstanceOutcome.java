package org.radflow.dispatch;

import java.nio.file.Path;

/**
 * What a destination said about one instance: the DIMSE status for C-STORE, or the STOW-RS
 * verdict (0 for stored, the Failure Reason (0008,1197) or HTTP-derived code otherwise).
 */
public record InstanceOutcome(String sopInstanceUid, Path file, boolean success, int status, String detail) {

    public static InstanceOutcome stored(String sopInstanceUid, Path file, int status) {
        return new InstanceOutcome(sopInstanceUid, file, true, status, "stored");
    }

    public static InstanceOutcome failed(String sopInstanceUid, Path file, int status, String detail) {
        return new InstanceOutcome(sopInstanceUid, file, false, status, detail);
    }
}
