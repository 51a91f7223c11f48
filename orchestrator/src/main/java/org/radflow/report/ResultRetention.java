package org.radflow.report;

import org.radflow.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Removes the bulky part of old results ({@code tracking.resultsRetentionDays}), so that {@code <dataDir>/results} does
 * not grow without bound: the report objects (SR, SC, SEG under {@code dicom/}), label maps and key images of a job go
 * once the job finished before the cut-off and every one of its objects reached its destination (sent, or committed
 * where storage commitment is on). The PACS has them then; RadFlow is not an archive. What stays: {@code result.json}
 * (the findings the API and dashboard show, a few kilobytes), the journal and the audit trail.
 *
 * <p>A job's outputs stay while any of its outbox rows is still pending, awaiting commitment, or a dead letter (an
 * operator may re-queue it, which needs the file), and while its study is held by an operator
 * ({@code POST /api/studies/{uid}/retention}). A removal is recorded by a marker file with its time, which the API
 * reports as {@code outputsRemovedAt}; the marker is written first, so a crash mid-removal leaves a marked folder
 * that the next sweep finishes.
 */
public final class ResultRetention {

    private static final Logger LOG = LoggerFactory.getLogger(ResultRetention.class);
    /** The marker of a result whose outputs retention removed; holds the time of removal. */
    public static final String REMOVED = "outputs-removed";
    private static final Pattern JOB_ID = Pattern.compile("[0-9a-f-]{36}");

    private final Path root;
    private final Store store;
    private final Predicate<String> studyHeld;

    /** What a sweep did: results whose outputs went, results kept (undelivered, held, or not finished long enough). */
    public record Sweep(int removed, int kept, long bytes) {
    }

    /**
     * @param root      {@code <dataDir>/results}
     * @param studyHeld whether an operator holds the study (its results stay too)
     */
    public ResultRetention(Path root, Store store, Predicate<String> studyHeld) {
        this.root = root;
        this.store = store;
        this.studyHeld = studyHeld;
    }

    /** When retention removed the job's outputs, if it did. */
    public static Optional<Instant> removedAt(Path resultDirectory) {
        try {
            return Optional.of(Instant.parse(Files.readString(resultDirectory.resolve(REMOVED)).strip()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Files.exists(resultDirectory.resolve(REMOVED)) ? Optional.of(Instant.EPOCH) : Optional.empty();
        }
    }

    /** Removes the outputs of jobs finished before {@code now - age} whose objects were all delivered. */
    public Sweep sweep(Instant now, Duration age) throws IOException, SQLException {
        Instant cutoff = now.minus(age);
        int removed = 0;
        int kept = 0;
        long bytes = 0;
        if (!Files.isDirectory(root)) {
            return new Sweep(0, 0, 0);
        }
        try (DirectoryStream<Path> results = Files.newDirectoryStream(root,
                p -> Files.isDirectory(p) && JOB_ID.matcher(p.getFileName().toString()).matches())) {
            for (Path dir : results) {
                if (Files.exists(dir.resolve(REMOVED)) && !hasOutputs(dir)) {
                    continue;
                }
                String jobId = dir.getFileName().toString();
                Optional<String> study = removableStudy(jobId, cutoff);
                if (study.isEmpty() || studyHeld.test(study.get())) {
                    kept++;
                    continue;
                }
                bytes += removeOutputs(dir, now);
                removed++;
            }
        }
        if (removed > 0) {
            LOG.info("Result retention: removed the report objects, label maps and key images of {} job(s) finished and "
                    + "delivered more than {} day(s) ago ({} MiB); their findings stay", removed, age.toDays(), bytes >> 20);
        }
        return new Sweep(removed, kept, bytes);
    }

    /** The job's study when the job finished before the cut-off and none of its objects still needs its file. */
    private Optional<String> removableStudy(String jobId, Instant cutoff) throws SQLException {
        return store.read(c -> {
            try (PreparedStatement q = c.prepareStatement("SELECT j.study_uid, j.state, j.finished_at, "
                    + "(SELECT COUNT(*) FROM outbox o WHERE o.job_id = j.id AND o.state IN ('PENDING', 'COMMITTING', 'DEAD')) "
                    + "FROM jobs j WHERE j.id = ?")) {
                q.setString(1, jobId);
                try (ResultSet r = q.executeQuery()) {
                    if (!r.next()) {
                        return Optional.empty(); // not in this journal (another node's copy): left alone
                    }
                    Timestamp finished = r.getTimestamp(3);
                    boolean terminal = org.radflow.jobs.JobState.valueOf(r.getString(2)).terminal();
                    if (!terminal || finished == null || !finished.toInstant().isBefore(cutoff) || r.getLong(4) > 0) {
                        return Optional.empty();
                    }
                    return Optional.of(r.getString(1));
                }
            }
        });
    }

    private static boolean hasOutputs(Path dir) throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                String name = p.getFileName().toString();
                if (!name.equals("result.json") && !name.equals(REMOVED)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Marks the result, then deletes everything in it but {@code result.json} and the marker; the bytes freed. */
    private static long removeOutputs(Path dir, Instant now) throws IOException {
        if (!Files.exists(dir.resolve(REMOVED))) {
            Files.writeString(dir.resolve(REMOVED), now + "\n");
        }
        long bytes = 0;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                String name = p.getFileName().toString();
                if (name.equals("result.json") || name.equals(REMOVED)) {
                    continue;
                }
                try (var walk = Files.walk(p)) {
                    for (Path x : walk.sorted(Comparator.reverseOrder()).toList()) {
                        if (Files.isRegularFile(x)) {
                            bytes += Files.size(x);
                        }
                        Files.deleteIfExists(x);
                    }
                }
            }
        }
        return bytes;
    }
}
