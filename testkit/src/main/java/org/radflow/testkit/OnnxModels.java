package org.radflow.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes small ONNX models at test time with a minimal protocol-buffer encoder (field numbers from onnx.proto),
 * so no Python, no download and no committed binary is needed.
 *
 * <pre>{@code
 * OnnxModels.graph("tiny")
 *         .input("x", OnnxModels.FLOAT, -1, 3)          // -1: a symbolic batch dimension "N"
 *         .initializer("W", new long[] {3, 2}, weights)
 *         .node("MatMul", List.of("x", "W"), "logits")
 *         .node("Softmax", List.of("logits"), "p", OnnxModels.Attribute.of("axis", 1))
 *         .output("p", OnnxModels.FLOAT, -1, 2)
 *         .write(dir.resolve("tiny.onnx"));
 * }</pre>
 *
 * Models are IR version 8, default-domain opset 13 unless {@link Graph#opset} says otherwise.
 */
public final class OnnxModels {

    /** onnx.proto TensorProto.DataType values. */
    public static final int FLOAT = 1;
    public static final int INT64 = 7;

    // onnx.proto AttributeProto.AttributeType values
    private static final int ATTRIBUTE_FLOAT = 1;
    private static final int ATTRIBUTE_INT = 2;
    private static final int ATTRIBUTE_INTS = 7;

    private OnnxModels() {
    }

    /** Starts a graph with this name. */
    public static Graph graph(String name) {
        return new Graph(name);
    }

    /** A node attribute (int, ints or float). */
    public static final class Attribute {
        private final Proto proto;

        private Attribute(Proto proto) {
            this.proto = proto;
        }

        public static Attribute of(String name, long value) {
            return new Attribute(new Proto().string(1, name).varint(3, value).varint(20, ATTRIBUTE_INT));
        }

        public static Attribute of(String name, float value) {
            return new Attribute(new Proto().string(1, name).fixed32(2, Float.floatToIntBits(value))
                    .varint(20, ATTRIBUTE_FLOAT));
        }

        public static Attribute ints(String name, long... values) {
            Proto p = new Proto().string(1, name);
            for (long v : values) {
                p.varint(8, v);
            }
            return new Attribute(p.varint(20, ATTRIBUTE_INTS));
        }
    }

    /** A graph under construction: nodes in execution order, initializers, inputs and outputs. */
    public static final class Graph {
        private final String name;
        private final List<Proto> nodes = new ArrayList<>();
        private final List<Proto> initializers = new ArrayList<>();
        private final List<Proto> inputs = new ArrayList<>();
        private final List<Proto> outputs = new ArrayList<>();
        private int opset = 13;

        private Graph(String name) {
            this.name = name;
        }

        /** A node with one output; its name is derived from the output. */
        public Graph node(String opType, List<String> nodeInputs, String output, Attribute... attributes) {
            return node(opType, opType.toLowerCase() + "_" + output, nodeInputs, List.of(output), attributes);
        }

        public Graph node(String opType, String nodeName, List<String> nodeInputs, List<String> nodeOutputs,
                          Attribute... attributes) {
            Proto n = new Proto();
            for (String in : nodeInputs) {
                n.string(1, in);
            }
            for (String out : nodeOutputs) {
                n.string(2, out);
            }
            n.string(3, nodeName).string(4, opType);
            for (Attribute a : attributes) {
                n.message(5, a.proto);
            }
            nodes.add(n);
            return this;
        }

        /** A constant float tensor (row-major values). */
        public Graph initializer(String tensorName, long[] dims, float[] values) {
            long n = 1;
            for (long d : dims) {
                n *= d;
            }
            if (n != values.length) {
                throw new IllegalArgumentException(tensorName + ": " + values.length + " values for " + n + " elements");
            }
            Proto t = new Proto();
            for (long d : dims) {
                t.varint(1, d);
            }
            ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : values) {
                raw.putFloat(v);
            }
            initializers.add(t.varint(2, FLOAT).string(8, tensorName).bytes(9, raw.array()));
            return this;
        }

        /** A graph input; a negative dimension is symbolic ("N"). */
        public Graph input(String tensorName, int elementType, long... dims) {
            inputs.add(valueInfo(tensorName, elementType, dims));
            return this;
        }

        /** A graph output, in the order the model lists its outputs; a negative dimension is symbolic ("N"). */
        public Graph output(String tensorName, int elementType, long... dims) {
            outputs.add(valueInfo(tensorName, elementType, dims));
            return this;
        }

        public Graph opset(int version) {
            opset = version;
            return this;
        }

        /** The serialised ModelProto. */
        public byte[] toBytes() {
            Proto graph = new Proto();
            nodes.forEach(n -> graph.message(1, n));
            graph.string(2, name);
            initializers.forEach(t -> graph.message(5, t));
            inputs.forEach(i -> graph.message(11, i));
            outputs.forEach(o -> graph.message(12, o));
            return new Proto()
                    .varint(1, 8) // ir_version
                    .string(2, "radflow-tests") // producer_name
                    .message(7, graph)
                    .message(8, new Proto().varint(2, opset)) // opset_import: default domain
                    .toByteArray();
        }

        /** Writes the model, creating parent directories; returns {@code file}. */
        public Path write(Path file) throws IOException {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.write(file, toBytes());
            return file;
        }

        private static Proto valueInfo(String tensorName, int elementType, long... dims) {
            Proto shape = new Proto();
            for (long d : dims) {
                shape.message(1, d < 0 ? new Proto().string(2, "N") : new Proto().varint(1, d));
            }
            Proto tensorType = new Proto().varint(1, elementType).message(2, shape);
            return new Proto().string(1, tensorName).message(2, new Proto().message(1, tensorType));
        }
    }

    /** Just enough of the protobuf wire format: varints, fixed32 and length-delimited fields. */
    private static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long value) {
            writeVarint((long) field << 3);
            writeVarint(value);
            return this;
        }

        Proto fixed32(int field, int value) {
            writeVarint(((long) field << 3) | 5);
            for (int i = 0; i < 4; i++) {
                out.write((value >>> (8 * i)) & 0xFF);
            }
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
