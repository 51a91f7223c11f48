package org.radflow.sample;

import org.radflow.api.AiModule;
import org.radflow.api.Concept;
import org.radflow.api.Finding;
import org.radflow.api.ImagePlane;
import org.radflow.api.JobContext;
import org.radflow.api.KeyImage;
import org.radflow.api.ModuleException;
import org.radflow.api.ModuleResult;
import org.radflow.api.PixelDataException;
import org.radflow.api.StudyInput;
import org.radflow.api.StudyInput.InstanceInput;
import org.radflow.api.StudyInput.SeriesInput;
import org.radflow.api.Volume;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Thresholds the first series of the input: deterministic, so tests can check every number. */
final class SampleModule implements AiModule {

    private static final int RED = 0xFF0000;

    /** NaN: threshold at the series' mean intensity. */
    private final double fixedThreshold;

    SampleModule(double fixedThreshold) {
        this.fixedThreshold = fixedThreshold;
    }

    /** The pixels of a series in slice order, from the platform's volume or stacked from its planes. */
    private record Grid(int columns, int rows, int slices, float[] voxels, List<String> sopInstanceUids,
                        double voxelVolumeMm3, String source) {
    }

    @Override
    public ModuleResult process(StudyInput input, JobContext job) throws ModuleException {
        if (input.series().isEmpty()) {
            return ModuleResult.notApplicable("the input has no series");
        }
        SeriesInput series = input.series().get(0);
        job.progress(0.1, "reading pixels");
        Grid grid;
        try {
            grid = fromVolume(series.volume());
        } catch (PixelDataException volumeProblem) {
            try {
                grid = fromPlanes(series);
            } catch (PixelDataException planeProblem) {
                return ModuleResult.notApplicable("the series forms no volume (" + volumeProblem.getMessage()
                        + ") and its images cannot be stacked (" + planeProblem.getMessage() + ")");
            }
        }
        job.checkCancelled();
        job.progress(0.6, "thresholding");

        float[] v = grid.voxels();
        double sum = 0;
        for (float f : v) {
            sum += f;
        }
        double mean = sum / v.length;
        double threshold = Double.isNaN(fixedThreshold) ? mean : fixedThreshold;
        byte[] labels = new byte[v.length];
        long bright = 0;
        for (int i = 0; i < v.length; i++) {
            if (v[i] > threshold) {
                labels[i] = 1;
                bright++;
            }
        }
        double fraction = (double) bright / v.length;
        boolean ct = "CT".equals(series.tags().get("Modality").orElse(""));
        List<String> evidence = grid.sopInstanceUids();

        List<Finding> findings = new ArrayList<>();
        findings.add(new Finding.Measurement(SampleCodes.SERIES_INTENSITY, SampleCodes.MEAN_INTENSITY, mean,
                ct ? SampleCodes.HOUNSFIELD : SampleCodes.NO_UNIT, SampleCodes.SERIES_INTENSITY, evidence));
        Concept predicted = fraction >= 0.5 ? SampleCodes.BRIGHT : SampleCodes.DARK;
        findings.add(new Finding.Classification(SampleCodes.SIGNAL_LEVEL,
                List.of(new Finding.ClassProbability(SampleCodes.BRIGHT, fraction),
                        new Finding.ClassProbability(SampleCodes.DARK, 1 - fraction)),
                predicted, evidence));
        if (bright > 0) {
            if (Double.isFinite(grid.voxelVolumeMm3())) {
                findings.add(new Finding.Measurement(SampleCodes.BRIGHT_REGION, SampleCodes.VOLUME,
                        bright * grid.voxelVolumeMm3(),
                        SampleCodes.CUBIC_MM, SampleCodes.BRIGHT_REGION, evidence));
            }
            findings.add(new Finding.Segmentation(SampleCodes.BRIGHT_REGION, grid.columns(), grid.rows(), grid.slices(), labels,
                    List.of(new Finding.Segment(1, "Bright region", SampleCodes.TISSUE, SampleCodes.TISSUE, RED)), evidence));
        }
        KeyImage key = keyImage(grid, labels);
        job.progress(1.0, "done");

        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("threshold", format(threshold));
        parameters.put("thresholdRule", Double.isNaN(fixedThreshold) ? "series mean" : "configured");
        parameters.put("pixels", grid.source());
        String summary = String.format(Locale.ROOT,
                "Demo threshold: mean intensity %.1f; %.1f%% of %d voxels above %s (DEMO MODEL, not for diagnostic use).",
                mean, 100 * fraction, v.length, format(threshold));
        return ModuleResult.completed(findings, List.of(key), summary, parameters);
    }

    private static Grid fromVolume(Volume volume) {
        return new Grid(volume.columns(), volume.rows(), volume.slices(), volume.voxels(), volume.sopInstanceUids(),
                volume.voxelVolumeMm3(), "volume");
    }

    /** One slice per single-frame grey image, in Instance Number order; all of one size. */
    private static Grid fromPlanes(SeriesInput series) throws PixelDataException {
        List<InstanceInput> images = new ArrayList<>();
        for (InstanceInput i : series.instances()) {
            if (i.frames() > 0) {
                images.add(i);
            }
        }
        if (images.isEmpty()) {
            throw new PixelDataException("no instance has pixel data");
        }
        images.sort(Comparator.comparingDouble(i -> i.tags().number("InstanceNumber").orElse(0.0)));
        ImagePlane first = images.get(0).plane();
        int rows = first.rows();
        int columns = first.columns();
        float[] voxels = new float[rows * columns * images.size()];
        List<String> uids = new ArrayList<>();
        for (int s = 0; s < images.size(); s++) {
            InstanceInput image = images.get(s);
            ImagePlane plane = s == 0 ? first : image.plane();
            if (plane.rows() != rows || plane.columns() != columns || plane.samplesPerPixel() != 1) {
                throw new PixelDataException("image " + image.sopInstanceUid() + " is " + plane.columns() + " x "
                        + plane.rows() + " x " + plane.samplesPerPixel() + ", the first is " + columns + " x " + rows + " x 1");
            }
            System.arraycopy(plane.pixels(), 0, voxels, s * rows * columns, rows * columns);
            uids.add(image.sopInstanceUid());
        }
        double thickness = images.get(0).tags().number("SliceThickness").orElse(Double.NaN);
        return new Grid(columns, rows, images.size(), voxels, uids,
                first.rowSpacingMm() * first.columnSpacingMm() * thickness, "planes");
    }

    /** The middle slice, grey from its own minimum to maximum, the bright region tinted red. */
    private static KeyImage keyImage(Grid grid, byte[] labels) {
        int slice = grid.slices() / 2;
        int n = grid.rows() * grid.columns();
        int offset = slice * n;
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            lo = Math.min(lo, grid.voxels()[offset + i]);
            hi = Math.max(hi, grid.voxels()[offset + i]);
        }
        float range = hi > lo ? hi - lo : 1;
        int[] rgb = new int[n];
        for (int i = 0; i < n; i++) {
            int grey = Math.round((grid.voxels()[offset + i] - lo) / range * 255);
            rgb[i] = labels[offset + i] != 0
                    ? ((grey + 255) / 2) << 16 | (grey / 2) << 8 | grey / 2
                    : grey << 16 | grey << 8 | grey;
        }
        return new KeyImage("Middle slice (" + (slice + 1) + " of " + grid.slices() + "), bright region in red",
                grid.columns(), grid.rows(), rgb, grid.sopInstanceUids().get(slice));
    }

    private static String format(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? String.valueOf((long) d) : String.format(Locale.ROOT, "%.3f", d);
    }
}
