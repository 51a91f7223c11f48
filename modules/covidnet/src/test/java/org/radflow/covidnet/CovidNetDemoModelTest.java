package org.radflow.covidnet;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.InferenceEngine;
import org.radflow.api.InferenceEngine.Tensor;
import org.radflow.api.StudyInput.PlaneOptions;
import org.radflow.covidnet.CovidNetPreprocessing.Prepared;
import org.radflow.api.StudyInput;
import org.radflow.moduletest.TestStudies;
import org.radflow.inference.HostInferenceEngine;
import org.radflow.testdata.ChestOptions;
import org.radflow.testdata.ChestOptions.Finding;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.Synth;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The committed demo model (tools/models/train_covidnet_demo.py) loads in the host engine with the cxr4 signature
 * and, through the module's own preprocessing, tells the generator's findings apart on radiographs it never saw
 * (seeds outside its training and held-out ranges).
 */
class CovidNetDemoModelTest {

    static final String RESOURCE = "/org/radflow/covidnet/demo/covidnet-demo.onnx";
    static final String INPUT = "input_1:0";
    static final String OUTPUT = "norm_dense_1/Softmax:0";

    @TempDir
    static Path dir;
    static HostInferenceEngine engine;
    static InferenceEngine.ModelSession session;

    @BeforeAll
    static void load() throws Exception {
        Path model = dir.resolve("covidnet-demo.onnx");
        try (InputStream in = CovidNetDemoModelTest.class.getResourceAsStream(RESOURCE)) {
            assertNotNull(in, "the demo model is on the class path at " + RESOURCE);
            Files.copy(in, model);
        }
        assertTrue(Files.size(model) < 1_000_000, "small: " + Files.size(model) + " bytes");
        engine = new HostInferenceEngine();
        session = engine.forModule("covidnet", 2).load(InferenceEngine.Backend.ONNX, model);
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    @Test
    void hasTheCxr4SignatureAndSaysItIsADemo() throws Exception {
        assertEquals(List.of(INPUT), session.inputNames());
        assertEquals(List.of(OUTPUT), session.outputNames());
        try (InputStream in = CovidNetDemoModelTest.class.getResourceAsStream("/org/radflow/covidnet/demo/covidnet-demo.json")) {
            assertNotNull(in);
            String json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(json.contains("DEMO MODEL") && json.contains("not for diagnosis"), json);
            assertTrue(json.contains("\"profile\": \"cxr4\""), json);
        }
    }

    @Test
    void consolidationIsPneumonia() throws Exception {
        float[] p = classify("cons-dx", ChestOptions.defaults().withSeed(424_242).withFinding(Finding.CONSOLIDATION));
        assertEquals(1, argmax(p), "pneumonia expected: " + java.util.Arrays.toString(p));
        // a CR, AP, MONOCHROME1 image of another size goes through the same steps
        float[] q = classify("cons-cr", ChestOptions.defaults().withSeed(424_243).withFinding(Finding.CONSOLIDATION)
                .withModality(ChestOptions.Modality.CR).withView(ChestOptions.View.AP)
                .withPhotometric(ChestOptions.Photometric.MONOCHROME1).withSize(900, 760));
        assertEquals(1, argmax(q), "pneumonia expected: " + java.util.Arrays.toString(q));
    }

    @Test
    void noFindingIsNormalAndDiffuseOpacityIsCovid() throws Exception {
        float[] none = classify("none", ChestOptions.defaults().withSeed(424_244));
        assertEquals(0, argmax(none), "normal expected: " + java.util.Arrays.toString(none));
        float[] diffuse = classify("diffuse", ChestOptions.defaults().withSeed(424_245)
                .withFinding(Finding.DIFFUSE_OPACITY));
        assertEquals(2, argmax(diffuse), "COVID-19 expected: " + java.util.Arrays.toString(diffuse));
    }

    /** Generator -> platform decoding (bone white) -> CovidNetPreprocessing -> the demo model. */
    private static float[] classify(String name, ChestOptions options) throws Exception {
        GeneratedSeries g = Synth.chestRadiograph(Files.createDirectories(dir.resolve(name)), options);
        StudyInput study = TestStudies.dicom(g.studyInstanceUid(), g.files());
        Prepared prepared = CovidNetPreprocessing.prepare(
                study.series().get(0).instances().get(0).plane(0, PlaneOptions.BRIGHTER_IS_HIGHER));
        Map<String, Tensor> out = session.run(Map.of(INPUT, new Tensor(prepared.shape(), prepared.nhwc())),
                List.of(OUTPUT));
        Tensor t = out.get(OUTPUT);
        assertArrayEquals(new long[] {1, 3}, t.shape());
        float sum = 0;
        for (float v : t.data()) {
            assertTrue(v >= 0 && v <= 1, "a probability: " + v);
            sum += v;
        }
        assertEquals(1.0, sum, 1e-4, "softmax output");
        return t.data();
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
}
