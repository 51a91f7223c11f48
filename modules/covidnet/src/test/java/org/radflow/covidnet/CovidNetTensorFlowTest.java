package org.radflow.covidnet;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.AiModule;
import org.radflow.api.Concept;
import org.radflow.api.Finding;
import org.radflow.api.ModuleException;
import org.radflow.api.ModuleResult;
import org.radflow.api.StudyInput.PlaneOptions;
import org.radflow.covidnet.MeanIntensityModels.Spec;
import org.radflow.api.StudyInput;
import org.radflow.moduletest.TestJob;
import org.radflow.moduletest.TestModuleContext;
import org.radflow.moduletest.TestStudies;
import org.radflow.inference.HostInferenceEngine;
import org.radflow.testdata.ChestOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.Synth;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The TensorFlow backends through the module: models written at test time with TensorFlow Java in COVID-Net's
 * release format (TF1 checkpoint: model.meta + model-N.index/.data) and as SavedModels, with the cxr4 and cxr2
 * profiles' tensor names, loaded by {@link CovidNetFactory} into the real {@link HostInferenceEngine}. The same
 * weights as ONNX must give the same probabilities. (ONNX-only behaviour is in {@link CovidNetModuleTest}.)
 */
class CovidNetTensorFlowTest {

    /**
     * Class centres in mean intensity: the synthetic radiographs' prepared inputs average ~0.41–0.46, nearest the
     * last centre, so a correct model predicts the last class (COVID-19, positive) and a class list read backwards
     * would show.
     */
    static final Spec CXR4 = new Spec("norm_dense_1/Softmax:0", new double[] {0.10, 0.25, 0.45}, 40);
    static final Spec CXR2 = new Spec("norm_dense_2/Softmax:0", new double[] {0.20, 0.45}, 40);
    /** TensorFlow and ONNX Runtime average 230,400 float32 values each in their own order. */
    static final double TOLERANCE = 1e-4;

    @TempDir
    static Path dir;
    static Path models;
    static HostInferenceEngine engine;
    static StudyInput radiograph;
    static double mean;

    @BeforeAll
    static void setUp() throws Exception {
        models = Files.createDirectories(dir.resolve("models"));
        // cxr4: the module's default locations (model: auto)
        MeanIntensityModels.writeCheckpoint(models.resolve("covidnet-checkpoint"), CXR4, 18540);
        MeanIntensityModels.writeSavedModel(models.resolve("covidnet-savedmodel"), CXR4);
        MeanIntensityModels.writeOnnx(models.resolve("covidnet.onnx"), CXR4);
        // cxr2: elsewhere, given by path
        MeanIntensityModels.writeCheckpoint(models.resolve("COVIDNet-CXR-2"), CXR2, 7);
        MeanIntensityModels.writeSavedModel(models.resolve("cxr2-savedmodel"), CXR2);
        MeanIntensityModels.writeOnnx(models.resolve("cxr2.onnx"), CXR2);

        GeneratedSeries file = Synth.chestRadiograph(Files.createDirectories(dir.resolve("dx")),
                ChestOptions.defaults().withSize(640, 560).withSeed(5));
        radiograph = TestStudies.dicom(file.studyInstanceUid(), file.files());
        float[] x = CovidNetPreprocessing.prepare(radiograph.series().get(0).instances().get(0)
                .plane(0, PlaneOptions.BRIGHTER_IS_HIGHER)).nhwc();
        double sum = 0;
        for (float v : x) {
            sum += v;
        }
        mean = sum / x.length;
        engine = new HostInferenceEngine();
    }

    @AfterAll
    static void close() {
        if (engine != null) {
            engine.close();
        }
    }

