package org.radflow.inference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** Keeps the benchmark's command line working; the timings themselves are not checked. */
class InferenceBenchTest {

    @Test
    void benchRunsAnOnnxModelAndACheckpoint(@TempDir Path dir) throws Exception {
        Path onnx = OnnxTestModels.writeClassifier(dir.resolve("m.onnx"));
        InferenceBench.main(new String[] {"onnx", onnx.toString(), "--runs", "5", "--batch", "4", "--concurrency", "2"});
        Path checkpoint = TensorFlowTestModels.writeCheckpoint(dir.resolve("ckpt"));
        InferenceBench.main(new String[] {"TENSORFLOW_CHECKPOINT", checkpoint.toString(), "--runs", "5", "--warmup", "1",
                "--input", "input_1:0=2,4,4,3", "--output", "norm_dense_1/Softmax:0", "--threads", "2"});
    }
}
