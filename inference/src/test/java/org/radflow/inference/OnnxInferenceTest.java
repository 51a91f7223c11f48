package org.radflow.inference;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.InferenceEngine.Backend;
import org.radflow.api.InferenceEngine.ModelSession;
import org.radflow.api.InferenceEngine.Tensor;
import org.radflow.api.ModuleException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OnnxInferenceTest {

    @TempDir
    static Path dir;
    static Path classifier;
    static Path mixedTypes;
    static HostInferenceEngine engine;
    static ModuleInference module;

    @BeforeAll
    static void models() throws IOException {
        classifier = OnnxTestModels.writeClassifier(dir.resolve("classifier.onnx"));
        mixedTypes = OnnxTestModels.writeMixedTypes(dir.resolve("mixed.onnx"));
        engine = new HostInferenceEngine();
        module = engine.forModule("test", 1);
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    private static final float[] X = {1f, 2f, 3f, -1f, 0.5f, 0f, 0f, 0f, 0f};

    @Test
    void runsByNameAndMatchesHandComputedValues() throws Exception {
        ModelSession s = module.load(Backend.ONNX, classifier);
        assertEquals(List.of("input"), s.inputNames());
        assertEquals(List.of("probabilities", "logits"), s.outputNames());

        Map<String, Tensor> out = s.run(Map.of("input", new Tensor(new long[] {3, 3}, X)), List.of("logits", "probabilities"));
        assertEquals(List.of("logits", "probabilities"), List.copyOf(out.keySet()));
        assertArrayEquals(new long[] {3, 2}, out.get("probabilities").shape());
        assertArrayEquals(OnnxTestModels.expectedLogits(X), out.get("logits").data(), 1e-5f);
        assertArrayEquals(OnnxTestModels.expectedProbabilities(X), out.get("probabilities").data(), 1e-5f);

        Map<String, Tensor> one = s.run(Map.of("input", new Tensor(new long[] {1, 3}, new float[] {1, 2, 3})),
                List.of("probabilities"));
        assertEquals(1, one.size());
        assertArrayEquals(OnnxTestModels.expectedProbabilities(new float[] {1, 2, 3}), one.get("probabilities").data(), 1e-5f);
    }

    @Test
    void emptyOutputListMeansEveryOutput() throws Exception {
        Map<String, Tensor> out = module.load(Backend.ONNX, classifier)
                .run(Map.of("input", new Tensor(new long[] {1, 3}, new float[] {1, 2, 3})), List.of());
        assertEquals(List.of("probabilities", "logits"), List.copyOf(out.keySet()));
    }

    @Test
    void unknownNamesListTheKnownOnes() throws Exception {
        ModelSession s = module.load(Backend.ONNX, classifier);
        Tensor x = new Tensor(new long[] {1, 3}, new float[3]);
        ModuleException in = assertThrows(ModuleException.class, () -> s.run(Map.of("image", x), List.of("probabilities")));
        assertTrue(in.getMessage().contains("Unknown input 'image'") && in.getMessage().contains("[input]"), in.getMessage());
        assertTrue(in.getMessage().contains(classifier.getFileName().toString()), in.getMessage());
        assertFalse(in.isTransient());

        ModuleException out = assertThrows(ModuleException.class, () -> s.run(Map.of("input", x), List.of("softmax")));
        assertTrue(out.getMessage().contains("Unknown output 'softmax'")
                && out.getMessage().contains("[probabilities, logits]"), out.getMessage());
    }

    @Test
    void wrongShapeSaysWhatWasExpected() throws Exception {
        ModelSession s = module.load(Backend.ONNX, classifier);
        ModuleException e = assertThrows(ModuleException.class,
                () -> s.run(Map.of("input", new Tensor(new long[] {1, 4}, new float[4])), List.of("probabilities")));
        assertTrue(e.getMessage().contains("expects shape [-1, 3]") && e.getMessage().contains("got [1, 4]"), e.getMessage());
        ModuleException rank = assertThrows(ModuleException.class,
                () -> s.run(Map.of("input", new Tensor(new long[] {3}, new float[3])), List.of("probabilities")));
        assertTrue(rank.getMessage().contains("got [3]"), rank.getMessage());
    }

    @Test
    void otherElementTypesAreRejectedByName() throws Exception {
        ModelSession s = module.load(Backend.ONNX, mixedTypes);
        Tensor v = new Tensor(new long[] {2}, new float[] {1.4f, 2.6f});
        ModuleException in = assertThrows(ModuleException.class,
                () -> s.run(Map.of("x", v, "ids", v), List.of("ids_float")));
        assertTrue(in.getMessage().contains("'ids'") && in.getMessage().contains("INT64")
                && in.getMessage().contains("only float32"), in.getMessage());
        ModuleException out = assertThrows(ModuleException.class, () -> s.run(Map.of("x", v), List.of("x_int")));
        assertTrue(out.getMessage().contains("Output 'x_int'") && out.getMessage().contains("INT64"), out.getMessage());
    }

    @Test
    void missingInputIsNamed() throws Exception {
        ModelSession s = module.load(Backend.ONNX, mixedTypes);
        ModuleException e = assertThrows(ModuleException.class,
                () -> s.run(Map.of("x", new Tensor(new long[] {1}, new float[1])), List.of("ids_float")));
        assertTrue(e.getMessage().contains("Missing input(s) [ids]"), e.getMessage());
    }

    @Test
    void missingFileAndDirectoryAreExplained() {
        ModuleException missing = assertThrows(ModuleException.class,
                () -> module.load(Backend.ONNX, dir.resolve("nope.onnx")));
        assertTrue(missing.getMessage().contains("not found: " + dir.resolve("nope.onnx"))
                && missing.getMessage().contains("classifier.onnx"), missing.getMessage());
        ModuleException directory = assertThrows(ModuleException.class, () -> module.load(Backend.ONNX, dir));
        assertTrue(directory.getMessage().contains("is a directory"), directory.getMessage());
    }

    @Test
    void corruptFileIsAModuleExceptionNotACrash() throws IOException {
        byte[] junk = new byte[4096];
        new Random(42).nextBytes(junk);
        Path corrupt = Files.write(dir.resolve("corrupt.onnx"), junk);
        ModuleException e = assertThrows(ModuleException.class, () -> module.load(Backend.ONNX, corrupt));
        assertTrue(e.getMessage().startsWith("Cannot load ONNX model " + corrupt.toRealPath()), e.getMessage());
        Path empty = Files.write(dir.resolve("empty.onnx"), new byte[0]);
        assertThrows(ModuleException.class, () -> module.load(Backend.ONNX, empty));
    }

    @Test
    void sameFileSameSessionOtherThreadBudgetOtherSession() throws Exception {
        ModelSession a = module.load(Backend.ONNX, classifier);
        ModelSession b = engine.forModule("other", 1).load(Backend.ONNX, dir.resolve("./classifier.onnx"));
        assertSame(a, b);
        ModelSession c = engine.forModule("wide", 2).load(Backend.ONNX, classifier);
        assertNotSame(a, c);
        Tensor x = new Tensor(new long[] {3, 3}, X);
        assertArrayEquals(a.run(Map.of("input", x), List.of("logits")).get("logits").data(),
                c.run(Map.of("input", x), List.of("logits")).get("logits").data());
    }

    @Test
    void changedFileIsReloadedAndTheOldSessionClosesWithItsLastHolder() throws Exception {
        Path file = OnnxTestModels.writeClassifier(dir.resolve("reloaded.onnx"));
        try (HostInferenceEngine own = new HostInferenceEngine()) {
            ModuleInference view = own.forModule("reload", 1);
            ModelSession first = view.load(Backend.ONNX, file);
            assertSame(first, view.load(Backend.ONNX, file));

            OnnxTestModels.writeClassifier(file);
            Files.setLastModifiedTime(file, FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() + 10_000));
            ModelSession second = view.load(Backend.ONNX, file);
            assertNotSame(first, second);
            assertEquals(2, own.openSessionCount());

            Tensor x = new Tensor(new long[] {1, 3}, new float[] {1, 2, 3});
            first.run(Map.of("input", x), List.of()); // still held by the view: still usable
            view.close();
            assertEquals(1, own.openSessionCount());
            ModuleException closed = assertThrows(ModuleException.class, () -> first.run(Map.of("input", x), List.of()));
            assertTrue(closed.isTransient(), closed.getMessage());
            second.run(Map.of("input", x), List.of()); // current sessions stay cached
        }
    }

    @Test
    void switchingASymbolicLinkRetiresTheOldVersion() throws Exception {
        Path v1 = OnnxTestModels.writeClassifier(dir.resolve("v1/model.onnx"));
        Path v2 = OnnxTestModels.writeClassifier(dir.resolve("v2/model.onnx"));
        Path current = dir.resolve("current.onnx");
        Files.createSymbolicLink(current, v1);
        try (HostInferenceEngine own = new HostInferenceEngine()) {
            ModuleInference view = own.forModule("link", 1);
            ModelSession first = view.load(Backend.ONNX, current);
            Files.delete(current);
            Files.createSymbolicLink(current, v2);
            ModelSession second = view.load(Backend.ONNX, current);
            assertNotSame(first, second);
            assertEquals(2, own.openSessionCount());
            view.close();
            assertEquals(1, own.openSessionCount(), "v1 is closed once its last holder lets go");
        }
    }

    @Test
    void concurrentLoadsShareOneSessionAndConcurrentRunsAreCorrect() throws Exception {
        Path file = OnnxTestModels.writeClassifier(dir.resolve("concurrent.onnx"));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try (HostInferenceEngine own = new HostInferenceEngine()) {
            List<Callable<ModelSession>> loads = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                ModuleInference view = own.forModule("m" + i, 1);
                loads.add(() -> view.load(Backend.ONNX, file));
            }
            List<Future<ModelSession>> sessions = pool.invokeAll(loads);
            for (Future<ModelSession> f : sessions) {
                assertSame(sessions.get(0).get(), f.get());
            }
            assertEquals(1, own.openSessionCount());

            ModelSession s = sessions.get(0).get();
            List<Callable<Boolean>> runs = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                float[] x = {i, -i, i * 0.5f};
                runs.add(() -> {
                    float[] got = s.run(Map.of("input", new Tensor(new long[] {1, 3}, x)), List.of("logits"))
                            .get("logits").data();
                    assertArrayEquals(OnnxTestModels.expectedLogits(x), got, 1e-4f);
                    return true;
                });
            }
            for (Future<Boolean> f : pool.invokeAll(runs)) {
                assertTrue(f.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void closedEngineFailsTransiently() throws Exception {
        Path file = OnnxTestModels.writeClassifier(dir.resolve("closing.onnx"));
        HostInferenceEngine own = new HostInferenceEngine();
        ModuleInference view = own.forModule("closing", 1);
        ModelSession s = view.load(Backend.ONNX, file);
        own.close();
        assertEquals(0, own.openSessionCount());
        ModuleException run = assertThrows(ModuleException.class,
                () -> s.run(Map.of("input", new Tensor(new long[] {1, 3}, new float[3])), List.of()));
        assertTrue(run.isTransient());
        ModuleException load = assertThrows(ModuleException.class, () -> view.load(Backend.ONNX, file));
        assertTrue(load.isTransient());
    }

    @Test
    void onnxAloneNeverLoadsTensorFlow() throws Exception {
        try (HostInferenceEngine own = new HostInferenceEngine()) {
            own.forModule("onnx-only", 1).load(Backend.ONNX, classifier);
            List<String> runtimes = own.loadedRuntimes();
            assertEquals(1, runtimes.size(), runtimes.toString());
            assertTrue(runtimes.get(0).startsWith("ONNX Runtime 1.23"), runtimes.toString());
        }
    }
}
