package org.radflow.covidnet;

import org.radflow.testkit.OnnxModels;
import org.radflow.testkit.OnnxModels.Attribute;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * A network of COVID-Net-CXR-2's size for timing (about 8.8 M parameters and 5.5 GMACs at 480 x 480; COVID-Net
 * itself is not redistributed), with random weights, written with the <em>same</em> weights as a TF1 checkpoint
 * (TensorFlow Java) and as ONNX (test kit writer), with the cxr2 profile's tensor names: {@code input_1:0}
 * [?, 480, 480, 3] NHWC → {@code norm_dense_2/Softmax:0} [?, 2].
 *
 * <p>A plain ResNet/VGG-like stack without shortcuts: a 7x7 stride-2 stem, 3x3 convolutions with a stride-2
 * convolution opening each stage (channels double as the side halves), ReLU after each, global average pooling,
 * a 2048-wide hidden dense layer and the 2-class softmax. Padding is TensorFlow's {@code SAME} (for stride 2 on an
 * even side: one more row and column after than before); the ONNX model spells the same pads out. The layer list,
 * parameters and MACs are computed by {@link #layers()} and printed by {@link #describe()}.
 */
final class CxrSizedNetwork {

    static final int SIDE = CovidNetPreprocessing.INPUT_SIZE;
    static final String INPUT = "input_1:0";
    static final String OUTPUT = "norm_dense_2/Softmax:0";
    static final long SEED = 20200323L;

    /** A convolution (kernel k x k, stride, SAME padding) or a dense layer (k = 0, sides 1), followed by ReLU unless last. */
    record Layer(String name, int in, int out, int k, int stride, int inSide, int outSide, boolean relu) {

        boolean dense() {
            return k == 0;
        }

        long weights() {
            return dense() ? (long) in * out : (long) k * k * in * out;
        }

        long parameters() {
            return weights() + out;
        }

        long macs() {
            return dense() ? (long) in * out : (long) outSide * outSide * k * k * in * out;
        }

        /** TensorFlow SAME: total padding max((out - 1) * stride + k - in, 0), the odd one after. */
        int padBefore() {
            return padTotal() / 2;
        }

        int padAfter() {
            return padTotal() - padBefore();
        }

        private int padTotal() {
            return Math.max((outSide - 1) * stride + k - inSide, 0);
        }
    }

    private CxrSizedNetwork() {
    }

    /** The layers in order, sides computed from 480. */
    static List<Layer> layers() {
        return layers(SIDE, 1);
    }

    /** The same architecture on a {@code side} x {@code side} input with every width divided by {@code divisor} (for tests). */
    static List<Layer> layers(int inputSide, int divisor) {
        int[][] convs = { // in, out, k, stride
                {3, 32, 7, 2}, {32, 32, 3, 1},
                {32, 64, 3, 2}, {64, 64, 3, 1},
                {64, 128, 3, 2}, {128, 128, 3, 1}, {128, 128, 3, 1},
                {128, 256, 3, 2}, {256, 256, 3, 1}, {256, 256, 3, 1},
                {256, 512, 3, 2}, {512, 512, 3, 1}, {512, 512, 3, 1}};
        List<Layer> layers = new ArrayList<>();
        int side = inputSide;
        for (int i = 0; i < convs.length; i++) {
            int[] c = convs[i];
            int out = (side + c[3] - 1) / c[3];
            int in = i == 0 ? c[0] : c[0] / divisor; // the input keeps its 3 channels
            layers.add(new Layer("conv" + (i + 1), in, c[1] / divisor, c[2], c[3], side, out, true));
            side = out;
        }
        layers.add(new Layer("dense_1", 512 / divisor, 2048 / divisor, 0, 1, 1, 1, true));
        layers.add(new Layer("norm_dense_2", 2048 / divisor, 2, 0, 1, 1, 1, false));
        return layers;
    }

    static long parameters() {
        return layers().stream().mapToLong(Layer::parameters).sum();
    }

    /** Multiply-accumulates of one 480 x 480 image (convolutions and dense layers; pooling and ReLU not counted). */
    static long macs() {
        return layers().stream().mapToLong(Layer::macs).sum();
    }

    /** The layer table (Markdown), with totals. */
    static String describe() {
        StringBuilder sb = new StringBuilder("| layer | kernel, stride | in -> out channels | output side | parameters | MACs |\n"
                + "|---|---|---|---|---|---|\n");
        for (Layer l : layers()) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %d -> %d | %s | %,d | %,d |%n", l.name(),
                    l.dense() ? "dense" : l.k() + "x" + l.k() + ", " + l.stride(), l.in(), l.out(),
                    l.dense() ? "-" : l.outSide() + " x " + l.outSide(), l.parameters(), l.macs()));
        }
        sb.append(String.format(Locale.ROOT, "| **total** | | | | **%,d** (%.2f M) | **%,d** (%.2f G) |%n",
                parameters(), parameters() / 1e6, macs(), macs() / 1e9));
        return sb.toString();
    }

    /** He-normal weights (std sqrt(2 / fan-in)) and small biases, from a fixed seed; kernels in TensorFlow's HWIO. */
    record Weights(int side, List<Layer> layers, List<float[]> kernels, List<float[]> biases) {
    }

    static Weights weights() {
        return weights(SIDE, layers(), SEED);
    }

    static Weights weights(int side, List<Layer> layers, long seed) {
        Random random = new Random(seed);
        List<float[]> kernels = new ArrayList<>();
        List<float[]> biases = new ArrayList<>();
        for (Layer l : layers) {
            long fanIn = l.dense() ? l.in() : (long) l.k() * l.k() * l.in();
            // the last layer is scaled down so the softmax is not saturated and the backends can be compared
            double std = Math.sqrt(2.0 / fanIn) * (l.relu() ? 1 : 0.5);
            float[] w = new float[Math.toIntExact(l.weights())];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) (random.nextGaussian() * std);
            }
            float[] b = new float[l.out()];
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) (random.nextGaussian() * 0.01);
            }
            kernels.add(w);
            biases.add(b);
        }
        return new Weights(side, layers, kernels, biases);
    }

    /** The TF1 checkpoint (model.meta, model-1.index/.data, checkpoint) in {@code dir}; returns the prefix. */
    static Path writeCheckpoint(Path dir, Weights weights) throws IOException {
        List<Layer> layers = weights.layers();
        int side = weights.side();
        try (Graph g = new Graph()) {
            Ops tf = Ops.create(g);
            Operand<TFloat32> x = tf.withName("input_1")
                    .placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, side, side, 3)));
            Map<String, Variable<TFloat32>> variables = Tf1Checkpoints.ordered();
            List<Variable<TFloat32>> order = new ArrayList<>();
            for (Layer l : layers) {
                Ops scope = tf.withSubScope(l.name());
                long[] kernelShape = l.dense() ? new long[] {l.in(), l.out()} : new long[] {l.k(), l.k(), l.in(), l.out()};
                // zeros until assigned below: the graph carries no weights, the checkpoint does
                Variable<TFloat32> kernel = scope.withName("kernel")
                        .variable(tf.zeros(tf.constant(kernelShape), TFloat32.class));
                Variable<TFloat32> bias = scope.withName("bias")
                        .variable(tf.zeros(tf.constant(new long[] {l.out()}), TFloat32.class));
                variables.put(l.name() + "/kernel", kernel);
                variables.put(l.name() + "/bias", bias);
                order.add(kernel);
                order.add(bias);
                if (l.dense()) {
                    if (x.shape().numDimensions() == 4) {
                        x = tf.withSubScope("global_average_pooling2d").withName("Mean").math.mean(x, tf.constant(new int[] {1, 2}));
                    }
                    x = scope.withName("BiasAdd").nn.biasAdd(scope.withName("MatMul").linalg.matMul(x, kernel), bias);
                } else {
                    x = scope.withName("BiasAdd").nn.biasAdd(scope.withName("Conv2D").nn.conv2d(x, kernel,
                            List.of(1L, (long) l.stride(), (long) l.stride(), 1L), "SAME"), bias);
                }
                x = l.relu() ? scope.withName("Relu").nn.relu(x) : scope.withName("Softmax").nn.softmax(x);
            }
            try (Session s = new Session(g)) {
                Ops load = tf.withSubScope("load_weights");
                Session.Runner runner = s.runner();
                List<TFloat32> fed = new ArrayList<>();
                try {
                    for (int i = 0; i < layers.size(); i++) {
                        Layer l = layers.get(i);
                        long[] kernelShape = l.dense() ? new long[] {l.in(), l.out()} : new long[] {l.k(), l.k(), l.in(), l.out()};
                        feed(load, runner, fed, order.get(2 * i), Shape.of(kernelShape), weights.kernels().get(i));
                        feed(load, runner, fed, order.get(2 * i + 1), Shape.of(l.out()), weights.biases().get(i));
                    }
                    runner.run();
                } finally {
                    fed.forEach(TFloat32::close);
                }
                return Tf1Checkpoints.write(g, s, variables, dir, 1, "load_weights");
            }
        }
    }

    private static void feed(Ops load, Session.Runner runner, List<TFloat32> fed, Variable<TFloat32> variable, Shape shape,
                             float[] values) {
        Placeholder<TFloat32> p = load.placeholder(TFloat32.class, Placeholder.shape(shape));
        TFloat32 t = TFloat32.tensorOf(shape, DataBuffers.of(values, true, false));
        fed.add(t);
        runner.feed(p, t).addTarget(load.assign(variable, p));
    }

    /** The same network and weights as ONNX (opset 13): NHWC input transposed to NCHW, OIHW kernels, explicit pads. */
    static Path writeOnnx(Path file, Weights weights) throws IOException {
        List<Layer> layers = weights.layers();
        int side = weights.side();
        OnnxModels.Graph g = OnnxModels.graph("cxr2_sized_timing_network")
                .input(INPUT, OnnxModels.FLOAT, -1, side, side, 3)
                .node("Transpose", List.of(INPUT), "nchw", Attribute.ints("perm", 0, 3, 1, 2));
        String x = "nchw";
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            String n = l.name();
            if (l.dense()) {
                if (x.startsWith("conv")) {
                    g.node("GlobalAveragePool", List.of(x), "gap").node("Flatten", List.of("gap"), "pooled", Attribute.of("axis", 1));
                    x = "pooled";
                }
                g.initializer(n + "/kernel", new long[] {l.in(), l.out()}, weights.kernels().get(i))
                        .node("MatMul", List.of(x, n + "/kernel"), n + "/MatMul")
                        .node("Add", List.of(n + "/MatMul", n + "/bias"), n + "/BiasAdd");
            } else {
                g.initializer(n + "/kernel", new long[] {l.out(), l.in(), l.k(), l.k()}, oihw(l, weights.kernels().get(i)))
                        .node("Conv", List.of(x, n + "/kernel", n + "/bias"), n + "/BiasAdd",
                                Attribute.ints("kernel_shape", l.k(), l.k()),
                                Attribute.ints("strides", l.stride(), l.stride()),
                                Attribute.ints("pads", l.padBefore(), l.padBefore(), l.padAfter(), l.padAfter()));
            }
            g.initializer(n + "/bias", new long[] {l.out()}, weights.biases().get(i));
            if (l.relu()) {
                g.node("Relu", List.of(n + "/BiasAdd"), n + "/Relu");
                x = n + "/Relu";
            } else {
                g.node("Softmax", List.of(n + "/BiasAdd"), OUTPUT, Attribute.of("axis", 1));
            }
        }
        return g.output(OUTPUT, OnnxModels.FLOAT, -1, 2).write(file);
    }

    /** HWIO (TensorFlow) to OIHW (ONNX). */
    private static float[] oihw(Layer l, float[] hwio) {
        int k = l.k();
        float[] out = new float[hwio.length];
        for (int h = 0; h < k; h++) {
            for (int w = 0; w < k; w++) {
                for (int i = 0; i < l.in(); i++) {
                    for (int o = 0; o < l.out(); o++) {
                        out[((o * l.in() + i) * k + h) * k + w] = hwio[((h * k + w) * l.in() + i) * l.out() + o];
                    }
                }
            }
        }
        return out;
    }

    /** Prints the layer table. */
    public static void main(String[] args) {
        System.out.print(describe());
    }
}
