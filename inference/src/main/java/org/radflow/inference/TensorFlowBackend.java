package org.radflow.inference;

import com.google.protobuf.InvalidProtocolBufferException;
import org.radflow.api.InferenceEngine.Backend;
import org.radflow.api.InferenceEngine.Tensor;
import org.radflow.api.ModuleException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.TensorFlow;
import org.tensorflow.exceptions.TFResourceExhaustedException;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SaverDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TString;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * TensorFlow Java (1.1.0, TensorFlow 2.18 inside): SavedModel directories and TF1 checkpoints. The native
 * libraries (~650 MB unpacked) load on construction, into {@code org.bytedeco.javacpp.cachedir}.
 */
final class TensorFlowBackend implements NativeRuntime {

    private static final Logger LOG = LoggerFactory.getLogger(TensorFlowBackend.class);

    /** TF1's defaults, used when a MetaGraphDef has no saver_def. */
    static final String DEFAULT_FILENAME_TENSOR = "save/Const:0";
    static final String DEFAULT_RESTORE_OP = "save/restore_all";
    private static final String SERVING_TAG = "serve";
    private static final String DEFAULT_SIGNATURE = "serving_default";
    /** Op types that never hold a model output, left out of the list of likely outputs. */
    private static final Set<String> NOT_OUTPUTS = Set.of("NoOp", "Const", "Placeholder", "PlaceholderWithDefault",
            "VariableV2", "Variable", "VarHandleOp", "Assign", "AssignVariableOp", "AssignAdd", "AssignSub",
            "SaveV2", "Save", "SaveSlices", "RestoreV2", "Restore", "RestoreSlice", "MergeV2Checkpoints", "ShardedFilename",
            "StringJoin", "ReadVariableOp", "IsVariableInitialized");

    private final String version;

    TensorFlowBackend() {
        version = TensorFlow.version();
    }

    @Override
    public String description() {
        return "TensorFlow " + version + " (TensorFlow Java)";
    }

    @Override
    public LoadedModel open(ModelFiles files, int threads) throws ModuleException {
        ConfigProto config = ConfigProto.newBuilder()
                .setIntraOpParallelismThreads(threads)
                // one inter-op thread runs the graph in the caller's thread; per-session pools keep budgets apart
                .setInterOpParallelismThreads(1)
                .setUsePerSessionThreads(true)
                // graphs trained on a GPU name it in their nodes; this CPU build places such ops on the CPU
                .setAllowSoftPlacement(true)
                .build();
        return files.backend() == Backend.TENSORFLOW_SAVED_MODEL
                ? openSavedModel(files, threads, config)
                : openCheckpoint(files, threads, config);
    }

    private LoadedModel openSavedModel(ModelFiles files, int threads, ConfigProto config) throws ModuleException {
        Path dir = files.main();
        SavedModel proto;
        try {
            proto = SavedModel.parseFrom(Files.readAllBytes(dir.resolve("saved_model.pb")));
        } catch (InvalidProtocolBufferException e) {
            throw new ModuleException("Cannot load TensorFlow SavedModel " + dir + ": saved_model.pb is not a SavedModel"
                    + " protocol buffer (corrupt or truncated?): " + RuntimeErrors.message(e), e);
        } catch (IOException e) {
            throw ModuleException.transientFailure("Cannot read " + dir.resolve("saved_model.pb") + ": " + e, e);
        }
        if (proto.getMetaGraphsCount() == 0) {
            throw new ModuleException("TensorFlow SavedModel " + dir + " holds no meta graph");
        }
        MetaGraphDef chosen = proto.getMetaGraphsList().stream()
                .filter(m -> m.getMetaInfoDef().getTagsList().contains(SERVING_TAG))
                .findFirst()
                .orElse(proto.getMetaGraphs(0));
        String[] tags = chosen.getMetaInfoDef().getTagsList().toArray(String[]::new);
        SavedModelBundle bundle;
        try {
            bundle = SavedModelBundle.loader(dir.toString()).withTags(tags).withConfigProto(config).load();
        } catch (RuntimeException e) {
            throw new ModuleException("Cannot load TensorFlow SavedModel " + dir + " (tags " + List.of(tags) + "): "
                    + RuntimeErrors.message(e), e);
        }
        try {
            MetaGraphDef meta = bundle.metaGraphDef();
            return new TensorFlowModel(files, threads, bundle.graph(), bundle.session(), meta.getSaverDef(),
                    signature(meta), bundle::close);
        } catch (RuntimeException e) {
            bundle.close();
            throw new ModuleException("Cannot inspect TensorFlow SavedModel " + dir + ": " + RuntimeErrors.message(e), e);
        }
    }

