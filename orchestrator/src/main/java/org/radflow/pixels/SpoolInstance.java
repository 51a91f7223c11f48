package org.radflow.pixels;

import com.pixelmed.dicom.AttributeList;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.radflow.api.DicomTags;
import org.radflow.api.ImagePlane;
import org.radflow.api.PixelDataException;
import org.radflow.api.StudyInput;
import org.radflow.dicom.AttributeListTags;

/**
 * One Part 10 file of the spool: its attributes up to Pixel Data (loaded from its {@link InputSummary.HeaderSource} on
 * first use), and pixels decoded on request.
 */
final class SpoolInstance implements StudyInput.InstanceInput {

    private final Path file;
    private final InputSummary summary;
    private final DecodeCache cache;
    private volatile AttributeListTags tags;

    SpoolInstance(InputSummary summary, DecodeCache cache) {
        this.file = summary.file();
        this.summary = summary;
        this.cache = cache;
    }

    Path file() {
        return file;
    }

    /** The header, loaded now if no one asked for it before (once: later calls share it). */
    AttributeList header() {
        return loadedTags().attributes();
    }

    private AttributeListTags loadedTags() {
        AttributeListTags t = tags;
        if (t == null) {
            synchronized (this) {
                t = tags;
                if (t == null) {
                    try {
                        t = new AttributeListTags(summary.header().load());
                    } catch (IOException e) {
                        throw new UncheckedIOException("instance " + summary.sopInstanceUid() + ": cannot read its attributes: "
                                + e.getMessage(), e);
                    }
                    tags = t;
                }
            }
        }
        return t;
    }

    /** Whether the header has been loaded (for tests: a module that reads no attributes leaves it unparsed). */
    boolean headerLoaded() {
        return tags != null;
    }

    String studyInstanceUid() {
        return summary.studyInstanceUid();
    }

    String seriesInstanceUid() {
        return summary.seriesInstanceUid();
    }

    int instanceNumber() {
        return summary.instanceNumber();
    }

    int seriesNumber() {
        return summary.seriesNumber();
    }

    @Override
    public String sopInstanceUid() {
        return summary.sopInstanceUid();
    }

    @Override
    public String sopClassUid() {
        return summary.sopClassUid();
    }

    @Override
    public DicomTags tags() {
        return loadedTags();
    }

    @Override
    public int frames() {
        return summary.frames();
    }

    @Override
    public ImagePlane plane(int frame, StudyInput.PlaneOptions options) throws PixelDataException {
        int frames = summary.frames();
        if (frames == 0) {
            throw new PixelDataException("Instance " + sopInstanceUid() + " (SOP class " + sopClassUid() + ") has no pixel data");
        }
        if (frame < 0 || frame >= frames) {
            throw new IndexOutOfBoundsException("frame " + frame + " of instance " + sopInstanceUid() + " with " + frames
                    + " frame(s)");
        }
        try {
            header(); // the decoder checks the transfer syntax in it
        } catch (UncheckedIOException e) {
            throw new PixelDataException(e.getMessage(), e.getCause());
        }
        return cache.decoded(this).plane(frame, options == null ? StudyInput.PlaneOptions.DEFAULT : options);
    }

    @Override
    public String toString() {
        return "instance " + sopInstanceUid();
    }
}
