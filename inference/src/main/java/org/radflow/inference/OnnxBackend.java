package org.radflow.inference;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.ValueInfo;
import org.radflow.api.InferenceEngine.Tensor;
import org.radflow.api.ModuleException;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * ONNX Runtime (CPU). Its native library is loaded by the first {@link OrtEnvironment} in the JVM (unpacked into
 * {@code java.io.tmpdir}, or taken from {@code onnxruntime.native.path}); sessions have their own thread pools.
 */
final class OnnxBackend implements NativeRuntime {

    private final OrtEnvironment env;

    OnnxBackend() {
        env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING, "radflow");
    }

    @Override
    public String description() {
        return "ONNX Runtime " + env.getVersion();
    }

    @Override
    public LoadedModel open(ModelFiles files, int threads) throws ModuleException {
        SessionOptions options = new SessionOptions();
        try {
            // intra-op threads are the module's budget; operators run one at a time (sequential mode)
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            options.setExecutionMode(SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(SessionOptions.OptLevel.ALL_OPT);
            // idle pool threads would otherwise spin and take CPU from the other modules
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            OrtSession session = env.createSession(files.main().toString(), options);
            try {
                return new OnnxModel(files, threads, env, session, options);
            } catch (OrtException | RuntimeException e) {
                session.close();
                throw e;
            }
        } catch (OrtException e) {
            options.close();
            throw new ModuleException("Cannot load ONNX model " + files.main() + ": " + RuntimeErrors.message(e), e);
        } catch (RuntimeException e) {
            options.close();
            throw e;
        }
    }

    static final class OnnxModel extends LoadedModel {

        private final OrtEnvironment env;
        private final OrtSession session;
        private final SessionOptions options;
        private final Map<String, TensorSpec> inputs;
        private final Map<String, TensorSpec> outputs;

        OnnxModel(ModelFiles files, int threads, OrtEnvironment env, OrtSession session, SessionOptions options)
                throws OrtException {
            super(files, threads);
            this.env = env;
            this.session = session;
            this.options = options;
            this.inputs = specs(session.getInputInfo());
            this.outputs = specs(session.getOutputInfo());
        }

        private static Map<String, TensorSpec> specs(Map<String, NodeInfo> infos) {
            Map<String, TensorSpec> specs = new LinkedHashMap<>();
            for (NodeInfo n : infos.values()) {
                ValueInfo v = n.getInfo();
                if (v instanceof TensorInfo t) {
                    // ONNX Runtime reports a value without shape information as rank 0: leave it unchecked
                    long[] shape = t.getShape().length == 0 ? null : t.getShape();
                    specs.put(n.getName(), new TensorSpec(n.getName(), t.type.name(), t.type == OnnxJavaType.FLOAT, shape));
                } else {
                    specs.put(n.getName(), new TensorSpec(n.getName(), v.toString(), false, null));
                }
            }
            return Collections.unmodifiableMap(specs);
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

        @Override
        void checkOutputName(String name) throws ModuleException {
            TensorSpec spec = outputs.get(name);
            if (spec == null) {
                throw new ModuleException("Unknown output '" + name + "' for " + describe() + "; known outputs: "
                        + outputNames());
            }
            spec.checkOutputType(describe());
        }

        @Override
        Map<String, Tensor> runChecked(Map<String, Tensor> given, List<String> outputNames) throws Exception {
            List<String> missing = new ArrayList<>(inputs.keySet());
            missing.removeAll(given.keySet());
            if (!missing.isEmpty()) {
                throw new ModuleException("Missing input(s) " + missing + " for " + describe() + "; it needs "
                        + inputNames());
            }
            Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
            try {
                for (Map.Entry<String, Tensor> e : given.entrySet()) {
                    Tensor t = e.getValue();
                    feeds.put(e.getKey(), OnnxTensor.createTensor(env, FloatBuffer.wrap(t.data()), t.shape()));
                }
                Map<String, Tensor> out = new LinkedHashMap<>();
                try (OrtSession.Result result = session.run(feeds, new LinkedHashSet<>(outputNames))) {
                    for (String name : outputNames) {
                        OnnxValue value = result.get(name).orElseThrow(
                                () -> new IllegalStateException("ONNX Runtime returned no value for '" + name + "'"));
                        OnnxTensor tensor = (OnnxTensor) value;
                        FloatBuffer buffer = tensor.getFloatBuffer();
                        float[] data = new float[buffer.remaining()];
                        buffer.get(data);
                        out.put(name, new Tensor(tensor.getInfo().getShape(), data));
                    }
                }
                return out;
            } finally {
                OnnxValue.close(feeds);
            }
        }

        @Override
        void release() throws OrtException {
            try {
                session.close();
            } finally {
                options.close();
            }
        }
    }
}
