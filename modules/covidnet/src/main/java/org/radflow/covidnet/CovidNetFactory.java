package org.radflow.covidnet;

import org.radflow.api.AiModule;
import org.radflow.api.AiModuleFactory;
import org.radflow.api.ApiVersion;
import org.radflow.api.ConfigProperty;
import org.radflow.api.InferenceEngine.Backend;
import org.radflow.api.InferenceEngine.ModelSession;
import org.radflow.api.ModelIdentity;
import org.radflow.api.ModuleConfig;
import org.radflow.api.ModuleContext;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleException;
import org.radflow.api.Resources;
import org.radflow.api.Selection;
import org.radflow.api.TagCondition;
import org.radflow.api.TagMatch;
import org.radflow.api.Trigger;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code covidnet}: classifies a frontal chest radiograph with a COVID-Net model the site provides. */
public final class CovidNetFactory implements AiModuleFactory {

    static final String ID = "covidnet";
    static final String VERSION = "0.1.0";

    /** The {@code model} value that selects the demo model bundled in this JAR. */
    static final String DEMO = "demo";
    static final String DEMO_RESOURCE = "/org/radflow/covidnet/demo/covidnet-demo.onnx";
    static final String DEMO_FILE = "covidnet-demo.onnx";

    /** Body parts the module reads; an absent Body Part Examined is accepted too (often empty on CR). */
    static final String CHEST = "chest|thorax";
    /** Frontal views; an absent View Position is accepted too (see README). */
    static final String FRONTAL = "PA|AP";

    /** Config value -> backend, in the order shown to operators. */
    static final Map<String, Backend> BACKENDS = Map.of(
            "onnx", Backend.ONNX,
            "tensorflow-checkpoint", Backend.TENSORFLOW_CHECKPOINT,
            "tensorflow-savedmodel", Backend.TENSORFLOW_SAVED_MODEL);
    static final List<String> BACKEND_NAMES = List.of("onnx", "tensorflow-checkpoint", "tensorflow-savedmodel");

    /**
     * The model path used when {@code model} is left at {@code auto}. For a checkpoint it is a directory: the
     * engine takes the prefix its {@code checkpoint} file names, else its only {@code .index} (COVID-Net's
     * prefixes carry the training step, e.g. {@code model-18540}, so no fixed prefix would fit).
     */
    static String defaultModel(String backend) {
        return switch (backend) {
            case "onnx" -> "covidnet.onnx";
            case "tensorflow-savedmodel" -> "covidnet-savedmodel";
            default -> "covidnet-checkpoint";
        };
    }

    @Override
    public ModuleDescriptor descriptor() {
        return ModuleDescriptor.builder(ID, VERSION, ApiVersion.MAJOR, ApiVersion.MINOR)
                .displayName("COVID-Net chest X-ray")
                .model(new ModelIdentity("COVID-Net", "site-provided",
                        "COVID-Net (Wang, Lin, Wong 2020) chest radiograph classifier; the site supplies the model files",
                        false))
                .selection(new Selection(List.of(
                        new TagMatch("Modality", TagCondition.anyOf(List.of("CR", "DX")),
                                "COVID-Net reads chest radiographs (CR or DX)"),
                        new TagMatch("BodyPartExamined", TagCondition.orAbsent(TagCondition.regex(CHEST)),
                                "COVID-Net reads chest radiographs (Body Part Examined CHEST or THORAX, or not given)"),
                        new TagMatch("ViewPosition", TagCondition.orAbsent(TagCondition.regex(FRONTAL)),
                                "COVID-Net reads frontal (PA/AP) chest radiographs")),
                        Set.of(), 1))
                .trigger(Trigger.INSTANCE)
                .resources(new Resources(1, 100, 2, 2048))
                .timeout(Duration.ofMinutes(2))
                .config(ConfigProperty.choice("profile",
                        "Model family: cxr4 (normal/pneumonia/COVID-19), cxr2 (negative/positive) or custom", "cxr4",
                        CovidNetProfile.NAMES.toArray(String[]::new)))
                .config(ConfigProperty.choice("backend",
                        "Model format: onnx, tensorflow-checkpoint or tensorflow-savedmodel", "onnx",
                        BACKEND_NAMES.toArray(String[]::new)))
                // text, not a path property: besides a path it takes auto and demo, and an empty value means auto
                .config(ConfigProperty.string("model",
                        "Model path relative to the model directory (checkpoint: the prefix, e.g. COVIDNet-CXR4-A/model-18540);"
                                + " auto = covidnet.onnx, the directory covidnet-checkpoint (its latest checkpoint) or covidnet-savedmodel"
                                + " by backend; demo = the small demo model in the JAR (synthetic data; outputs say DEMO MODEL)", "auto"))
                .config(ConfigProperty.string("inputTensor", "custom profile: the input tensor name", "input_1:0"))
                .config(ConfigProperty.string("outputTensor", "custom profile: the softmax output tensor name",
                        "norm_dense_1/Softmax:0"))
                .config(ConfigProperty.string("classes", "custom profile: output class labels in order, comma-separated",
                        "normal,pneumonia,COVID-19"))
                .build();
    }

