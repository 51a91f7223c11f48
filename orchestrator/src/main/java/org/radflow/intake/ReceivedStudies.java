package org.radflow.intake;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.TagFromName;
import org.radflow.listener.Spool;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The received studies as the spool holds them ({@code incoming/<study>/<series>/<sop>.dcm}): the truth for what was
 * received. The API reads the {@link StudyIndex} instead (its cost does not grow with the spool); this class is what
 * the index is checked against and rebuilt from, and what a reprocess reads its input files from.
 */
public final class ReceivedStudies {

    private final Path incoming;

    public ReceivedStudies(Path incoming) {
        this.incoming = incoming;
    }

    public Path incoming() {
        return incoming;
    }

    /** Files of a study in the spool, by series (sorted); empty when the study is gone. */
    public Map<String, List<Path>> files(String uid) throws IOException {
        Map<String, List<Path>> out = new java.util.TreeMap<>();
        Path dir = incoming.resolve(uid);
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, Files::isDirectory)) {
            for (Path se : s) {
                List<Path> files = new ArrayList<>();
                try (DirectoryStream<Path> fs = Files.newDirectoryStream(se, "*" + Spool.SUFFIX)) {
                    fs.forEach(f -> files.add(f.toAbsolutePath()));
                }
                if (!files.isEmpty()) {
                    files.sort(null);
                    out.put(se.getFileName().toString(), files);
                }
            }
        }
        return out;
    }

    /** The study folders' names (study UIDs); empty when there is no spool yet. */
    List<String> studyUids() throws IOException {
        return folders(incoming);
    }

    /** A study's series folders' names (series UIDs); empty when the study is gone. */
    List<String> seriesUids(String studyUid) throws IOException {
        return folders(incoming.resolve(studyUid));
    }

    private static List<String> folders(Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, Files::isDirectory)) {
            s.forEach(p -> out.add(p.getFileName().toString()));
        } catch (NoSuchFileException gone) {
            return List.of();
        }
        return out;
    }

    Path seriesDir(String studyUid, String seriesUid) {
        return incoming.resolve(studyUid).resolve(seriesUid);
    }

    /**
     * A series folder's modification time in nanoseconds (every rename of an instance into or out of it changes it);
     * -1 when the folder does not exist.
     */
    static long folderTime(Path seriesDir) {
        try {
            return Files.getLastModifiedTime(seriesDir).to(TimeUnit.NANOSECONDS);
        } catch (IOException gone) {
            return -1;
        }
    }

    /** How many instances a series folder holds (names only, no stat of each file); 0 when it is gone. */
    static int count(Path seriesDir) {
        int n = 0;
        try (DirectoryStream<Path> fs = Files.newDirectoryStream(seriesDir, "*" + Spool.SUFFIX)) {
            for (Path ignored : fs) {
                n++;
            }
        } catch (IOException gone) {
            return 0;
        }
        return n;
    }

    /**
     * A series as its folder holds it now: every file's size and modification time (when the instance was stored) and
     * the header of its first file (by name, up to Pixel Data); empty when it holds no instance. Reads one stat per
     * instance: for rebuilding the index, not for each request.
     */
    Optional<StudyIndex.SeriesRow> scan(String studyUid, String seriesUid) throws IOException {
        Path dir = seriesDir(studyUid, seriesUid);
        long folderTime = folderTime(dir);
        if (folderTime < 0) {
            return Optional.empty();
        }
        List<Path> files = new ArrayList<>();
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        long bytes = 0;
        try (DirectoryStream<Path> fs = Files.newDirectoryStream(dir, "*" + Spool.SUFFIX)) {
            for (Path f : fs) {
                BasicFileAttributes a;
                try {
                    a = Files.readAttributes(f, BasicFileAttributes.class);
                } catch (IOException gone) {
                    continue;
                }
                files.add(f);
                long t = a.lastModifiedTime().to(TimeUnit.NANOSECONDS);
                first = Math.min(first, t);
                last = Math.max(last, t);
                bytes += a.size();
            }
        } catch (NoSuchFileException gone) {
            return Optional.empty();
        }
        if (files.isEmpty()) {
            return Optional.empty();
        }
        files.sort(null);
        return Optional.of(new StudyIndex.SeriesRow(studyUid, seriesUid, read(files.get(0)), files.size(), bytes, first, last,
                folderTime, System.currentTimeMillis() * 1_000_000L));
    }

    /** The attributes the API shows, from a file's header; all absent when it cannot be read. */
    static StudyIndex.SeriesHeader read(Path file) {
        try {
            AttributeList l = new AttributeList();
            l.read(file.toString(), TagFromName.PixelData);
            return new StudyIndex.SeriesHeader(value(l, TagFromName.PatientName), value(l, TagFromName.PatientID),
                    value(l, TagFromName.StudyDate), value(l, TagFromName.StudyDescription), value(l, TagFromName.AccessionNumber),
                    value(l, TagFromName.Modality), value(l, TagFromName.SeriesNumber), value(l, TagFromName.SeriesDescription));
        } catch (IOException | com.pixelmed.dicom.DicomException | RuntimeException e) {
            return StudyIndex.SeriesHeader.NONE;
        }
    }

    private static String value(AttributeList l, AttributeTag t) {
        String v = Attribute.getSingleStringValueOrNull(l, t);
        return v == null || v.isBlank() ? null : v.trim();
    }
}
