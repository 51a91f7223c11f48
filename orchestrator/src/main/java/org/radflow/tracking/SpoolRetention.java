package org.radflow.tracking;

import org.radflow.jobs.JobQueries;
import org.radflow.jobs.JobState;
import org.radflow.listener.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Removes received studies from the spool once they are old and done, so that the spool does not grow without bound:
 * RadFlow is not an archive, the PACS keeps the originals. A study goes when nothing of it arrived for
 * {@code tracking.retentionDays} and none of its jobs is queued or running (they read the inputs); its results, the
 * journal and the audit trail stay. An operator can hold a study ({@code POST /api/studies/{uid}/retention}): a
 * {@value #HOLD} file in its folder, which the sweep leaves alone.
 *
 * <p>Removal is a rename of the study folder out of {@code incoming/} into {@code tmp/} first (atomic: the tracker, the
 * API and the rule tester never see half a study), then a recursive delete. An instance stored into the study between
 * the age check and the rename travels with it; the sweep looks again after the rename and moves any file newer than
 * the cut-off back before deleting, so an acknowledged instance is never removed by retention.
 */
public final class SpoolRetention {

    private static final Logger LOG = LoggerFactory.getLogger(SpoolRetention.class);
    /** The marker file of a held study, in its folder beside the series folders. */
    public static final String HOLD = ".radflow-hold";

    private final Path incoming;
    private final Path tmp;
    private final JobQueries jobs;
    /** Told the UID of each study removed (the received-studies index drops its rows). */
    private volatile java.util.function.Consumer<String> onRemoved = uid -> { };

    /** What a sweep did. */
    public record Sweep(int removed, int held, int busy, long bytes) {
    }

    public SpoolRetention(Path incoming, Path tmp, JobQueries jobs) {
        this.incoming = incoming;
        this.tmp = tmp;
        this.jobs = jobs;
    }

    /** Calls {@code listener} with each study a sweep removed from the spool, after it is gone. */
    public void onRemoved(java.util.function.Consumer<String> listener) {
        this.onRemoved = listener;
    }

    /** Removes the studies last changed before {@code now - age} whose jobs are all finished. */
    public Sweep sweep(Instant now, Duration age) throws IOException, SQLException {
        Instant cutoff = now.minus(age);
        int removed = 0;
        int held = 0;
        int busy = 0;
        long bytes = 0;
        if (!Files.isDirectory(incoming)) {
            return new Sweep(0, 0, 0, 0);
        }
        if (Files.isDirectory(tmp)) {
            // a removal interrupted by a crash: its folder was already out of incoming/
            try (DirectoryStream<Path> left = Files.newDirectoryStream(tmp, "retention-*")) {
                for (Path l : left) {
                    deleteTree(l);
                }
            }
        }
        List<Path> old = new ArrayList<>();
        try (DirectoryStream<Path> studies = Files.newDirectoryStream(incoming, Files::isDirectory)) {
            for (Path study : studies) {
                if (Files.exists(study.resolve(HOLD))) {
                    held++;
                } else if (newest(study).isBefore(cutoff)) {
                    old.add(study);
                }
            }
        }
        for (int from = 0; from < old.size(); from += 500) {
            List<Path> batch = old.subList(from, Math.min(old.size(), from + 500));
            Map<String, Map<JobState, Integer>> counts = jobs.countsByStudy(batch.stream()
                    .map(p -> p.getFileName().toString()).toList());
            for (Path study : batch) {
                Map<JobState, Integer> c = counts.getOrDefault(study.getFileName().toString(), Map.of());
                if (c.getOrDefault(JobState.QUEUED, 0) + c.getOrDefault(JobState.RUNNING, 0) > 0) {
                    busy++;
                    continue;
                }
                long size = remove(study, cutoff);
                if (size >= 0) {
                    removed++;
                    bytes += size;
                    onRemoved.accept(study.getFileName().toString());
                }
            }
        }
        if (removed > 0 || busy > 0) {
            LOG.info("Spool retention: {} stud{} older than {} removed ({} MB); {} kept because jobs of them are queued or "
                    + "running; {} held by an operator", removed, removed == 1 ? "y" : "ies", age, bytes / (1024 * 1024), busy, held);
        }
        return new Sweep(removed, held, busy, bytes);
    }

    /** Puts or removes an operator's hold on a received study; false when the study is not in the spool. */
    public boolean hold(String studyUid, boolean on) throws IOException {
        Path study = incoming.resolve(studyUid);
        if (!Files.isDirectory(study)) {
            return false;
        }
        if (on) {
            if (!Files.exists(study.resolve(HOLD))) {
                Files.writeString(study.resolve(HOLD), "held from retention " + Instant.now() + "\n");
            }
        } else {
            Files.deleteIfExists(study.resolve(HOLD));
        }
        return true;
    }

    public boolean held(String studyUid) {
        return Files.exists(incoming.resolve(studyUid).resolve(HOLD));
    }

    /**
     * When the study last received an instance: the latest modification time of its series folders, which every
     * rename of an instance into them updates (as the studies API reads it). One stat per series, not per instance,
     * so an hourly sweep of a large spool stays cheap; the study folder's own time is left out (an operator's hold or
     * its release changes it). Files that arrive during a removal are caught by {@link #remove}.
     */
    static Instant newest(Path study) throws IOException {
        Instant max = Instant.EPOCH;
        try (DirectoryStream<Path> series = Files.newDirectoryStream(study, Files::isDirectory)) {
            for (Path s : series) {
                Instant t = Files.getLastModifiedTime(s).toInstant();
                if (t.isAfter(max)) {
                    max = t;
                }
            }
        }
        return max;
    }

    /** Renames the study out of incoming/, puts back anything that arrived meanwhile, deletes the rest; its size or -1. */
    private long remove(Path study, Instant cutoff) throws IOException {
        Files.createDirectories(tmp);
        Path away = tmp.resolve("retention-" + UUID.randomUUID());
        try {
            Files.move(study, away, StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException gone) {
            return -1;
        }
        String studyUid = study.getFileName().toString();
        long size = 0;
        try (DirectoryStream<Path> series = Files.newDirectoryStream(away)) {
            for (Path s : series) {
                if (!Files.isDirectory(s)) {
                    continue;
                }
                try (DirectoryStream<Path> files = Files.newDirectoryStream(s, "*" + Spool.SUFFIX)) {
                    for (Path f : files) {
                        if (Files.getLastModifiedTime(f).toInstant().isBefore(cutoff)) {
                            size += Files.size(f);
                            continue;
                        }
                        // stored between the check and the rename: acknowledged, so it goes back
                        Path back = incoming.resolve(studyUid).resolve(s.getFileName()).resolve(f.getFileName());
                        Files.createDirectories(back.getParent());
                        Files.move(f, back, StandardCopyOption.ATOMIC_MOVE);
                        LOG.warn("Spool retention: instance {} of study {} arrived while the study was being removed; kept",
                                f.getFileName(), studyUid);
                    }
                }
            }
        }
        deleteTree(away);
        return size;
    }

    private static void deleteTree(Path root) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                Files.deleteIfExists(f);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                Files.deleteIfExists(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
