package org.radflow.covidnet;

import org.radflow.testkit.OnnxModels;
import org.radflow.testkit.OnnxModels.Attribute;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Tiny COVID-Net stand-ins whose answer is known from the input alone, written in the three formats the module
 * reads, with the same weights in each: TF1 checkpoint and SavedModel (TensorFlow Java), ONNX (test kit writer).
 *
 * <p>Graph: {@code input_1} [?, 480, 480, 3] NHWC → mean over H and W ([N, 3]) → dense ({@code <scope>/kernel}
 * [3, K], {@code <scope>/bias} [K]) → {@code <scope>/Softmax}, {@code scope} being {@code norm_dense_1} (cxr4) or
 * {@code norm_dense_2} (cxr2). The weights make class k's logit {@code -s (m - c_k)^2} up to a term common to all
 * classes, m the mean intensity of the prepared input: the class whose centre c_k is nearest the mean wins.
 * ({@code -s (m - c)^2 = 2 s c m - s c^2 - s m^2}; the last term cancels in the softmax, so a linear layer does it.)
 *
 * <p>In the TensorFlow graphs the variables start at zero (uniform probabilities) and are assigned the real values
 * before saving, so a load that skipped the restore would answer 1/K for every class.
 */
final class MeanIntensityModels {

    static final int SIDE = CovidNetPreprocessing.INPUT_SIZE;

    /**
     * One model: its output tensor, the class centres (in mean intensity, 0..1) and the sharpness s.
     */
    record Spec(String outputTensor, double[] centres, double sharpness) {

        int classes() {
            return centres.length;
        }

        /** "norm_dense_1" for "norm_dense_1/Softmax:0". */
        String scope() {
            return outputTensor.substring(0, outputTensor.indexOf('/'));
        }

        /** [3 channels, K]: each channel carries a third of 2 s c_k (the three channels are equal copies). */
        float[] kernel() {
            float[] k = new float[3 * classes()];
            for (int c = 0; c < 3; c++) {
                for (int j = 0; j < classes(); j++) {
                    k[c * classes() + j] = (float) (2 * sharpness * centres[j] / 3);
                }
            }
            return k;
        }

        float[] bias() {
            float[] b = new float[classes()];
            for (int j = 0; j < classes(); j++) {
                b[j] = (float) (-sharpness * centres[j] * centres[j]);
            }
            return b;
        }

        /** softmax(-s (m - c_k)^2), in double. */
        double[] probabilities(double mean) {
            double[] logits = new double[classes()];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < classes(); j++) {
                logits[j] = -sharpness * (mean - centres[j]) * (mean - centres[j]);
                max = Math.max(max, logits[j]);
            }
            double total = 0;
            for (int j = 0; j < classes(); j++) {
                logits[j] = Math.exp(logits[j] - max);
                total += logits[j];
            }
            for (int j = 0; j < classes(); j++) {
                logits[j] /= total;
            }
            return logits;
        }

        /** The index of the centre nearest {@code mean}: the class the model must predict. */
        int nearest(double mean) {
            int best = 0;
            for (int j = 1; j < classes(); j++) {
                if (Math.abs(mean - centres[j]) < Math.abs(mean - centres[best])) {
                    best = j;
                }
            }
            return best;
        }
    }

    private MeanIntensityModels() {
    }

    private record Net(Placeholder<TFloat32> input, Operand<TFloat32> probabilities, Variable<TFloat32> kernel,
                       Variable<TFloat32> bias, Op setTrained) {
    }

    private static Net build(Graph g, Spec spec) {
        Ops tf = Ops.create(g);
        int k = spec.classes();
        Placeholder<TFloat32> input = tf.withName("input_1")
                .placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, SIDE, SIDE, 3)));
        Operand<TFloat32> pooled = tf.withSubScope("global_average_pooling2d_1").withName("Mean")
                .math.mean(input, tf.constant(new int[] {1, 2}));
        Ops dense = tf.withSubScope(spec.scope());
        Variable<TFloat32> kernel = dense.withName("kernel")
                .variable(tf.constant(Shape.of(3, k), DataBuffers.of(new float[3 * k])));
        Variable<TFloat32> bias = dense.withName("bias").variable(tf.constant(Shape.of(k), DataBuffers.of(new float[k])));
        Operand<TFloat32> logits = dense.withName("BiasAdd").nn.biasAdd(dense.withName("MatMul").linalg.matMul(pooled, kernel), bias);
        Operand<TFloat32> probabilities = dense.withName("Softmax").nn.softmax(logits);
        Ops train = tf.withSubScope("train");
        Op setKernel = train.withName("set_kernel").assign(kernel, tf.constant(Shape.of(3, k), DataBuffers.of(spec.kernel())));
        Op setBias = train.withName("set_bias").assign(bias, tf.constant(Shape.of(k), DataBuffers.of(spec.bias())));
        Op setTrained = train.withControlDependencies(List.of(setKernel, setBias)).withName("set_trained").noOp();
        return new Net(input, probabilities, kernel, bias, setTrained);
    }

    /** A TF1 checkpoint in {@code dir} (model.meta, model-step.index/.data, checkpoint); returns the prefix. */
    static Path writeCheckpoint(Path dir, Spec spec, int step) throws IOException {
        try (Graph g = new Graph()) {
            Net net = build(g, spec);
            try (Session s = new Session(g)) {
                s.runner().addTarget(net.setTrained()).run();
                Map<String, Variable<TFloat32>> variables = Tf1Checkpoints.ordered();
                variables.put(spec.scope() + "/bias", net.bias());
                variables.put(spec.scope() + "/kernel", net.kernel());
                return Tf1Checkpoints.write(g, s, variables, dir, step, "train");
            }
        }
    }

    /** A SavedModel (tag "serve", signature "serving_default": input_1 -> the softmax). */
    static Path writeSavedModel(Path dir, Spec spec) throws IOException {
        try (Graph g = new Graph()) {
            Net net = build(g, spec);
            try (Session s = new Session(g)) {
                s.runner().addTarget(net.setTrained()).run();
                Signature signature = Signature.builder().key("serving_default")
                        .input("input_1", net.input()).output(spec.scope(), net.probabilities()).build();
                SavedModelBundle.exporter(dir.toString()).withSession(s).withSignature(signature).export();
            }
        }
        return dir;
    }

    /** The same model as ONNX, graph tensors named as in TensorFlow. */
    static Path writeOnnx(Path file, Spec spec) throws IOException {
        int k = spec.classes();
        return OnnxModels.graph("covidnet_mean_intensity_" + spec.scope())
                .node("ReduceMean", List.of("input_1:0"), "global_average_pooling2d_1/Mean:0",
                        Attribute.ints("axes", 1, 2), Attribute.of("keepdims", 0))
                .node("MatMul", List.of("global_average_pooling2d_1/Mean:0", "kernel"), "matmul")
                .node("Add", List.of("matmul", "bias"), "logits")
                .node("Softmax", List.of("logits"), spec.outputTensor(), Attribute.of("axis", 1))
                .initializer("kernel", new long[] {3, k}, spec.kernel())
                .initializer("bias", new long[] {k}, spec.bias())
                .input("input_1:0", OnnxModels.FLOAT, -1, SIDE, SIDE, 3)
                .output(spec.outputTensor(), OnnxModels.FLOAT, -1, k)
                .write(file);
    }
}
