package org.radflow.moduletest;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.TagFromName;
import org.radflow.api.DicomTags;
import org.radflow.api.ImagePlane;
import org.radflow.api.PixelDataException;
import org.radflow.api.StudyInput;
import org.radflow.api.Volume;
import org.radflow.pixels.SpoolStudyInput;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Inputs for a module under test: from DICOM files, decoded by the server's own code (PixelMed, rescale,
 * MONOCHROME1, volume assembly and its geometry checks: exactly what a module meets on the server), or from
 * arrays when a test wants exact pixel values.
 */
public final class TestStudies {

    private TestStudies() {
    }

    /** The study of these files as the server hands it to a module (all files must belong to one study). */
    public static StudyInput dicom(List<Path> files) throws IOException {
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no DICOM files");
        }
        return dicom(studyInstanceUid(files.get(0)), files);
    }

    /** The same, naming the study; a file of another study is refused. */
    public static StudyInput dicom(String studyInstanceUid, List<Path> files) throws IOException {
        return SpoolStudyInput.of(studyInstanceUid, files);
    }

    private static String studyInstanceUid(Path file) throws IOException {
        AttributeList header = new AttributeList();
        try {
            header.read(file.toString(), (list, tag, offset) -> tag.getGroup() == 0x7FE0);
        } catch (DicomException e) {
            throw new IOException(file + " is not a DICOM file: " + e.getMessage(), e);
        }
        String uid = Attribute.getSingleStringValueOrEmptyString(header, TagFromName.StudyInstanceUID);
        if (uid.isEmpty()) {
            throw new IOException(file + " has no Study Instance UID");
        }
        return uid;
    }

    // ------------------------------------------------------------------------------------------ arrays

    /** A grey (MONOCHROME2) plane, 1 mm pixels, no window. */
    public static ImagePlane plane(int rows, int columns, float[] pixels) {
        return new ImagePlane(rows, columns, pixels.clone(), 1, 1, "MONOCHROME2", false, Double.NaN, Double.NaN, 1);
    }

    /** A grey plane from stored 16-bit values (signed), without rescale. */
    public static ImagePlane plane(int rows, int columns, short[] pixels) {
        return plane(rows, columns, floats(pixels));
    }

    /** An axial volume (rows along +Y, columns along +X, slices along +Z from the origin 0,0,0). */
    public static Volume volume(int columns, int rows, int slices, float[] voxels, double rowSpacingMm,
                                double columnSpacingMm, double sliceSpacingMm) {
        List<String> uids = new ArrayList<>();
        for (int i = 0; i < slices; i++) {
            uids.add("2.25.1." + (i + 1));
        }
        return new Volume(columns, rows, slices, voxels.clone(), rowSpacingMm, columnSpacingMm, sliceSpacingMm,
                new double[] {0, 0, 0}, new double[] {1, 0, 0}, new double[] {0, 1, 0}, uids);
    }

    /** The same from stored 16-bit values. */
    public static Volume volume(int columns, int rows, int slices, short[] voxels, double rowSpacingMm,
                                double columnSpacingMm, double sliceSpacingMm) {
        return volume(columns, rows, slices, floats(voxels), rowSpacingMm, columnSpacingMm, sliceSpacingMm);
    }

    private static float[] floats(short[] values) {
        float[] f = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            f[i] = values[i];
        }
        return f;
    }

    /** Starts a study made of arrays: add series of planes or a volume, with the tags a module reads. */
    public static ArrayStudy.Builder study(String studyInstanceUid) {
        return new ArrayStudy.Builder(studyInstanceUid);
    }

    /** A study whose pixels come from arrays; tags are what the test gives (by keyword). */
    public static final class ArrayStudy implements StudyInput {
        private final String uid;
        private final DicomTags tags;
        private final List<SeriesInput> series;

        private ArrayStudy(String uid, DicomTags tags, List<SeriesInput> series) {
            this.uid = uid;
            this.tags = tags;
            this.series = List.copyOf(series);
        }

        @Override
        public String studyInstanceUid() {
            return uid;
        }

        @Override
        public DicomTags studyTags() {
            return tags;
        }

        @Override
        public List<SeriesInput> series() {
            return series;
        }

        /** Series are numbered in the order they are added: {@code <study>.1}, {@code <study>.2}, ... */
        public static final class Builder {
            private final String uid;
            private final Map<String, List<String>> studyTags = new LinkedHashMap<>();
            private final List<SeriesInput> series = new ArrayList<>();

            private Builder(String uid) {
                this.uid = uid;
                studyTags.put("StudyInstanceUID", List.of(uid));
            }

            /** A patient or study attribute (values of a multi-valued attribute as several strings). */
            public Builder tag(String keyword, String... values) {
                studyTags.put(keyword, List.of(values));
                return this;
            }

            /** A series of single-frame images; {@code seriesTags} by keyword (e.g. Modality). */
            public Builder series(Map<String, String> seriesTags, ImagePlane... planes) {
                String seriesUid = uid + "." + (series.size() + 1);
                List<InstanceInput> instances = new ArrayList<>();
                for (int i = 0; i < planes.length; i++) {
                    instances.add(new ArrayInstance(seriesUid + "." + (i + 1), tags(seriesTags, seriesUid), planes[i]));
                }
                series.add(new ArraySeries(seriesUid, tags(seriesTags, seriesUid), instances, null));
                return this;
            }

            /** A series whose {@code volume()} is this volume; its instances are the slices (UIDs from the volume). */
            public Builder series(Map<String, String> seriesTags, Volume volume) {
                String seriesUid = uid + "." + (series.size() + 1);
                List<InstanceInput> instances = new ArrayList<>();
                int size = volume.columns() * volume.rows();
                for (int s = 0; s < volume.slices(); s++) {
                    float[] slice = Arrays.copyOfRange(volume.voxels(), s * size, (s + 1) * size);
                    ImagePlane plane = new ImagePlane(volume.rows(), volume.columns(), slice, volume.rowSpacingMm(),
                            volume.columnSpacingMm(), "MONOCHROME2", false, Double.NaN, Double.NaN, 1);
                    instances.add(new ArrayInstance(volume.sopInstanceUids().get(s), tags(seriesTags, seriesUid), plane));
                }
                series.add(new ArraySeries(seriesUid, tags(seriesTags, seriesUid), instances, volume));
                return this;
            }

            private DicomTags tags(Map<String, String> seriesTags, String seriesUid) {
                Map<String, List<String>> all = new LinkedHashMap<>(studyTags);
                seriesTags.forEach((k, v) -> all.put(k, v == null || v.isEmpty() ? List.of() : List.of(v.split("\\\\"))));
                all.put("SeriesInstanceUID", List.of(seriesUid));
                return keyword -> all.getOrDefault(keyword, List.of());
            }

            public ArrayStudy build() {
                Map<String, List<String>> copy = new LinkedHashMap<>(studyTags);
                return new ArrayStudy(uid, keyword -> copy.getOrDefault(keyword, List.of()), series);
            }
        }
    }

    private record ArraySeries(String seriesInstanceUid, DicomTags tags, List<StudyInput.InstanceInput> instances,
                               Volume volumeOrNull) implements StudyInput.SeriesInput {
        @Override
        public Volume volume() throws PixelDataException {
            if (volumeOrNull == null) {
                throw new PixelDataException("series " + seriesInstanceUid + " was made from planes, not a volume");
            }
            return volumeOrNull;
        }
    }

    private record ArrayInstance(String sopInstanceUid, DicomTags seriesTags, ImagePlane plane)
            implements StudyInput.InstanceInput {
        @Override
        public String sopClassUid() {
            // as given in the series tags; else Secondary Capture (arrays carry no modality-specific IOD)
            return seriesTags.get("SOPClassUID").orElse("1.2.840.10008.5.1.4.1.1.7");
        }

        @Override
        public DicomTags tags() {
            return keyword -> keyword.equals("SOPInstanceUID") ? List.of(sopInstanceUid) : seriesTags.values(keyword);
        }

        @Override
        public int frames() {
            return 1;
        }

        @Override
        public ImagePlane plane(int frame, StudyInput.PlaneOptions options) throws PixelDataException {
            if (frame != 0) {
                throw new PixelDataException("instance " + sopInstanceUid + " has one frame, not frame " + frame);
            }
            return plane;
        }
    }
}
