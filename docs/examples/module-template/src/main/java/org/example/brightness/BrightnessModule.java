package org.example.brightness;

import org.radflow.api.AiModule;
import org.radflow.api.Concept;
import org.radflow.api.Finding;
import org.radflow.api.ImagePlane;
import org.radflow.api.InferenceEngine;
import org.radflow.api.JobContext;
import org.radflow.api.ModuleException;
import org.radflow.api.ModuleResult;
import org.radflow.api.PixelDataException;
import org.radflow.api.StudyInput;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The working module: a series' pixels become two features (mean and standard deviation as fractions of the series'
 * maximum), the ONNX model turns them into probabilities of bright and dark, and the result carries a measurement
 * and a classification. {@link #process} may run on several threads at once: keep it free of shared mutable state.
 */
final class BrightnessModule implements AiModule {

    // Codes of a private coding scheme (99...): use standard codes (SCT, DCM, LN) where they exist.
    static final Concept FINDING = new Concept("99TEMPLATE", "BRIGHTNESS", "Overall brightness");
    static final Concept MEAN = new Concept("99TEMPLATE", "MEAN-REL", "Mean intensity relative to maximum");
    static final Concept BRIGHT = new Concept("99TEMPLATE", "BRIGHT", "Bright");
    static final Concept DARK = new Concept("99TEMPLATE", "DARK", "Dark");

    private final InferenceEngine.ModelSession session;
    private final double threshold;

    BrightnessModule(InferenceEngine.ModelSession session, double threshold) {
        this.session = session;
        this.threshold = threshold;
    }

    @Override
    public ModuleResult process(StudyInput input, JobContext job) throws ModuleException {
        // a SERIES module gets one series per job
        StudyInput.SeriesInput series = input.series().get(0);
        double sum = 0;
        double sumOfSquares = 0;
        double max = 0;
        long count = 0;
        List<String> evidence = new ArrayList<>();
        List<StudyInput.InstanceInput> images = series.instances().stream().filter(i -> i.frames() > 0).toList();
        for (StudyInput.InstanceInput image : images) {
            job.checkCancelled();
            ImagePlane plane;
            try {
                plane = image.plane();
            } catch (PixelDataException e) {
                throw new ModuleException("cannot decode " + image.sopInstanceUid() + ": " + e.getMessage(), e);
            }
            for (float v : plane.pixels()) {
                sum += v;
                sumOfSquares += (double) v * v;
                max = Math.max(max, v);
            }
            count += plane.pixels().length;
            evidence.add(image.sopInstanceUid());
            job.progress(0.9 * evidence.size() / images.size(), "read " + evidence.size() + " of " + images.size());
        }
        if (count == 0) {
            return ModuleResult.notApplicable("the series has no image");
        }
        if (max <= 0) {
            return ModuleResult.notApplicable("the series is blank (no pixel above 0)");
        }
        double mean = sum / count;
        double sd = Math.sqrt(Math.max(0, sumOfSquares / count - mean * mean));
        float[] features = {(float) (mean / max), (float) (sd / max)};

        InferenceEngine.Tensor out = session.run(Map.of("features", new InferenceEngine.Tensor(new long[] {1, 2}, features)),
                List.of("probabilities")).get("probabilities");
        double bright = out.data()[0];
        double dark = out.data()[1];
        Concept predicted = bright >= threshold ? BRIGHT : DARK;

        List<Finding> findings = List.of(
                new Finding.Measurement(FINDING, MEAN, features[0], Concept.ucum("1", "no units"), FINDING, evidence),
                new Finding.Classification(FINDING, List.of(new Finding.ClassProbability(BRIGHT, bright),
                        new Finding.ClassProbability(DARK, dark)), predicted, evidence));
        String summary = String.format(Locale.ROOT, "Mean intensity %.0f%% of the series maximum: %s (p %.2f).",
                100 * features[0], predicted.meaning().toLowerCase(Locale.ROOT), predicted == BRIGHT ? bright : dark);
        job.progress(1, "done");
        return ModuleResult.completed(findings, List.of(), summary, Map.of());
    }
}
