package org.radflow.jobs;

import java.time.Instant;

/**
 * A node's claim on a running job. Writes that move the job on are made with it and take effect only while
 * the job is still RUNNING under this {@code token}: after another node took the job over (its lease had
 * expired and the job was claimed again, with a higher token) the old holder can no longer commit anything.
 *
 * @param owner     the node that claimed the job ({@code server.nodeName})
 * @param token     grows by one with each claim of this job
 * @param expiresAt when the job may be taken from its owner unless the lease is renewed first (as of the claim)
 */
public record Lease(String jobId, String owner, long token, Instant expiresAt) {
}
