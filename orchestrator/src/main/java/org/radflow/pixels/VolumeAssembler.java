package org.radflow.pixels;

import static org.radflow.pixels.FrameAttributes.IMAGE_ORIENTATION_PATIENT;
import static org.radflow.pixels.FrameAttributes.IMAGE_POSITION_PATIENT;
import static org.radflow.pixels.FrameAttributes.PIXEL_MEASURES;
import static org.radflow.pixels.FrameAttributes.PIXEL_SPACING;
import static org.radflow.pixels.FrameAttributes.PLANE_ORIENTATION;
import static org.radflow.pixels.FrameAttributes.PLANE_POSITION;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.TagFromName;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.radflow.api.ImagePlane;
import org.radflow.api.PixelDataException;
import org.radflow.api.StudyInput.PlaneOptions;
import org.radflow.api.Volume;

/**
 * Builds a {@link Volume} from the slices of a series: checks that they share size, pixel spacing, orientation and
 * frame of reference, sorts them by position along the normal (never by Instance Number or file name), checks the
 * gaps are even and the slices stacked straight, then decodes one slice at a time into the voxel array.
 */
final class VolumeAssembler {
    private VolumeAssembler() {}

    /** Two positions closer than this along the normal are the same position. */
    static final double DUPLICATE_MM = 1e-3;
    /** Direction cosines further than this from unit length or orthogonality are not an orientation. */
    private static final double UNIT_TOLERANCE = 1e-3;

    /** One frame of one instance with the geometry read from its header. */
    private record Slice(SpoolInstance instance, int frame, int rows, int columns, int samplesPerPixel,
                         double[] position, double[] orientation, double[] pixelSpacing, String frameOfReference) {

        String id() {
            return instance.sopInstanceUid() + (instance.frames() > 1 ? " frame " + (frame + 1) : "");
        }
    }

    static Volume assemble(String seriesUid, List<SpoolInstance> instances, GeometryTolerance tol)
            throws PixelDataException {
        String where = "Series " + seriesUid + ": ";
        List<Slice> slices = new ArrayList<>();
        for (SpoolInstance inst : instances) {
            for (int f = 0; f < inst.frames(); f++) {
                slices.add(slice(inst, f));
            }
        }
        if (slices.size() < 2) {
            throw new PixelDataException(where + slices.size() + " image slice(s); a volume needs at least 2");
        }
        checkGeometryPresent(where, slices);
        Slice first = slices.get(0);
        for (Slice s : slices) {
            if (s.samplesPerPixel() != 1) {
                throw new PixelDataException(where + "instance " + s.id() + " has " + s.samplesPerPixel()
                        + " samples per pixel; a volume needs greyscale slices");
            }
            if (s.rows() != first.rows() || s.columns() != first.columns()) {
                throw new PixelDataException(where + "slices differ in size: Rows x Columns " + first.rows() + " x "
                        + first.columns() + " (" + first.id() + ") but " + s.rows() + " x " + s.columns() + " ("
                        + s.id() + ")");
            }
            for (int k = 0; k < 6; k++) {
                if (Math.abs(s.orientation()[k] - first.orientation()[k]) > tol.directionCosine()) {
                    throw new PixelDataException(where + "slices differ in Image Orientation (Patient): "
                            + fmt(first.orientation()) + " (" + first.id() + ") but " + fmt(s.orientation()) + " ("
                            + s.id() + "); the series mixes planes (e.g. a localizer or several stacks)");
                }
            }
            for (int k = 0; k < 2; k++) {
                double a = first.pixelSpacing()[k];
                double b = s.pixelSpacing()[k];
                if (Math.abs(a - b) > tol.pixelSpacingFraction() * Math.max(a, b)) {
                    throw new PixelDataException(where + "slices differ in Pixel Spacing: " + fmt(first.pixelSpacing())
                            + " (" + first.id() + ") but " + fmt(s.pixelSpacing()) + " (" + s.id() + ")");
                }
            }
            if (!first.frameOfReference().equals(s.frameOfReference())) {
                throw new PixelDataException(where + "slices are in different frames of reference: "
                        + first.frameOfReference() + " (" + first.id() + ") but " + s.frameOfReference() + " ("
                        + s.id() + "); their positions cannot be compared");
            }
        }
        double[] row = Arrays.copyOfRange(first.orientation(), 0, 3);
        double[] col = Arrays.copyOfRange(first.orientation(), 3, 6);
        double[] normal = cross(row, col);
        double normalLength = Math.sqrt(dot(normal, normal));
        if (Math.abs(Math.sqrt(dot(row, row)) - 1) > UNIT_TOLERANCE || Math.abs(Math.sqrt(dot(col, col)) - 1) > UNIT_TOLERANCE
                || Math.abs(dot(row, col)) > UNIT_TOLERANCE) {
            throw new PixelDataException(where + "Image Orientation (Patient) " + fmt(first.orientation())
                    + " is not two orthogonal unit vectors (" + first.id() + ")");
        }
        for (int k = 0; k < 3; k++) {
            normal[k] /= normalLength;
        }

        int n = slices.size();
        double[] along = new double[n];
        List<Integer> order = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            along[i] = dot(slices.get(i).position(), normal);
            order.add(i);
        }
        order.sort(Comparator.comparingDouble(i -> along[i]));
        List<Slice> sorted = new ArrayList<>(n);
        double[] pos = new double[n];
        for (int i = 0; i < n; i++) {
            sorted.add(slices.get(order.get(i)));
            pos[i] = along[order.get(i)];
        }
        double sliceSpacing = checkSpacing(where, sorted, pos, normal, tol);

