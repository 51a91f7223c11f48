package org.radflow.pixels;

import java.util.List;
import org.radflow.api.DicomTags;
import org.radflow.api.PixelDataException;
import org.radflow.api.StudyInput;
import org.radflow.api.Volume;

/** The instances of one series in the unit; the volume is assembled on first request and kept. */
final class SpoolSeries implements StudyInput.SeriesInput {

    private final String seriesInstanceUid;
    private final List<SpoolInstance> instances;
    private final List<StudyInput.InstanceInput> view;
    private final GeometryTolerance tolerance;
    private Volume volume;
    private PixelDataException failure;

    SpoolSeries(String seriesInstanceUid, List<SpoolInstance> instances, GeometryTolerance tolerance) {
        this.seriesInstanceUid = seriesInstanceUid;
        this.instances = List.copyOf(instances);
        this.view = List.copyOf(instances);
        this.tolerance = tolerance;
    }

    @Override
    public String seriesInstanceUid() {
        return seriesInstanceUid;
    }

    @Override
    public DicomTags tags() {
        return instances.get(0).tags();
    }

    @Override
    public List<StudyInput.InstanceInput> instances() {
        return view;
    }

    List<SpoolInstance> spoolInstances() {
        return instances;
    }

    /**
     * The series as a volume, built once. The returned volume is shared by later calls: callers must not write
     * into its voxel array.
     */
    @Override
    public synchronized Volume volume() throws PixelDataException {
        if (volume == null && failure == null) {
            try {
                volume = VolumeAssembler.assemble(seriesInstanceUid, instances, tolerance);
            } catch (PixelDataException e) {
                failure = e;
            }
        }
        if (failure != null) {
            throw new PixelDataException(failure.getMessage(), failure);
        }
        return volume;
    }

    @Override
    public String toString() {
        return "series " + seriesInstanceUid + " (" + instances.size() + " instances)";
    }
}
