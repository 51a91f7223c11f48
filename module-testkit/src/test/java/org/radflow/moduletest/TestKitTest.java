package org.radflow.moduletest;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.TagFromName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;
import org.radflow.api.AiModule;
import org.radflow.api.AiModuleFactory;
import org.radflow.api.ApiVersion;
import org.radflow.api.Concept;
import org.radflow.api.ConfigProperty;
import org.radflow.api.Finding;
import org.radflow.api.ImagePlane;
import org.radflow.api.ModuleContext;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleException;
import org.radflow.api.ModuleResult;
import org.radflow.api.StudyInput;
import org.radflow.api.Volume;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TestKitTest {

    static final Concept MEAN = new Concept("99TEST", "MEAN", "Mean pixel value");
    static final Concept LABEL = new Concept("99TEST", "BRIGHT", "Bright");

    /** Mean of every plane times {@code scale}; reports progress per series, stops when cancelled. */
    static final class MeanFactory implements AiModuleFactory {
        @Override
        public ModuleDescriptor descriptor() {
            return ModuleDescriptor.builder("mean", "1.0", ApiVersion.MAJOR, ApiVersion.MINOR)
                    .config(ConfigProperty.number("scale", "Multiplier", 1).range(0, 10))
                    .config(ConfigProperty.choice("mode", "What to compute", "mean", "mean", "max"))
                    .build();
        }

        @Override
        public AiModule create(ModuleContext context) {
            double scale = context.config().getDouble("scale");
            return (input, job) -> {
                double sum = 0;
                long n = 0;
                List<String> uids = new ArrayList<>();
                int done = 0;
                for (StudyInput.SeriesInput series : input.series()) {
                    for (StudyInput.InstanceInput instance : series.instances()) {
                        if (instance.frames() == 0) {
                            continue;
                        }
                        for (float v : instance.plane().pixels()) {
                            sum += v;
                            n++;
                        }
                        uids.add(instance.sopInstanceUid());
                    }
                    job.progress(++done / (double) input.series().size(), "series " + done);
                    job.checkCancelled();
                }
                if (n == 0) {
                    return ModuleResult.notApplicable("no pixels");
                }
                double mean = scale * sum / n;
                return ModuleResult.completed(List.of(
                        new Finding.Measurement(MEAN, MEAN, mean, Concept.ucum("1", "no units"), MEAN, uids),
                        new Finding.Classification(LABEL, List.of(new Finding.ClassProbability(LABEL, Math.min(1, mean / 100))),
                                LABEL, uids)), List.of(), "mean " + mean, Map.of());
            };
        }
    }

    @Test
    void configuration_is_checked_as_the_server_checks_it() throws Exception {
        ModuleException e = assertThrows(ModuleException.class,
                () -> TestModuleContext.builder(new MeanFactory()).config("scale", 11).config("mode", "median").create());
        assertEquals("module mean is not offered: modules.mean.config.mode: 'median' is not allowed; give one of mean, max; "
                + "modules.mean.config.scale: '11' is above the maximum 10.0; give a number from 0 to 10", e.getMessage());
        ModuleException unknown = assertThrows(ModuleException.class,
                () -> TestModuleContext.builder(new MeanFactory()).config("scael", 2).build());
        assertTrue(unknown.getMessage().contains("did you mean 'modules.mean.config.scale'?"), unknown.getMessage());

        TestModuleContext context = TestModuleContext.builder(new MeanFactory()).config("scale", "2").build();
        assertEquals(2.0, context.config().getDouble("scale"));
        assertEquals("mean", context.config().getChoice("mode"), "the default");
    }

    @Test
    void arrays_make_planes_volumes_and_studies() throws Exception {
        ImagePlane plane = TestStudies.plane(2, 2, new short[] {0, 100, 200, 300});
        Volume volume = TestStudies.volume(2, 2, 2, new float[] {1, 1, 1, 1, 3, 3, 3, 3}, 0.5, 0.5, 2);
        assertEquals(2.0, volume.voxelVolumeMm3() * 4);
        StudyInput study = TestStudies.study("1.2.3").tag("PatientAge", "070Y")
                .series(Map.of("Modality", "CR"), plane)
                .series(Map.of("Modality", "MR"), volume)
                .build();
        assertEquals(List.of("CR", "MR"), study.series().stream().map(s -> s.tags().get("Modality").orElseThrow()).toList());
        assertEquals("070Y", study.series().get(1).tags().get("PatientAge").orElseThrow());
        assertEquals(volume, study.series().get(1).volume());
        assertEquals(3.0f, study.series().get(1).instances().get(1).plane().at(1, 1));

        TestJob job = new TestJob();
        try (AiModule module = TestModuleContext.builder(new MeanFactory()).config("scale", 0.5).create()) {
            ModuleResult r = ModuleResults.assertCompleted(module.process(study, job));
            ModuleResults.assertMeasurement(r, "Mean pixel value", 0.5 * (600 + 16) / 12.0, 1e-9, "1");
            ModuleResults.assertProbability(r, "Bright", 0.5 * (600 + 16) / 12.0 / 100, 1e-9);
            ModuleResults.assertPredicted(r, "BRIGHT");
            assertThrows(AssertionFailedError.class, () -> ModuleResults.assertMeasurement(r, "Mean pixel value", 1, 0.1, "1"));
            assertThrows(AssertionFailedError.class, () -> ModuleResults.assertNotApplicable(r, "no pixels"));
        }
        assertEquals(List.of(0.5, 1.0), job.progress());
        assertEquals(List.of("series 1", "series 2"), job.messages());
    }

    @Test
    void a_job_is_cancelled_on_demand() throws Exception {
        StudyInput study = TestStudies.study("1.2.3")
                .series(Map.of("Modality", "CR"), TestStudies.plane(1, 1, new float[] {1}))
                .series(Map.of("Modality", "CR"), TestStudies.plane(1, 1, new float[] {2}))
                .build();
        TestJob job = new TestJob("j-cancel").cancelAtProgress(0.5);
        try (AiModule module = TestModuleContext.builder(new MeanFactory()).create()) {
            ModuleException e = assertThrows(ModuleException.class, () -> module.process(study, job));
            assertEquals("job j-cancel was cancelled", e.getMessage());
        }
        assertEquals(List.of(0.5), job.progress());
        TestJob now = new TestJob();
        now.cancel();
        assertTrue(now.isCancelled());
    }

    @Test
    void dicom_files_are_decoded_by_the_server_code(@TempDir Path dir) throws Exception {
        GeneratedSeries mr = Synth.brainMr(dir, MrOptions.defaults().withSeed(5));
        StudyInput study = TestStudies.dicom(mr.files());
        assertEquals(mr.studyInstanceUid(), study.studyInstanceUid());
        assertEquals("MR", study.series().get(0).tags().get("Modality").orElseThrow());
        Volume volume = study.series().get(0).volume();
        assertEquals(mr.files().size(), volume.slices());
        try (AiModule module = TestModuleContext.builder(new MeanFactory()).create()) {
            ModuleResult r = ModuleResults.assertCompleted(module.process(study, new TestJob()));
            assertTrue(ModuleResults.measurement(r, "MEAN").value() > 0);
        }
    }

    @Test
    void the_report_is_rendered_offline_by_the_server_writers(@TempDir Path dir) throws Exception {
        GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withSeed(7));
        MeanFactory factory = new MeanFactory();
        ReportPreview preview;
        try (AiModule module = TestModuleContext.builder(factory).config("scale", 2).create()) {
            preview = ReportPreview.run(module, factory.descriptor(), mr.files(), dir.resolve("preview"));
        }
        double mean = ModuleResults.measurement(preview.result(), "MEAN").value();

        // the SR: a Comprehensive SR of the input's study carrying the module's measurement
        AttributeList sr = new AttributeList();
        sr.read(preview.sr().toString());
        assertEquals("1.2.840.10008.5.1.4.1.1.88.33", Attribute.getSingleStringValueOrEmptyString(sr,
                TagFromName.SOPClassUID));
        assertEquals(mr.studyInstanceUid(), Attribute.getSingleStringValueOrEmptyString(sr,
                TagFromName.StudyInstanceUID));
        assertTrue(preview.srContent().contains("Mean pixel value"), preview.srContent());
        assertEquals(preview.srContent(), Files.readString(preview.directory().resolve("sr.txt")));

        // the page: a Secondary Capture and the same page as a PNG an author opens
        AttributeList page = new AttributeList();
        page.read(preview.page().toString());
        assertEquals("1.2.840.10008.5.1.4.1.1.7", Attribute.getSingleStringValueOrEmptyString(page,
                TagFromName.SOPClassUID));
        BufferedImage png = ImageIO.read(preview.pagePng().toFile());
        assertEquals(1024, png.getWidth());
        assertEquals(Attribute.getSingleIntegerValueOrDefault(page, TagFromName.Rows, -1),
                png.getHeight());
        assertTrue(preview.segmentations().isEmpty(), "no masks, no SEG");
        assertTrue(mean > 0);

        // same inputs, module and version: the same UIDs as the server would give; a second preview replaces the first
        Path stale = Files.writeString(preview.directory().resolve("seg-2.dcm"), "from an earlier preview");
        ReportPreview again = ReportPreview.write(factory.descriptor(), preview.result(), mr.files(), preview.directory());
        assertFalse(Files.exists(stale), "an earlier preview's SEG is removed");
        AttributeList sr2 = new AttributeList();
        sr2.read(again.sr().toString());
        assertEquals(Attribute.getSingleStringValueOrEmptyString(sr, TagFromName.SOPInstanceUID),
                Attribute.getSingleStringValueOrEmptyString(sr2, TagFromName.SOPInstanceUID));
    }

    @Test
    void a_report_preview_says_why_it_cannot_be_made(@TempDir Path dir) throws Exception {
        GeneratedSeries one = Synth.brainMr(dir.resolve("a"), MrOptions.defaults().withSeed(8));
        MeanFactory factory = new MeanFactory();
        IllegalStateException notCompleted = assertThrows(IllegalStateException.class, () -> ReportPreview.write(
                factory.descriptor(), ModuleResult.notApplicable("no pixels"), one.files(), dir.resolve("out")));
        assertTrue(notCompleted.getMessage().contains("NOT_APPLICABLE ('no pixels')"), notCompleted.getMessage());

        GeneratedSeries other = Synth.brainMr(dir.resolve("b"), MrOptions.defaults().withSeed(9));
        List<Path> twoStudies = new ArrayList<>(one.files());
        twoStudies.addAll(other.files());
        ModuleResult done = ModuleResult.completed(List.of(), List.of(), "nothing", Map.of());
        IllegalArgumentException mixed = assertThrows(IllegalArgumentException.class,
                () -> ReportPreview.write(factory.descriptor(), done, twoStudies, dir.resolve("out")));
        assertTrue(mixed.getMessage().contains("span 2 studies"), mixed.getMessage());
    }

    @Test
    void sample_studies_are_dicom_files_the_server_code_decodes(@TempDir Path dir) throws Exception {
        Map<String, List<Path>> samples = Map.of("MR", SampleStudies.brainMr(dir.resolve("mr"), 3),
                "CT", SampleStudies.chestCt(dir.resolve("ct"), 3), "DX", SampleStudies.chestRadiograph(dir.resolve("cr"), 3));
        for (Map.Entry<String, List<Path>> sample : samples.entrySet()) {
            StudyInput study = TestStudies.dicom(sample.getValue());
            assertEquals(sample.getKey(), study.series().get(0).tags().get("Modality").orElseThrow());
            assertEquals(sample.getValue().size(), study.series().get(0).instances().size());
            assertTrue(study.series().get(0).instances().get(0).plane().pixels().length > 0, sample.getKey());
        }
        assertEquals(TestStudies.dicom(SampleStudies.brainMr(dir.resolve("again"), 3)).studyInstanceUid(),
                TestStudies.dicom(samples.get("MR")).studyInstanceUid(), "the same seed, the same study");
    }
}
