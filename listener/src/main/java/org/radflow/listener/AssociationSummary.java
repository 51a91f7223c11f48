package org.radflow.listener;

import java.time.Duration;

/** What one inbound association did; logged at INFO and offered to an observer (audit, metrics). */
public record AssociationSummary(
        String callingAeTitle,
        String calledAeTitle,
        String peerAddress,
        int stored,
        int refused,
        long bytes,
        Duration duration,
        String outcome) {
}
