package org.radflow.hippovolume;

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
import org.radflow.hippovolume.Segmenter.Axis;
import org.radflow.hippovolume.Segmenter.Normalisation;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * {@code hippovolume}: anterior, posterior and total hippocampal volume from a T1 MR "HippoCrop" series, with the
 * 2-D U-Net contract of HippoVolume.AI ({@code [N,1,H,W]} in, {@code [N,3,H,W]} logits out).
 */
public final class HippoVolumeFactory implements AiModuleFactory {

    static final String ID = "hippovolume";
    static final String VERSION = "0.1.0";

    /** The demo model inside the JAR (written by tools/models; absent from builds without it). */
    static final String DEMO_RESOURCE = "/org/radflow/hippovolume/demo/hippovolume-demo.onnx";
    static final String DEMO_NAME = "HippoVolume demo U-Net";

    static final Map<String, Backend> BACKENDS = Map.of(
            "onnx", Backend.ONNX,
            "tensorflow-savedmodel", Backend.TENSORFLOW_SAVED_MODEL);
    static final List<String> BACKEND_NAMES = List.of("onnx", "tensorflow-savedmodel");

    static final String DEFAULT_SERIES_DESCRIPTION = "HippoCrop";
    static final int DEFAULT_MIN_SLICES = 10;
    static final double DEFAULT_SPACING_TOLERANCE = 0.01;
    static final int DEFAULT_BATCH = 16;

    /** Where {@code model: demo} comes from; null when this build has no demo model. */
    private final URL demoModel;

    public HippoVolumeFactory() {
        this(HippoVolumeFactory.class.getResource(DEMO_RESOURCE));
    }

    /** For tests: another demo model, or none (null). */
    HippoVolumeFactory(URL demoModel) {
        this.demoModel = demoModel;
    }

    static String defaultModel(String backend) {
        return backend.equals("onnx") ? "hippovolume.onnx" : "hippovolume-savedmodel";
    }

    @Override
    public ModuleDescriptor descriptor() {
        return ModuleDescriptor.builder(ID, VERSION, ApiVersion.MAJOR, ApiVersion.MINOR)
                .displayName("HippoVolume")
                .model(new ModelIdentity("HippoVolume U-Net", "site-provided",
                        "2-D U-Net (HippoVolume.AI contract: anterior/posterior hippocampus); the site supplies the model,"
                                + " or 'model: demo' runs the small demo model in the JAR", false))
                // Modality only: the Series Description pattern and the minimum number of slices are configuration
                // (a descriptor is fixed before configuration is read), checked first thing in process() on the
                // tags alone. Rules can narrow further (e.g. SeriesDescription: {regex: ".*hippocrop.*"}).
                .selection(new Selection(List.of(new TagMatch("Modality", TagCondition.equalTo("MR"))), Set.of(), 1))
                .trigger(Trigger.SERIES)
                .resources(new Resources(1, 100, 2, 2048))
                .timeout(Duration.ofMinutes(5))
                .config(ConfigProperty.string("seriesDescription",
                        "Regular expression found (case-insensitive) in Series Description of the series to measure",
                        DEFAULT_SERIES_DESCRIPTION))
                .config(ConfigProperty.integer("minSlices", "Fewest slices a series needs", DEFAULT_MIN_SLICES).atLeast(2))
                .config(ConfigProperty.number("spacingTolerance",
                        "Largest deviation of a slice gap from the median gap, as a fraction of the median (0.01 = 1 %)",
                        DEFAULT_SPACING_TOLERANCE).range(0, 1))
                .config(ConfigProperty.choice("backend", "Model format: onnx or tensorflow-savedmodel", "onnx",
                        BACKEND_NAMES.toArray(String[]::new)))
                // text, not a path property: besides a path it takes auto and demo, and an empty value means auto
                .config(ConfigProperty.string("model",
                        "Model path relative to the model directory; auto = hippovolume.onnx (hippovolume-savedmodel for"
                                + " tensorflow-savedmodel); demo = the demo model bundled in the module JAR", "auto"))
                .config(ConfigProperty.string("inputTensor", "Input tensor name ([N,1,H,W] float)", "input"))
                .config(ConfigProperty.string("outputTensor", "Output tensor name ([N,3,H,W] logits)", "output"))
                .config(ConfigProperty.choice("normalisation",
                        "Intensity scaling over the whole volume: minmax (to [0,1]), max (divide by the maximum) or none",
                        "minmax", Normalisation.NAMES.toArray(String[]::new)))
                .config(ConfigProperty.choice("axis",
                        "Planes the 2-D model reads: native (the stored slices) or the stored grid axis closest to"
                                + " axial, coronal or sagittal", "native", Axis.NAMES.toArray(String[]::new)))
                .config(ConfigProperty.integer("batchSize", "Planes per model run", DEFAULT_BATCH).range(1, 1024))
                // text, not a path property: empty (the default) means no table, which a path property cannot say
                .config(ConfigProperty.string("normativeTable",
                        "CSV reference table of one-hemisphere hippocampal volume percentiles by sex and age band, with"
                                + " its provenance header (module README, 'Normative comparison'); absolute or relative to"
                                + " the model directory. Empty: no normative comparison", ""))
                .build();
    }