    /**
     * A TF1 checkpoint: import the MetaGraphDef's graph, then run the saver's restore op with the checkpoint
     * prefix fed to its filename tensor — what {@code tf.train.Saver.restore} does in Python.
     */
    private LoadedModel openCheckpoint(ModelFiles files, int threads, ConfigProto config) throws ModuleException {
        Path metaFile = files.meta();
        String where = "TensorFlow checkpoint " + files.main();
        MetaGraphDef meta;
        try {
            meta = MetaGraphDef.parseFrom(Files.readAllBytes(metaFile));
        } catch (InvalidProtocolBufferException e) {
            throw new ModuleException("Cannot load " + where + ": " + metaFile.getFileName()
                    + " is not a MetaGraphDef protocol buffer (corrupt or truncated?): " + RuntimeErrors.message(e), e);
        } catch (IOException e) {
            throw ModuleException.transientFailure("Cannot read " + metaFile + ": " + e, e);
        }
        if (!meta.hasGraphDef() || meta.getGraphDef().getNodeCount() == 0) {
            throw new ModuleException("Cannot load " + where + ": " + metaFile + " holds no graph");
        }
        SaverDef saver = meta.getSaverDef();
        String filenameTensor = saver.getFilenameTensorName().isEmpty() ? DEFAULT_FILENAME_TENSOR
                : saver.getFilenameTensorName();
        String restoreOp = saver.getRestoreOpName().isEmpty() ? DEFAULT_RESTORE_OP : saver.getRestoreOpName();
        restoreOp = restoreOp.endsWith(":0") ? restoreOp.substring(0, restoreOp.length() - 2) : restoreOp;

        Graph graph = new Graph();
        Session session = null;
        try {
            try {
                graph.importGraphDef(withoutDevices(meta.getGraphDef()));
            } catch (RuntimeException e) {
                throw new ModuleException("Cannot import the graph of " + where + " from " + metaFile.getFileName()
                        + " (an op this TensorFlow " + version + " does not know?): " + RuntimeErrors.message(e), e);
            }
            if (graph.operation(restoreOp) == null || graph.output(filenameTensor) == null) {
                throw new ModuleException("Cannot restore " + where + ": the graph in " + metaFile.getFileName()
                        + " has no saver (looked for restore op '" + restoreOp + "' and filename tensor '"
                        + filenameTensor + "')");
            }
            session = new Session(graph, true, config);
            // ops the graph marks as initializers (TF Java's "Init") run first, so the restore below wins
            session.initialize();
            try (TString prefix = TString.scalarOf(files.main().toString())) {
                session.runner().feed(filenameTensor, prefix).addTarget(restoreOp).run();
            }
            return new TensorFlowModel(files, threads, graph, session, saver, signature(meta), closer(session, graph));
        } catch (ModuleException e) {
            closer(session, graph).run();
            throw e;
        } catch (RuntimeException e) {
            closer(session, graph).run();
            throw new ModuleException("Cannot restore " + where + " (restore op '" + restoreOp + "' fed with the prefix"
                    + " through '" + filenameTensor + "'): " + RuntimeErrors.message(e), e);
        }
    }

    /** Like {@code import_meta_graph(clear_devices=True)}: a graph saved on a GPU machine must run on this CPU. */
    private static GraphDef withoutDevices(GraphDef graph) {
        if (graph.getNodeList().stream().allMatch(n -> n.getDevice().isEmpty())) {
            return graph;
        }
        GraphDef.Builder b = graph.toBuilder();
        b.getNodeBuilderList().forEach(NodeDef.Builder::clearDevice);
        return b.build();
    }

    private static Runnable closer(Session session, Graph graph) {
        return () -> {
            try {
                if (session != null) {
                    session.close();
                }
            } finally {
                graph.close();
            }
        };
    }

