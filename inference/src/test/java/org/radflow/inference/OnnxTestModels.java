package org.radflow.inference;

import org.radflow.testkit.OnnxModels;
import org.radflow.testkit.OnnxModels.Attribute;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.radflow.testkit.OnnxModels.FLOAT;
import static org.radflow.testkit.OnnxModels.INT64;

/**
 * The small ONNX models of the inference tests, written at test time with the test kit's {@link OnnxModels}
 * encoder, and their expected outputs computed in plain Java.
 */
final class OnnxTestModels {

    static final float[] WEIGHTS = {0.5f, -1.0f, 0.25f, 0.75f, -0.5f, 1.5f}; // [3,2], row-major
    static final float[] BIAS = {0.1f, -0.2f};

    private OnnxTestModels() {
    }

    /**
     * {@code input} float [N,3] -> MatMul(W [3,2]) -> Add(B [2]) = {@code logits} -> Softmax(axis 1) =
     * {@code probabilities}; both are graph outputs. Opset 13, IR version 8.
     */
    static Path writeClassifier(Path file) throws IOException {
        return OnnxModels.graph("tiny_classifier")
                .node("MatMul", "matmul", List.of("input", "W"), List.of("mm"))
                .node("Add", "add", List.of("mm", "B"), List.of("logits"))
                .node("Softmax", "softmax", List.of("logits"), List.of("probabilities"), Attribute.of("axis", 1))
                .initializer("W", new long[] {3, 2}, WEIGHTS)
                .initializer("B", new long[] {2}, BIAS)
                .input("input", FLOAT, -1, 3)
                .output("probabilities", FLOAT, -1, 2)
                .output("logits", FLOAT, -1, 2)
                .write(file);
    }

    /** Inputs {@code x} float [N] and {@code ids} int64 [N]; outputs {@code ids_float} float and {@code x_int} int64. */
    static Path writeMixedTypes(Path file) throws IOException {
        return OnnxModels.graph("mixed_types")
                .node("Cast", "cast_ids", List.of("ids"), List.of("ids_float"), Attribute.of("to", FLOAT))
                .node("Cast", "cast_x", List.of("x"), List.of("x_int"), Attribute.of("to", INT64))
                .input("x", FLOAT, -1)
                .input("ids", INT64, -1)
                .output("ids_float", FLOAT, -1)
                .output("x_int", INT64, -1)
                .write(file);
    }

    /** softmax(x · W + B) per row, in plain Java. */
    static float[] expectedProbabilities(float[] x) {
        float[] logits = expectedLogits(x);
        float[] out = new float[logits.length];
        for (int r = 0; r < logits.length / 2; r++) {
            double max = Math.max(logits[2 * r], logits[2 * r + 1]);
            double e0 = Math.exp(logits[2 * r] - max);
            double e1 = Math.exp(logits[2 * r + 1] - max);
            out[2 * r] = (float) (e0 / (e0 + e1));
            out[2 * r + 1] = (float) (e1 / (e0 + e1));
        }
        return out;
    }

    static float[] expectedLogits(float[] x) {
        int rows = x.length / 3;
        float[] out = new float[rows * 2];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < 2; k++) {
                double sum = BIAS[k];
                for (int j = 0; j < 3; j++) {
                    sum += x[r * 3 + j] * WEIGHTS[j * 2 + k];
                }
                out[r * 2 + k] = (float) sum;
            }
        }
        return out;
    }
}
