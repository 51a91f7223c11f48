package org.radflow.hippovolume;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DecimalStringAttribute;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.OtherWordAttribute;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.TransferSyntax;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.AiModule;
import org.radflow.api.AiModuleFactory;
import org.radflow.api.ConfigProperty;
import org.radflow.api.Finding;
import org.radflow.api.InferenceEngine;
import org.radflow.api.KeyImage;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleException;
import org.radflow.api.ModuleResult;
import org.radflow.api.Trigger;
import org.radflow.api.Volume;
import org.radflow.api.StudyInput;
import org.radflow.inference.HostInferenceEngine;
import org.radflow.moduletest.TestJob;
import org.radflow.moduletest.TestModuleContext;
import org.radflow.moduletest.TestStudies;
import org.radflow.testdata.ChestOptions;
import org.radflow.testdata.CtOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.GeneratedVolume;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Patient;
import org.radflow.testdata.Synth;
import org.radflow.testkit.OnnxModels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The module below the scheduler: synthetic MR volumes from the generator, decoded and assembled by the platform's
 * own {@code SpoolStudyInput} (through the module test kit), and deterministic ONNX models written at test time (a 1x1 convolution whose three
 * logits are linear in the intensity, so the argmax follows intensity thresholds) run by the real
 * {@link HostInferenceEngine}.
 */
class HippoVolumeModuleTest {

    @TempDir
    static Path dir;
    static Path models;
    static HostInferenceEngine engine;