        long voxelCount = (long) first.rows() * first.columns() * n;
        if (voxelCount > Integer.MAX_VALUE - 8) {
            throw new PixelDataException(where + first.columns() + " x " + first.rows() + " x " + n
                    + " voxels are too many for one volume");
        }
        int sliceSize = first.rows() * first.columns();
        float[] voxels = new float[(int) voxelCount];
        List<String> sops = new ArrayList<>(n);
        for (int s = 0; s < n; s++) {
            Slice slice = sorted.get(s);
            ImagePlane plane = slice.instance().plane(slice.frame(), PlaneOptions.DEFAULT);
            if (plane.rows() != first.rows() || plane.columns() != first.columns() || plane.samplesPerPixel() != 1) {
                throw new PixelDataException(where + "decoded slice " + slice.id() + " is " + plane.rows() + " x "
                        + plane.columns() + " x " + plane.samplesPerPixel() + ", not " + first.rows() + " x "
                        + first.columns() + " x 1");
            }
            System.arraycopy(plane.pixels(), 0, voxels, s * sliceSize, sliceSize);
            sops.add(slice.instance().sopInstanceUid());
        }
        Slice origin = sorted.get(0);
        return new Volume(first.columns(), first.rows(), n, voxels, first.pixelSpacing()[0], first.pixelSpacing()[1],
                sliceSpacing, origin.position().clone(), row, col, sops);
    }

    /** Checks duplicates, even gaps and straight stacking; returns the slice spacing. */
    private static double checkSpacing(String where, List<Slice> sorted, double[] pos, double[] normal,
                                       GeometryTolerance tol) throws PixelDataException {
        int n = pos.length;
        double[] gaps = new double[n - 1];
        for (int i = 1; i < n; i++) {
            gaps[i - 1] = pos[i] - pos[i - 1];
            if (gaps[i - 1] < DUPLICATE_MM) {
                throw new PixelDataException(where + "slices " + sorted.get(i - 1).id() + " and " + sorted.get(i).id()
                        + " are at the same position (" + mm(pos[i]) + " along the normal " + fmt(normal)
                        + "); the series probably holds several echoes, phases or acquisitions of one stack");
            }
        }
        double[] g = gaps.clone();
        Arrays.sort(g);
        double median = g.length % 2 == 1 ? g[g.length / 2] : (g[g.length / 2 - 1] + g[g.length / 2]) / 2;
        double allowed = tol.spacingToleranceMm(median);
        int worst = -1;
        int uneven = 0;
        for (int i = 0; i < gaps.length; i++) {
            double dev = Math.abs(gaps[i] - median);
            if (dev > allowed) {
                uneven++;
                if (worst < 0 || dev > Math.abs(gaps[worst] - median)) {
                    worst = i;
                }
            }
        }
        if (worst >= 0) {
            throw new PixelDataException(where + "uneven slice spacing: the gap between " + sorted.get(worst).id()
                    + " (at " + mm(pos[worst]) + " along the normal " + fmt(normal) + ") and " + sorted.get(worst + 1).id()
                    + " (at " + mm(pos[worst + 1]) + ") is " + mm(gaps[worst]) + " but the median gap is " + mm(median) + " (tolerance "
                    + mm(allowed) + "); " + uneven + " of " + gaps.length + " gaps differ"
                    + (gaps[worst] > median ? " (a missing slice?)" : ""));
        }
        for (int i = 1; i < n; i++) {
            double[] a = sorted.get(i - 1).position();
            double[] b = sorted.get(i).position();
            double step = pos[i] - pos[i - 1];
            double lateral = 0;
            for (int k = 0; k < 3; k++) {
                double d = b[k] - a[k] - step * normal[k];
                lateral += d * d;
            }
            lateral = Math.sqrt(lateral);
            if (lateral > allowed) {
                throw new PixelDataException(where + "slices are not stacked along the normal: from "
                        + sorted.get(i - 1).id() + " to " + sorted.get(i).id() + " the position moves " + mm(lateral)
                        + " within the image plane (gantry tilt or a sheared acquisition; tolerance " + mm(allowed) + ")");
            }
        }
        return (pos[n - 1] - pos[0]) / (n - 1);
    }

    private static void checkGeometryPresent(String where, List<Slice> slices) throws PixelDataException {
        String[] names = {"Image Position (Patient)", "Image Orientation (Patient)", "Pixel Spacing"};
        for (int k = 0; k < names.length; k++) {
            int missing = 0;
            Slice example = null;
            for (Slice s : slices) {
                double[] v = k == 0 ? s.position() : k == 1 ? s.orientation() : s.pixelSpacing();
                if (v == null) {
                    missing++;
                    if (example == null) {
                        example = s;
                    }
                }
            }
            if (missing > 0) {
                throw new PixelDataException(where + missing + " of " + slices.size() + " slices have no valid "
                        + names[k] + " (first: " + example.id() + "); a volume needs position, orientation and"
                        + " pixel spacing on every slice");
            }
        }
    }

    private static Slice slice(SpoolInstance inst, int frame) {
        AttributeList h = inst.header();
        double[] position = FrameAttributes.doubles(h, frame, PLANE_POSITION, IMAGE_POSITION_PATIENT);
        double[] orientation = FrameAttributes.doubles(h, frame, PLANE_ORIENTATION, IMAGE_ORIENTATION_PATIENT);
        double[] spacing = FrameAttributes.doubles(h, frame, PIXEL_MEASURES, PIXEL_SPACING);
        return new Slice(inst, frame,
                Attribute.getSingleIntegerValueOrDefault(h, TagFromName.Rows, 0),
                Attribute.getSingleIntegerValueOrDefault(h, TagFromName.Columns, 0),
                Attribute.getSingleIntegerValueOrDefault(h, TagFromName.SamplesPerPixel, 1),
                valid(position, 3), valid(orientation, 6), positive(valid(spacing, 2)),
                Attribute.getSingleStringValueOrEmptyString(h, TagFromName.FrameOfReferenceUID).trim());
    }

    private static double[] valid(double[] v, int length) {
        if (v == null || v.length != length) {
            return null;
        }
        for (double d : v) {
            if (!Double.isFinite(d)) {
                return null;
            }
        }
        return v;
    }

    private static double[] positive(double[] v) {
        return v == null || v[0] <= 0 || v[1] <= 0 ? null : v;
    }

    static double[] cross(double[] a, double[] b) {
        return new double[] {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
    }

    static double dot(double[] a, double[] b) {
        return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    }

    private static String mm(double v) {
        return String.format(Locale.ROOT, "%.3f mm", v);
    }

    private static String fmt(double[] v) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.6g", v[i]).replaceAll("\\.?0+(?=$|e)", ""));
        }
        return sb.append(']').toString();
    }
}