    /** The serving signature, else the only real one, else none (then tensor names are the interface). */
    private static Map.Entry<String, SignatureDef> signature(MetaGraphDef meta) {
        Map<String, SignatureDef> all = new TreeMap<>(meta.getSignatureDefMap());
        all.keySet().removeIf(k -> k.startsWith("__")); // TF2's __saved_model_init_op
        if (all.containsKey(DEFAULT_SIGNATURE)) {
            return Map.entry(DEFAULT_SIGNATURE, all.get(DEFAULT_SIGNATURE));
        }
        if (!all.isEmpty()) {
            Map.Entry<String, SignatureDef> first = all.entrySet().iterator().next();
            if (all.size() > 1) {
                LOG.info("No '{}' signature; using '{}' of {}", DEFAULT_SIGNATURE, first.getKey(), all.keySet());
            }
            return first;
        }
        return null;
    }

    static final class TensorFlowModel extends LoadedModel {

        private final Graph graph;
        private final Session session;
        private final Runnable closer;
        private final String signatureKey;
        /** Signature key to graph tensor name, inputs then outputs; empty without a signature. */
        private final Map<String, String> signatureInputs = new LinkedHashMap<>();
        private final Map<String, String> signatureOutputs = new LinkedHashMap<>();
        private final Map<String, TensorSpec> inputs = new LinkedHashMap<>();
        private final Map<String, TensorSpec> outputs = new LinkedHashMap<>();
        private final List<String> placeholders;

        TensorFlowModel(ModelFiles files, int threads, Graph graph, Session session, SaverDef saver,
                        Map.Entry<String, SignatureDef> signature, Runnable closer) {
            super(files, threads);
            this.graph = graph;
            this.session = session;
            this.closer = closer;
            this.signatureKey = signature == null ? null : signature.getKey();
            this.placeholders = placeholders(graph, saver);
            if (signature != null) {
                new TreeMap<>(signature.getValue().getInputsMap()).forEach((key, info) -> {
                    signatureInputs.put(key, info.getName());
                    inputs.put(key, spec(key, info));
                });
                new TreeMap<>(signature.getValue().getOutputsMap()).forEach((key, info) -> {
                    signatureOutputs.put(key, info.getName());
                    outputs.put(key, spec(key, info));
                });
            } else {
                for (String p : placeholders) {
                    inputs.put(p, spec(p, graph.output(p)));
                }
                for (String o : likelyOutputs(graph)) {
                    outputs.put(o, spec(o, graph.output(o)));
                }
            }
        }

        @Override
        public List<String> inputNames() {
            return List.copyOf(inputs.keySet());
        }

        @Override
        public List<String> outputNames() {
            return List.copyOf(outputs.keySet());
        }

        @Override
        Map<String, TensorSpec> inputSpecs() {
            return inputs;
        }

        /** A signature key, else any tensor of the graph ("op" or "op:index"); feeding an inner tensor is legal. */
        @Override
        TensorSpec inputSpec(String name) {
            TensorSpec spec = inputs.get(name);
            if (spec != null) {
                return spec;
            }
            Output<?> o = tensor(name);
            return o == null ? null : spec(name, o);
        }

        @Override
        String inputNameHint() {
            return signatureKey == null
                    ? " (graph placeholders; any tensor of the graph may be fed as 'op_name:index')"
                    : " (keys of signature '" + signatureKey + "'; graph placeholders " + limited(placeholders)
                    + " and other tensors may be fed by name as 'op_name:index')";
        }

        @Override
        void checkOutputName(String name) throws ModuleException {
            TensorSpec spec = outputs.get(name);
            if (spec == null) {
                Output<?> o = tensor(name);
                if (o == null) {
                    throw new ModuleException("Unknown output '" + name + "' for " + describe() + "; "
                            + (signatureKey == null ? "likely outputs: " : "outputs of signature '" + signatureKey + "': ")
                            + limited(outputNames()) + " (any tensor of the graph may be fetched as 'op_name:index')");
                }
                spec = spec(name, o);
            }
            spec.checkOutputType(describe());
        }