    @BeforeAll
    static void setUp() throws IOException {
        models = Files.createDirectories(dir.resolve("models"));
        // the default model: thresholds 0.25 and 0.75 on min-max normalised intensities
        thresholdModel(models.resolve("hippovolume.onnx"), 0.25, 0.75);
        engine = new HostInferenceEngine();
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    // ------------------------------------------------------------------ descriptor and configuration

    @Test
    void isFoundByServiceLoaderAndDescribesItself() {
        HippoVolumeFactory factory = ServiceLoader.load(AiModuleFactory.class).stream().map(ServiceLoader.Provider::get)
                .filter(HippoVolumeFactory.class::isInstance).map(HippoVolumeFactory.class::cast).findFirst().orElseThrow();
        ModuleDescriptor d = factory.descriptor();
        assertEquals("hippovolume", d.id());
        assertEquals("0.1.0", d.version());
        assertEquals(Trigger.SERIES, d.trigger());
        assertFalse(d.model().demo());
        assertEquals(List.of("seriesDescription", "minSlices", "spacingTolerance", "backend", "model", "inputTensor",
                        "outputTensor", "normalisation", "axis", "batchSize", "normativeTable"),
                d.configProperties().stream().map(ConfigProperty::name).toList());
        assertEquals(Optional.empty(), d.selection().mismatch(tags("Modality", "MR"), Synth.MR_IMAGE));
        assertTrue(d.selection().mismatch(tags("Modality", "CT"), Synth.CT_IMAGE).orElseThrow().contains("Modality"));
    }

    @Test
    void badConfigurationIsRefusedNamingTheKey() {
        for (Map.Entry<String, String> bad : Map.of("normalisation", "zscore", "axis", "oblique", "backend", "pytorch",
                "minSlices", "1", "spacingTolerance", "5", "batchSize", "0", "seriesDescription", "(unclosed").entrySet()) {
            ModuleException e = assertThrows(ModuleException.class, () -> create(Map.of(bad.getKey(), bad.getValue())));
            // the host checks types, ranges and allowed values and names the key at its place; the module checks the regex
            String named = bad.getKey().equals("seriesDescription") ? "'seriesDescription'"
                    : "modules.hippovolume.config." + bad.getKey() + ": '" + bad.getValue() + "'";
            assertTrue(e.getMessage().contains(named), e.getMessage());
        }
        ModuleException outside = assertThrows(ModuleException.class, () -> create(Map.of("model", "../x.onnx")));
        assertTrue(outside.getMessage().contains("inside the model directory"), outside.getMessage());
        ModuleException missing = assertThrows(ModuleException.class, () -> create(Map.of("model", "nope.onnx")));
        assertTrue(missing.getMessage().contains("no model at") && missing.getMessage().contains("convert_hippovolume.py"),
                missing.getMessage());
    }

    @Test
    void aSiteModelIsIdentifiedByItsFileAndHash() throws Exception {
        try (AiModule module = create(Map.of())) {
            assertEquals("hippovolume.onnx", module.model().name());
            assertTrue(module.model().version().matches("sha256:[0-9a-f]{12}"), module.model().version());
            assertFalse(module.model().demo());
        }
    }

    // ------------------------------------------------------------------ volumes

    @Test
    void volumesAreExactAtAnisotropicSpacing() throws Exception {
        GeneratedVolume truth = labelCoded("aniso", MrOptions.defaults().withSpacing(0.9, 0.9, 1.2));
        ModuleResult r = run(Map.of(), truth.series());
        assertEquals(ModuleResult.Status.COMPLETED, r.status(), r.reason());

        long anterior = truth.voxelCount(GeneratedVolume.ANTERIOR);
        long posterior = truth.voxelCount(GeneratedVolume.POSTERIOR);
        assertTrue(anterior > 300 && posterior > 300, anterior + " " + posterior);
        List<Finding.Measurement> m = measurements(r);
        assertEquals(3, m.size());
        assertEquals(Codes.HIPPOCAMPUS, m.get(0).findingSite());
        assertEquals(List.of(Finding.Modifier.topographical(Codes.ANTERIOR)), m.get(0).findingSiteModifiers());
        assertEquals(Codes.HIPPOCAMPUS, m.get(1).findingSite());
        assertEquals(List.of(Finding.Modifier.topographical(Codes.POSTERIOR)), m.get(1).findingSiteModifiers());
        assertEquals(Codes.HIPPOCAMPUS, m.get(2).findingSite());
        assertEquals(List.of(), m.get(2).findingSiteModifiers());
        assertEquals(1, m.get(0).segment().label(), "anterior volume measured on segment 1");
        assertEquals(2, m.get(1).segment().label(), "posterior volume measured on segment 2");
        assertEquals(null, m.get(2).segment(), "the total spans both segments: no single segment referenced");
        double voxel = 0.9 * 0.9 * 1.2;
        assertEquals(truth.volumeMm3(GeneratedVolume.ANTERIOR), m.get(0).value(), 1e-9);
        assertEquals(truth.volumeMm3(GeneratedVolume.POSTERIOR), m.get(1).value(), 1e-9);
        assertEquals((anterior + posterior) * voxel, m.get(2).value(), 1e-9);
        for (Finding.Measurement x : m) {
            assertEquals(Codes.HIPPOCAMPUS, x.finding());
            assertEquals(Codes.VOLUME, x.quantity());
            assertEquals("mm3", x.unit().code());
            assertEquals(32, x.evidenceSopInstanceUids().size());
        }

        // the label map is the ground truth voxel for voxel, on the volume's grid and slice order
        Finding.Segmentation seg = segmentation(r);
        assertArrayEquals(flatten(truth.labels()), seg.labels());
        assertEquals(List.of(1, 2), seg.segments().stream().map(Finding.Segment::label).toList());
        assertEquals(truth.series().sopInstanceUids(), seg.sopInstanceUids());
        assertTrue(seg.segments().get(0).rgb() != seg.segments().get(1).rgb());

        assertEquals("64 x 48", r.parameters().get("planes").replaceAll(".*padded to (\\d+ x \\d+).*", "$1"));
        assertTrue(r.parameters().get("voxelSpacing").startsWith("0.9 x 0.9 x 1.2 mm"), r.parameters().toString());
        assertTrue(r.summary().contains("anterior " + HippoVolumeModule.mm3(anterior * voxel) + " mm³")
                && r.summary().contains("NOT FOR DIAGNOSTIC USE"), r.summary());

        // key images: three stored slices with both colours
        assertEquals(3, r.keyImages().size());
        for (KeyImage k : r.keyImages()) {
            assertTrue(truth.series().sopInstanceUids().contains(k.sourceSopInstanceUid()));
            assertEquals(320, Math.max(k.width(), k.height()));
        }
        assertTrue(r.keyImages().stream().anyMatch(k -> contains(k, Codes.ANTERIOR_RGB))
                && r.keyImages().stream().anyMatch(k -> contains(k, Codes.POSTERIOR_RGB)));
    }

    @Test
    void sliceOrderComesFromPositionsNotInstanceNumbers() throws Exception {
        GeneratedVolume truth = labelCoded("shuffled", MrOptions.defaults().withShuffledInstanceNumbers(true).withSeed(9)
                .withOrientation(MrOptions.Orientation.CORONAL).withSpacing(0.9, 0.9, 1.2));
        ModuleResult r = run(Map.of(), truth.series());
        assertArrayEquals(flatten(truth.labels()), segmentation(r).labels());
        assertEquals(truth.series().sopInstanceUids(), segmentation(r).sopInstanceUids());
        assertEquals(truth.volumeMm3(GeneratedVolume.ANTERIOR) + truth.volumeMm3(GeneratedVolume.POSTERIOR),
                measurements(r).get(2).value(), 1e-9);
    }

    @Test
    void paddingNeverChangesTheLabels() throws Exception {
        // raw intensities (normalisation none): below 0.5 -> ANTERIOR, so every padded pixel (0) would be anterior;
        // 0.5..450.5 -> background, above -> posterior
        Path model = models.resolve("pad-is-anterior.onnx");
        conv(model, new float[] {0f, -1f, 1f}, new float[] {0f, 0.5f, -450.5f}, 3, -1, -1);
        GeneratedVolume g = Synth.brainMrWithLabels(Files.createDirectories(dir.resolve("pad")), MrOptions.defaults());
        Volume v = volume(g.series());
        assertEquals(35, v.columns());
        assertEquals(51, v.rows());
        byte[] expected = new byte[v.voxels().length];
        long anterior = 0;
        for (int i = 0; i < expected.length; i++) {
            float x = v.voxels()[i];
            expected[i] = (byte) (x < 0.5 ? 1 : x > 450.5 ? 2 : 0);
            anterior += expected[i] == 1 ? 1 : 0;
        }
        byte[] first = null;
        for (String batch : List.of("16", "1", "7")) {
            ModuleResult r = run(Map.of("model", "pad-is-anterior.onnx", "normalisation", "none", "batchSize", batch),
                    g.series());
            assertEquals(ModuleResult.Status.COMPLETED, r.status(), r.reason());
            assertArrayEquals(expected, segmentation(r).labels(), "batch " + batch);
            assertEquals(anterior * 1.0, measurements(r).get(0).value(), 1e-9);
            assertTrue(r.parameters().get("planes").startsWith("32 of 51 x 35, padded to 64 x 48"), r.parameters().get("planes"));
            first = first == null ? segmentation(r).labels() : first;
        }
        assertTrue(countOf(first, 2) > 1000, "the model does label posterior voxels");
    }

    @Test
    void normalisationIsWhatTheModelSees() throws Exception {
        GeneratedVolume g = Synth.brainMrWithLabels(Files.createDirectories(dir.resolve("norm")),
                MrOptions.defaults().withSeed(3));
        Volume v = volume(g.series());
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (float f : v.voxels()) {
            min = Math.min(min, f);
            max = Math.max(max, f);
        }
        // thresholds half-way between integer intensities, so no voxel sits on one
        double r1 = 300.5;
        double r2 = 450.5;
        double t1 = (r1 - min) / (max - min);
        double t2 = (r2 - min) / (max - min);
        thresholdModel(models.resolve("norm.onnx"), t1, t2);

        ModuleResult minmax = run(Map.of("model", "norm.onnx"), g.series());
        assertArrayEquals(classify(v.voxels(), r1, r2), segmentation(minmax).labels());
        assertEquals("minmax", minmax.parameters().get("normalisation"));

        ModuleResult none = run(Map.of("model", "norm.onnx", "normalisation", "none"), g.series());
        byte[] raw = classify(v.voxels(), t1, t2); // the raw values against the [0,1] thresholds
        assertArrayEquals(raw, segmentation(none).labels());
        assertTrue(countOf(raw, 2) > raw.length * 0.9, "raw intensities are far above [0, 1]");

        ModuleResult byMax = run(Map.of("model", "norm.onnx", "normalisation", "max"), g.series());
        assertArrayEquals(classify(v.voxels(), t1 * max, t2 * max), segmentation(byMax).labels());
    }

    @Test
    void anotherAxisReadsOtherPlanesOfTheSameGrid() throws Exception {
        GeneratedVolume truth = labelCoded("axis", MrOptions.defaults().withSpacing(0.9, 0.9, 1.2));
        ModuleResult coronal = run(Map.of("axis", "coronal"), truth.series());
        assertArrayEquals(flatten(truth.labels()), segmentation(coronal).labels());
        assertTrue(coronal.parameters().get("axis").contains("row axis"), coronal.parameters().get("axis"));
        assertTrue(coronal.parameters().get("planes").startsWith("51 of 32 x 35, padded to 32 x 48"),
                coronal.parameters().get("planes"));
        ModuleResult sagittal = run(Map.of("axis", "sagittal"), truth.series());
        assertArrayEquals(flatten(truth.labels()), segmentation(sagittal).labels());
        assertTrue(sagittal.parameters().get("planes").startsWith("35 of 32 x 51, padded to 32 x 64"),
                sagittal.parameters().get("planes"));
        ModuleResult axial = run(Map.of("axis", "axial"), truth.series());
        assertTrue(axial.parameters().get("axis").contains("slice axis"), axial.parameters().get("axis"));
    }

    @Test
    void withoutATableNothingIsSaidAboutNorms() throws Exception {
        Patient woman = new Patient("TEST^WOMAN", "W1", "19640101", "F", "062Y");
        ModuleResult r = run(Map.of(), labelCoded("norm-none", MrOptions.defaults().withPatient(woman)).series());
        assertEquals(ModuleResult.Status.COMPLETED, r.status(), r.reason());
        assertTrue(r.findings().stream().noneMatch(Finding.Qualitative.class::isInstance), r.findings().toString());
        for (String word : List.of("percentile", "reference", "normative", "comparison")) { // not "norm": normalisation
            assertFalse(r.summary().toLowerCase(java.util.Locale.ROOT).contains(word), r.summary());
            assertTrue(r.parameters().keySet().stream().noneMatch(k -> k.toLowerCase(java.util.Locale.ROOT).contains(word)),
                    r.parameters().toString());
        }
    }

    /** A fictional table built around the measured total: the band, its citation and caveat reach the result. */
    @Test
    void withATableTheTotalIsPlacedInItsSexAndAgeBand() throws Exception {
        Patient woman = new Patient("TEST^WOMAN", "W1", "19640101", "F", "062Y");
        GeneratedVolume truth = labelCoded("norm-f", MrOptions.defaults().withPatient(woman));
        double total = measurements(run(Map.of(), truth.series())).get(2).value();
        assertTrue(total > 500, "the synthetic hippocampus has a volume: " + total);
        FictionalTables.write(models, "norms-around.csv", FictionalTables.around(total));

        ModuleResult r = run(Map.of("normativeTable", "norms-around.csv"), truth.series()); // relative: model directory
        Finding.Qualitative band = qualitative(r);
        assertEquals(NormativeTable.BAND_CONCEPT, band.concept());
        assertEquals("PCTL-10-50", band.value().code());
        assertEquals("Between the 10th and 50th percentile", band.value().meaning());
        assertEquals(FictionalTables.CITATION, band.method());
        assertTrue(band.comment().contains("compared with women aged 60 to under 65"), band.comment());
        assertTrue(band.comment().contains("not directly comparable"), band.comment());
        assertEquals(truth.series().sopInstanceUids().size(), band.evidenceSopInstanceUids().size());
        assertTrue(r.summary().contains("Compared with women aged 60 to under 65 in the reference table ("
                + FictionalTables.CITATION + "): between the 10th and 50th percentile"), r.summary());
        assertEquals(FictionalTables.CITATION, r.parameters().get("normativeTable"));
        assertEquals("Between the 10th and 50th percentile for women aged 60 to under 65",
                r.parameters().get("normativeComparison"));

        // the same table, the anonymous synthetic patient (sex O, no age): said plainly, no finding
        ModuleResult o = run(Map.of("normativeTable", models.resolve("norms-around.csv").toString()),
                labelCoded("norm-o", MrOptions.defaults()).series());
        assertTrue(o.findings().stream().noneMatch(Finding.Qualitative.class::isInstance), o.findings().toString());
        assertTrue(o.summary().contains("No comparison with the reference table: Patient's Sex is O and the table is for F and M."), o.summary());
        assertEquals("none: Patient's Sex is O and the table is for F and M", o.parameters().get("normativeComparison"));

        // a woman older than the table
        Patient old = new Patient("TEST^OLD", "W2", "19300101", "F", "090Y");
        ModuleResult a = run(Map.of("normativeTable", "norms-around.csv"),
                labelCoded("norm-90", MrOptions.defaults().withPatient(old)).series());
        assertTrue(a.summary().contains("the table has no band for women aged 90"), a.summary());
        assertTrue(a.findings().stream().noneMatch(Finding.Qualitative.class::isInstance));
    }

    @Test
    void aBrokenTableStopsTheModuleAtCreationNamingFileLineAndFix() throws Exception {
        FictionalTables.write(models, "norms-broken.csv", FictionalTables.VALID.replace("F,40,60,10,2000", "F,40,60,10,900"));
        ModuleException e = assertThrows(ModuleException.class, () -> create(Map.of("normativeTable", "norms-broken.csv")));
        assertTrue(e.getMessage().contains("configuration key 'normativeTable'"), e.getMessage());
        assertTrue(e.getMessage().contains(models.resolve("norms-broken.csv") + " line 11: volume 900 mm3 at the 10th"
                + " percentile is below 1000 mm3"), e.getMessage());
        ModuleException missing = assertThrows(ModuleException.class, () -> create(Map.of("normativeTable", "absent.csv")));
        assertTrue(missing.getMessage().contains("absent.csv: no such file"), missing.getMessage());
    }

    static Finding.Qualitative qualitative(ModuleResult r) {
        assertEquals(ModuleResult.Status.COMPLETED, r.status(), r.reason());
        List<Finding.Qualitative> q = r.findings().stream().filter(Finding.Qualitative.class::isInstance)
                .map(Finding.Qualitative.class::cast).toList();
        assertEquals(1, q.size(), r.findings().toString());
        return q.get(0);
    }

    // ------------------------------------------------------------------ not applicable

    @Test
    void otherInputsAreNotApplicableWithTheReason() throws Exception {
        GeneratedSeries ct = Synth.ctSeries(Files.createDirectories(dir.resolve("ct")), CtOptions.defaults().withCount(12));
        assertNotApplicable(run(Map.of(), ct), "Modality is CT");
        GeneratedSeries dx = Synth.chestRadiograph(Files.createDirectories(dir.resolve("dx")),
                ChestOptions.defaults().withSize(256, 256));
        assertNotApplicable(run(Map.of(), dx), "Modality is DX");
        GeneratedSeries head = Synth.brainMr(Files.createDirectories(dir.resolve("desc")),
                MrOptions.defaults().withSeriesDescription("T1 MPRAGE SAG").withDimensions(24, 24, 12));
        assertNotApplicable(run(Map.of(), head), "'T1 MPRAGE SAG' does not contain /HippoCrop/i");
        // ... unless the site says which description to read
        ModuleResult configured = run(Map.of("seriesDescription", "mprage"), head);
        assertEquals(ModuleResult.Status.COMPLETED, configured.status(), configured.reason());
        GeneratedSeries thin = Synth.brainMr(Files.createDirectories(dir.resolve("thin")),
                MrOptions.defaults().withDimensions(35, 51, 6));
        assertNotApplicable(run(Map.of(), thin), "6 slices; HippoVolume needs at least 10");
    }

    @Test
    void aStudyUnitMeasuresItsOneMatchingSeries() throws Exception {
        GeneratedSeries crop = Synth.brainMr(Files.createDirectories(dir.resolve("study-crop")), MrOptions.defaults());
        GeneratedSeries other = Synth.brainMr(Files.createDirectories(dir.resolve("study-other")),
                MrOptions.defaults().withSeriesNumber(7).withSeriesDescription("T2 FLAIR").withDimensions(24, 24, 12));
        GeneratedSeries second = Synth.brainMr(Files.createDirectories(dir.resolve("study-second")),
                MrOptions.defaults().withSeriesNumber(8));
        assertEquals(crop.studyInstanceUid(), other.studyInstanceUid());
        List<Path> two = new ArrayList<>(other.files());
        two.addAll(crop.files());
        ModuleResult r = runFiles(Map.of(), crop.studyInstanceUid(), two);
        assertEquals(crop.sopInstanceUids(), segmentation(r).sopInstanceUids());
        List<Path> three = new ArrayList<>(two);
        three.addAll(second.files());
        assertNotApplicable(runFiles(Map.of(), crop.studyInstanceUid(), three), "2 MR series match /HippoCrop/i");
    }

    @Test
    void unevenSpacingIsNotApplicable() throws Exception {
        GeneratedSeries g = Synth.brainMr(Files.createDirectories(dir.resolve("gap")), MrOptions.defaults());
        List<Path> files = new ArrayList<>(g.files());
        files.remove(10); // a lost slice: one gap of 2 mm among 1 mm gaps
        ModuleResult own = runFiles(Map.of(), g.studyInstanceUid(), files);
        assertNotApplicable(own, "uneven slice spacing");
        assertTrue(own.reason().contains("is 2.000 mm but the median gap is 1.000 mm")
                && own.reason().contains("a slice may be missing"), own.reason());
        // a looser module tolerance does not get past the platform's own check (1 %)
        ModuleResult platform = runFiles(Map.of("spacingTolerance", "1"), g.studyInstanceUid(), files);
        assertNotApplicable(platform, "not a single consistent volume: Series");
        assertTrue(platform.reason().contains("uneven slice spacing"), platform.reason());
    }

    @Test
    void mixedOrientationsAreNotApplicable() throws Exception {
        GeneratedSeries g = Synth.brainMr(Files.createDirectories(dir.resolve("mixed")), MrOptions.defaults());
        rewrite(g.files().get(5), list -> {
            DecimalStringAttribute iop = new DecimalStringAttribute(TagFromName.ImageOrientationPatient);
            for (String s : new String[] {"0", "1", "0", "0", "0", "-1"}) {
                iop.addValue(s);
            }
            list.put(iop);
        });
        ModuleResult r = run(Map.of(), g);
        assertNotApplicable(r, "mixed orientations");
    }

    // ------------------------------------------------------------------ models

    @Test
    void anOutputOfTheWrongShapeFailsClearly() throws Exception {
        conv(models.resolve("two-classes.onnx"), new float[] {1f, -1f}, new float[] {0f, 0f}, 2, -1, -1);
        GeneratedSeries g = Synth.brainMr(Files.createDirectories(dir.resolve("shape")), MrOptions.defaults());
        try (AiModule module = create(Map.of("model", "two-classes.onnx"))) {
            ModuleException e = assertThrows(ModuleException.class, () -> module.process(study(g), new TestJob()));
            assertTrue(e.getMessage().contains("has shape [16, 2, 64, 48]") && e.getMessage().contains("needs [16, 3, 64, 48]"),
                    e.getMessage());
        }
        // a model exported with a fixed 64 x 64 input cannot read 64 x 48 planes: say why
        conv(models.resolve("fixed.onnx"), new float[] {0f, 1f, 2f}, new float[] {0f, -0.25f, -1f}, 3, 64, 64);
        try (AiModule module = create(Map.of("model", "fixed.onnx"))) {
            ModuleException e = assertThrows(ModuleException.class, () -> module.process(study(g), new TestJob()));
            assertTrue(e.getMessage().contains("dynamic N, H and W"), e.getMessage());
        }
    }

    @Test
    void wrongTensorNamesNameTheKey() throws Exception {
        GeneratedSeries g = Synth.brainMr(Files.createDirectories(dir.resolve("names")), MrOptions.defaults());
        for (String key : List.of("inputTensor", "outputTensor")) {
            try (AiModule module = create(Map.of(key, "logits"))) {
                ModuleException e = assertThrows(ModuleException.class, () -> module.process(study(g), new TestJob()));
                assertTrue(e.getMessage().contains("'logits'") && e.getMessage().contains("configuration key '" + key + "'"),
                        e.getMessage());
            }
        }
    }

    @Test
    void demoModelMissingFromTheJarFailsAtCreate(@TempDir Path work) {
        HippoVolumeFactory factory = new HippoVolumeFactory(null);
        ModuleException e = assertThrows(ModuleException.class,
                () -> TestModuleContext.builder(factory).config("model", "demo").workDirectory(work).modelDirectory(models)
                        .inference(engine).create());
        assertTrue(e.getMessage().contains(HippoVolumeFactory.DEMO_RESOURCE) && e.getMessage().contains("'model'"),
                e.getMessage());
    }

    @Test
    void theDemoModelIsExtractedAndSaysDemo(@TempDir Path work) throws Exception {
        Path demo = thresholdModel(dir.resolve("demo-src").resolve("demo.onnx"), 0.25, 0.75);
        HippoVolumeFactory factory = new HippoVolumeFactory(demo.toUri().toURL());
        GeneratedVolume truth = labelCoded("demo", MrOptions.defaults());
        try (AiModule module = TestModuleContext.builder(factory).config("model", "demo").workDirectory(work)
                .modelDirectory(models).inference(engine).create()) {
            assertTrue(module.model().demo());
            assertEquals(HippoVolumeFactory.DEMO_NAME, module.model().name());
            assertArrayEquals(Files.readAllBytes(demo), Files.readAllBytes(work.resolve("hippovolume-demo.onnx")));
            ModuleResult r = module.process(study(truth.series()), new TestJob());
            assertEquals(ModuleResult.Status.COMPLETED, r.status(), r.reason());
            assertTrue(r.summary().contains("DEMO MODEL") && r.parameters().get("model").contains("DEMO MODEL"),
                    r.summary());
        }
        ModuleException tf = assertThrows(ModuleException.class, () -> TestModuleContext.builder(factory)
                .config(Map.of("model", "demo", "backend", "tensorflow-savedmodel")).workDirectory(work).modelDirectory(models)
                .inference(engine).create());
        assertTrue(tf.getMessage().contains("'backend'"), tf.getMessage());
    }

    @Test
    void aCancelledJobStops() throws Exception {
        GeneratedSeries g = Synth.brainMr(Files.createDirectories(dir.resolve("cancel")), MrOptions.defaults());
        TestJob job = new TestJob();
        job.cancel();
        try (AiModule module = create(Map.of())) {
            ModuleException e = assertThrows(ModuleException.class, () -> module.process(study(g), job));
            assertTrue(e.getMessage().contains("cancelled"), e.getMessage());
        }
    }

    // ------------------------------------------------------------------ helpers

    /** logits (0, s(x - t1), s(2x - t1 - t2)): class 0 below t1, 1 between, 2 above t2. */
    static Path thresholdModel(Path file, double t1, double t2) throws IOException {
        float s = 100f;
        return conv(file, new float[] {0f, s, 2 * s}, new float[] {0f, (float) (-s * t1), (float) (-s * (t1 + t2))}, 3, -1, -1);
    }

    /** A 1x1 convolution [N,1,H,W] -> [N,C,H,W] (H, W: -1 for any size). */
    static Path conv(Path file, float[] w, float[] b, int channels, long h, long wd) throws IOException {
        return OnnxModels.graph("hippovolume_test")
                .node("Conv", List.of("input", "W", "B"), "output")
                .initializer("W", new long[] {channels, 1, 1, 1}, w)
                .initializer("B", new long[] {channels}, b)
                .input("input", OnnxModels.FLOAT, -1, 1, h, wd)
                .output("output", OnnxModels.FLOAT, -1, channels, h, wd)
                .write(file);
    }

    /** The threshold model's classes in double precision. */
    static byte[] classify(float[] x, double t1, double t2) {
        byte[] out = new byte[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (byte) (x[i] > t2 ? 2 : x[i] > t1 ? 1 : 0);
        }
        return out;
    }

    /**
     * A generated crop whose pixels are replaced by its ground truth: anterior 1000, posterior 2000, background a
     * texture of 100..299. Min-max normalised: background below 0.11, anterior 0.47, posterior 1.
     */
    static GeneratedVolume labelCoded(String name, MrOptions options) throws Exception {
        GeneratedVolume g = Synth.brainMrWithLabels(Files.createDirectories(dir.resolve(name)), options);
        byte[][][] labels = g.labels();
        for (int s = 0; s < labels.length; s++) {
            int rows = labels[s].length;
            int cols = labels[s][0].length;
            short[] px = new short[rows * cols];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    int label = labels[s][r][c];
                    px[r * cols + c] = (short) (label == 1 ? 1000 : label == 2 ? 2000 : 100 + (s * 7 + r * 3 + c * 5) % 200);
                }
            }
            rewrite(g.series().files().get(s), list -> {
                OtherWordAttribute pixels = new OtherWordAttribute(TagFromName.PixelData);
                pixels.setValues(px);
                list.put(pixels);
            });
        }
        return g;
    }

    static void rewrite(Path file, Edit edit) throws Exception {
        AttributeList list = new AttributeList();
        list.read(file.toString());
        edit.accept(list);
        list.removeGroupLengthAttributes();
        list.removeMetaInformationHeaderAttributes();
        FileMetaInformation.addFileMetaInformation(list, TransferSyntax.ExplicitVRLittleEndian, "RADFLOWTEST");
        list.write(file.toString(), TransferSyntax.ExplicitVRLittleEndian, true, true);
    }

    interface Edit {
        void accept(AttributeList list) throws Exception;
    }

    static byte[] flatten(byte[][][] labels) {
        int rows = labels[0].length;
        int cols = labels[0][0].length;
        byte[] out = new byte[labels.length * rows * cols];
        for (int s = 0; s < labels.length; s++) {
            for (int r = 0; r < rows; r++) {
                System.arraycopy(labels[s][r], 0, out, (s * rows + r) * cols, cols);
            }
        }
        return out;
    }

    static long countOf(byte[] labels, int label) {
        long n = 0;
        for (byte b : labels) {
            n += b == label ? 1 : 0;
        }
        return n;
    }

    static boolean contains(KeyImage k, int rgb) {
        for (int p : k.rgb()) {
            if (p == rgb) {
                return true;
            }
        }
        return false;
    }

    static void assertNotApplicable(ModuleResult r, String reasonPart) {
        assertEquals(ModuleResult.Status.NOT_APPLICABLE, r.status(), r.summary());
        assertNotNull(r.reason());
        assertTrue(r.reason().contains(reasonPart), r.reason());
    }

    static List<Finding.Measurement> measurements(ModuleResult r) {
        return r.findings().stream().filter(Finding.Measurement.class::isInstance).map(Finding.Measurement.class::cast)
                .toList();
    }

    static Finding.Segmentation segmentation(ModuleResult r) {
        assertEquals(ModuleResult.Status.COMPLETED, r.status(), r.reason());
        return r.findings().stream().filter(Finding.Segmentation.class::isInstance).map(Finding.Segmentation.class::cast)
                .findFirst().orElseThrow();
    }

    static Volume volume(GeneratedSeries g) throws Exception {
        return study(g).series().get(0).volume();
    }

    static ModuleResult run(Map<String, String> config, GeneratedSeries g) throws Exception {
        return runFiles(config, g.studyInstanceUid(), g.files());
    }

    static ModuleResult runFiles(Map<String, String> config, String study, List<Path> files) throws Exception {
        try (AiModule module = create(config)) {
            return module.process(TestStudies.dicom(study, files), new TestJob());
        }
    }

    static StudyInput study(GeneratedSeries g) throws IOException {
        return TestStudies.dicom(g.studyInstanceUid(), g.files());
    }

    static AiModule create(Map<String, String> values) throws ModuleException {
        HippoVolumeFactory factory = new HippoVolumeFactory();
        return TestModuleContext.builder(factory).config(values).modelDirectory(models).workDirectory(dir.resolve("work"))
                .inference(engine).create();
    }

    static org.radflow.api.DicomTags tags(String... keyValues) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return keyword -> m.containsKey(keyword) ? List.of(m.get(keyword)) : List.of();
    }
}
