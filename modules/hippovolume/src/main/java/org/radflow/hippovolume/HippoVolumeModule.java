package org.radflow.hippovolume;

import org.radflow.api.AiModule;
import org.radflow.api.DicomTags;
import org.radflow.api.Finding;
import org.radflow.api.InferenceEngine.ModelSession;
import org.radflow.api.JobContext;
import org.radflow.api.KeyImage;
import org.radflow.api.ModelIdentity;
import org.radflow.api.ModuleException;
import org.radflow.api.ModuleResult;
import org.radflow.api.PixelDataException;
import org.radflow.api.StudyInput;
import org.radflow.api.StudyInput.InstanceInput;
import org.radflow.api.StudyInput.SeriesInput;
import org.radflow.api.Volume;
import org.radflow.hippovolume.HippoVolumeFactory.Settings;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Measures the hippocampus of one HippoCrop series (trigger SERIES). */
final class HippoVolumeModule implements AiModule {

    private final ModelSession session;
    private final Settings settings;
    private final ModelIdentity model;
    private final String backend;
    private final String modelFile;
    /** The site's reference table; null: no normative comparison at all. */
    private final NormativeTable table;

    HippoVolumeModule(ModelSession session, Settings settings, ModelIdentity model, String backend, String modelFile,
                      NormativeTable table) {
        this.session = session;
        this.settings = settings;
        this.model = model;
        this.backend = backend;
        this.modelFile = modelFile;
        this.table = table;
    }

    @Override
    public ModelIdentity model() {
        return model;
    }

    @Override
    public ModuleResult process(StudyInput input, JobContext job) throws ModuleException {
        job.progress(0.02, "checking the series");
        Choice choice = choose(input.series(), settings);
        if (choice.reason != null) {
            return ModuleResult.notApplicable(choice.reason);
        }
        SeriesInput series = choice.series;
        Optional<String> geometry = geometryProblem(series, settings.spacingTolerance());
        if (geometry.isPresent()) {
            return ModuleResult.notApplicable(geometry.get());
        }
        job.checkCancelled();

        job.progress(0.05, "decoding the volume");
        Volume volume;
        try {
            volume = series.volume();
        } catch (PixelDataException e) {
            return ModuleResult.notApplicable("not a single consistent volume: " + e.getMessage());
        }
        if (volume.slices() < settings.minSlices()) {
            return ModuleResult.notApplicable("the volume has " + volume.slices() + " slices; HippoVolume needs at least "
                    + settings.minSlices() + " (configuration key 'minSlices')");
        }
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float f : volume.voxels()) {
            min = Math.min(min, f);
            max = Math.max(max, f);
        }
        if (!(max > min)) {
            return ModuleResult.notApplicable("the volume has a single intensity (" + min + "): nothing to segment");
        }
        job.checkCancelled();

        job.progress(0.15, "normalising intensities");
        float[] intensities = Segmenter.normalise(volume, settings.normalisation());
        int grid = Segmenter.gridAxis(volume, settings.axis());
        Segmenter.Run run = Segmenter.run(volume, intensities, grid, settings.batchSize(), session,
                settings.inputTensor(), settings.outputTensor(), modelFile, job, 0.2, 0.85);
        job.checkCancelled();

        job.progress(0.9, "measuring");
        long[] counts = new long[3];
        for (byte b : run.labels()) {
            counts[b]++;
        }
        double voxelMm3 = volume.voxelVolumeMm3();
        double anterior = counts[1] * voxelMm3;
        double posterior = counts[2] * voxelMm3;
        double total = (counts[1] + counts[2]) * voxelMm3;
        List<String> evidence = volume.sopInstanceUids();

