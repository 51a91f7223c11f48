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
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.radflow.inference.TensorFlowTestModels.INPUT;
import static org.radflow.inference.TensorFlowTestModels.OUTPUT;
import static org.radflow.inference.TensorFlowTestModels.SIGNATURE_INPUT;
import static org.radflow.inference.TensorFlowTestModels.SIGNATURE_OUTPUT;

class TensorFlowInferenceTest {

    @TempDir
    static Path dir;
    static Path savedModel;
    static Path checkpoint;
    static HostInferenceEngine engine;
    static ModuleInference module;

    private static final float[] X = TensorFlowTestModels.input(3);
    private static final Tensor BATCH = new Tensor(new long[] {3, 4, 4, 3}, X);

    @BeforeAll
    static void models() throws IOException {
        savedModel = TensorFlowTestModels.writeSavedModel(dir.resolve("saved"));
        checkpoint = TensorFlowTestModels.writeCheckpoint(dir.resolve("covidnet"));
        engine = new HostInferenceEngine();
        module = engine.forModule("test", 1);
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    private static void assertProbabilities(Tensor t) {
        assertArrayEquals(new long[] {3, 2}, t.shape());
        assertArrayEquals(TensorFlowTestModels.expected(X), t.data(), 1e-5f);
    }

    @Test
    void savedModelRunsBySignatureKeysAndByTensorNames() throws Exception {
        ModelSession s = module.load(Backend.TENSORFLOW_SAVED_MODEL, savedModel);
        assertEquals(List.of(SIGNATURE_INPUT), s.inputNames());
        assertEquals(List.of(SIGNATURE_OUTPUT), s.outputNames());
        assertProbabilities(s.run(Map.of(SIGNATURE_INPUT, BATCH), List.of(SIGNATURE_OUTPUT)).get(SIGNATURE_OUTPUT));
        assertProbabilities(s.run(Map.of(INPUT, BATCH), List.of(OUTPUT)).get(OUTPUT));
        assertProbabilities(s.run(Map.of("input_1", BATCH), List.of("norm_dense_1/Softmax")).get("norm_dense_1/Softmax"));
    }

    @Test
    void checkpointRestoresTheTrainedVariables() throws Exception {
        ModelSession s = module.load(Backend.TENSORFLOW_CHECKPOINT, checkpoint);
        assertEquals(List.of(INPUT), s.inputNames());
        assertEquals(List.of(OUTPUT), s.outputNames());
        Map<String, Tensor> out = s.run(Map.of(INPUT, BATCH), List.of(OUTPUT));
        assertProbabilities(out.get(OUTPUT));
        // the intermediate logits can be fetched by tensor name, too
        Tensor logits = s.run(Map.of(INPUT, BATCH), List.of("dense_1/BiasAdd:0")).get("dense_1/BiasAdd:0");
        assertArrayEquals(new long[] {3, 2}, logits.shape());
    }

    @Test
    void checkpointCanBeNamedByDirectoryOrByItsFiles() throws Exception {
        ModelSession byPrefix = module.load(Backend.TENSORFLOW_CHECKPOINT, checkpoint);
        assertSame(byPrefix, module.load(Backend.TENSORFLOW_CHECKPOINT, checkpoint.getParent()));
        assertSame(byPrefix, module.load(Backend.TENSORFLOW_CHECKPOINT, dir.resolve("covidnet/model-1.index")));
    }

    @Test
    void unknownNamesListTheKnownOnes() throws Exception {
        ModelSession saved = module.load(Backend.TENSORFLOW_SAVED_MODEL, savedModel);
        ModuleException in = assertThrows(ModuleException.class, () -> saved.run(Map.of("input_2:0", BATCH), List.of()));
        assertTrue(in.getMessage().contains("Unknown input 'input_2:0'") && in.getMessage().contains("[image]")
                && in.getMessage().contains("[input_1:0]"), in.getMessage());
        ModuleException out = assertThrows(ModuleException.class,
                () -> saved.run(Map.of(SIGNATURE_INPUT, BATCH), List.of("norm_dense_2/Softmax:0")));
        assertTrue(out.getMessage().contains("Unknown output 'norm_dense_2/Softmax:0'")
                && out.getMessage().contains("[probabilities]"), out.getMessage());

        ModelSession ckpt = module.load(Backend.TENSORFLOW_CHECKPOINT, checkpoint);
        ModuleException bad = assertThrows(ModuleException.class, () -> ckpt.run(Map.of("input_1:7", BATCH), List.of()));
        assertTrue(bad.getMessage().contains("[input_1:0]"), bad.getMessage());
        ModuleException badOut = assertThrows(ModuleException.class, () -> ckpt.run(Map.of(INPUT, BATCH), List.of("x:y")));
        assertTrue(badOut.getMessage().contains("[" + OUTPUT + "]"), badOut.getMessage());
    }

    @Test
    void wrongShapeAndWrongTypeAreExplained() throws Exception {
        ModelSession s = module.load(Backend.TENSORFLOW_CHECKPOINT, checkpoint);
        ModuleException nchw = assertThrows(ModuleException.class,
                () -> s.run(Map.of(INPUT, new Tensor(new long[] {1, 3, 4, 4}, new float[48])), List.of(OUTPUT)));
        assertTrue(nchw.getMessage().contains("expects shape [-1, 4, 4, 3]") && nchw.getMessage().contains("[1, 3, 4, 4]"),
                nchw.getMessage());
        ModuleException sig = assertThrows(ModuleException.class, () -> module.load(Backend.TENSORFLOW_SAVED_MODEL, savedModel)
                .run(Map.of(SIGNATURE_INPUT, new Tensor(new long[] {48}, new float[48])), List.of()));
        assertTrue(sig.getMessage().contains("Input 'image'") && sig.getMessage().contains("got [48]"), sig.getMessage());
        // the saver's file name is a string tensor
        ModuleException type = assertThrows(ModuleException.class,
                () -> s.run(Map.of("save/Const:0", new Tensor(new long[] {}, new float[1])), List.of(OUTPUT)));
        assertTrue(type.getMessage().contains("'save/Const:0'") && type.getMessage().contains("DT_STRING"),
                type.getMessage());
    }

    @Test
    void missingModelsAreExplained() {
        ModuleException prefix = assertThrows(ModuleException.class,
                () -> module.load(Backend.TENSORFLOW_CHECKPOINT, dir.resolve("covidnet/model-8485")));
        assertTrue(prefix.getMessage().contains("model-8485.index is missing")
                && prefix.getMessage().contains("model-1.index"), prefix.getMessage());
        ModuleException noDir = assertThrows(ModuleException.class,
                () -> module.load(Backend.TENSORFLOW_SAVED_MODEL, dir.resolve("absent")));
        assertTrue(noDir.getMessage().contains("not found"), noDir.getMessage());
        ModuleException notSaved = assertThrows(ModuleException.class,
                () -> module.load(Backend.TENSORFLOW_SAVED_MODEL, checkpoint.getParent()));
        assertTrue(notSaved.getMessage().contains("no saved_model.pb"), notSaved.getMessage());
    }

    @Test
    void corruptFilesGiveModuleExceptions() throws IOException {
        Random random = new Random(7);
        byte[] junk = new byte[8192];

        Path saved = copy(savedModel, dir.resolve("corrupt-saved"));
        random.nextBytes(junk);
        Files.write(saved.resolve("saved_model.pb"), junk);
        ModuleException pb = assertThrows(ModuleException.class, () -> module.load(Backend.TENSORFLOW_SAVED_MODEL, saved));
        assertTrue(pb.getMessage().contains("saved_model.pb"), pb.getMessage());

        Path meta = copy(checkpoint.getParent(), dir.resolve("corrupt-meta"));
        random.nextBytes(junk);
        Files.write(meta.resolve("model.meta"), junk);
        ModuleException m = assertThrows(ModuleException.class,
                () -> module.load(Backend.TENSORFLOW_CHECKPOINT, meta.resolve("model-1")));
        assertTrue(m.getMessage().contains("model.meta"), m.getMessage());

        Path data = copy(checkpoint.getParent(), dir.resolve("corrupt-data"));
        random.nextBytes(junk);
        Files.write(data.resolve("model-1.index"), junk);
        Files.write(data.resolve("model-1.data-00000-of-00001"), junk);
        ModuleException d = assertThrows(ModuleException.class,
                () -> module.load(Backend.TENSORFLOW_CHECKPOINT, data.resolve("model-1")));
        assertTrue(d.getMessage().contains("Cannot restore"), d.getMessage());

        Path savedVariables = copy(savedModel, dir.resolve("corrupt-variables"));
        random.nextBytes(junk);
        Files.write(savedVariables.resolve("variables/variables.index"), junk);
        assertThrows(ModuleException.class, () -> module.load(Backend.TENSORFLOW_SAVED_MODEL, savedVariables));
    }

    @Test
    void cachedPerFilesAndThreadsAndReloadedWhenTheCheckpointChanges() throws Exception {
        Path copy = copy(checkpoint.getParent(), dir.resolve("reload"));
        try (HostInferenceEngine own = new HostInferenceEngine()) {
            ModuleInference view = own.forModule("reload", 1);
            ModelSession first = view.load(Backend.TENSORFLOW_CHECKPOINT, copy.resolve("model-1"));
            assertSame(first, view.load(Backend.TENSORFLOW_CHECKPOINT, copy.resolve("model-1")));
            assertNotSame(first, own.forModule("two-threads", 2).load(Backend.TENSORFLOW_CHECKPOINT, copy.resolve("model-1")));

            Path data = copy.resolve("model-1.data-00000-of-00001");
            Files.setLastModifiedTime(data, FileTime.fromMillis(Files.getLastModifiedTime(data).toMillis() + 10_000));
            ModelSession second = view.load(Backend.TENSORFLOW_CHECKPOINT, copy.resolve("model-1"));
            assertNotSame(first, second);
            assertProbabilities(second.run(Map.of(INPUT, BATCH), List.of(OUTPUT)).get(OUTPUT));
            assertProbabilities(first.run(Map.of(INPUT, BATCH), List.of(OUTPUT)).get(OUTPUT));
        }
    }

    private static Path copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        return to;
    }
}
