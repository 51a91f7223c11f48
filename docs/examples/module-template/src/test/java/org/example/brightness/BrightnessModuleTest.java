package org.example.brightness;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.AiModule;
import org.radflow.api.ModuleException;
import org.radflow.api.ModuleResult;
import org.radflow.moduletest.ModuleResults;
import org.radflow.moduletest.ReportPreview;
import org.radflow.moduletest.SampleStudies;
import org.radflow.moduletest.TestJob;
import org.radflow.moduletest.TestModuleContext;
import org.radflow.moduletest.TestStudies;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The module under the RadFlow module test kit: its configuration checked as the server checks it, a synthetic MR
 * decoded by the server's own code, the real ONNX model, and the report the server would send, written to
 * target/radflow-preview/ (page.png, sr.txt, sr.dcm, page.dcm) to look at.
 */
class BrightnessModuleTest {

    static final Path MODELS = Path.of(System.getProperty("template.models", "target/dropin/template-brightness/models"));
    static final Path PREVIEW = Path.of(System.getProperty("template.preview", "target/radflow-preview"));

    @Test
    void classifiesASyntheticMrAndWritesTheReport(@TempDir Path dir) throws Exception {
        BrightnessFactory factory = new BrightnessFactory();
        List<Path> mr = SampleStudies.brainMr(dir, 1);
        try (AiModule module = TestModuleContext.builder(factory).modelDirectory(MODELS).create()) {
            ReportPreview preview = ReportPreview.run(module, factory.descriptor(), mr, PREVIEW);
            ModuleResult result = ModuleResults.assertCompleted(preview.result());
            double mean = ModuleResults.measurement(result, "Mean intensity relative to maximum").value();
            assertTrue(mean > 0 && mean < 1, "a fraction of the maximum: " + mean);
            // the model: p(bright) = sigmoid(20 * mean - 10)
            ModuleResults.assertProbability(result, "Bright", 1 / (1 + Math.exp(-(20 * mean - 10))), 1e-4);
            ModuleResults.assertPredicted(result, mean >= 0.5 ? "BRIGHT" : "DARK");
            assertTrue(preview.srContent().contains("Overall brightness"), preview.srContent());
            assertTrue(Files.size(preview.pagePng()) > 0);
        }
    }

    @Test
    void refusesABadThresholdAndABlankSeries() throws Exception {
        ModuleException e = assertThrows(ModuleException.class, () -> TestModuleContext.builder(new BrightnessFactory())
                .modelDirectory(MODELS).config("brightThreshold", 2).create());
        assertTrue(e.getMessage().contains("modules.template-brightness.config.brightThreshold"), e.getMessage());

        try (AiModule module = TestModuleContext.builder(new BrightnessFactory()).modelDirectory(MODELS).create()) {
            ModuleResult blank = module.process(TestStudies.study("1.2.3")
                    .series(Map.of("Modality", "MR"), TestStudies.plane(2, 2, new float[] {0, 0, 0, 0})).build(), new TestJob());
            ModuleResults.assertNotApplicable(blank, "blank");
        }
    }
}
