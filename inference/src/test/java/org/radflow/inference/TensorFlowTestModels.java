package org.radflow.inference;

import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.train.Restore;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SaverDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TType;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Builds, at test time, a tiny COVID-Net-shaped classifier with TensorFlow Java: {@code input_1} [-1,4,4,3] (NHWC),
 * flatten, a dense layer with variables {@code dense_1/kernel} [48,2] and {@code dense_1/bias} [2], and
 * {@code norm_dense_1/Softmax}. The variables are created with one set of values and then assigned "trained" ones
 * before saving, so a model that silently skipped its restore would give different probabilities.
 */
final class TensorFlowTestModels {

    static final String INPUT = "input_1:0";
    static final String OUTPUT = "norm_dense_1/Softmax:0";
    static final String SIGNATURE_INPUT = "image";
    static final String SIGNATURE_OUTPUT = "probabilities";
    static final int FEATURES = 4 * 4 * 3;
    static final int CLASSES = 2;

    static final float[] KERNEL_INITIAL = new float[FEATURES * CLASSES];
    static final float[] BIAS_INITIAL = new float[CLASSES];
    static final float[] KERNEL_TRAINED = new float[FEATURES * CLASSES];
    static final float[] BIAS_TRAINED = {0.25f, -0.5f};

    static {
        for (int i = 0; i < KERNEL_TRAINED.length; i++) {
            KERNEL_TRAINED[i] = ((i * 7) % 11 - 5) * 0.05f;
        }
    }

    private TensorFlowTestModels() {
    }