        Finding.Modifier front = Finding.Modifier.topographical(Codes.ANTERIOR);
        Finding.Modifier back = Finding.Modifier.topographical(Codes.POSTERIOR);
        Finding.Segment anteriorSegment = new Finding.Segment(1, "Anterior hippocampus", Codes.ANATOMICAL_STRUCTURE,
                Codes.HIPPOCAMPUS, List.of(front), Codes.ANTERIOR_RGB);
        Finding.Segment posteriorSegment = new Finding.Segment(2, "Posterior hippocampus", Codes.ANATOMICAL_STRUCTURE,
                Codes.HIPPOCAMPUS, List.of(back), Codes.POSTERIOR_RGB);
        List<Finding> findings = new ArrayList<>();
        findings.add(new Finding.Measurement(Codes.HIPPOCAMPUS, Codes.VOLUME, anterior, Codes.MM3, Codes.HIPPOCAMPUS,
                List.of(front), anteriorSegment, evidence));
        findings.add(new Finding.Measurement(Codes.HIPPOCAMPUS, Codes.VOLUME, posterior, Codes.MM3, Codes.HIPPOCAMPUS,
                List.of(back), posteriorSegment, evidence));
        findings.add(new Finding.Measurement(Codes.HIPPOCAMPUS, Codes.VOLUME, total, Codes.MM3, Codes.HIPPOCAMPUS,
                evidence));
        findings.add(new Finding.Segmentation(Codes.HIPPOCAMPUS, volume.columns(), volume.rows(), volume.slices(),
                run.labels(), List.of(anteriorSegment, posteriorSegment), evidence));

        job.progress(0.95, "drawing key images");
        DicomTags first = series.instances().get(0).tags();
        double[] window = KeyImages.window(volume, first.number("WindowCenter").orElse(Double.NaN),
                first.number("WindowWidth").orElse(Double.NaN));
        int sliceSize = volume.rows() * volume.columns();
        List<KeyImage> keys = new ArrayList<>();
        for (int z : KeyImages.choose(run.labels(), volume.slices(), sliceSize)) {
            keys.add(KeyImages.draw(volume, run.labels(), z, window, counts[1], counts[2]));
        }

