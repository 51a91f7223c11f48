package org.radflow.inference;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes small ONNX models at test time with a minimal protocol-buffer encoder (field numbers from onnx.proto),
 * so no Python, no download and no committed binary is needed.
 */
final class OnnxTestModels {

    // onnx.proto: TensorProto.DataType and AttributeProto.AttributeType values
    private static final int FLOAT = 1;
    private static final int INT64 = 7;
    private static final int ATTRIBUTE_INT = 2;

    static final float[] WEIGHTS = {0.5f, -1.0f, 0.25f, 0.75f, -0.5f, 1.5f}; // [3,2], row-major
    static final float[] BIAS = {0.1f, -0.2f};

    private OnnxTestModels() {
    }

    /**
     * {@code input} float [N,3] -> MatMul(W [3,2]) -> Add(B [2]) = {@code logits} -> Softmax(axis 1) =
     * {@code probabilities}; both are graph outputs. Opset 13, IR version 8.
     */
    static Path writeClassifier(Path file) throws IOException {
        Proto graph = new Proto()
                .message(1, node("MatMul", "matmul", new String[] {"input", "W"}, "mm"))
                .message(1, node("Add", "add", new String[] {"mm", "B"}, "logits"))
                .message(1, node("Softmax", "softmax", new String[] {"logits"}, "probabilities")
                        .message(5, intAttribute("axis", 1)))
                .string(2, "tiny_classifier")
                .message(5, floatTensor("W", new long[] {3, 2}, WEIGHTS))
                .message(5, floatTensor("B", new long[] {2}, BIAS))
                .message(11, valueInfo("input", FLOAT, "N", 3))
                .message(12, valueInfo("probabilities", FLOAT, "N", 2))
                .message(12, valueInfo("logits", FLOAT, "N", 2));
        return write(file, graph);
    }

    /** Inputs {@code x} float [N] and {@code ids} int64 [N]; outputs {@code ids_float} float and {@code x_int} int64. */
    static Path writeMixedTypes(Path file) throws IOException {
        Proto graph = new Proto()
                .message(1, node("Cast", "cast_ids", new String[] {"ids"}, "ids_float").message(5, intAttribute("to", FLOAT)))
                .message(1, node("Cast", "cast_x", new String[] {"x"}, "x_int").message(5, intAttribute("to", INT64)))
                .string(2, "mixed_types")
                .message(11, valueInfo("x", FLOAT, "N"))
                .message(11, valueInfo("ids", INT64, "N"))
                .message(12, valueInfo("ids_float", FLOAT, "N"))
                .message(12, valueInfo("x_int", INT64, "N"));
        return write(file, graph);
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

    private static Path write(Path file, Proto graph) throws IOException {
        Proto model = new Proto()
                .varint(1, 8) // ir_version
                .string(2, "radflow-tests") // producer_name
                .message(7, graph)
                .message(8, new Proto().varint(2, 13)); // opset_import: default domain, opset 13
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, model.toByteArray());
        return file;
    }

    private static Proto node(String opType, String name, String[] inputs, String output) {
        Proto n = new Proto();
        for (String in : inputs) {
            n.string(1, in);
        }
        return n.string(2, output).string(3, name).string(4, opType);
    }

    private static Proto intAttribute(String name, long value) {
        return new Proto().string(1, name).varint(3, value).varint(20, ATTRIBUTE_INT);
    }

    private static Proto floatTensor(String name, long[] dims, float[] values) {
        Proto t = new Proto();
        for (long d : dims) {
            t.varint(1, d);
        }
        ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            raw.putFloat(v);
        }
        return t.varint(2, FLOAT).string(8, name).bytes(9, raw.array());
    }

    /** A tensor value: symbolic first dimension, then fixed ones. */
    private static Proto valueInfo(String name, int elemType, String batchDim, long... dims) {
        Proto shape = new Proto().message(1, new Proto().string(2, batchDim));
        for (long d : dims) {
            shape.message(1, new Proto().varint(1, d));
        }
        Proto tensorType = new Proto().varint(1, elemType).message(2, shape);
        return new Proto().string(1, name).message(2, new Proto().message(1, tensorType));
    }

    /** Just enough of the protobuf wire format: varints and length-delimited fields. */
    static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long value) {
            writeVarint(((long) field << 3));
            writeVarint(value);
            return this;
        }

        Proto string(int field, String value) {
            return bytes(field, value.getBytes(StandardCharsets.UTF_8));
        }

        Proto message(int field, Proto message) {
            return bytes(field, message.toByteArray());
        }

        Proto bytes(int field, byte[] value) {
            writeVarint(((long) field << 3) | 2);
            writeVarint(value.length);
            out.writeBytes(value);
            return this;
        }

        byte[] toByteArray() {
            return out.toByteArray();
        }

        private void writeVarint(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }
    }
}