    @Test
    void cxr4CheckpointAsCovidNetShipsItIsRestoredAndMapsItsThreeClasses() throws Exception {
        assertEquals(2, CXR4.nearest(mean), "the test image should sit nearest the last centre; mean " + mean);
        ModuleResult r = run(Map.of("backend", "tensorflow-checkpoint")); // model: auto = the covidnet-checkpoint dir
        assertClassified(r, CXR4, CovidNetProfile.cxr4().classes());
        assertEquals(CovidNetProfile.COVID_19, classification(r).predicted());
        assertEquals(Map.of("profile", "cxr4", "backend", "tensorflow-checkpoint", "model", "covidnet-checkpoint",
                "viewPosition", "PA"), r.parameters());
    }

    @Test
    void theCheckpointHasTheLayoutOfATf1Export() throws Exception {
        Path ckpt = models.resolve("covidnet-checkpoint");
        for (String f : List.of("model.meta", "model-18540.index", "model-18540.data-00000-of-00001", "checkpoint")) {
            assertTrue(Files.isRegularFile(ckpt.resolve(f)), f);
        }
        MetaGraphDef meta = MetaGraphDef.parseFrom(Files.readAllBytes(ckpt.resolve("model.meta")));
        assertEquals("save/Const:0", meta.getSaverDef().getFilenameTensorName());
        assertEquals("save/restore_all", meta.getSaverDef().getRestoreOpName());
        List<String> nodes = meta.getGraphDef().getNodeList().stream().map(NodeDef::getName).toList();
        assertTrue(nodes.containsAll(List.of("input_1", "norm_dense_1/kernel", "norm_dense_1/bias", "norm_dense_1/Softmax",
                "save/Const", "save/SaveV2", "save/RestoreV2", "save/restore_all")), nodes.toString());
        // the graph holds no trained values: only the checkpoint's data file does, so a model that ran did restore
        assertTrue(nodes.stream().noneMatch(n -> n.startsWith("train/")), nodes.toString());
    }

    @Test
    void cxr2CheckpointGivenByItsPrefixMapsNegativeAndPositive() throws Exception {
        ModuleResult r = run(Map.of("profile", "cxr2", "backend", "tensorflow-checkpoint",
                "model", "COVIDNet-CXR-2/model-7"));
        assertClassified(r, CXR2, CovidNetProfile.cxr2().classes());
        assertEquals(CovidNetProfile.POSITIVE, classification(r).predicted());
        assertEquals("model-7", r.parameters().get("model"));
        assertTrue(r.summary().startsWith("COVID-Net (cxr2): Positive"), r.summary());
    }

    @Test
    void savedModelsOfBothProfilesAreReadByTensorName() throws Exception {
        assertClassified(run(Map.of("backend", "tensorflow-savedmodel")), CXR4, CovidNetProfile.cxr4().classes());
        ModuleResult cxr2 = run(Map.of("profile", "cxr2", "backend", "tensorflow-savedmodel", "model", "cxr2-savedmodel"));
        assertClassified(cxr2, CXR2, CovidNetProfile.cxr2().classes());
        assertEquals("tensorflow-savedmodel", cxr2.parameters().get("backend"));
    }

    @Test
    void theSameWeightsGiveTheSameProbabilitiesInEveryBackend() throws Exception {
        List<Double> onnx4 = probabilities(run(Map.of("backend", "onnx")));
        List<Double> checkpoint4 = probabilities(run(Map.of("backend", "tensorflow-checkpoint")));
        List<Double> saved4 = probabilities(run(Map.of("backend", "tensorflow-savedmodel")));
        List<Double> onnx2 = probabilities(run(Map.of("profile", "cxr2", "model", "cxr2.onnx")));
        List<Double> checkpoint2 = probabilities(run(Map.of("profile", "cxr2", "backend", "tensorflow-checkpoint",
                "model", "COVIDNet-CXR-2")));
        for (int k = 0; k < 3; k++) {
            assertEquals(onnx4.get(k), checkpoint4.get(k), TOLERANCE, "cxr4 class " + k);
            assertEquals(onnx4.get(k), saved4.get(k), TOLERANCE, "cxr4 class " + k);
        }
        for (int k = 0; k < 2; k++) {
            assertEquals(onnx2.get(k), checkpoint2.get(k), TOLERANCE, "cxr2 class " + k);
        }
    }

