package org.radflow.intake;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.TagFromName;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.radflow.listener.Spool;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The studies in the spool, as the API lists them: the spool is the truth for what was received
 * ({@code incoming/<study>/<series>/<sop>.dcm}). Each series' header is read once (from one of its
 * files, up to Pixel Data) and remembered; counts and times come from the directory listing (file
 * modification time: when the instance was stored).
 */
public final class ReceivedStudies {

    private final Path incoming;
    /** Remembered series headers, the most recently used 10 000 (a page of studies needs a few dozen). */
    private final Map<Path, JsonObject> headers = java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Path, JsonObject> eldest) {
            return size() > 10_000;
        }
    });

    public ReceivedStudies(Path incoming) {
        this.incoming = incoming;
    }

    /** A study directory and the latest change of its series directories (cheap: no file listing). */
    private record Candidate(String uid, Path dir, FileTime changed) {
    }

    /** One page of studies, newest (last received) first, and the total number. */
    public record Page(List<JsonObject> studies, int total) {
    }

    public Page list(int limit, int offset) throws IOException {
        List<Candidate> all = new ArrayList<>();
        if (Files.isDirectory(incoming)) {
            try (DirectoryStream<Path> s = Files.newDirectoryStream(incoming, Files::isDirectory)) {
                for (Path study : s) {
                    FileTime changed = Files.getLastModifiedTime(study);
                    try (DirectoryStream<Path> series = Files.newDirectoryStream(study, Files::isDirectory)) {
                        for (Path se : series) {
                            FileTime t = Files.getLastModifiedTime(se);
                            if (t.compareTo(changed) > 0) {
                                changed = t;
                            }
                        }
                    }
                    all.add(new Candidate(study.getFileName().toString(), study, changed));
                }
            }
        }
        all.sort(Comparator.comparing(Candidate::changed).reversed().thenComparing(Candidate::uid));
        List<JsonObject> page = new ArrayList<>();
        for (int i = offset; i < Math.min(all.size(), offset + limit); i++) {
            Optional<JsonObject> st = study(all.get(i).uid());
            st.ifPresent(j -> {
                j.remove("series");
                page.add(j);
            });
        }
        return new Page(page, all.size());
    }

    /** A study with its series (each with instance count, description, modality, times); empty when not in the spool. */
    public Optional<JsonObject> study(String uid) throws IOException {
        Path dir = incoming.resolve(uid);
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        JsonArray seriesOut = new JsonArray();
        JsonObject studyHeader = null;
        Instant first = null;
        Instant last = null;
        int instances = 0;
        java.util.Set<String> modalities = new java.util.TreeSet<>();
        List<Path> seriesDirs = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, Files::isDirectory)) {
            s.forEach(seriesDirs::add);
        }
        seriesDirs.sort(null);
        for (Path se : seriesDirs) {
            List<Path> files = new ArrayList<>();
            Instant sFirst = null;
            Instant sLast = null;
            try (DirectoryStream<Path> fs = Files.newDirectoryStream(se, "*" + Spool.SUFFIX)) {
                for (Path f : fs) {
                    files.add(f);
                    Instant t;
                    try {
                        t = Files.getLastModifiedTime(f).toInstant();
                    } catch (IOException gone) {
                        continue;
                    }
                    sFirst = sFirst == null || t.isBefore(sFirst) ? t : sFirst;
                    sLast = sLast == null || t.isAfter(sLast) ? t : sLast;
                }
            }
            if (files.isEmpty()) {
                continue;
            }
            files.sort(null);
            JsonObject h = header(se, files.get(0));
            if (studyHeader == null) {
                studyHeader = h;
            }
            if (h.getString("modality") != null) {
                modalities.add(h.getString("modality"));
            }
            instances += files.size();
            first = first == null || sFirst.isBefore(first) ? sFirst : first;
            last = last == null || sLast.isAfter(last) ? sLast : last;
            seriesOut.add(new JsonObject()
                    .put("seriesInstanceUid", se.getFileName().toString())
                    .put("seriesNumber", h.getString("seriesNumber"))
                    .put("seriesDescription", h.getString("seriesDescription"))
                    .put("modality", h.getString("modality"))
                    .put("instanceCount", files.size())
                    .put("firstReceived", sFirst.toString())
                    .put("lastReceived", sLast.toString()));
        }
        JsonObject h = studyHeader == null ? new JsonObject() : studyHeader;
        return Optional.of(new JsonObject()
                .put("studyInstanceUid", uid)
                .put("patientName", h.getString("patientName"))
                .put("patientId", h.getString("patientId"))
                .put("studyDate", h.getString("studyDate"))
                .put("studyDescription", h.getString("studyDescription"))
                .put("accession", h.getString("accession"))
                .put("modalities", new JsonArray(new ArrayList<>(modalities)))
                .put("seriesCount", seriesOut.size())
                .put("instanceCount", instances)
                .put("firstReceived", first == null ? null : first.toString())
                .put("lastReceived", last == null ? null : last.toString())
                .put("series", seriesOut));
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

    private JsonObject header(Path seriesDir, Path file) {
        JsonObject known = headers.get(seriesDir);
        if (known != null) {
            return known;
        }
        JsonObject read = read(file);
        headers.put(seriesDir, read);
        return read;
    }

    private static JsonObject read(Path file) {
        JsonObject h = new JsonObject();
        try {
            AttributeList l = new AttributeList();
            l.read(file.toString(), TagFromName.PixelData);
            h.put("patientName", value(l, TagFromName.PatientName))
                    .put("patientId", value(l, TagFromName.PatientID))
                    .put("studyDate", value(l, TagFromName.StudyDate))
                    .put("studyDescription", value(l, TagFromName.StudyDescription))
                    .put("accession", value(l, TagFromName.AccessionNumber))
                    .put("modality", value(l, TagFromName.Modality))
                    .put("seriesNumber", value(l, TagFromName.SeriesNumber))
                    .put("seriesDescription", value(l, TagFromName.SeriesDescription));
        } catch (IOException | com.pixelmed.dicom.DicomException | RuntimeException e) {
            h.put("headerError", e.getMessage());
        }
        return h;
    }

    private static String value(AttributeList l, AttributeTag t) {
        String v = Attribute.getSingleStringValueOrNull(l, t);
        return v == null || v.isBlank() ? null : v.trim();
    }
}
