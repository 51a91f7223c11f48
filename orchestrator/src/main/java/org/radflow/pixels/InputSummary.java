package org.radflow.pixels;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.TagFromName;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What a {@link SpoolStudyInput} needs of an input file to place it (its study, series and order) without its full
 * header, and where the full header comes from when a module asks for attributes: a worker process builds its input
 * from these (sent by the host with each job, issue 16) and parses a header only when the module reads it, and opens
 * the file only when the module asks for pixels.
 *
 * @param frames number of frames, 0 when the file has no pixel data
 * @param header the file's attributes up to Pixel Data, loaded on first use (once)
 */
public record InputSummary(Path file, String studyInstanceUid, String seriesInstanceUid, String sopInstanceUid,
                           String sopClassUid, int seriesNumber, int instanceNumber, int frames, HeaderSource header) {

    /** Loads an input's header when it is first needed. */
    @FunctionalInterface
    public interface HeaderSource {
        AttributeList load() throws IOException;
    }

    public InputSummary {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(studyInstanceUid, "studyInstanceUid");
        Objects.requireNonNull(seriesInstanceUid, "seriesInstanceUid");
        Objects.requireNonNull(sopInstanceUid, "sopInstanceUid");
        Objects.requireNonNull(sopClassUid, "sopClassUid");
        Objects.requireNonNull(header, "header");
    }

    /** The summary of a header already read (its source is the header itself). */
    public static InputSummary of(Path file, InputHeader header) {
        AttributeList h = header.attributes();
        return new InputSummary(file, string(h, TagFromName.StudyInstanceUID), string(h, TagFromName.SeriesInstanceUID),
                string(h, TagFromName.SOPInstanceUID), string(h, TagFromName.SOPClassUID),
                Attribute.getSingleIntegerValueOrDefault(h, TagFromName.SeriesNumber, Integer.MAX_VALUE),
                Attribute.getSingleIntegerValueOrDefault(h, TagFromName.InstanceNumber, Integer.MAX_VALUE),
                header.hasPixelData() ? Math.max(1, Attribute.getSingleIntegerValueOrDefault(h, TagFromName.NumberOfFrames, 1)) : 0,
                () -> h);
    }

    private static String string(AttributeList h, com.pixelmed.dicom.AttributeTag tag) {
        return Attribute.getSingleStringValueOrEmptyString(h, tag).trim();
    }
}