    @Test
    void aWrongCheckpointPrefixFailsNamingWhatIsThere() {
        ModuleException e = assertThrows(ModuleException.class, () -> run(Map.of("profile", "cxr2",
                "backend", "tensorflow-checkpoint", "model", "COVIDNet-CXR-2/model-8")));
        assertTrue(e.getMessage().contains("model-8.index is missing") && e.getMessage().contains("model-7.index"),
                e.getMessage());
    }

    @Test
    void checkpointDataOfAnotherModelIsNotSilentlyIgnored() throws Exception {
        // cxr2's graph (norm_dense_2/*) with cxr4's checkpoint files (norm_dense_1/*): the restore must fail, naming
        // the variable it could not find, instead of running with the graph's initial values
        Path mixed = Files.createDirectories(models.resolve("mixed"));
        Files.copy(models.resolve("COVIDNet-CXR-2/model.meta"), mixed.resolve("model.meta"));
        for (String ext : List.of(".index", ".data-00000-of-00001")) {
            Files.copy(models.resolve("covidnet-checkpoint/model-18540" + ext), mixed.resolve("model-18540" + ext));
        }
        ModuleException e = assertThrows(ModuleException.class, () -> run(Map.of("profile", "cxr2",
                "backend", "tensorflow-checkpoint", "model", "mixed/model-18540")));
        assertTrue(e.getMessage().contains("Cannot restore") && e.getMessage().contains("save/restore_all")
                && e.getMessage().contains("norm_dense_2/bias not found in checkpoint"), e.getMessage());
    }

    @Test
    void aProfileThatDoesNotMatchTheModelNamesTheMissingTensor() throws Exception {
        // the cxr4 profile pointed at a CXR-2 checkpoint: norm_dense_1/Softmax:0 does not exist there
        ModuleException e = assertThrows(ModuleException.class, () -> run(Map.of("backend", "tensorflow-checkpoint",
                "model", "COVIDNet-CXR-2")));
        assertTrue(e.getMessage().contains("norm_dense_1/Softmax:0") && e.getMessage().contains("norm_dense_2/Softmax:0"),
                e.getMessage());
    }

    // --- helpers ---

    private static ModuleResult run(Map<String, String> config) throws Exception {
        try (AiModule module = TestModuleContext.builder(new CovidNetFactory()).config(config).modelDirectory(models)
                .workDirectory(models).inference(engine).create()) {
            return module.process(radiograph, new TestJob("tf-test"));
        }
    }

    private static Finding.Classification classification(ModuleResult r) {
        assertEquals(ModuleResult.Status.COMPLETED, r.status(), r.reason());
        return (Finding.Classification) r.findings().get(0);
    }

    private static List<Double> probabilities(ModuleResult r) {
        return classification(r).probabilities().stream().map(Finding.ClassProbability::probability).toList();
    }

    /** Labels in the profile's order, each probability as computed from the mean, the nearest centre predicted. */
    private static void assertClassified(ModuleResult r, Spec spec, List<Concept> labels) {
        Finding.Classification c = classification(r);
        assertEquals(labels, c.probabilities().stream().map(Finding.ClassProbability::label).toList());
        double[] expected = spec.probabilities(mean);
        for (int k = 0; k < expected.length; k++) {
            assertEquals(expected[k], c.probabilities().get(k).probability(), TOLERANCE, "class " + labels.get(k));
        }
        // restored, not the zero-initialised variables (which would give 1/K each)
        assertTrue(c.probabilities().get(spec.nearest(mean)).probability() > 0.6, c.probabilities().toString());
        assertEquals(labels.get(spec.nearest(mean)), c.predicted());
    }
}
