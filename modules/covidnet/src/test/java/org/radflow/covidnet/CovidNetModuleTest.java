package org.radflow.covidnet;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.AiModule;
import org.radflow.api.ConfigProperty;
import org.radflow.api.Finding;
import org.radflow.api.KeyImage;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleException;
import org.radflow.api.ModuleResult;
import org.radflow.api.StudyInput;
import org.radflow.api.StudyInput.InstanceInput;
import org.radflow.api.StudyInput.PlaneOptions;
import org.radflow.api.Trigger;
import org.radflow.covidnet.CovidNetPreprocessing.Prepared;
import org.radflow.moduletest.TestJob;
import org.radflow.moduletest.TestModuleContext;
import org.radflow.moduletest.TestStudies;
import org.radflow.inference.HostInferenceEngine;
import org.radflow.testdata.ChestOptions;
import org.radflow.testdata.ChestOptions.Modality;
import org.radflow.testdata.ChestOptions.Photometric;
import org.radflow.testdata.ChestOptions.View;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.Synth;
import org.radflow.testkit.OnnxModels;
import org.radflow.testkit.OnnxModels.Attribute;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The module end to end below the scheduler: synthetic radiographs from the generator, decoded by the platform's
 * own {@code SpoolStudyInput} (through the module test kit), a tiny ONNX model written at test time with COVID-Net's tensor names, run by the
 * real {@link HostInferenceEngine} (ONNX Runtime).
 */
class CovidNetModuleTest {

    /** The test model: per-channel mean over H and W, then softmax(mean · W + B); W is [3 channels, 3 classes]. */
    static final float[] W = {2f, 0f, -1f, 1f, 0.5f, 0f, 0f, 1f, -1f};
    static final float[] B = {-1.5f, 0f, 1f};
    /** ONNX Runtime averages 230 400 values in float32; the expected values are computed in double. */
    static final double TOLERANCE = 1e-3;

    @TempDir
    static Path dir;
    static Path models;
    static HostInferenceEngine engine;

