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
        Instant nextAttemptAt) {

    public Job {
        destinations = List.copyOf(destinations);
        inputFiles = List.copyOf(inputFiles);
    }

    /** One entry of a job's timeline. */
    public record Event(Instant at, JobState state, String message) {
    }
}
