package org.radflow.tracking;

import org.radflow.api.Trigger;
import org.radflow.listener.InstanceStored;
import org.radflow.listener.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Decides when units are complete. An instance is a unit at once; a series (a study) is complete
 * when no instance of it arrived for its quiet period. A unit that gets another instance after it
 * was handed on becomes pending again and is handed on once more, with all its files: the jobs
 * made from it supersede the earlier ones.
 *
 * <p>The spool is the truth for which files a unit has: the tracker keeps only timing, so it can
 * forget idle studies and still hand on complete units later, and a restart rebuilds it by
 * scanning the spool.
 */
public final class StudyTracker {

    private static final Logger LOG = LoggerFactory.getLogger(StudyTracker.class);

    private final Path incoming;
    private final Duration seriesQuiet;
    private final Duration studyQuiet;
    private final Duration forgetAfter;
    private final Consumer<Unit> onReady;
    private final Clock clock;
    private final Map<String, Pending> series = new HashMap<>();
    private final Map<String, Pending> studies = new HashMap<>();

    private static final class Pending {
        final String studyUid;
        final String seriesUid;
        Instant lastArrival;
        boolean dirty;

        Pending(String studyUid, String seriesUid, Instant lastArrival) {
            this.studyUid = studyUid;
            this.seriesUid = seriesUid;
            this.lastArrival = lastArrival;
        }
    }

    public StudyTracker(Path incoming, Duration seriesQuiet, Duration studyQuiet, Duration forgetAfter, Consumer<Unit> onReady,
                        Clock clock) {
        this.incoming = incoming;
        this.seriesQuiet = seriesQuiet;
        this.studyQuiet = studyQuiet;
        this.forgetAfter = forgetAfter;
        this.onReady = onReady;
        this.clock = clock;
    }

    /** An instance is on disk: hand on its instance unit now, and mark its series and study pending. */
    public void onInstance(InstanceStored e) {
        arrived(e.studyInstanceUid(), e.seriesInstanceUid(), clock.instant());
        onReady.accept(new Unit(Trigger.INSTANCE, e.studyInstanceUid(), e.seriesInstanceUid(), e.sopInstanceUid(),
                List.of(e.path())));
    }

    private synchronized void arrived(String studyUid, String seriesUid, Instant at) {
        Pending s = series.computeIfAbsent(studyUid + "/" + seriesUid, k -> new Pending(studyUid, seriesUid, at));
        s.lastArrival = max(s.lastArrival, at);
        s.dirty = true;
        Pending st = studies.computeIfAbsent(studyUid, k -> new Pending(studyUid, null, at));
        st.lastArrival = max(st.lastArrival, at);
        st.dirty = true;
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    /**
     * Rebuilds pending state from the spool after a start: every instance is offered again as an
     * instance unit and every series and study becomes pending with its newest file's time, so the
     * journal (which ignores units it already has with the same inputs) picks up whatever a crash
     * left unprocessed.
     */
    public int rescan() throws IOException {
        if (!Files.isDirectory(incoming)) {
            return 0;
        }
        int count = 0;
        try (DirectoryStream<Path> studyDirs = Files.newDirectoryStream(incoming)) {
            for (Path studyDir : studyDirs) {
                if (!Files.isDirectory(studyDir)) {
                    continue;
                }
                count += offer(studyDir, null);
            }
        }
        LOG.info("Spool rescan: {} instance(s) in {} series offered to the router again", count, pendingSeries());
        return count;
    }

    /**
     * Offers one study's instances again and makes its series and the study pending from now (this node became the
     * study's owner in a cluster: units it did not plan before are planned after the quiet periods; the journal ignores
     * those it already has). Returns the number of instances.
     */
    public int reoffer(String studyUid) throws IOException {
        Path dir = incoming.resolve(studyUid);
        return Files.isDirectory(dir) ? offer(dir, clock.instant()) : 0;
    }

    /** Offers a study folder's instances; {@code at} null: each series pending from its newest file's time. */
    private int offer(Path studyDir, Instant at) throws IOException {
        int count = 0;
        try (DirectoryStream<Path> seriesDirs = Files.newDirectoryStream(studyDir)) {
            for (Path seriesDir : seriesDirs) {
                for (Path f : files(seriesDir)) {
                    String name = f.getFileName().toString();
                    Instant mtime = at != null ? at : Files.getLastModifiedTime(f).toInstant();
                    String study = studyDir.getFileName().toString();
                    String seriesUid = seriesDir.getFileName().toString();
                    arrived(study, seriesUid, mtime);
                    onReady.accept(new Unit(Trigger.INSTANCE, study, seriesUid,
                            name.substring(0, name.length() - Spool.SUFFIX.length()), List.of(f)));
                    count++;
                }
            }
        }
        return count;
    }

    private synchronized int pendingSeries() {
        return series.size();
    }

    /** Hands on the series and studies whose quiet period has passed; call periodically. */
    public void tick() {
        Instant now = clock.instant();
        List<Unit> ready = new ArrayList<>();
        List<Pending> due = new ArrayList<>();
        synchronized (this) {
            collect(series, seriesQuiet, now, due);
            collect(studies, studyQuiet, now, due);
        }
        for (Pending p : due) {
            try {
                if (p.seriesUid != null) {
                    Path dir = incoming.resolve(p.studyUid).resolve(p.seriesUid);
                    ready.add(new Unit(Trigger.SERIES, p.studyUid, p.seriesUid, null, files(dir)));
                } else {
                    List<Path> all = new ArrayList<>();
                    try (Stream<Path> dirs = Files.list(incoming.resolve(p.studyUid))) {
                        for (Path d : dirs.sorted().toList()) {
                            all.addAll(files(d));
                        }
                    }
                    ready.add(new Unit(Trigger.STUDY, p.studyUid, null, null, all));
                }
            } catch (IOException e) {
                LOG.error("Cannot list the spool for study {}: {}", p.studyUid, e.toString());
            }
        }
        ready.stream().filter(u -> !u.files().isEmpty()).forEach(onReady);
    }

    private void collect(Map<String, Pending> map, Duration quiet, Instant now, List<Pending> due) {
        for (Iterator<Pending> it = map.values().iterator(); it.hasNext(); ) {
            Pending p = it.next();
            if (p.dirty && !p.lastArrival.plus(quiet).isAfter(now)) {
                p.dirty = false;
                due.add(p);
            } else if (!p.dirty && p.lastArrival.plus(forgetAfter).isBefore(now)) {
                it.remove();
            }
        }
    }

    static List<Path> files(Path seriesDir) throws IOException {
        if (!Files.isDirectory(seriesDir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(seriesDir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(Spool.SUFFIX)).sorted().toList();
        }
    }
}
