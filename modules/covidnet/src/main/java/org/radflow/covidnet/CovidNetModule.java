package org.radflow.covidnet;

import org.radflow.api.AiModule;
import org.radflow.api.Concept;
import org.radflow.api.DicomTags;
import org.radflow.api.Finding;
import org.radflow.api.ImagePlane;
import org.radflow.api.InferenceEngine.ModelSession;
import org.radflow.api.InferenceEngine.Tensor;
import org.radflow.api.JobContext;
import org.radflow.api.KeyImage;
import org.radflow.api.ModelIdentity;
import org.radflow.api.ModuleException;
import org.radflow.api.ModuleResult;
import org.radflow.api.PixelDataException;
import org.radflow.api.StudyInput;
import org.radflow.api.StudyInput.InstanceInput;
import org.radflow.api.StudyInput.PlaneOptions;
import org.radflow.api.TagCondition;
import org.radflow.covidnet.CovidNetPreprocessing.Prepared;
import org.radflow.covidnet.CovidNetPreprocessing.Rect;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Runs one COVID-Net model on one frontal chest radiograph (trigger INSTANCE). */
final class CovidNetModule implements AiModule {

    /** The widest key image drawn. */
    static final int KEY_IMAGE_MAX_WIDTH = 512;
    /** The crop outline on the key image. */
    static final int OUTLINE_RGB = 0xFFD400;

    private static final TagCondition CHEST = TagCondition.regex(CovidNetFactory.CHEST);
    private static final TagCondition FRONTAL = TagCondition.regex(CovidNetFactory.FRONTAL);

    private final ModelSession session;
    private final CovidNetProfile profile;
    private final String backend;
    private final String model;
    private final ModelIdentity identity;

    CovidNetModule(ModelSession session, CovidNetProfile profile, String backend, String model, ModelIdentity identity) {
        this.session = session;
        this.profile = profile;
        this.backend = backend;
        this.model = model;
        this.identity = identity;
    }

    @Override
    public ModelIdentity model() {
        return identity;
    }

    @Override
    public ModuleResult process(StudyInput input, JobContext job) throws ModuleException {
        List<InstanceInput> images = new ArrayList<>();
        input.series().forEach(s -> s.instances().stream().filter(i -> i.frames() > 0).forEach(images::add));
        if (images.isEmpty()) {
            return ModuleResult.notApplicable("the input has no image");
        }
        // Trigger INSTANCE: one image per job. Should a unit hold several, the first is read and said so.
        InstanceInput image = images.get(0);
        Optional<String> unfit = unfit(image.tags());
        if (unfit.isPresent()) {
            return ModuleResult.notApplicable(unfit.get());
        }

        job.progress(0.1, "decoding the radiograph");
        ImagePlane plane;
        try {
            plane = image.plane(0, PlaneOptions.BRIGHTER_IS_HIGHER);
        } catch (PixelDataException e) {
            return ModuleResult.notApplicable("the radiograph cannot be decoded: " + e.getMessage());
        }
        if (plane.samplesPerPixel() != 1) {
            return ModuleResult.notApplicable("the image is colour (" + plane.photometric()
                    + "); COVID-Net reads grey radiographs");
        }
        job.checkCancelled();

        job.progress(0.3, "preparing the model input");
        Prepared prepared = CovidNetPreprocessing.prepare(plane);
        job.checkCancelled();

        job.progress(0.5, "running " + model);
        Map<String, Tensor> out = session.run(Map.of(profile.inputTensor(), new Tensor(prepared.shape(), prepared.nhwc())),
                List.of(profile.outputTensor()));
        Tensor probabilities = out.get(profile.outputTensor());
        if (probabilities == null) {
            throw new ModuleException("Module covidnet: model " + model + " returned no '" + profile.outputTensor()
                    + "'; it has outputs " + session.outputNames());
        }
        float[] p = probabilities.data();
        if (p.length != profile.classes().size()) {
            throw new ModuleException("Module covidnet: model " + model + " output '" + profile.outputTensor() + "' has "
                    + p.length + " values but profile " + profile.name() + " names " + profile.classes().size()
                    + " classes " + labels());
        }
        job.checkCancelled();

        job.progress(0.8, "drawing the key image");
        List<Finding.ClassProbability> classes = new ArrayList<>();
        int best = 0;
        for (int i = 0; i < p.length; i++) {
            if (!(p[i] >= -1e-4 && p[i] <= 1 + 1e-4)) {
                throw new ModuleException("Module covidnet: model " + model + " gave " + p[i] + " for class "
                        + profile.classes().get(i).meaning() + ", not a probability: is '" + profile.outputTensor()
                        + "' the softmax output?");
            }
            classes.add(new Finding.ClassProbability(profile.classes().get(i), Math.max(0, Math.min(1, p[i]))));
            if (p[i] > p[best]) {
                best = i;
            }
        }
        Concept predicted = profile.classes().get(best);
        Finding finding = new Finding.Classification(CovidNetProfile.FINDING, classes, predicted,
                List.of(image.sopInstanceUid()));
        KeyImage key = keyImage(prepared.eightBit(), prepared.crop(), image.sopInstanceUid());

        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("profile", profile.name());
        parameters.put("backend", backend);
        parameters.put("model", Path.of(model).getFileName().toString());
        parameters.put("viewPosition", image.tags().get("ViewPosition").map(String::trim).filter(v -> !v.isEmpty())
                .orElse("absent (assumed frontal)"));
        String summary = String.format(Locale.ROOT,
                "COVID-Net (%s): %s, probability %.2f.%s NOT FOR DIAGNOSTIC USE.",
                profile.name(), predicted.meaning(), classes.get(best).probability(),
                identity.demo() ? " DEMO MODEL: illustrative only." : "");
        job.progress(1.0, "done");
        return ModuleResult.completed(List.of(finding), List.of(key), summary, parameters);
    }

