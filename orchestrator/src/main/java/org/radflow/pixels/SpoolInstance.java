package org.radflow.pixels;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.TagFromName;
import java.nio.file.Path;
import org.radflow.api.DicomTags;
import org.radflow.api.ImagePlane;
import org.radflow.api.PixelDataException;
import org.radflow.api.StudyInput;
import org.radflow.dicom.AttributeListTags;

/** One Part 10 file of the spool: its attributes up to Pixel Data, and pixels decoded on request. */
final class SpoolInstance implements StudyInput.InstanceInput {

    private final Path file;
    private final AttributeListTags tags;
    private final String sopInstanceUid;
    private final String sopClassUid;
    private final String seriesInstanceUid;
    private final int instanceNumber;
    private final int frames;
    private final DecodeCache cache;

    SpoolInstance(Path file, AttributeList header, boolean hasPixelData, DecodeCache cache) {
        this.file = file;
        this.tags = new AttributeListTags(header);
        this.sopInstanceUid = Attribute.getSingleStringValueOrEmptyString(header, TagFromName.SOPInstanceUID).trim();
        this.sopClassUid = Attribute.getSingleStringValueOrEmptyString(header, TagFromName.SOPClassUID).trim();
        this.seriesInstanceUid = Attribute.getSingleStringValueOrEmptyString(header, TagFromName.SeriesInstanceUID).trim();
        this.instanceNumber = Attribute.getSingleIntegerValueOrDefault(header, TagFromName.InstanceNumber, Integer.MAX_VALUE);
        this.frames = hasPixelData
                ? Math.max(1, Attribute.getSingleIntegerValueOrDefault(header, TagFromName.NumberOfFrames, 1)) : 0;
        this.cache = cache;
    }

    Path file() {
        return file;
    }

    AttributeList header() {
        return tags.attributes();
    }

    String seriesInstanceUid() {
        return seriesInstanceUid;
    }

    int instanceNumber() {
        return instanceNumber;
    }

    @Override
    public String sopInstanceUid() {
        return sopInstanceUid;
    }

    @Override
    public String sopClassUid() {
        return sopClassUid;
    }

    @Override
    public DicomTags tags() {
        return tags;
    }

    @Override
    public int frames() {
        return frames;
    }

    @Override
    public ImagePlane plane(int frame, StudyInput.PlaneOptions options) throws PixelDataException {
        if (frames == 0) {
            throw new PixelDataException("Instance " + sopInstanceUid + " (SOP class " + sopClassUid + ") has no pixel data");
        }
        if (frame < 0 || frame >= frames) {
            throw new IndexOutOfBoundsException("frame " + frame + " of instance " + sopInstanceUid + " with " + frames
                    + " frame(s)");
        }
        return cache.decoded(this).plane(frame, options == null ? StudyInput.PlaneOptions.DEFAULT : options);
    }

    @Override
    public String toString() {
        return "instance " + sopInstanceUid;
    }
}
