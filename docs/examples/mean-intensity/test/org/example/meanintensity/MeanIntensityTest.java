package org.example.meanintensity;

import org.junit.jupiter.api.Test;
import org.radflow.api.AiModule;
import org.radflow.api.ModuleException;
import org.radflow.api.ModuleResult;
import org.radflow.api.StudyInput;
import org.radflow.moduletest.ModuleResults;
import org.radflow.moduletest.TestJob;
import org.radflow.moduletest.TestModuleContext;
import org.radflow.moduletest.TestStudies;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The example module under the module test kit (org.radflow:radflow-module-testkit, test scope). */
class MeanIntensityTest {

    @Test
    void reportsTheMeanOfEachSeries() throws Exception {
        StudyInput study = TestStudies.study("1.2.3")
                .series(Map.of("Modality", "MR"), TestStudies.plane(2, 2, new float[] {10, 20, 30, 40}))
                .build();
        try (AiModule module = TestModuleContext.builder(new MeanIntensityFactory()).create()) {
            ModuleResult result = ModuleResults.assertCompleted(module.process(study, new TestJob()));
            ModuleResults.assertMeasurement(result, "Mean pixel value", 25.0, 1e-9, "1");
        }
    }

    @Test
    void aSeriesWithoutImagesIsNotApplicable() throws Exception {
        StudyInput study = TestStudies.study("1.2.3").series(Map.of("Modality", "SR")).build();
        try (AiModule module = TestModuleContext.builder(new MeanIntensityFactory()).create()) {
            ModuleResults.assertNotApplicable(module.process(study, new TestJob()), "no image");
        }
    }

    @Test
    void stopsWhenTheJobIsCancelled() throws Exception {
        StudyInput study = TestStudies.study("1.2.3")
                .series(Map.of("Modality", "MR"), TestStudies.plane(1, 1, new float[] {1}))
                .build();
        TestJob job = new TestJob("cancelled-job");
        job.cancel();
        try (AiModule module = TestModuleContext.builder(new MeanIntensityFactory()).create()) {
            ModuleException e = assertThrows(ModuleException.class, () -> module.process(study, job));
            assertEquals("job cancelled-job was cancelled", e.getMessage());
        }
    }
}
