package org.radflow.hippovolume;

import org.radflow.api.InferenceEngine.ModelSession;
import org.radflow.api.InferenceEngine.Tensor;
import org.radflow.api.JobContext;
import org.radflow.api.ModuleException;
import org.radflow.api.Volume;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs the 2-D U-Net over a volume: normalise, cut into planes along the chosen grid axis, zero-pad each plane to a
 * multiple of {@link #MULTIPLE} in H and W (image in the top-left corner, as the original's {@code med_reshape}),
 * run in batches {@code [N, 1, H, W]}, take the argmax of the {@code [N, 3, H, W]} logits per pixel, crop the padding
 * away and write the classes back onto the volume's own grid.
 */
final class Segmenter {

    /** Four 2x down-samplings: H and W must be multiples of 16. */
    static final int MULTIPLE = 16;
    static final int CLASSES = 3;

    enum Normalisation {
        /** (v - min) / (max - min) over the whole volume, to [0, 1]. */
        MINMAX,
        /** v / max over the whole volume. */
        MAX,
        /** the modality values as they are. */
        NONE;

        static final List<String> NAMES = List.of("minmax", "max", "none");
    }

    /**
     * Which grid axis the 2-D planes are stacked along: the stored slice axis ({@code NATIVE}), or the grid axis
     * closest to a patient axis (axial: S-I, coronal: A-P, sagittal: L-R). Only axes of the stored grid are used,
     * so no voxel is interpolated.
     */
    enum Axis {
        NATIVE, AXIAL, CORONAL, SAGITTAL;

        static final List<String> NAMES = List.of("native", "axial", "coronal", "sagittal");
    }

    /** A grid axis: 0 slices, 1 rows, 2 columns. */
    static final int SLICE = 0;
    static final int ROW = 1;
    static final int COLUMN = 2;

    private Segmenter() {
    }

    /** The smallest multiple of 16 that holds {@code n} (never smaller than n: nothing is cut). */
    static int padded(int n) {
        return (n + MULTIPLE - 1) / MULTIPLE * MULTIPLE;
    }

    /** The grid axis the planes are stacked along for {@code axis}. */
    static int gridAxis(Volume v, Axis axis) {
        if (axis == Axis.NATIVE) {
            return SLICE;
        }
        int patient = axis == Axis.SAGITTAL ? 0 : axis == Axis.CORONAL ? 1 : 2; // LPS x, y, z
        double[][] directions = {v.normal(), v.columnDirection(), v.rowDirection()}; // slice, row, column index
        int best = SLICE;
        for (int g = 1; g < 3; g++) {
            if (Math.abs(directions[g][patient]) > Math.abs(directions[best][patient]) + 1e-9) {
                best = g;
            }
        }
        return best;
    }

    /** |cosine| between the chosen grid axis and the patient axis (1 = exactly aligned). */
    static double alignment(Volume v, Axis axis, int grid) {
        if (axis == Axis.NATIVE) {
            return 1;
        }
        int patient = axis == Axis.SAGITTAL ? 0 : axis == Axis.CORONAL ? 1 : 2;
        double[] d = grid == SLICE ? v.normal() : grid == ROW ? v.columnDirection() : v.rowDirection();
        double n = Math.sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        return Math.abs(d[patient]) / n;
    }

    /** The intensities the model reads, in the volume's own layout; the volume's array is not touched. */
    static float[] normalise(Volume v, Normalisation how) throws ModuleException {
        float[] in = v.voxels();
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float f : in) {
            if (Float.isNaN(f)) {
                throw new ModuleException("Module hippovolume: the volume holds a NaN voxel");
            }
            min = Math.min(min, f);
            max = Math.max(max, f);
        }
        float[] out = new float[in.length];
        switch (how) {
            case NONE -> System.arraycopy(in, 0, out, 0, in.length);
            case MAX -> {
                if (!(max > 0)) {
                    throw new ModuleException("Module hippovolume: normalisation 'max' needs a positive maximum, the volume's is " + max);
                }
                for (int i = 0; i < in.length; i++) {
                    out[i] = in[i] / max;
                }
            }
            default -> {
                float range = max - min;
                if (!(range > 0)) {
                    return out; // a constant volume: all zeros (the caller refuses it before this)
                }
                for (int i = 0; i < in.length; i++) {
                    out[i] = (in[i] - min) / range;
                }
            }
        }
        return out;
    }

    /** What a run did, for the result's parameters. */
    record Run(byte[] labels, int gridAxis, int planes, int height, int width, int paddedHeight, int paddedWidth,
               int batches) {
    }

    /**
     * Segments {@code intensities} (laid out as {@code v.voxels()}).
     *
     * @return class per voxel on the volume's grid: 0 background, 1 anterior, 2 posterior
     */
    static Run run(Volume v, float[] intensities, int gridAxis, int batchSize, ModelSession session, String inputTensor,
                   String outputTensor, String modelName, JobContext job, double progressFrom, double progressTo)
            throws ModuleException {
        int[] dims = {v.slices(), v.rows(), v.columns()};
        int[] strides = {v.rows() * v.columns(), v.columns(), 1};
        // plane axes: the other two grid axes, the earlier one (slice < row < column) as H
        int hAxis = gridAxis == SLICE ? ROW : SLICE;
        int wAxis = gridAxis == COLUMN ? ROW : COLUMN;
        int planes = dims[gridAxis];
        int h = dims[hAxis];
        int w = dims[wAxis];
        int ph = padded(h);
        int pw = padded(w);
        int planeSize = ph * pw;
        byte[] labels = new byte[intensities.length];
        int batches = 0;
        for (int first = 0; first < planes; first += batchSize) {
            job.checkCancelled();
            int n = Math.min(batchSize, planes - first);
            float[] input = new float[n * planeSize]; // zeros: the padding
            for (int b = 0; b < n; b++) {
                int base = (first + b) * strides[gridAxis];
                for (int y = 0; y < h; y++) {
                    int row = base + y * strides[hAxis];
                    int o = b * planeSize + y * pw;
                    for (int x = 0; x < w; x++) {
                        input[o + x] = intensities[row + x * strides[wAxis]];
                    }
                }
            }
            long[] inShape = {n, 1, ph, pw};
            Map<String, Tensor> out;
            try {
                out = session.run(Map.of(inputTensor, new Tensor(inShape, input)), List.of(outputTensor));
            } catch (ModuleException e) {
                throw new ModuleException(e.getMessage() + hint(e.getMessage(), inputTensor, inShape), e.isTransient(), e);
            }
            Tensor logits = out.get(outputTensor);
            if (logits == null) {
                throw new ModuleException("Module hippovolume: model " + modelName + " returned no '" + outputTensor
                        + "'; its outputs are " + session.outputNames() + " (configuration key 'outputTensor')");
            }
            long[] expected = {n, CLASSES, ph, pw};
            if (!Arrays.equals(logits.shape(), expected)) {
                throw new ModuleException("Module hippovolume: model " + modelName + " output '" + outputTensor
                        + "' has shape " + Arrays.toString(logits.shape()) + " for input " + Arrays.toString(inShape)
                        + "; HippoVolume needs " + Arrays.toString(expected)
                        + " (logits of 3 classes: background, anterior, posterior, at the input's H and W)");
            }
            float[] l = logits.data();
            for (int b = 0; b < n; b++) {
                int base = (first + b) * strides[gridAxis];
                int o = b * CLASSES * planeSize;
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int p = o + y * pw + x;
                        float l0 = l[p];
                        float l1 = l[p + planeSize];
                        float l2 = l[p + 2 * planeSize];
                        if (Float.isNaN(l0) || Float.isNaN(l1) || Float.isNaN(l2)) {
                            throw new ModuleException("Module hippovolume: model " + modelName + " gave NaN logits"
                                    + " (plane " + (first + b) + ", pixel " + y + "," + x + ")");
                        }
                        int cls = l1 > l0 ? (l2 > l1 ? 2 : 1) : (l2 > l0 ? 2 : 0); // ties: the lower class
                        labels[base + y * strides[hAxis] + x * strides[wAxis]] = (byte) cls;
                    }
                }
            }
            batches++;
            double done = (double) (first + n) / planes;
            job.progress(progressFrom + (progressTo - progressFrom) * done,
                    String.format(Locale.ROOT, "segmenting: %d of %d planes", first + n, planes));
        }
        return new Run(labels, gridAxis, planes, h, w, ph, pw, batches);
    }

    /** What to change, after the engine's own message. */
    static String hint(String message, String inputTensor, long[] inShape) {
        String m = message == null ? "" : message;
        if (m.contains("Unknown output")) {
            return " (configuration key 'outputTensor')";
        }
        if (m.contains("Unknown input") || m.contains("Missing input")) {
            return " (configuration key 'inputTensor')";
        }
        return " (HippoVolume feeds '" + inputTensor + "' as [N, 1, H, W] = " + Arrays.toString(inShape)
                + ", H and W zero-padded to multiples of 16: the model needs dynamic N, H and W)";
    }

    static String axisName(int grid) {
        return grid == SLICE ? "slice" : grid == ROW ? "row" : "column";
    }
}
