package org.radflow.inference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.InferenceEngine.Backend;
import org.radflow.api.InferenceEngine.Tensor;
import org.radflow.api.ModuleException;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostInferenceEngineTest {

    @TempDir
    Path dir;

    @Test
    void aRuntimeThatCannotLoadFailsItsBackendsOnlyAndOnlyOnce() throws Exception {
        Path checkpoint = TensorFlowTestModels.writeCheckpoint(dir.resolve("ckpt"));
        Path savedModel = TensorFlowTestModels.writeSavedModel(dir.resolve("saved"));
        Path onnx = OnnxTestModels.writeClassifier(dir.resolve("m.onnx"));
        AtomicInteger attempts = new AtomicInteger();
        try (HostInferenceEngine engine = new HostInferenceEngine(OnnxBackend::new, () -> {
            attempts.incrementAndGet();
            throw new UnsatisfiedLinkError("no jnitensorflow in java.library.path");
        })) {
            ModuleInference view = engine.forModule("broken", 1);
            ModuleException first = assertThrows(ModuleException.class,
                    () -> view.load(Backend.TENSORFLOW_CHECKPOINT, checkpoint));
            assertTrue(first.getMessage().contains("Cannot load TensorFlow, needed for TENSORFLOW_CHECKPOINT models")
                    && first.getMessage().contains("UnsatisfiedLinkError"), first.getMessage());
            assertFalse(first.isTransient());
            ModuleException second = assertThrows(ModuleException.class,
                    () -> view.load(Backend.TENSORFLOW_SAVED_MODEL, savedModel));
            assertTrue(second.getMessage().contains("TENSORFLOW_SAVED_MODEL"), second.getMessage());
            assertEquals(1, attempts.get());

            Map<String, Tensor> out = view.load(Backend.ONNX, onnx)
                    .run(Map.of("input", new Tensor(new long[] {1, 3}, new float[] {1, 2, 3})), List.of("logits"));
            assertEquals(1, out.size());
        }
    }

    @Test
    void missingFilesAreCheckedBeforeAnyRuntimeLoads() {
        try (HostInferenceEngine engine = new HostInferenceEngine(() -> {
            throw new AssertionError("ONNX Runtime must not load for a missing file");
        }, () -> {
            throw new AssertionError("TensorFlow must not load for a missing file");
        })) {
            ModuleInference view = engine.forModule("m", 1);
            assertThrows(ModuleException.class, () -> view.load(Backend.ONNX, dir.resolve("x.onnx")));
            assertThrows(ModuleException.class, () -> view.load(Backend.TENSORFLOW_CHECKPOINT, dir.resolve("model-1")));
            assertEquals(List.of(), engine.loadedRuntimes());
        }
    }

    @Test
    void threadBudgetMustBePositive() {
        try (HostInferenceEngine engine = new HostInferenceEngine()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> engine.forModule("m", 0));
            assertTrue(e.getMessage().contains("Module m"), e.getMessage());
            ModuleInference view = engine.forModule("m", 3);
            assertEquals(3, view.threads());
            assertSame("m", view.moduleId());
        }
    }
}
