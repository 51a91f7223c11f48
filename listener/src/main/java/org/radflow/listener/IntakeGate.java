package org.radflow.listener;

/**
 * Whether the listener takes new instances now. Asked once per C-STORE before anything is written, so it must be a
 * cheap read (a volatile field kept current by whoever knows the backlog, never a query); a refusal is answered A700
 * "out of resources" with the reason as the error comment, which a PACS reads as "retry later".
 */
@FunctionalInterface
public interface IntakeGate {

    /** Always accepting (no throttling). */
    IntakeGate OPEN = () -> null;

    /** Null while new instances are accepted; otherwise why not, in words for the sender's log. */
    String refusal();
}