        NormativeTable.Comparison norm = table == null || counts[1] + counts[2] == 0 ? null
                : table.compare(total, input.studyTags());
        if (norm != null && norm.placed()) {
            findings.add(new Finding.Qualitative(Codes.HIPPOCAMPUS, NormativeTable.BAND_CONCEPT, norm.answer(),
                    table.reference(), comparisonComment(total, norm.band()), evidence));
        }
        StringBuilder summary = new StringBuilder();
        if (counts[1] + counts[2] == 0) {
            summary.append("No hippocampus voxel was segmented (anterior, posterior and total 0 mm³).");
        } else {
            summary.append(String.format(Locale.ROOT,
                    "Hippocampal volume: anterior %s mm³, posterior %s mm³, total %s mm³.", mm3(anterior), mm3(posterior),
                    mm3(total)));
        }
        if (norm != null) {
            summary.append(' ').append(summarySentence(norm));
        }
        if (model.demo()) {
            summary.append(" DEMO MODEL: illustrative only.");
        }
        summary.append(" NOT FOR DIAGNOSTIC USE.");

        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("backend", backend);
        parameters.put("model", modelFile + (model.demo() ? " (DEMO MODEL)" : ""));
        parameters.put("normalisation", settings.normalisation().name().toLowerCase(Locale.ROOT));
        parameters.put("axis", settings.axis().name().toLowerCase(Locale.ROOT) + " (planes along the "
                + Segmenter.axisName(grid) + " axis of the stored grid"
                + (settings.axis() == Segmenter.Axis.NATIVE ? "" : String.format(Locale.ROOT, ", |cos| %.3f",
                Segmenter.alignment(volume, settings.axis(), grid))) + ")");
        parameters.put("planes", run.planes() + " of " + run.height() + " x " + run.width() + ", padded to "
                + run.paddedHeight() + " x " + run.paddedWidth() + ", " + run.batches() + " batch(es)");
        parameters.put("voxelSpacing", String.format(Locale.ROOT, "%s x %s x %s mm (row x column x slice)",
                num(volume.rowSpacingMm()), num(volume.columnSpacingMm()), num(volume.sliceSpacingMm())));
        parameters.put("voxelCounts", "anterior " + counts[1] + ", posterior " + counts[2]);
        if (table != null) {
            parameters.put("normativeTable", table.reference());
            parameters.put("normativeComparison", norm == null ? "none: no hippocampus voxel was segmented"
                    : norm.placed() ? norm.answer().meaning() + " for " + norm.band().group() : "none: " + norm.reason());
        }
        job.progress(1.0, "done");
        return ModuleResult.completed(findings, keys, summary.toString(), parameters);
    }

    /** The comparison's comment: what was compared with what, and why it is no more than a research aid. */
    private String comparisonComment(double total, NormativeTable.Band band) {
        return "Total hippocampal volume " + mm3(total) + " mm³ compared with " + band.group() + " in the site's reference"
                + " table (" + table.referenceVolumes() + "). Research use only: volumes from different segmentation"
                + " protocols are not directly comparable.";
    }

    /** One sentence for the summary: the band, or plainly why there is no comparison. */
    private String summarySentence(NormativeTable.Comparison norm) {
        if (!norm.placed()) {
            return "No comparison with the reference table: " + norm.reason() + ".";
        }
        return "Compared with " + norm.band().group() + " in the reference table (" + table.provenance().citation()
                + "): " + Character.toLowerCase(norm.answer().meaning().charAt(0)) + norm.answer().meaning().substring(1)
                + " (research use; different segmentation protocols are not directly comparable).";
    }

    /** The series to measure, or why none. */
    record Choice(SeriesInput series, String reason) {
    }

    static Choice choose(List<SeriesInput> all, Settings settings) {
        List<SeriesInput> images = new ArrayList<>();
        for (SeriesInput s : all) {
            if (s.instances().stream().anyMatch(i -> i.frames() > 0)) {
                images.add(s);
            }
        }
        if (images.isEmpty()) {
            return new Choice(null, "the input has no image");
        }
        List<SeriesInput> mr = new ArrayList<>();
        List<String> others = new ArrayList<>();
        for (SeriesInput s : images) {
            String modality = s.tags().get("Modality").map(String::trim).orElse("");
            if (modality.equals("MR")) {
                mr.add(s);
            } else {
                others.add(modality.isEmpty() ? "absent" : modality);
            }
        }
        if (mr.isEmpty()) {
            return new Choice(null, "Modality is " + String.join(", ", others.stream().distinct().toList())
                    + "; HippoVolume reads T1-weighted MR (Modality MR)");
        }
        List<SeriesInput> matching = new ArrayList<>();
        String firstDescription = null;
        for (SeriesInput s : mr) {
            String description = s.tags().get("SeriesDescription").map(String::trim).orElse("");
            if (settings.seriesDescription().matcher(description).find()) {
                matching.add(s);
            } else if (firstDescription == null) {
                firstDescription = description;
            }
        }
        if (matching.isEmpty()) {
            return new Choice(null, "Series Description " + (firstDescription.isEmpty() ? "is absent"
                    : "'" + firstDescription + "'") + " does not contain /" + settings.seriesDescription().pattern()
                    + "/i (configuration key 'seriesDescription'); HippoVolume reads a hippocampus crop series");
        }
        if (matching.size() > 1) {
            return new Choice(null, matching.size() + " MR series match /" + settings.seriesDescription().pattern()
                    + "/i; HippoVolume measures one series per job (use trigger series)");
        }
        SeriesInput s = matching.get(0);
        int slices = 0;
        for (InstanceInput i : s.instances()) {
            slices += i.frames();
        }
        if (slices < settings.minSlices()) {
            return new Choice(null, "the series has " + slices + (slices == 1 ? " slice" : " slices")
                    + "; HippoVolume needs at least " + settings.minSlices() + " (configuration key 'minSlices')");
        }
        return new Choice(s, null);
    }

    /**
     * The module's own geometry check on the headers of single-frame slices, before any pixel is decoded: one
     * orientation, and every gap between slice positions within {@code tolerance} (a fraction) of the median gap.
     * Multi-frame series are left to the platform's volume assembly, which checks the same (and more).
     */
    static Optional<String> geometryProblem(SeriesInput series, double tolerance) {
        List<InstanceInput> images = series.instances().stream().filter(i -> i.frames() > 0).toList();
        if (images.stream().anyMatch(i -> i.frames() != 1)) {
            return Optional.empty();
        }
        double[] firstOrientation = null;
        String firstUid = null;
        double[] positions = new double[images.size()];
        double[] normal = null;
        for (int n = 0; n < images.size(); n++) {
            InstanceInput i = images.get(n);
            double[] iop = doubles(i.tags(), "ImageOrientationPatient", 6);
            double[] ipp = doubles(i.tags(), "ImagePositionPatient", 3);
            if (iop == null || ipp == null) {
                return Optional.empty(); // the platform names what is missing
            }
            if (firstOrientation == null) {
                firstOrientation = iop;
                firstUid = i.sopInstanceUid();
                normal = new double[] {iop[1] * iop[5] - iop[2] * iop[4], iop[2] * iop[3] - iop[0] * iop[5],
                        iop[0] * iop[4] - iop[1] * iop[3]};
            } else {
                for (int k = 0; k < 6; k++) {
                    if (Math.abs(iop[k] - firstOrientation[k]) > 1e-4) {
                        return Optional.of("not a single consistent volume: mixed orientations, Image Orientation"
                                + " (Patient) " + Arrays.toString(firstOrientation) + " (" + firstUid + ") but "
                                + Arrays.toString(iop) + " (" + i.sopInstanceUid() + ")");
                    }
                }
            }
            positions[n] = ipp[0] * normal[0] + ipp[1] * normal[1] + ipp[2] * normal[2];
        }
        if (positions.length < 3) {
            return Optional.empty();
        }
        double[] sorted = positions.clone();
        Arrays.sort(sorted);
        double[] gaps = new double[sorted.length - 1];
        for (int k = 1; k < sorted.length; k++) {
            gaps[k - 1] = sorted[k] - sorted[k - 1];
            if (gaps[k - 1] < 1e-3) {
                return Optional.empty(); // two slices at one position: the platform explains (echoes, phases)
            }
        }
        double[] g = gaps.clone();
        Arrays.sort(g);
        double median = g.length % 2 == 1 ? g[g.length / 2] : (g[g.length / 2 - 1] + g[g.length / 2]) / 2;
        int worst = -1;
        for (int k = 0; k < gaps.length; k++) {
            if (Math.abs(gaps[k] - median) > tolerance * median
                    && (worst < 0 || Math.abs(gaps[k] - median) > Math.abs(gaps[worst] - median))) {
                worst = k;
            }
        }
        if (worst >= 0) {
            return Optional.of(String.format(Locale.ROOT, "not a single consistent volume: uneven slice spacing, the gap"
                            + " between slice positions %.3f and %.3f mm is %.3f mm but the median gap is %.3f mm"
                            + " (tolerance %s %%, configuration key 'spacingTolerance')%s",
                    sorted[worst], sorted[worst + 1], gaps[worst], median, num(tolerance * 100),
                    gaps[worst] > median ? "; a slice may be missing" : ""));
        }
        return Optional.empty();
    }

    private static double[] doubles(DicomTags tags, String keyword, int count) {
        List<String> v = tags.values(keyword);
        if (v.size() != count) {
            return null;
        }
        double[] d = new double[count];
        try {
            for (int k = 0; k < count; k++) {
                d[k] = Double.parseDouble(v.get(k).trim());
            }
        } catch (NumberFormatException e) {
            return null;
        }
        return d;
    }

    /** A volume in mm³, to one decimal, with a space as thousands separator. */
    static String mm3(double v) {
        return String.format(Locale.ROOT, "%,.1f", v).replace(',', ' ');
    }

    private static String num(double v) {
        String s = String.format(Locale.ROOT, "%.4f", v);
        return s.replaceAll("\\.?0+$", "");
    }

}
