package org.radflow.jobs;

import org.radflow.api.Trigger;
import org.radflow.routing.Priority;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * A journaled job: one unit (instance, series or study) for one module, as a rule selected it.
 *
 * @param unitKey      the unit's identity: its kind and UIDs ({@code series:<study>/<series>})
 * @param inputHash    hash of the unit's sorted SOP Instance UIDs; with module id and version it fixes the output UIDs
 * @param revision     1 for the first job of this unit and module; a re-opened unit gets the next number
 * @param supersedes   the job this one replaces (same unit and module, earlier revision), or null
 * @param nextAttemptAt a queued job is not started before this (retry back-off)
 * @param lease        a running job's lease (its node, token and expiry); null when the job is not running
 * @param node         the node that claimed the job last (runs or ran it); null before its first claim
 * @param inputNode    in a cluster, the node whose spool has the job's inputs (it planned the job, or fetched them)
 * @param moduleVersion the version of the module that ran the latest attempt ({@link #run()}); before the first run,
 *                     the version the job was planned with. Output UIDs derive from it
 * @param plannedVersion the module version when the job was planned (null: from before this was recorded)
 * @param run          what ran the latest attempt that reached the module, or null before one did
 */
public record Job(
        String id,
        String unitKey,
        Trigger trigger,
        String studyUid,
        String seriesUid,
        String sopUid,
        String moduleId,
        String moduleVersion,
        String ruleName,
        Priority priority,
        List<String> destinations,
        List<Path> inputFiles,
        String inputHash,
        int revision,
        String supersedes,
        JobState state,
        int attempts,
        String reason,
        double progress,
        String progressMessage,
        Instant createdAt,
        Instant updatedAt,
        Instant startedAt,
        Instant finishedAt,
        Instant nextAttemptAt,
        Lease lease,
        String node,
        String inputNode,
        String plannedVersion,
        ModuleRun run) {

    public Job {
        destinations = List.copyOf(destinations);
        inputFiles = List.copyOf(inputFiles);
    }

    /** A job without a lease (not running, or made by a test or a tool rather than claimed). */
    public Job(String id, String unitKey, Trigger trigger, String studyUid, String seriesUid, String sopUid, String moduleId,
               String moduleVersion, String ruleName, Priority priority, List<String> destinations, List<Path> inputFiles,
               String inputHash, int revision, String supersedes, JobState state, int attempts, String reason, double progress,
               String progressMessage, Instant createdAt, Instant updatedAt, Instant startedAt, Instant finishedAt,
               Instant nextAttemptAt) {
        this(id, unitKey, trigger, studyUid, seriesUid, sopUid, moduleId, moduleVersion, ruleName, priority, destinations,
                inputFiles, inputHash, revision, supersedes, state, attempts, reason, progress, progressMessage, createdAt,
                updatedAt, startedAt, finishedAt, nextAttemptAt, null, null, null, moduleVersion, null);
    }

    /** A job whose module has not run yet (planned with {@code moduleVersion}). */
    public Job(String id, String unitKey, Trigger trigger, String studyUid, String seriesUid, String sopUid, String moduleId,
               String moduleVersion, String ruleName, Priority priority, List<String> destinations, List<Path> inputFiles,
               String inputHash, int revision, String supersedes, JobState state, int attempts, String reason, double progress,
               String progressMessage, Instant createdAt, Instant updatedAt, Instant startedAt, Instant finishedAt,
               Instant nextAttemptAt, Lease lease, String node, String inputNode) {
        this(id, unitKey, trigger, studyUid, seriesUid, sopUid, moduleId, moduleVersion, ruleName, priority, destinations,
                inputFiles, inputHash, revision, supersedes, state, attempts, reason, progress, progressMessage, createdAt,
                updatedAt, startedAt, finishedAt, nextAttemptAt, lease, node, inputNode, moduleVersion, null);
    }

    /** The version the job was planned with (the run's version may differ: a JAR replaced before it ran). */
    public String plannedModuleVersion() {
        return plannedVersion == null ? moduleVersion : plannedVersion;
    }

    /** One entry of a job's timeline. */
    public record Event(Instant at, JobState state, String message) {
    }
}
