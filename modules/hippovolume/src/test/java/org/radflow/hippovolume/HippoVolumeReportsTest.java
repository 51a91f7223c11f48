package org.radflow.hippovolume;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.TagFromName;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.AiModule;
import org.radflow.api.Finding;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleResult;
import org.radflow.api.Trigger;
import org.radflow.inference.HostInferenceEngine;
import org.radflow.jobs.Job;
import org.radflow.jobs.JobState;
import org.radflow.moduletest.TestJob;
import org.radflow.moduletest.TestStudies;
import org.radflow.report.PageWriter;
import org.radflow.report.ReportInput;
import org.radflow.report.SegWriter;
import org.radflow.report.SrWriter;
import org.radflow.routing.Priority;
import org.radflow.testdata.GeneratedVolume;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Patient;
import org.radflow.testkit.Dciodvfy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The module's result through the platform's own report writers: the SEG (two segments on the source grid,
 * referencing the MR instances), the TID 1500 SR with the three volumes, and the report page, each dciodvfy-clean.
 */
class HippoVolumeReportsTest {

    @TempDir
    static Path dir;

    @BeforeAll
    static void setUp() throws Exception {
        HippoVolumeModuleTest.dir = dir;
        HippoVolumeModuleTest.setUp();
    }

    @AfterAll
    static void close() {
        HippoVolumeModuleTest.close();
    }