    /** The selection's checks again, with the reason a person reads; empty when the image fits. */
    static Optional<String> unfit(DicomTags tags) {
        String modality = tags.get("Modality").map(String::trim).orElse("");
        if (!modality.equals("CR") && !modality.equals("DX")) {
            return Optional.of("Modality is " + (modality.isEmpty() ? "absent" : modality)
                    + "; COVID-Net reads chest radiographs (CR or DX)");
        }
        List<String> body = tags.values("BodyPartExamined").stream().filter(v -> !v.isBlank()).toList();
        if (!body.isEmpty() && !CHEST.test(body)) {
            return Optional.of("Body Part Examined is " + body.get(0).trim() + ", not CHEST");
        }
        List<String> view = tags.values("ViewPosition").stream().filter(v -> !v.isBlank()).toList();
        if (!view.isEmpty() && !FRONTAL.test(view)) {
            return Optional.of("View Position is " + view.get(0).trim()
                    + "; COVID-Net was trained on frontal (PA or AP) radiographs, not lateral or other views");
        }
        return Optional.empty();
    }

    /** The whole radiograph in grey, at most 512 wide, with the model's crop outlined. */
    static KeyImage keyImage(CovidNetPreprocessing.Grey grey, Rect crop, String sopInstanceUid) {
        double scale = Math.min(1.0, (double) KEY_IMAGE_MAX_WIDTH / grey.columns());
        int width = Math.max(1, (int) Math.round(grey.columns() * scale));
        int height = Math.max(1, (int) Math.round(grey.rows() * scale));
        float[] small = CovidNetPreprocessing.resizeBilinear(grey, new Rect(0, 0, grey.columns(), grey.rows()), width, height);
        int[] rgb = new int[width * height];
        for (int i = 0; i < rgb.length; i++) {
            int g = (int) small[i];
            rgb[i] = g << 16 | g << 8 | g;
        }
        double sx = (double) width / grey.columns();
        double sy = (double) height / grey.rows();
        int left = clamp((int) Math.floor(crop.x() * sx), width);
        int top = clamp((int) Math.floor(crop.y() * sy), height);
        int right = clamp((int) Math.ceil((crop.x() + crop.width()) * sx) - 1, width);
        int bottom = clamp((int) Math.ceil((crop.y() + crop.height()) * sy) - 1, height);
        int thickness = Math.max(1, width / 256);
        for (int t = 0; t < thickness; t++) {
            for (int x = left; x <= right; x++) {
                rgb[clamp(top + t, height) * width + x] = OUTLINE_RGB;
                rgb[clamp(bottom - t, height) * width + x] = OUTLINE_RGB;
            }
            for (int y = top; y <= bottom; y++) {
                rgb[y * width + clamp(left + t, width)] = OUTLINE_RGB;
                rgb[y * width + clamp(right - t, width)] = OUTLINE_RGB;
            }
        }
        return new KeyImage("Chest radiograph; outlined: the square region COVID-Net reads", width, height, rgb,
                sopInstanceUid);
    }

    private static int clamp(int v, int size) {
        return Math.max(0, Math.min(size - 1, v));
    }

    private String labels() {
        return profile.classes().stream().map(Concept::meaning).toList().toString();
    }
}
