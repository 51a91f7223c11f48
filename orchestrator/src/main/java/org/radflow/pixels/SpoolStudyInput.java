package org.radflow.pixels;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.radflow.api.DicomTags;
import org.radflow.api.StudyInput;

/**
 * A {@link StudyInput} over Part 10 files in the spool that form one unit (an instance, a series or a study).
 *
 * <p>Creating it takes each file's attributes up to Pixel Data from an {@link InputHeaders} (the server's: read once at
 * intake; else read from the file now), to group the files into series and expose their tags; or, in a worker process,
 * from {@link InputSummary summaries} the host sent, whose full headers are parsed only when a module reads them. Pixel data is decoded only when a module asks for a plane or a volume; the input keeps the decoded
 * pixels of at most one file plus each series' volume once built, so memory stays bounded by the largest file and
 * the volumes actually requested. Meant for one job (one thread) at a time; calls are nonetheless safe from several
 * threads.
 *
 * <p>Series are ordered by Series Number, instances by Instance Number (then by the order of the files given); a
 * file listed twice, or two files holding the same SOP Instance UID, count once.
 */
public final class SpoolStudyInput implements StudyInput {

    private final String studyInstanceUid;
    private final List<SpoolSeries> series;
    private final List<SeriesInput> view;
    private final DecodeCache cache;

    private SpoolStudyInput(String studyInstanceUid, List<SpoolSeries> series, DecodeCache cache) {
        this.studyInstanceUid = studyInstanceUid;
        this.series = series;
        this.view = List.copyOf(series);
        this.cache = cache;
    }

    /** The unit formed by {@code files}, with the default geometry tolerances for volumes. */
    public static SpoolStudyInput of(String studyInstanceUid, List<Path> files) throws IOException {
        return of(studyInstanceUid, files, GeometryTolerance.DEFAULT);
    }

    /**
     * The unit formed by {@code files}.
     *
     * @throws IOException              a file cannot be read or is not a DICOM composite instance
     * @throws IllegalArgumentException no files, or a file belongs to another study
     */
    public static SpoolStudyInput of(String studyInstanceUid, List<Path> files, GeometryTolerance tolerance)
            throws IOException {
        return of(studyInstanceUid, files, tolerance, InputHeaders.FILES, InputOpener.FILES);
    }

    /**
     * The unit formed by {@code files}, its headers from {@code headers} and its pixel data (when a module asks)
     * read through {@code opener}.
     *
     * @throws IOException              a file cannot be read or is not a DICOM composite instance
     * @throws IllegalArgumentException no files, or a file belongs to another study
     */
    public static SpoolStudyInput of(String studyInstanceUid, List<Path> files, GeometryTolerance tolerance,
                                     InputHeaders headers, InputOpener opener) throws IOException {
        Objects.requireNonNull(studyInstanceUid, "studyInstanceUid");
        Objects.requireNonNull(tolerance, "tolerance");
        Objects.requireNonNull(headers, "headers");
        if (files.isEmpty()) {
            throw new IllegalArgumentException("Study " + studyInstanceUid + ": no files");
        }
        List<InputSummary> summaries = new ArrayList<>(files.size());
        for (Path file : files) {
            InputSummary summary = InputSummary.of(file, headers.header(file));
            check(summary, studyInstanceUid); // as each file is read, so the first problem is the one reported
            summaries.add(summary);
        }
        return fromSummaries(studyInstanceUid, summaries, tolerance, opener);
    }

    /**
     * The unit formed by these inputs, placed by their summaries: a header is loaded from its source only when a
     * module reads the instance's attributes (or pixels, or a volume), and a file is opened through {@code opener} only
     * for its pixel data. How a worker process builds a job's input from what the host sent (issue 16).
     *
     * @throws IOException              an input lacks its SOP Instance UID or Series Instance UID
     * @throws IllegalArgumentException no inputs, or an input belongs to another study
     */
    public static SpoolStudyInput fromSummaries(String studyInstanceUid, List<InputSummary> inputs, GeometryTolerance tolerance,
                                     InputOpener opener) throws IOException {
        Objects.requireNonNull(studyInstanceUid, "studyInstanceUid");
        Objects.requireNonNull(tolerance, "tolerance");
        Objects.requireNonNull(opener, "opener");
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("Study " + studyInstanceUid + ": no files");
        }
        DecodeCache cache = new DecodeCache(opener);
        Map<String, List<SpoolInstance>> bySeries = new LinkedHashMap<>();
        Set<String> seen = new HashSet<>();
        for (InputSummary input : inputs) {
            check(input, studyInstanceUid);
            if (seen.add(input.sopInstanceUid())) {
                bySeries.computeIfAbsent(input.seriesInstanceUid(), k -> new ArrayList<>()).add(new SpoolInstance(input, cache));
            }
        }
        List<SpoolSeries> series = new ArrayList<>();
        for (Map.Entry<String, List<SpoolInstance>> e : bySeries.entrySet()) {
            List<SpoolInstance> instances = e.getValue();
            instances.sort(Comparator.comparingInt(SpoolInstance::instanceNumber)); // stable: ties keep file order
            series.add(new SpoolSeries(e.getKey(), instances, tolerance));
        }
        series.sort(Comparator.comparingInt(s -> s.spoolInstances().get(0).seriesNumber()));
        return new SpoolStudyInput(studyInstanceUid, List.copyOf(series), cache);
    }

    private static void check(InputSummary input, String studyInstanceUid) throws IOException {
        Path file = input.file();
        if (input.sopInstanceUid().isEmpty() || input.seriesInstanceUid().isEmpty()) {
            throw new IOException(file + " is not a DICOM composite instance: SOP Instance UID or Series Instance UID missing");
        }
        String study = input.studyInstanceUid();
        if (!study.equals(studyInstanceUid)) {
            throw new IllegalArgumentException(file + " belongs to study " + (study.isEmpty() ? "(none)" : study)
                    + ", not " + studyInstanceUid);
        }
    }

    @Override
    public String studyInstanceUid() {
        return studyInstanceUid;
    }

    /** Patient and study attributes, from the first instance of the first series. */
    @Override
    public DicomTags studyTags() {
        return series.get(0).tags();
    }

    @Override
    public List<SeriesInput> series() {
        return view;
    }

    /** The series with this UID, if it is in the unit. */
    public Optional<SeriesInput> series(String seriesInstanceUid) {
        return view.stream().filter(s -> s.seriesInstanceUid().equals(seriesInstanceUid)).findFirst();
    }

    /** Number of instances in the unit. */
    public int instanceCount() {
        return series.stream().mapToInt(s -> s.spoolInstances().size()).sum();
    }

    /** Drops the decoded pixels kept for the last plane; volumes already built stay. */
    public void releaseDecodedPixels() {
        cache.clear();
    }

    @Override
    public String toString() {
        return "study " + studyInstanceUid + " (" + series.size() + " series, " + instanceCount() + " instances)";
    }
}