    @Test
    void segSrAndPageFromAHippoCropAreValid() throws Exception {
        Patient woman = new Patient("TEST^WOMAN", "W1", "19640101", "F", "062Y");
        GeneratedVolume truth = HippoVolumeModuleTest.labelCoded("reports",
                MrOptions.defaults().withSpacing(0.9, 0.9, 1.2).withPatient(woman));
        List<Path> files = truth.series().files();
        ModuleResult result;
        ModuleDescriptor descriptor;
        try (AiModule module = HippoVolumeModuleTest.create(Map.of())) {
            result = module.process(TestStudies.dicom(truth.series().studyInstanceUid(), files), new TestJob());
            descriptor = new HippoVolumeFactory().descriptor().withModel(module.model());
        }
        assertEquals(ModuleResult.Status.COMPLETED, result.status(), result.reason());

        Map<String, AttributeList> sources = new LinkedHashMap<>();
        AttributeList first = null;
        for (Path f : files) {
            AttributeList a = new AttributeList();
            a.read(f.toString(), TagFromName.PixelData);
            sources.put(Attribute.getSingleStringValueOrEmptyString(a, TagFromName.SOPInstanceUID), a);
            first = first == null ? a : first;
        }
        Instant now = Instant.parse("2026-01-02T03:04:05Z");
        String study = truth.series().studyInstanceUid();
        String series = truth.series().seriesInstanceUid();
        Job job = new Job("job-h", "series:" + study + "/" + series, Trigger.SERIES, study, series, null,
                descriptor.id(), descriptor.version(), "hippo", Priority.NORMAL, List.of(), files, "hash-hippo",
                1, null, JobState.SUCCEEDED, 1, null, 1.0, null, now, now, now, now, null);
        ReportInput in = new ReportInput(job, descriptor, result, sources, first, now, null);
        Path out = Files.createDirectories(dir.resolve("out"));

        List<Path> seg = new SegWriter().write(in, out);
        assertEquals(1, seg.size());
        Dciodvfy.check(seg.get(0)).assertNoErrors();
        AttributeList s = new AttributeList();
        s.read(seg.get(0).toString());
        Finding.Segmentation segmentation = HippoVolumeModuleTest.segmentation(result);
        int frames = 0;
        int sliceSize = segmentation.rows() * segmentation.columns();
        for (int label = 1; label <= 2; label++) {
            for (int z = 0; z < segmentation.slices(); z++) {
                for (int p = 0; p < sliceSize; p++) {
                    if (segmentation.labels()[z * sliceSize + p] == label) {
                        frames++;
                        break;
                    }
                }
            }
        }
        assertEquals(frames, Attribute.getSingleIntegerValueOrDefault(s, TagFromName.NumberOfFrames, -1));
        assertEquals(Attribute.getSingleStringValueOrEmptyString(first, TagFromName.FrameOfReferenceUID),
                Attribute.getSingleStringValueOrEmptyString(s, TagFromName.FrameOfReferenceUID));
        String segText = s.toString();
        assertTrue(segText.contains("Anterior hippocampus") && segText.contains("Posterior hippocampus")
                && segText.contains("5366008"), "segments named and coded");

        List<Path> sr = new SrWriter().write(in, out);
        Dciodvfy.check(sr.get(0)).assertNoErrors();
        AttributeList r = new AttributeList();
        r.read(sr.get(0).toString());
        String srText = r.toString();
        for (String code : List.of("255549009", "255551008", "106233006", "5366008", "118565006", "mm3", "121191")) {
            assertTrue(srText.contains(code), "SR has " + code);
        }
        assertFalse(srText.contains("HIPPO-"), "no private finding-site codes left");
        for (String word : List.of("percentile", "HIPPO-NORM-BAND", "Method Citation", "reference table")) {
            assertFalse(srText.contains(word), "without a table the SR says nothing about norms: " + word);
        }

        List<Path> page = new PageWriter().write(in, out);
        Dciodvfy.check(page.get(0)).assertNoErrors();
        String keep = System.getenv("RADFLOW_HIPPO_KEEP");
        if (keep != null) { // e.g. to look at the page: RADFLOW_HIPPO_KEEP=/tmp/hippo
            Path k = Files.createDirectories(Path.of(keep));
            for (Path p : List.of(seg.get(0), sr.get(0), page.get(0))) {
                Files.copy(p, k.resolve(p.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /** With a (fictional) table the SR carries the band as a coded evaluation with the citation, and stays valid. */
    @Test
    void withATableTheSrCarriesTheBandWithItsCitation() throws Exception {
        Patient woman = new Patient("TEST^WOMAN", "W1", "19640101", "F", "062Y");
        GeneratedVolume truth = HippoVolumeModuleTest.labelCoded("reports-norm",
                MrOptions.defaults().withSpacing(0.9, 0.9, 1.2).withPatient(woman));
        List<Path> files = truth.series().files();
        double total = HippoVolumeModuleTest.measurements(HippoVolumeModuleTest.run(Map.of(), truth.series())).get(2).value();
        Path table = FictionalTables.write(dir.resolve("tables"), "norms.csv", FictionalTables.around(total));
        ModuleResult result;
        ModuleDescriptor descriptor;
        try (AiModule module = HippoVolumeModuleTest.create(Map.of("normativeTable", table.toString()))) {
            result = module.process(TestStudies.dicom(truth.series().studyInstanceUid(), files), new TestJob());
            descriptor = new HippoVolumeFactory().descriptor().withModel(module.model());
        }
        assertEquals("PCTL-10-50", HippoVolumeModuleTest.qualitative(result).value().code());

        Map<String, AttributeList> sources = new LinkedHashMap<>();
        AttributeList first = null;
        for (Path f : files) {
            AttributeList a = new AttributeList();
            a.read(f.toString(), TagFromName.PixelData);
            sources.put(Attribute.getSingleStringValueOrEmptyString(a, TagFromName.SOPInstanceUID), a);
            first = first == null ? a : first;
        }
        Instant now = Instant.parse("2026-01-02T03:04:05Z");
        String study = truth.series().studyInstanceUid();
        String series = truth.series().seriesInstanceUid();
        Job job = new Job("job-hn", "series:" + study + "/" + series, Trigger.SERIES, study, series, null,
                descriptor.id(), descriptor.version(), "hippo", Priority.NORMAL, List.of(), files, "hash-hippo-norm",
                1, null, JobState.SUCCEEDED, 1, null, 1.0, null, now, now, now, now, null);
        ReportInput in = new ReportInput(job, descriptor, result, sources, first, now, null);
        Path out = Files.createDirectories(dir.resolve("out-norm"));

        List<Path> sr = new SrWriter().write(in, out);
        Dciodvfy.check(sr.get(0)).assertNoErrors();
        AttributeList r = new AttributeList();
        r.read(sr.get(0).toString());
        String srText = r.toString();
        for (String text : List.of("HIPPO-NORM-BAND", "PCTL-10-50", "Between the 10th and 50th percentile",
                "Method Citation", FictionalTables.CITATION, "not directly comparable")) {
            assertTrue(srText.contains(text), "SR has " + text);
        }
        List<Path> page = new PageWriter().write(in, out);
        Dciodvfy.check(page.get(0)).assertNoErrors();
    }
}
