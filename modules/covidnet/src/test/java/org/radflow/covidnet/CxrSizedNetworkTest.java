package org.radflow.covidnet;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.InferenceEngine.Backend;
import org.radflow.api.InferenceEngine.ModelSession;
import org.radflow.api.InferenceEngine.Tensor;
import org.radflow.covidnet.CxrSizedNetwork.Layer;
import org.radflow.inference.HostInferenceEngine;
import org.radflow.inference.ModuleInference;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The benchmark network: its size (computed; the full network is only built by the benchmark), and that its two
 * writers make the same network — checked on the same architecture at 1/16 of the width on a 64 x 64 input.
 */
class CxrSizedNetworkTest {

    static final int SIDE = 64;
    static final int DIVISOR = 16;

    @TempDir
    static Path dir;
    static HostInferenceEngine engine;

    @BeforeAll
    static void engine() {
        engine = new HostInferenceEngine();
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    @Test
    void hasCovidNetCxr2sSize() {
        // COVID-Net-CXR-2: about 8.8 M parameters and 5.5 GMACs at 480 x 480 (issue 5)
        assertEquals(8.8e6, CxrSizedNetwork.parameters(), 0.03 * 8.8e6);
        assertEquals(5.5e9, CxrSizedNetwork.macs(), 0.05 * 5.5e9);
    }

    @Test
    void sidesHalveWithSamePaddingAndTheHeadEndsInTwoClasses() {
        List<Layer> layers = CxrSizedNetwork.layers();
        Layer stem = layers.get(0);
        assertEquals(240, stem.outSide());
        // TF SAME, 7x7 stride 2 on 480: total padding (240 - 1) * 2 + 7 - 480 = 5, the odd one after
        assertEquals(2, stem.padBefore());
        assertEquals(3, stem.padAfter());
        Layer last = layers.stream().filter(l -> !l.dense()).reduce((a, b) -> b).orElseThrow();
        assertEquals(15, last.outSide());
        assertEquals(1, last.padBefore()); // 3x3 stride 1: one on each side
        assertEquals(1, last.padAfter());
        Layer head = layers.get(layers.size() - 1);
        assertEquals("norm_dense_2", head.name());
        assertEquals(2, head.out());
        assertTrue(layers.stream().filter(l -> l != head).allMatch(Layer::relu));
        assertEquals(last.out(), layers.get(layers.size() - 2).in()); // global average pooling of the last convolution
    }

    @Test
    void theCheckpointAndTheOnnxModelAreTheSameNetwork() throws Exception {
        // 64 -> 32 -> 16 -> 8 -> 4 -> 2: odd and even sides, so SAME's asymmetric padding is exercised
        CxrSizedNetwork.Weights weights = CxrSizedNetwork.weights(SIDE, CxrSizedNetwork.layers(SIDE, DIVISOR), 5);
        Path onnx = CxrSizedNetwork.writeOnnx(dir.resolve("small.onnx"), weights);
        Path checkpoint = CxrSizedNetwork.writeCheckpoint(dir.resolve("small-checkpoint"), weights);
        ModuleInference view = engine.forModule("covidnet", 1);
        ModelSession tf = view.load(Backend.TENSORFLOW_CHECKPOINT, checkpoint);
        ModelSession ort = view.load(Backend.ONNX, onnx);
        Tensor a = input(1);
        Tensor b = input(2);
        float[] tfA = run(tf, a);
        float[] ortA = run(ort, a);
        float[] tfB = run(tf, b);
        float[] ortB = run(ort, b);
        double change = Math.abs(tfA[0] - tfB[0]);
        for (int k = 0; k < 2; k++) {
            assertEquals(tfA[k], ortA[k], 1e-5, "image a, class " + k);
            assertEquals(tfB[k], ortB[k], 1e-5, "image b, class " + k);
        }
        // the answer depends on the image (a network with dead layers would agree trivially)
        assertTrue(change > 1e-4, "images a and b give " + tfA[0] + " and " + tfB[0]);
        assertEquals(1.0, tfA[0] + tfA[1], 1e-5);
    }

    private static Tensor input(long seed) {
        Random random = new Random(seed);
        float[] x = new float[SIDE * SIDE * 3];
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextFloat();
        }
        return new Tensor(new long[] {1, SIDE, SIDE, 3}, x);
    }

    private static float[] run(ModelSession session, Tensor x) throws Exception {
        return session.run(Map.of(CxrSizedNetwork.INPUT, x), List.of(CxrSizedNetwork.OUTPUT)).get(CxrSizedNetwork.OUTPUT).data();
    }
}