        @Override
        Map<String, Tensor> runChecked(Map<String, Tensor> given, List<String> outputNames) throws ModuleException {
            Session.Runner runner = session.runner();
            List<TFloat32> fed = new ArrayList<>(given.size());
            try {
                for (Map.Entry<String, Tensor> e : given.entrySet()) {
                    Tensor t = e.getValue();
                    TFloat32 tensor = TFloat32.tensorOf(Shape.of(t.shape()), DataBuffers.of(t.data(), true, false));
                    fed.add(tensor);
                    runner.feed(tensor(graphName(e.getKey(), signatureInputs)), tensor);
                }
                for (String name : outputNames) {
                    runner.fetch(tensor(graphName(name, signatureOutputs)));
                }
                Map<String, Tensor> out = new LinkedHashMap<>();
                try (Result result = runner.run()) {
                    for (int i = 0; i < outputNames.size(); i++) {
                        org.tensorflow.Tensor t = result.get(i);
                        if (!(t instanceof TFloat32 f)) {
                            throw new ModuleException("Output '" + outputNames.get(i) + "' of " + describe() + " is of type "
                                    + t.dataType() + "; only float32 tensors are supported");
                        }
                        float[] data = new float[Math.toIntExact(f.size())];
                        f.copyTo(DataBuffers.of(data, false, false));
                        out.put(outputNames.get(i), new Tensor(f.shape().asArray(), data));
                    }
                }
                return out;
            } catch (TFResourceExhaustedException e) {
                throw ModuleException.transientFailure("Running " + describe() + " ran out of memory: "
                        + RuntimeErrors.message(e), e);
            } finally {
                fed.forEach(TFloat32::close);
            }
        }

        @Override
        void release() {
            closer.run();
        }

        private static String graphName(String name, Map<String, String> signatureNames) {
            return signatureNames.getOrDefault(name, name);
        }

        /** The graph tensor called {@code name} ("op" means "op:0"), or {@code null}. */
        private Output<?> tensor(String name) {
            try {
                Output<?> o = graph.output(name);
                if (o == null || o.index() < 0 || o.index() >= ((GraphOperation) o.op()).numOutputs()) {
                    return null;
                }
                return o;
            } catch (IllegalArgumentException e) {
                return null;
            }
        }

        private static TensorSpec spec(String name, TensorInfo info) {
            TensorShapeProto s = info.getTensorShape();
            long[] shape = null;
            if (info.hasTensorShape() && !s.getUnknownRank()) {
                shape = s.getDimList().stream().mapToLong(TensorShapeProto.Dim::getSize).toArray();
            }
            return new TensorSpec(name, info.getDtype().name(), info.getDtype() == DataType.DT_FLOAT, shape);
        }

        private static TensorSpec spec(String name, Output<?> o) {
            Shape s = o.shape();
            return new TensorSpec(name, o.dataType().name(), o.dataType() == DataType.DT_FLOAT,
                    s.isUnknown() ? null : s.asArray());
        }

        /** Placeholders the caller may feed, without the saver's own filename input. */
        private static List<String> placeholders(Graph graph, SaverDef saver) {
            String saverOp = saver.getFilenameTensorName().replaceFirst(":\\d+$", "");
            List<String> names = new ArrayList<>();
            for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
                GraphOperation op = it.next();
                if (op.type().equals("Placeholder") && !op.name().equals(saverOp) && !op.name().startsWith("save/")) {
                    names.add(op.name() + ":0");
                }
            }
            return sortedCopy(names);
        }

        /** Float tensors nothing consumes, outside the saver, initializers and training ops. */
        private static List<String> likelyOutputs(Graph graph) {
            List<String> names = new ArrayList<>();
            for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
                GraphOperation op = it.next();
                String n = op.name();
                if (NOT_OUTPUTS.contains(op.type()) || op.type().startsWith("Apply") || op.type().startsWith("ResourceApply")
                        || n.startsWith("save/") || n.startsWith("Init") || n.startsWith("init")
                        || n.startsWith("gradients/") || n.startsWith("train/")) {
                    continue;
                }
                for (int i = 0; i < op.numOutputs(); i++) {
                    if (op.numConsumers(i) == 0 && op.output(i).dataType() == DataType.DT_FLOAT) {
                        names.add(n + ":" + i);
                    }
                }
            }
            return sortedCopy(names);
        }

        private static String limited(List<String> names) {
            return names.size() <= 30 ? names.toString()
                    : names.subList(0, 30).toString().replaceFirst("]$", ", ... (" + names.size() + " in all)]");
        }
    }
}