    /** softmax(flatten(x) · kernel + bias) per image, with the trained values, computed in plain Java. */
    static float[] expected(float[] nhwc) {
        int batch = nhwc.length / FEATURES;
        float[] out = new float[batch * CLASSES];
        for (int b = 0; b < batch; b++) {
            double[] logits = new double[CLASSES];
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < CLASSES; k++) {
                double sum = BIAS_TRAINED[k];
                for (int j = 0; j < FEATURES; j++) {
                    sum += nhwc[b * FEATURES + j] * KERNEL_TRAINED[j * CLASSES + k];
                }
                logits[k] = sum;
                max = Math.max(max, sum);
            }
            double total = 0;
            for (int k = 0; k < CLASSES; k++) {
                logits[k] = Math.exp(logits[k] - max);
                total += logits[k];
            }
            for (int k = 0; k < CLASSES; k++) {
                out[b * CLASSES + k] = (float) (logits[k] / total);
            }
        }
        return out;
    }

    /** A deterministic input batch. */
    static float[] input(int batch) {
        float[] x = new float[batch * FEATURES];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i * 0.37) * (1 + i % 3);
        }
        return x;
    }

    private record Net(Placeholder<TFloat32> input, Operand<TFloat32> probabilities, Variable<TFloat32> kernel,
                       Variable<TFloat32> bias, Op setTrained) {
    }

    private static Net build(Graph g) {
        Ops tf = Ops.create(g);
        Placeholder<TFloat32> input = tf.withName("input_1")
                .placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 4, 4, 3)));
        Ops dense = tf.withSubScope("dense_1");
        Variable<TFloat32> kernel = dense.withName("kernel")
                .variable(tf.constant(Shape.of(FEATURES, CLASSES), DataBuffers.of(KERNEL_INITIAL)));
        Variable<TFloat32> bias = dense.withName("bias").variable(tf.constant(Shape.of(CLASSES), DataBuffers.of(BIAS_INITIAL)));
        Operand<TFloat32> flat = tf.withSubScope("flatten_1").withName("Reshape")
                .reshape(input, tf.constant(new int[] {-1, FEATURES}));
        Operand<TFloat32> logits = dense.withName("BiasAdd").nn.biasAdd(dense.withName("MatMul").linalg.matMul(flat, kernel), bias);
        Operand<TFloat32> probabilities = tf.withSubScope("norm_dense_1").withName("Softmax").nn.softmax(logits);
        Ops train = tf.withSubScope("train");
        Op setKernel = train.withName("set_kernel")
                .assign(kernel, tf.constant(Shape.of(FEATURES, CLASSES), DataBuffers.of(KERNEL_TRAINED)));
        Op setBias = train.withName("set_bias").assign(bias, tf.constant(Shape.of(CLASSES), DataBuffers.of(BIAS_TRAINED)));
        Op setTrained = train.withControlDependencies(List.of(setKernel, setBias)).withName("set_trained").noOp();
        return new Net(input, probabilities, kernel, bias, setTrained);
    }

    /** Graphs trained elsewhere name their devices in their nodes (here a GPU of a "worker" job), which this CPU lacks. */
    private static GraphDef trainedOnGpu(GraphDef graph) {
        GraphDef.Builder b = graph.toBuilder();
        b.getNodeBuilderList().stream().filter(n -> n.getName().startsWith("dense_1/"))
                .forEach(n -> n.setDevice("/job:worker/replica:0/task:0/device:GPU:0"));
        return b.build();
    }

    /** A SavedModel (tag "serve") with signature "serving_default": image -> probabilities. */
    static Path writeSavedModel(Path dir) throws IOException {
        try (Graph g = new Graph()) {
            Net net = build(g);
            try (Session s = new Session(g)) {
                s.runner().addTarget(net.setTrained()).run();
                Signature signature = Signature.builder().key("serving_default")
                        .input(SIGNATURE_INPUT, net.input()).output(SIGNATURE_OUTPUT, net.probabilities()).build();
                SavedModelBundle.exporter(dir.toString()).withSession(s).withSignature(signature).export();
            }
        }
        return dir;
    }

    /**
     * A TF1-style checkpoint as COVID-Net ships it: {@code model.meta} (MetaGraphDef with a saver_def),
     * {@code model-1.index}, {@code model-1.data-00000-of-00001} and the {@code checkpoint} state file. The saver
     * subgraph is the one {@code tf.train.Saver} builds: {@code save/Const} (the prefix, fed at restore),
     * {@code save/SaveV2}, {@code save/control_dependency}, {@code save/RestoreV2}, {@code save/Assign*},
     * {@code save/restore_all}. Returns the checkpoint prefix.
     */
    @SuppressWarnings("unchecked")
    static Path writeCheckpoint(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path prefix = dir.resolve("model-1");
        try (Graph g = new Graph()) {
            Net net = build(g);
            Ops save = Ops.create(g).withSubScope("save");
            Operand<TString> filename = save.withName("Const").constant("model");
            List<Variable<TFloat32>> variables = List.of(net.bias(), net.kernel());
            Operand<TString> names = save.withName("tensor_names")
                    .constant(StdArrays.ndCopyOf(new String[] {"dense_1/bias", "dense_1/kernel"}));
            Operand<TString> slices = save.withName("shape_and_slices").constant(StdArrays.ndCopyOf(new String[] {"", ""}));
            Op saveV2 = save.withName("SaveV2").train.save(filename, names, slices, List.of(net.bias(), net.kernel()));
            Operand<TString> saveDone = save.withControlDependencies(List.of(saveV2)).withName("control_dependency")
                    .identity(filename);
            List<Class<? extends TType>> types = List.of(TFloat32.class, TFloat32.class);
            Restore restored = save.withName("RestoreV2").train.restore(filename, names, slices, types);
            Op assignBias = save.withName("Assign").assign(variables.get(0), (Operand<TFloat32>) restored.tensors().get(0));
            Op assignKernel = save.withName("Assign_1").assign(variables.get(1), (Operand<TFloat32>) restored.tensors().get(1));
            save.withControlDependencies(List.of(assignBias, assignKernel)).withName("restore_all").noOp();

            try (Session s = new Session(g); TString prefixTensor = TString.scalarOf(prefix.toString())) {
                s.runner().addTarget(net.setTrained()).run();
                s.runner().feed(filename, prefixTensor).addTarget(saveDone.op()).run();
            }
            MetaGraphDef meta = MetaGraphDef.newBuilder()
                    .setMetaInfoDef(MetaGraphDef.MetaInfoDef.newBuilder().setTensorflowVersion("1.15.0"))
                    .setGraphDef(trainedOnGpu(g.toGraphDef()))
                    .setSaverDef(SaverDef.newBuilder()
                            .setFilenameTensorName("save/Const:0")
                            .setSaveTensorName("save/control_dependency:0")
                            .setRestoreOpName("save/restore_all")
                            .setMaxToKeep(5)
                            .setVersion(SaverDef.CheckpointFormatVersion.V2))
                    .build();
            try (OutputStream out = Files.newOutputStream(dir.resolve("model.meta"))) {
                meta.writeTo(out);
            }
        }
        Files.writeString(dir.resolve("checkpoint"), "model_checkpoint_path: \"model-1\"\n"
                + "all_model_checkpoint_paths: \"model-1\"\n");
        return prefix;
    }
}
