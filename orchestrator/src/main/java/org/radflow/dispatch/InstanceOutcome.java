package org.radflow.dispatch;

import java.nio.file.Path;

/**
 * What a destination said about one instance: the DIMSE status for C-STORE, or the STOW-RS
 * verdict (0 for stored, the Failure Reason (0008,1197) or HTTP-derived code otherwise).
 *
 * @param commitmentTransaction the storage commitment Transaction UID the stored instance awaits, or null when
 *                              the destination does not commit (then a stored instance is done)
 */
public record InstanceOutcome(String sopInstanceUid, Path file, boolean success, int status, String detail,
                              String commitmentTransaction) {

    public InstanceOutcome(String sopInstanceUid, Path file, boolean success, int status, String detail) {
        this(sopInstanceUid, file, success, status, detail, null);
    }

    public static InstanceOutcome stored(String sopInstanceUid, Path file, int status) {
        return new InstanceOutcome(sopInstanceUid, file, true, status, "stored");
    }

    public static InstanceOutcome failed(String sopInstanceUid, Path file, int status, String detail) {
        return new InstanceOutcome(sopInstanceUid, file, false, status, detail);
    }

    /** This stored instance awaits the destination's storage commitment result under a transaction. */
    public InstanceOutcome awaitingCommitment(String transactionUid) {
        return new InstanceOutcome(sopInstanceUid, file, success, status, "stored, commitment requested", transactionUid);
    }
}
