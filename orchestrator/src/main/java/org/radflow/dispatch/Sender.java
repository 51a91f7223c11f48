package org.radflow.dispatch;

import io.vertx.core.Future;

import java.nio.file.Path;
import java.util.List;

/**
 * Delivers a set of DICOM Part 10 files to one destination. The future fails only when the
 * destination could not be reached or refused the whole request (the outbox retries that);
 * instance-level refusals come back as failed {@link InstanceOutcome}s.
 */
public interface Sender {

    /** The configured destination name, for logs and reports. */
    String destination();

    Future<DeliveryReport> send(List<Path> files);

    /**
     * How long stored objects wait for the destination's storage commitment result before they are sent again;
     * null when the destination does not commit (a stored object is then delivered).
     */
    default java.time.Duration commitmentTimeout() {
        return null;
    }

    /** Where a committing sender registers its transactions (the outbox's tracker); ignored by the others. */
    default void commitmentTracker(CommitmentTracker tracker) {
    }
}