    @BeforeAll
    static void model() throws IOException {
        models = Files.createDirectories(dir.resolve("models"));
        OnnxModels.graph("covidnet_stand_in")
                .node("ReduceMean", List.of("input_1:0"), "mean", Attribute.ints("axes", 1, 2), Attribute.of("keepdims", 0))
                .node("MatMul", List.of("mean", "W"), "mm")
                .node("Add", List.of("mm", "B"), "logits")
                .node("Softmax", List.of("logits"), "norm_dense_1/Softmax:0", Attribute.of("axis", 1))
                .initializer("W", new long[] {3, 3}, W)
                .initializer("B", new long[] {3}, B)
                .input("input_1:0", OnnxModels.FLOAT, 1, 480, 480, 3)
                .output("norm_dense_1/Softmax:0", OnnxModels.FLOAT, 1, 3)
                .write(models.resolve("covidnet.onnx"));
        engine = new HostInferenceEngine();
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    @Test
    void isFoundByServiceLoaderAndDescribesItself() {
        CovidNetFactory factory = ServiceLoader.load(org.radflow.api.AiModuleFactory.class).stream()
                .map(ServiceLoader.Provider::get).filter(CovidNetFactory.class::isInstance)
                .map(CovidNetFactory.class::cast).findFirst().orElseThrow();
        ModuleDescriptor d = factory.descriptor();
        assertEquals("covidnet", d.id());
        assertEquals("0.1.0", d.version());
        assertEquals(Trigger.INSTANCE, d.trigger());
        assertEquals(2, d.resources().inferenceThreads());
        assertEquals(1, d.resources().maxConcurrentJobs());
        assertEquals(120, d.timeout().toSeconds());
        assertEquals(List.of("profile", "backend", "model", "inputTensor", "outputTensor", "classes"),
                d.configProperties().stream().map(ConfigProperty::name).toList());
    }

    @Test
    void selectionTakesFrontalChestRadiographsAndAnAbsentBodyPartOrView() {
        var selection = new CovidNetFactory().descriptor().selection();
        assertEquals(Optional.empty(), selection.mismatch(tags("Modality", "DX", "BodyPartExamined", "CHEST",
                "ViewPosition", "PA"), Synth.DX_FOR_PRESENTATION));
        assertEquals(Optional.empty(), selection.mismatch(tags("Modality", "CR", "ViewPosition", "AP"), Synth.CR_IMAGE));
        assertEquals(Optional.empty(), selection.mismatch(tags("Modality", "CR", "BodyPartExamined", "Thorax"),
                Synth.CR_IMAGE));
        assertTrue(selection.mismatch(tags("Modality", "MR"), Synth.MR_IMAGE).orElseThrow().contains("Modality"));
        String skull = selection.mismatch(tags("Modality", "DX", "BodyPartExamined", "SKULL"), Synth.DX_FOR_PRESENTATION)
                .orElseThrow();
        assertTrue(skull.startsWith("BodyPartExamined") && skull.contains("'SKULL'"), skull);
        String lateral = selection.mismatch(tags("Modality", "DX", "ViewPosition", "LL"), Synth.DX_FOR_PRESENTATION)
                .orElseThrow();
        assertTrue(lateral.startsWith("ViewPosition") && lateral.contains("'LL'"), lateral);
    }

    @Test
    void dxPaMonochrome2IsClassifiedWithTheModelsProbabilities() throws Exception {
        GeneratedSeries file = radiograph("dx-pa-m2", ChestOptions.defaults()); // 1024 x 1024
        StudyInput input = study(file);
        TestJob job = new TestJob();
        ModuleResult result;
        try (AiModule module = create(Map.of())) {
            result = module.process(input, job);
        }
        assertEquals(ModuleResult.Status.COMPLETED, result.status(), result.reason());
        InstanceInput image = input.series().get(0).instances().get(0);
        float[] expected = expected(image);

        Finding.Classification c = (Finding.Classification) result.findings().get(0);
        assertEquals(CovidNetProfile.FINDING, c.finding());
        assertEquals(List.of(CovidNetProfile.NORMAL, CovidNetProfile.PNEUMONIA, CovidNetProfile.COVID_19),
                c.probabilities().stream().map(Finding.ClassProbability::label).toList());
        for (int k = 0; k < 3; k++) {
            assertEquals(expected[k], c.probabilities().get(k).probability(), TOLERANCE);
        }
        assertEquals(CovidNetProfile.cxr4().classes().get(argmax(expected)), c.predicted());
        assertEquals(List.of(image.sopInstanceUid()), c.evidenceSopInstanceUids());

        assertTrue(result.summary().contains(c.predicted().meaning()) && result.summary().contains("NOT FOR DIAGNOSTIC USE"),
                result.summary());
        assertEquals(Map.of("profile", "cxr4", "backend", "onnx", "model", "covidnet.onnx", "viewPosition", "PA"),
                result.parameters());

        KeyImage key = result.keyImages().get(0);
        assertEquals(512, key.width()); // 1024 halved
        assertEquals(512, key.height());
        assertEquals(image.sopInstanceUid(), key.sourceSopInstanceUid());
        // crop: top int(1024 * 0.08) = 81 rows removed, then the centred 943 x 943 square from column 40, row 81
        int top = 81 / 2;
        int left = 40 / 2;
        assertEquals(CovidNetModule.OUTLINE_RGB, key.rgb()[top * 512 + 256]);
        assertEquals(CovidNetModule.OUTLINE_RGB, key.rgb()[300 * 512 + left]);
        assertEquals(CovidNetModule.OUTLINE_RGB, key.rgb()[511 * 512 + 256]);
        int inside = key.rgb()[256 * 512 + 256];
        assertEquals(inside & 0xFF, (inside >> 16) & 0xFF); // grey
        assertNotEquals(CovidNetModule.OUTLINE_RGB, inside);

        assertTrue(job.progress().size() >= 4, job.progress().toString());
        assertEquals(1.0, job.progress().get(job.progress().size() - 1));
    }

    @Test
    void monochrome1GivesTheSameProbabilitiesAsMonochrome2() throws Exception {
        ChestOptions small = ChestOptions.defaults().withSize(300, 256).withSeed(7);
        ModuleResult m2;
        ModuleResult m1;
        try (AiModule module = create(Map.of())) {
            m2 = module.process(study(radiograph("m2", small)), new TestJob());
            m1 = module.process(study(radiograph("m1", small.withPhotometric(Photometric.MONOCHROME1))), new TestJob());
        }
        assertEquals(ModuleResult.Status.COMPLETED, m1.status(), m1.reason());
        List<Finding.ClassProbability> p2 = ((Finding.Classification) m2.findings().get(0)).probabilities();
        List<Finding.ClassProbability> p1 = ((Finding.Classification) m1.findings().get(0)).probabilities();
        for (int k = 0; k < 3; k++) {
            assertEquals(p2.get(k).probability(), p1.get(k).probability(), 1e-4);
        }
        // and the key image is the same picture: bone white in both
        assertArrayEquals(m2.keyImages().get(0).rgb(), m1.keyImages().get(0).rgb());
        assertEquals(256, m1.keyImages().get(0).width()); // narrow enough: not scaled
    }

    @Test
    void crApAndAnAbsentBodyPartAreRead() throws Exception {
        ChestOptions cr = ChestOptions.defaults().withSize(256, 320).withModality(Modality.CR).withView(View.AP)
                .withBodyPart(null).withWindow(false);
        ModuleResult result;
        GeneratedSeries file = radiograph("cr-ap", cr);
        try (AiModule module = create(Map.of())) {
            result = module.process(study(file), new TestJob());
        }
        assertEquals(ModuleResult.Status.COMPLETED, result.status(), result.reason());
        InstanceInput image = study(file).series().get(0).instances().get(0);
        float[] expected = expected(image);
        Finding.Classification c = (Finding.Classification) result.findings().get(0);
        for (int k = 0; k < 3; k++) {
            assertEquals(expected[k], c.probabilities().get(k).probability(), TOLERANCE);
        }
        assertEquals("AP", result.parameters().get("viewPosition"));
    }

    @Test
    void lateralAndSkullAreNotApplicableWithTheReason() throws Exception {
        ChestOptions small = ChestOptions.defaults().withSize(256, 256);
        try (AiModule module = create(Map.of())) {
            ModuleResult lateral = module.process(study(radiograph("lat", small.withView(View.LAT))), new TestJob());
            assertEquals(ModuleResult.Status.NOT_APPLICABLE, lateral.status());
            assertTrue(lateral.reason().contains("View Position is LL") && lateral.reason().contains("frontal"),
                    lateral.reason());
            ModuleResult skull = module.process(study(radiograph("skull", small.withBodyPart("SKULL"))), new TestJob());
            assertEquals(ModuleResult.Status.NOT_APPLICABLE, skull.status());
            assertTrue(skull.reason().contains("SKULL"), skull.reason());
        }
    }

    @Test
    void unknownProfileOrBackendIsRefusedNamingTheKeyAndTheAllowedValues() {
        ModuleException profile = assertThrows(ModuleException.class, () -> create(Map.of("profile", "cxr5")));
        assertTrue(profile.getMessage().contains("modules.covidnet.config.profile") && profile.getMessage().contains("cxr5")
                && profile.getMessage().contains("cxr4, cxr2, custom"), profile.getMessage());
        ModuleException backend = assertThrows(ModuleException.class, () -> create(Map.of("backend", "pytorch")));
        assertTrue(backend.getMessage().contains("modules.covidnet.config.backend")
                && backend.getMessage().contains("onnx, tensorflow-checkpoint, tensorflow-savedmodel"), backend.getMessage());
    }

    @Test
    void aModelPathOutsideTheModelDirectoryIsRefused() {
        ModuleException e = assertThrows(ModuleException.class, () -> create(Map.of("model", "../elsewhere.onnx")));
        assertTrue(e.getMessage().contains("'model'") && e.getMessage().contains("inside the model directory"),
                e.getMessage());
    }

    @Test
    void anOutputThatDoesNotMatchTheClassesFailsNamingBothNumbers() throws Exception {
        GeneratedSeries file = radiograph("mismatch", ChestOptions.defaults().withSize(128, 128));
        try (AiModule module = create(Map.of("profile", "custom", "classes", "negative, positive"))) {
            ModuleException e = assertThrows(ModuleException.class, () -> module.process(study(file), new TestJob()));
            assertTrue(e.getMessage().contains("3 values") && e.getMessage().contains("2 classes"), e.getMessage());
        }
    }

    @Test
    void aCustomProfileNamesItsClassesInThePrivateScheme() throws Exception {
        GeneratedSeries file = radiograph("custom", ChestOptions.defaults().withSize(128, 128));
        try (AiModule module = create(Map.of("profile", "custom", "classes", "clear,hazy,consolidated"))) {
            ModuleResult r = module.process(study(file), new TestJob());
            Finding.Classification c = (Finding.Classification) r.findings().get(0);
            assertEquals(List.of("clear", "hazy", "consolidated"),
                    c.probabilities().stream().map(p -> p.label().meaning()).toList());
            assertEquals("99RADFLOW", c.predicted().scheme());
            assertEquals("custom", r.parameters().get("profile"));
        }
    }

    @Test
    void aCancelledJobStopsBetweenSteps() throws Exception {
        GeneratedSeries file = radiograph("cancel", ChestOptions.defaults().withSize(128, 128));
        TestJob job = new TestJob();
        job.cancel();
        try (AiModule module = create(Map.of())) {
            ModuleException e = assertThrows(ModuleException.class, () -> module.process(study(file), job));
            assertTrue(e.getMessage().contains("cancelled"), e.getMessage());
        }
    }

    // --- helpers ---

    /** softmax(m · colsum(W) + B), m the mean of the prepared input (all three channels are equal). */
    private static float[] expected(InstanceInput image) throws Exception {
        Prepared prepared = CovidNetPreprocessing.prepare(image.plane(0, PlaneOptions.BRIGHTER_IS_HIGHER));
        double sum = 0;
        for (int i = 0; i < prepared.nhwc().length; i += 3) {
            sum += prepared.nhwc()[i];
        }
        double m = sum / (prepared.nhwc().length / 3.0);
        double[] logits = new double[3];
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < 3; k++) {
            logits[k] = m * (W[k] + W[3 + k] + W[6 + k]) + B[k];
            max = Math.max(max, logits[k]);
        }
        double total = 0;
        for (int k = 0; k < 3; k++) {
            total += Math.exp(logits[k] - max);
        }
        float[] p = new float[3];
        for (int k = 0; k < 3; k++) {
            p[k] = (float) (Math.exp(logits[k] - max) / total);
        }
        return p;
    }

    private static int argmax(float[] p) {
        int best = 0;
        for (int i = 1; i < p.length; i++) {
            if (p[i] > p[best]) {
                best = i;
            }
        }
        return best;
    }

    private static GeneratedSeries radiograph(String name, ChestOptions options) throws IOException {
        return Synth.chestRadiograph(Files.createDirectories(dir.resolve(name)), options);
    }

    private static StudyInput study(GeneratedSeries series) throws IOException {
        return TestStudies.dicom(series.studyInstanceUid(), series.files());
    }

    private static AiModule create(Map<String, String> values) throws ModuleException {
        return TestModuleContext.builder(new CovidNetFactory()).config(values).modelDirectory(models).workDirectory(dir)
                .inference(engine).create();
    }

    private static org.radflow.api.DicomTags tags(String... keyValues) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return keyword -> m.containsKey(keyword) ? List.of(m.get(keyword)) : List.of();
    }
}
