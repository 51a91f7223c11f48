package org.radflow.covidnet;

import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.train.Restore;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SaverDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TType;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a TF1 checkpoint the way {@code tf.train.Saver} lays it out and COVID-Net ships it, with TensorFlow Java:
 * {@code model.meta} (a MetaGraphDef whose saver_def names {@code save/Const:0} as the filename tensor and
 * {@code save/restore_all} as the restore op), {@code model-N.index}, {@code model-N.data-00000-of-00001} and the
 * {@code checkpoint} state file. The saver subgraph has the nodes a TF1 export has: {@code save/Const},
 * {@code save/SaveV2}, {@code save/control_dependency}, {@code save/RestoreV2}, {@code save/Assign*},
 * {@code save/restore_all}.
 */
final class Tf1Checkpoints {

    private Tf1Checkpoints() {
    }

    /**
     * Adds the saver to {@code graph}, saves the variables' current values in {@code session} under
     * {@code dir/model-step} and writes {@code dir/model.meta}. Returns the checkpoint prefix.
     *
     * @param variables     checkpoint name (e.g. {@code norm_dense_1/kernel}) to variable, in the order to save
     * @param buildingScopes scopes of ops that only set the values before saving (e.g. {@code train}); they are left
     *                       out of model.meta, as a trained model's graph does not carry its trainer's feeds
     */
    @SuppressWarnings("unchecked")
    static Path write(Graph graph, Session session, Map<String, Variable<TFloat32>> variables, Path dir, int step,
                      String... buildingScopes) throws IOException {
        Files.createDirectories(dir);
        Path prefix = dir.resolve("model-" + step);
        Ops save = Ops.create(graph).withSubScope("save");
        Operand<TString> filename = save.withName("Const").constant("model");
        List<String> names = new ArrayList<>(variables.keySet());
        List<Variable<TFloat32>> vars = new ArrayList<>(variables.values());
        Operand<TString> tensorNames = save.withName("tensor_names")
                .constant(StdArrays.ndCopyOf(names.toArray(String[]::new)));
        Operand<TString> slices = save.withName("shape_and_slices")
                .constant(StdArrays.ndCopyOf(names.stream().map(n -> "").toArray(String[]::new)));
        Op saveV2 = save.withName("SaveV2").train.save(filename, tensorNames, slices, new ArrayList<>(vars));
        Operand<TString> saveDone = save.withControlDependencies(List.of(saveV2)).withName("control_dependency")
                .identity(filename);
        Operand<TString> restoreNames = save.withName("RestoreV2_tensor_names")
                .constant(StdArrays.ndCopyOf(names.toArray(String[]::new)));
        Operand<TString> restoreSlices = save.withName("RestoreV2_shape_and_slices")
                .constant(StdArrays.ndCopyOf(names.stream().map(n -> "").toArray(String[]::new)));
        List<Class<? extends TType>> types = new ArrayList<>();
        vars.forEach(v -> types.add(TFloat32.class));
        Restore restored = save.withName("RestoreV2").train.restore(filename, restoreNames, restoreSlices, types);
        List<Op> assigns = new ArrayList<>();
        for (int i = 0; i < vars.size(); i++) {
            assigns.add(save.withName(i == 0 ? "Assign" : "Assign_" + i)
                    .assign(vars.get(i), (Operand<TFloat32>) restored.tensors().get(i)));
        }
        save.withControlDependencies(assigns).withName("restore_all").noOp();

        try (TString prefixTensor = TString.scalarOf(prefix.toString())) {
            session.runner().feed(filename, prefixTensor).addTarget(saveDone.op()).run();
        }
        MetaGraphDef meta = MetaGraphDef.newBuilder()
                .setMetaInfoDef(MetaGraphDef.MetaInfoDef.newBuilder().setTensorflowVersion("1.15.0"))
                .setGraphDef(without(graph.toGraphDef(), buildingScopes))
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
        String name = prefix.getFileName().toString();
        Files.writeString(dir.resolve("checkpoint"), "model_checkpoint_path: \"" + name + "\"\n"
                + "all_model_checkpoint_paths: \"" + name + "\"\n");
        return prefix;
    }

    private static GraphDef without(GraphDef graph, String... scopes) {
        GraphDef.Builder b = graph.toBuilder().clearNode();
        for (NodeDef node : graph.getNodeList()) {
            if (Arrays.stream(scopes).noneMatch(scope -> node.getName().startsWith(scope + "/"))) {
                b.addNode(node);
            }
        }
        return b.build();
    }

    /** An ordered map, for {@link #write}. */
    static Map<String, Variable<TFloat32>> ordered() {
        return new LinkedHashMap<>();
    }
}
