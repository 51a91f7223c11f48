package org.radflow.api;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Model loading and inference, provided by the host: ONNX Runtime and TensorFlow load native
 * libraries that cannot be loaded twice in one JVM, so modules never bundle a runtime.
 */
public interface InferenceEngine {

    enum Backend {
        /** An {@code .onnx} file (ONNX Runtime). */
        ONNX,
        /** A TensorFlow SavedModel directory (serving signature or named tensors). */
        TENSORFLOW_SAVED_MODEL,
        /** A TF1 checkpoint: {@code model.meta} plus {@code model-N.index/.data-*}; the path is the checkpoint prefix. */
        TENSORFLOW_CHECKPOINT
    }

    /**
     * Loads (or returns the cached session of) a model. Sessions are cached per model file and
     * shared by the module's concurrent jobs; closing them is the host's business.
     */
    ModelSession load(Backend backend, Path model) throws ModuleException;

    interface ModelSession {

        /** Runs the model: named float inputs in, the requested outputs back. */
        Map<String, Tensor> run(Map<String, Tensor> inputs, List<String> outputNames) throws ModuleException;

        List<String> inputNames();

        List<String> outputNames();
    }

    /** A dense float tensor in row-major order. */
    record Tensor(long[] shape, float[] data) {
        public Tensor {
            long n = 1;
            for (long d : shape) {
                if (d < 0) {
                    throw new IllegalArgumentException("negative dimension in shape");
                }
                n *= d;
            }
            if (n != data.length) {
                throw new IllegalArgumentException("shape " + java.util.Arrays.toString(shape) + " needs " + n
                        + " values, got " + data.length);
            }
        }
    }
}