    @Override
    public AiModule create(ModuleContext context) throws ModuleException {
        // the host checked every value against the declared properties (allowed values)
        ModuleConfig config = context.config();
        CovidNetProfile profile = profile(config);
        String backendName = config.getChoice("backend");
        Backend backend = BACKENDS.get(backendName);
        String model = config.getString("model").trim();
        if (model.equals(DEMO)) {
            return demo(context, profile, backend);
        }
        if (model.isEmpty() || model.equals("auto")) {
            model = defaultModel(backendName);
        }
        Path directory = context.modelDirectory().toAbsolutePath().normalize();
        Path path = directory.resolve(model).normalize();
        if (!path.startsWith(directory)) {
            throw new ModuleException("Module covidnet: configuration key 'model' ('" + model
                    + "') must name a path inside the model directory " + directory);
        }
        ModelSession session = context.inference().load(backend, path);
        return new CovidNetModule(session, profile, backendName, model,
                new ModelIdentity("COVID-Net " + profile.name(), model, "COVID-Net " + profile.name() + " model " + model + " (site-provided)", false));
    }

    /**
     * {@code model: demo}: the small model in this JAR (see tools/models/train_covidnet_demo.py), trained on the
     * generator's synthetic radiographs. It has the cxr4 signature; everything made with it says DEMO MODEL.
     */
    private static AiModule demo(ModuleContext context, CovidNetProfile profile, Backend backend) throws ModuleException {
        if (backend != Backend.ONNX || !profile.name().equals("cxr4")) {
            throw new ModuleException("Module covidnet: 'model: demo' is an ONNX model with the cxr4 profile;"
                    + " set backend: onnx and profile: cxr4 (or name your own model file)");
        }
        Path file = context.workDirectory().resolve(DEMO_FILE);
        try (InputStream in = CovidNetFactory.class.getResourceAsStream(DEMO_RESOURCE)) {
            if (in == null) {
                throw new ModuleException("Module covidnet: this build has no demo model (" + DEMO_RESOURCE
                        + " is missing from the JAR); set modules.covidnet.config.model to a model file");
            }
            Files.createDirectories(file.getParent());
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new ModuleException("Module covidnet: cannot extract the demo model to " + file + ": " + e.getMessage(), e);
        }
        ModelSession session = context.inference().load(Backend.ONNX, file);
        return new CovidNetModule(session, profile, "onnx", "demo", new ModelIdentity("COVID-Net demo CNN", VERSION,
                "a small CNN trained on RadFlow's synthetic radiographs; its results mean nothing clinically",
                true));
    }

    static CovidNetProfile profile(ModuleConfig config) throws ModuleException {
        String name = config.getChoice("profile");
        return switch (name) {
            case "cxr4" -> CovidNetProfile.cxr4();
            case "cxr2" -> CovidNetProfile.cxr2();
            case "custom" -> {
                List<String> labels = new ArrayList<>();
                String classes = config.getString("classes");
                for (String s : classes.split(",")) {
                    if (!s.isBlank()) {
                        labels.add(s.trim());
                    }
                }
                if (labels.size() < 2) {
                    throw new ModuleException("Module covidnet: configuration key 'classes' needs at least two"
                            + " comma-separated labels, was '" + classes + "'");
                }
                yield CovidNetProfile.custom(config.getString("inputTensor").trim(),
                        config.getString("outputTensor").trim(), labels);
            }
            default -> throw new IllegalStateException("profile '" + name + "' is declared but not handled");
        };
    }
}