    @Override
    public AiModule create(ModuleContext context) throws ModuleException {
        ModuleConfig config = context.config();
        Settings settings = settings(config);
        String backendName = config.getChoice("backend"); // checked by the host against the allowed values
        Backend backend = BACKENDS.get(backendName);
        String model = config.getString("model").trim();
        Path path;
        ModelIdentity identity;
        if (model.equals("demo")) {
            if (backend != Backend.ONNX) {
                throw new ModuleException("Module hippovolume: 'model: demo' is an ONNX model; set configuration key"
                        + " 'backend' to onnx (it is '" + backendName + "')");
            }
            path = extractDemo(context.workDirectory());
            identity = new ModelIdentity(DEMO_NAME, "sha256:" + sha256(path).substring(0, 12),
                    "small 2-D U-Net trained on synthetic volumes of RadFlow's generator (tools/models); DEMO MODEL,"
                            + " results are illustrative only", true);
        } else {
            if (model.isEmpty() || model.equals("auto")) {
                model = defaultModel(backendName);
            }
            Path directory = context.modelDirectory().toAbsolutePath().normalize();
            path = directory.resolve(model).normalize();
            if (!path.startsWith(directory)) {
                throw new ModuleException("Module hippovolume: configuration key 'model' ('" + model
                        + "') must name a path inside the model directory " + directory);
            }
            if (!Files.exists(path)) {
                throw new ModuleException("Module hippovolume: no model at " + path + " (configuration key 'model' is '"
                        + config.getString("model") + "'). Convert the original HippoVolume model with"
                        + " tools/models/convert_hippovolume.py and put it there, or set 'model: demo' for the demo model");
            }
            String version = Files.isRegularFile(path) ? "sha256:" + sha256(path).substring(0, 12) : "site-provided";
            identity = new ModelIdentity(path.getFileName().toString(), version,
                    "site-provided HippoVolume U-Net (" + backendName + ")", false);
        }
        NormativeTable table = normativeTable(config, context.modelDirectory());
        ModelSession session = context.inference().load(backend, path);
        return new HippoVolumeModule(session, settings, identity, backendName, path.getFileName().toString(), table);
    }

    /** The checked configuration the module runs with. */
    record Settings(Pattern seriesDescription, int minSlices, double spacingTolerance, String inputTensor,
                    String outputTensor, Normalisation normalisation, Axis axis, int batchSize) {
    }

    /** The configuration the module runs with; types, ranges and allowed values were checked by the host. */
    static Settings settings(ModuleConfig config) throws ModuleException {
        String description = config.getString("seriesDescription").trim();
        Pattern pattern;
        try {
            pattern = Pattern.compile(description, Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
        } catch (PatternSyntaxException e) {
            throw new ModuleException("Module hippovolume: configuration key 'seriesDescription' is not a regular"
                    + " expression: " + e.getDescription() + " in '" + description + "'");
        }
        String input = config.getString("inputTensor").trim();
        String output = config.getString("outputTensor").trim();
        if (input.isEmpty() || output.isEmpty()) {
            throw new ModuleException("Module hippovolume: configuration keys 'inputTensor' and 'outputTensor' must not"
                    + " be empty");
        }
        return new Settings(pattern, config.getInt("minSlices"), config.getDouble("spacingTolerance"), input, output,
                config.getEnum("normalisation", Normalisation.class), config.getEnum("axis", Axis.class),
                config.getInt("batchSize"));
    }

    /** The configured reference table, read and checked now (so a bad one stops the module at start); null for none. */
    static NormativeTable normativeTable(ModuleConfig config, Path modelDirectory) throws ModuleException {
        String value = config.getString("normativeTable").strip();
        if (value.isEmpty()) {
            return null;
        }
        Path file;
        try {
            file = Path.of(value);
        } catch (java.nio.file.InvalidPathException e) {
            throw new ModuleException("Module hippovolume: configuration key 'normativeTable' ('" + value
                    + "') is not a path: " + e.getReason());
        }
        if (!file.isAbsolute()) {
            file = modelDirectory.toAbsolutePath().normalize().resolve(file).normalize();
        }
        return NormativeTable.read(file);
    }

    /** Copies the bundled demo model into the work directory (ONNX Runtime loads files). */
    private Path extractDemo(Path workDirectory) throws ModuleException {
        if (demoModel == null) {
            throw new ModuleException("Module hippovolume: 'model: demo' needs the demo model bundled in the module JAR"
                    + " (resource " + DEMO_RESOURCE + "), and this build has none. Train it with the script in"
                    + " tools/models and rebuild, or set configuration key 'model' to a model file in the model directory");
        }
        try {
            Files.createDirectories(workDirectory);
            Path target = workDirectory.resolve("hippovolume-demo.onnx");
            Path tmp = workDirectory.resolve("hippovolume-demo.onnx.part");
            try (InputStream in = demoModel.openStream()) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } catch (IOException e) {
            throw new ModuleException("Module hippovolume: cannot extract the demo model to " + workDirectory + ": "
                    + e.getMessage(), e);
        }
    }

    static String sha256(Path file) throws ModuleException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            byte[] buffer = new byte[1 << 16];
            while (in.read(buffer) >= 0) {
                // digest as we go
            }
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (IOException e) {
            throw new ModuleException("Module hippovolume: cannot read model " + file + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
