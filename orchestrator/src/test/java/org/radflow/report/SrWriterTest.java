package org.radflow.report;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.ApiVersion;
import org.radflow.api.Concept;
import org.radflow.api.Finding;
import org.radflow.api.ModelIdentity;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleResult;
import org.radflow.api.Trigger;
import org.radflow.dicom.OutputUids;
import org.radflow.jobs.Job;
import org.radflow.jobs.JobState;
import org.radflow.routing.Priority;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Patient;
import org.radflow.testdata.Synth;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SrWriterTest {

    @TempDir
    static Path shared;

    static GeneratedSeries mr;

    @BeforeAll
    static void generate() throws IOException {
        mr = Synth.brainMr(shared.resolve("mr"), MrOptions.defaults());
    }

    static ReportInput input(GeneratedSeries series, boolean demo, String superseded, Instant at) throws Exception {
        Map<String, AttributeList> sources = new LinkedHashMap<>();
        for (Path p : series.files()) {
            AttributeList l = new AttributeList();
            l.read(p.toString(), TagFromName.PixelData);
            sources.put(Attribute.getSingleStringValueOrEmptyString(l, TagFromName.SOPInstanceUID), l);
        }
        AttributeList first = sources.values().iterator().next();
        String hash = OutputUids.inputHash(sources.keySet());
        Job job = new Job("job-1", "series:" + series.studyInstanceUid() + "/" + series.seriesInstanceUid(),
                Trigger.SERIES, series.studyInstanceUid(), series.seriesInstanceUid(), null, "hippovolume", "1.2.0",
                "brain-mr", Priority.NORMAL, List.of("pacs"), series.files(), hash, superseded == null ? 1 : 2,
                superseded == null ? null : "job-0", JobState.RUNNING, 1, null, 0.9, "reporting", at, at, at, null, null);
        ModuleDescriptor module = ModuleDescriptor.builder("hippovolume", "1.2.0", ApiVersion.MAJOR, ApiVersion.MINOR)
                .displayName("Hippocampus volume")
                .model(new ModelIdentity("hippo-unet-tiny", "2024.1", "small demo U-Net", demo))
                .build();
        List<String> evidence = series.sopInstanceUids().subList(0, 3);
        Concept hippocampus = Concept.sct("5366002", "Hippocampus");
        Finding volume = new Finding.Measurement(hippocampus, Concept.sct("118565006", "Volume"), 3456.789,
                Concept.ucum("mm3", "cubic millimeter"), Concept.sct("5366002", "Hippocampus"), evidence);
        Concept normal = Concept.sct("17621005", "Normal");
        Finding atrophy = new Finding.Classification(Concept.sct("52522001", "Hippocampal atrophy"),
                List.of(new Finding.ClassProbability(normal, 0.7),
                        new Finding.ClassProbability(Concept.sct("255604002", "Mild"), 0.2),
                        new Finding.ClassProbability(Concept.sct("24484000", "Severe"), 0.1)),
                normal, evidence);
        Finding mask = new Finding.Segmentation(hippocampus, 2, 2, 1, new byte[] {0, 1, 1, 0},
                List.of(new Finding.Segment(1, "Hippocampus", Concept.sct("91723000", "Anatomical structure"),
                        hippocampus, 0xffcc00)), List.of(series.sopInstanceUids().get(0)));
        ModuleResult result = ModuleResult.completed(List.of(volume, atrophy, mask), List.of(),
                "Hippocampal volume 3457 mm³, no atrophy.", Map.of("profile", "fast", "threshold", "0.5"));
        return new ReportInput(job, module, result, sources, first, at, superseded);
    }

    static Path writeOne(ReportInput in, Path dir) throws Exception {
        Files.createDirectories(dir);
        List<Path> files = new SrWriter().write(in, dir);
        assertEquals(1, files.size());
        return files.get(0);
    }

    static AttributeList read(Path p) throws Exception {
        AttributeList l = new AttributeList();
        l.read(p.toString());
        return l;
    }

    static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        p.waitFor();
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void writingLeavesTheInputsHeaderUntouched() throws Exception {
        // intake's cached headers are shared by jobs running at the same time: a writer must not change them, even
        // when the output declares a character set the (ASCII) input did not have ("mm³" in the summary)
        ReportInput in = input(mr, false, null, Instant.parse("2026-01-02T03:04:05Z"));
        assertNull(in.first().get(TagFromName.SpecificCharacterSet));
        Attribute name = in.first().get(TagFromName.PatientName);
        assertNull(((com.pixelmed.dicom.StringAttribute) name).getSpecificCharacterSet());
        String before = name.getSingleStringValueOrEmptyString();

        AttributeList sr = read(writeOne(in, shared.resolve("untouched")));
        new PageWriter().write(in, Files.createDirectories(shared.resolve("untouched-page")));

        assertEquals("ISO_IR 192", Attribute.getSingleStringValueOrEmptyString(sr, TagFromName.SpecificCharacterSet));
        assertEquals(before, Attribute.getSingleStringValueOrEmptyString(sr, TagFromName.PatientName));
        assertNull(in.first().get(TagFromName.SpecificCharacterSet));
        assertNull(((com.pixelmed.dicom.StringAttribute) in.first().get(TagFromName.PatientName)).getSpecificCharacterSet(),
                "the writer set a character set on the input's own Patient's Name");
        assertEquals(before, in.first().get(TagFromName.PatientName).getSingleStringValueOrEmptyString());
    }

    @Test
    void writesAValidTid1500MeasurementReport() throws Exception {
        ReportInput in = input(mr, true, null, Instant.parse("2026-01-02T03:04:05Z"));
        Path sr = writeOne(in, shared.resolve("valid"));

        String dciodvfy = run("dciodvfy", sr.toString());
        List<String> errors = dciodvfy.lines().filter(l -> l.contains("Error")).collect(Collectors.toList());
        assertTrue(errors.isEmpty(), "dciodvfy:\n" + dciodvfy);

        String validation = SrValidation.validate(read(sr));
        System.out.println("DicomSRValidator:\n" + validation);
        List<String> srErrors = validation.lines().filter(l -> l.startsWith("Error")).collect(Collectors.toList());
        assertTrue(srErrors.isEmpty(), "DicomSRValidator:\n" + validation);

        String dump = run("dsrdump", "+Pc", "+Pl", sr.toString());
        assertTrue(dump.contains("Imaging Measurement Report"), dump);
        assertTrue(dump.contains("\"3456.789\" (mm3,UCUM,\"cubic millimeter\")"), dump);
        assertTrue(dump.contains("\"0.7\" (1,UCUM,\"no units\")"), dump);
        assertTrue(dump.contains("Probability of Mild"), dump);
        assertTrue(dump.contains("profile=fast"), dump);
        assertTrue(dump.contains("NOT FOR DIAGNOSTIC USE - DEMO MODEL"), dump);
        assertTrue(dump.contains("(363679005,SCT,\"Imaging procedure\")"), dump);
        // 3 evidence images for each of the measurement and the classification, 1 for the segmentation
        assertEquals(7, dump.split("Source of Measurement", -1).length - 1, dump);
        assertEquals(3, dump.split("Measurement Group", -1).length - 1, dump);

        AttributeList l = read(sr);
        assertEquals(SrWriter.COMPREHENSIVE_SR, Attribute.getSingleStringValueOrEmptyString(l, TagFromName.SOPClassUID));
        assertEquals(in.uid("sr.instance"), Attribute.getSingleStringValueOrEmptyString(l, TagFromName.SOPInstanceUID));
        assertEquals(in.uid("sr.series"), Attribute.getSingleStringValueOrEmptyString(l, TagFromName.SeriesInstanceUID));
        assertEquals(mr.studyInstanceUid(), Attribute.getSingleStringValueOrEmptyString(l, TagFromName.StudyInstanceUID));
        assertEquals("RADFLOW", Attribute.getSingleStringValueOrEmptyString(l, TagFromName.SourceApplicationEntityTitle));
        assertEquals("1.2.840.10008.1.2.1", Attribute.getSingleStringValueOrEmptyString(l, TagFromName.TransferSyntaxUID));
        assertTrue(Attribute.getSingleStringValueOrEmptyString(l, TagFromName.SeriesDescription).contains("DEMO"));
        assertNull(l.get(TagFromName.PredecessorDocumentsSequence));
        int referenced = ((SequenceAttribute) ((SequenceAttribute) ((SequenceAttribute) l.get(
                TagFromName.CurrentRequestedProcedureEvidenceSequence)).getItem(0).getAttributeList()
                .get(TagFromName.ReferencedSeriesSequence)).getItem(0).getAttributeList()
                .get(TagFromName.ReferencedSOPSequence)).getNumberOfItems();
        assertEquals(mr.files().size(), referenced);
    }

    @Test
    void sameInputsGiveTheSameObjectExceptDates() throws Exception {
        Path a = writeOne(input(mr, false, null, Instant.parse("2026-01-02T03:04:05Z")), shared.resolve("a"));
        Path b = writeOne(input(mr, false, null, Instant.parse("2026-03-04T05:06:07Z")), shared.resolve("b"));
        assertEquals(a.getFileName(), b.getFileName());
        AttributeList la = read(a);
        AttributeList lb = read(b);
        for (AttributeList l : List.of(la, lb)) {
            for (var t : List.of(TagFromName.ContentDate, TagFromName.ContentTime, TagFromName.InstanceCreationDate,
                    TagFromName.InstanceCreationTime)) {
                l.remove(t);
            }
        }
        assertEquals(la.toString(), lb.toString());
        assertTrue(!Attribute.getSingleStringValueOrEmptyString(la, TagFromName.SeriesDescription).contains("DEMO"));
    }

    @Test
    void utf8PatientNameRoundTrips() throws Exception {
        GeneratedSeries utf = Synth.brainMr(shared.resolve("utf"),
                MrOptions.defaults().withPatient(Patient.of("Müller^Jürgen", "ID1")).withDimensions(32, 32, 4));
        Path sr = writeOne(input(utf, true, null, Instant.now()), shared.resolve("utf-sr"));
        AttributeList l = read(sr);
        assertEquals("Müller^Jürgen", Attribute.getSingleStringValueOrEmptyString(l, TagFromName.PatientName));
        String dump = run("dsrdump", "+Pc", "+Pl", "+U8", sr.toString());
        assertTrue(dump.contains("Müller^Jürgen"), dump);
        assertTrue(dump.contains("3457 mm³"), dump);
        String dciodvfy = run("dciodvfy", sr.toString());
        assertTrue(dciodvfy.lines().noneMatch(x -> x.contains("Error")), dciodvfy);
    }

    @Test
    void supersedingJobNamesThePredecessor() throws Exception {
        String previous = "2.25.1234567890";
        ReportInput in = input(mr, false, previous, Instant.now());
        Files.createDirectories(shared.resolve("sup"));
        Path sr = new SrWriter(sop -> sop.equals(previous) ? "2.25.42" : null).write(in, shared.resolve("sup")).get(0);
        AttributeList l = read(sr);
        SequenceAttribute pred = (SequenceAttribute) l.get(TagFromName.PredecessorDocumentsSequence);
        assertNotNull(pred);
        AttributeList study = pred.getItem(0).getAttributeList();
        assertEquals(mr.studyInstanceUid(), Attribute.getSingleStringValueOrEmptyString(study, TagFromName.StudyInstanceUID));
        AttributeList series = ((SequenceAttribute) study.get(TagFromName.ReferencedSeriesSequence)).getItem(0).getAttributeList();
        assertEquals("2.25.42", Attribute.getSingleStringValueOrEmptyString(series, TagFromName.SeriesInstanceUID));
        AttributeList ref = ((SequenceAttribute) series.get(TagFromName.ReferencedSOPSequence)).getItem(0).getAttributeList();
        assertEquals(previous, Attribute.getSingleStringValueOrEmptyString(ref, TagFromName.ReferencedSOPInstanceUID));
        assertEquals(SrWriter.COMPREHENSIVE_SR, Attribute.getSingleStringValueOrEmptyString(ref, TagFromName.ReferencedSOPClassUID));
        String dciodvfy = run("dciodvfy", sr.toString());
        assertTrue(dciodvfy.lines().noneMatch(x -> x.contains("Error")), dciodvfy);
    }

    @Test
    void imageLibraryKeepsToTheEvidenceForLargeInputs() throws Exception {
        ReportInput small = input(mr, false, null, Instant.now());
        Map<String, AttributeList> many = new LinkedHashMap<>();
        for (int i = 0; i < SrWriter.IMAGE_LIBRARY_LIMIT + 1; i++) {
            many.put("1.2.3." + i, new AttributeList());
        }
        Finding m = new Finding.Measurement(Concept.sct("5366002", "Hippocampus"), Concept.sct("118565006", "Volume"), 1,
                Concept.ucum("mm3", "cubic millimeter"), null, List.of("1.2.3.7", "1.2.3.9"));
        ReportInput big = new ReportInput(small.job(), small.module(),
                ModuleResult.completed(List.of(m), List.of(), "", Map.of()), many, small.first(), Instant.now(), null);
        assertEquals(List.of("1.2.3.7", "1.2.3.9"), SrWriter.libraryInstances(big));
        assertEquals(mr.files().size(), SrWriter.libraryInstances(small).size());
    }

    /** A qualitative evaluation becomes a CODE row with its method citation and comment as TEXT rows, still valid. */
    @Test
    void qualitativeEvaluationIsACodeWithItsCitationAndComment() throws Exception {
        ReportInput plain = input(mr, false, null, Instant.parse("2026-01-02T03:04:05Z"));
        List<String> evidence = mr.sopInstanceUids().subList(0, 2);
        Finding band = new Finding.Qualitative(Concept.sct("5366002", "Hippocampus"),
                new Concept("99RADFLOW", "TEST-BAND", "Test percentile band"),
                new Concept("99RADFLOW", "PCTL-5-10", "Between the 5th and 10th percentile"),
                "FICTIONAL test table, not published data", "Compared with: fictional test group.", evidence);
        List<Finding> findings = new java.util.ArrayList<>(plain.result().findings());
        findings.add(band);
        ReportInput in = new ReportInput(plain.job(), plain.module(), ModuleResult.completed(findings, List.of(),
                plain.result().summary(), Map.of()), plain.sources(), plain.first(), plain.createdAt(), null);
        Path sr = writeOne(in, shared.resolve("qualitative"));

        String dciodvfy = run("dciodvfy", sr.toString());
        assertTrue(dciodvfy.lines().noneMatch(l -> l.contains("Error")), "dciodvfy:\n" + dciodvfy);
        String validation = SrValidation.validate(read(sr));
        assertTrue(validation.lines().noneMatch(l -> l.startsWith("Error")), "DicomSRValidator:\n" + validation);

        String dump = run("dsrdump", "+Pc", "+Pl", sr.toString());
        assertTrue(dump.contains("(TEST-BAND,99RADFLOW,\"Test percentile band\")=(PCTL-5-10,99RADFLOW,"
                + "\"Between the 5th and 10th percentile\")"), dump);
        assertTrue(dump.contains("(121423,DCM,\"Method Citation\")=\"FICTIONAL test table, not published data\""), dump);
        assertTrue(dump.contains("(121106,DCM,\"Comment\")=\"Compared with: fictional test group.\""), dump);
        assertEquals(4, dump.split("Measurement Group", -1).length - 1, dump);
        assertEquals(7 + evidence.size(), dump.split("Source of Measurement", -1).length - 1, dump);
    }

    /** API 0.5: a module's own coding schemes go into Coding Scheme Identification; an undeclared "99" one names the module. */
    @Test
    void moduleDeclaredCodingSchemesAreIdentifiedInTheSr() throws Exception {
        ReportInput plain = input(mr, false, null, Instant.parse("2026-01-02T03:04:05Z"));
        ModuleDescriptor declaring = ModuleDescriptor.builder("hippovolume", "1.2.0", ApiVersion.MAJOR, ApiVersion.MINOR)
                .displayName("Hippocampus volume").model(plain.module().model())
                .codingScheme(new org.radflow.api.CodingScheme("99EXHOSP", "Example Hospital research codes",
                        "Example Hospital imaging research", "1.2.826.0.1.3680043.10.1234", "2026a"))
                .build();
        List<String> evidence = mr.sopInstanceUids().subList(0, 2);
        List<Finding> findings = new java.util.ArrayList<>(plain.result().findings());
        findings.add(new Finding.Qualitative(Concept.sct("5366002", "Hippocampus"),
                new Concept("99EXHOSP", "SHAPE", "Hippocampal shape class"),
                new Concept("99UNDECL", "S2", "Shape class 2"), "", "", evidence, 0.8125));
        ReportInput in = new ReportInput(plain.job(), declaring, ModuleResult.completed(findings, List.of(),
                plain.result().summary(), Map.of()), plain.sources(), plain.first(), plain.createdAt(), null);
        AttributeList sr = read(writeOne(in, shared.resolve("schemes")));
        SequenceAttribute ids = (SequenceAttribute) sr.get(new com.pixelmed.dicom.AttributeTag(0x0008, 0x0110));
        Map<String, AttributeList> byDesignator = new LinkedHashMap<>();
        for (int i = 0; i < ids.getNumberOfItems(); i++) {
            AttributeList item = ids.getItem(i).getAttributeList();
            byDesignator.put(Attribute.getSingleStringValueOrEmptyString(item, TagFromName.CodingSchemeDesignator), item);
        }
        assertEquals(java.util.Set.of("99RADFLOW", "99EXHOSP", "99UNDECL"), byDesignator.keySet(),
                "standard schemes (SCT, DCM, UCUM) are not listed; the used private ones are");
        AttributeList ex = byDesignator.get("99EXHOSP");
        assertEquals("1.2.826.0.1.3680043.10.1234", Attribute.getSingleStringValueOrEmptyString(ex, TagFromName.CodingSchemeUID));
        assertEquals("2026a", Attribute.getSingleStringValueOrEmptyString(ex, TagFromName.CodingSchemeVersion));
        assertEquals("Example Hospital research codes", Attribute.getSingleStringValueOrEmptyString(ex,
                new com.pixelmed.dicom.AttributeTag(0x0008, 0x0115)).strip()); // read back with LO's even-length padding
        assertTrue(Attribute.getSingleStringValueOrEmptyString(byDesignator.get("99UNDECL"),
                new com.pixelmed.dicom.AttributeTag(0x0008, 0x0115)).contains("not declared by the module"));
        Path file = writeOne(in, shared.resolve("schemes2"));
        String dciodvfy = run("dciodvfy", file.toString());
        assertTrue(dciodvfy.lines().noneMatch(l -> l.contains("Error")), "dciodvfy:\n" + dciodvfy);
        String validation = SrValidation.validate(read(file));
        assertTrue(validation.lines().noneMatch(l -> l.startsWith("Error")), "DicomSRValidator:\n" + validation);
        // a classification without class probabilities: the answer and the module's confidence beside it (API 0.5)
        String dump = run("dsrdump", "+Pc", "+Pl", file.toString());
        assertTrue(dump.contains("(SHAPE,99EXHOSP,\"Hippocampal shape class\")=(S2,99UNDECL,\"Shape class 2\")"), dump);
        assertTrue(dump.contains("(111012,DCM,\"Certainty of Finding\")=\"81.25\" (%,UCUM,\"percent\")"), dump);
        // without any private code, no Coding Scheme Identification at all
        ReportInput standard = new ReportInput(plain.job(), declaring, ModuleResult.completed(List.of(plain.result().findings().get(0)),
                List.of(), "", Map.of()), plain.sources(), plain.first(), plain.createdAt(), null);
        assertEquals(null, read(writeOne(standard, shared.resolve("schemes3"))).get(new com.pixelmed.dicom.AttributeTag(0x0008, 0x0110)));
    }

    @Test
    void aModuleCannotRedeclareAStandardSchemeOrOneTwice() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> org.radflow.api.CodingScheme.of("SCT", "mine", "me"));
        assertTrue(e.getMessage().contains("needs no declaration"), e.getMessage());
        org.radflow.api.CodingScheme a = org.radflow.api.CodingScheme.of("99A", "A", "me");
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> ModuleDescriptor.builder("m", "1",
                ApiVersion.MAJOR, ApiVersion.MINOR).codingScheme(a).codingScheme(a).build());
        assertTrue(e.getMessage().contains("declared twice"), e.getMessage());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> org.radflow.api.CodingScheme.of("99-THIS-IS-TOO-LONG", "A", "me"));
    }

    @Test
    void parametersKeepTheModulesOrderAndAreWrittenOnceNotPerGroup() throws Exception {
        ReportInput plain = input(mr, false, null, Instant.parse("2026-01-02T03:04:05Z"));
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("zeta", "last-alphabetically");
        parameters.put("alpha", "first-alphabetically");
        parameters.put("mid", "3");
        ReportInput in = new ReportInput(plain.job(), plain.module(), ModuleResult.completed(plain.result().findings(),
                List.of(), plain.result().summary(), parameters), plain.sources(), plain.first(), plain.createdAt(), null);
        Path sr = writeOne(in, shared.resolve("parameters"));

        String dciodvfy = run("dciodvfy", sr.toString());
        assertTrue(dciodvfy.lines().noneMatch(l -> l.contains("Error")), "dciodvfy:\n" + dciodvfy);
        String validation = SrValidation.validate(read(sr));
        assertTrue(validation.lines().noneMatch(l -> l.startsWith("Error")), "DicomSRValidator:\n" + validation);

        String dump = run("dsrdump", "+Pc", "+Pl", sr.toString());
        assertEquals(3, dump.split("Measurement Group", -1).length - 1, dump);
        // every group names the algorithm and its version; the parameters come once, in the module's order
        assertEquals(3, dump.split("Algorithm Version", -1).length - 1, dump);
        assertEquals(3, dump.split("Algorithm Parameters", -1).length - 1, dump);
        int zeta = dump.indexOf("zeta=last-alphabetically");
        int alpha = dump.indexOf("alpha=first-alphabetically");
        int mid = dump.indexOf("mid=3");
        assertTrue(zeta > 0 && zeta < alpha && alpha < mid, dump);
        assertEquals(-1, dump.indexOf("zeta=", zeta + 1), dump);
    }

    @Test
    void researchUseLabelIsAddedToTheSummaryOnce() throws Exception {
        ReportInput demo = input(mr, true, null, Instant.parse("2026-01-02T03:04:05Z"));
        ReportInput plain = input(mr, false, null, Instant.parse("2026-01-02T03:04:05Z"));
        assertEquals("Hippocampal volume 3457 mm³, no atrophy. (NOT FOR DIAGNOSTIC USE)", SrWriter.labelledSummary(plain));
        assertEquals("Hippocampal volume 3457 mm³, no atrophy. (NOT FOR DIAGNOSTIC USE - DEMO MODEL hippo-unet-tiny 2024.1)",
                SrWriter.labelledSummary(demo));

        String says = "Normal volumes. Not for diagnostic use.";
        assertEquals(says, SrWriter.labelledSummary(withSummary(plain, says)));
        assertEquals(says + " (DEMO MODEL hippo-unet-tiny 2024.1)", SrWriter.labelledSummary(withSummary(demo, says)));
        String both = "Normal volumes. NOT FOR DIAGNOSTIC USE (demo model).";
        assertEquals(both, SrWriter.labelledSummary(withSummary(demo, both)));

        Path sr = writeOne(withSummary(demo, says), shared.resolve("label-once"));
        String dump = run("dsrdump", "+Pc", "+Pl", sr.toString());
        String summaryLine = dump.lines().filter(l -> l.contains("\"Summary\"")).findFirst().orElseThrow();
        assertEquals(1, summaryLine.toLowerCase(java.util.Locale.ROOT).split("not for diagnostic use", -1).length - 1,
                summaryLine);
    }

    @Test
    void theSrNamesTheVersionAndModelThatRanNotTheOneLoadedNow() throws Exception {
        ReportInput now = input(mr, false, null, Instant.parse("2026-01-02T03:04:05Z"));
        Job planned = now.job();
        assertEquals(now.module(), ReportService.ranBy(planned, now.module()), "no run recorded: the module as loaded");
        // the job ran 1.1.0 with a demo model; the registry has since loaded another version (now.module(): 1.2.0)
        org.radflow.jobs.ModuleRun run = new org.radflow.jobs.ModuleRun(2, "1.1.0", 4, "", "hippo-unet-old", "2023.9", true,
                250, "process", "local");
        Job ran = new Job(planned.id(), planned.unitKey(), planned.trigger(), planned.studyUid(), planned.seriesUid(),
                planned.sopUid(), planned.moduleId(), "1.1.0", planned.ruleName(), planned.priority(), planned.destinations(),
                planned.inputFiles(), planned.inputHash(), planned.revision(), planned.supersedes(), planned.state(), 2,
                planned.reason(), planned.progress(), planned.progressMessage(), planned.createdAt(), planned.updatedAt(),
                planned.startedAt(), planned.finishedAt(), planned.nextAttemptAt(), null, null, null, "1.0.0", run);
        ModuleDescriptor asRan = ReportService.ranBy(ran, now.module());
        assertEquals("1.1.0", asRan.version());
        assertEquals(new ModelIdentity("hippo-unet-old", "2023.9", "", true), asRan.model());
        assertEquals(now.module().displayName(), asRan.displayName());
        ReportInput in = new ReportInput(ran, asRan, now.result(), now.sources(), now.first(), now.createdAt(), null);
        String dump = run("dsrdump", "+Pc", "+Pl", writeOne(in, shared.resolve("ran")).toString());
        assertTrue(dump.contains("\"1.1.0 (model 2023.9, DEMO MODEL)\""), dump);
        assertTrue(!dump.contains("1.2.0"), dump);
        assertEquals(OutputUids.derive(planned.inputHash(), "hippovolume", "1.1.0", "sr.instance"), in.uid("sr.instance"),
                "output UIDs follow the version that ran");
    }

    private static ReportInput withSummary(ReportInput in, String summary) {
        return new ReportInput(in.job(), in.module(), ModuleResult.completed(in.result().findings(), List.of(), summary,
                in.result().parameters()), in.sources(), in.first(), in.createdAt(), null);
    }

    @Test
    void decimalStringsFitSixteenCharacters() {
        for (double v : new double[] {0, 1, 0.1, 1.0 / 3, 3456.789, 1e-12, -2.5e20, 123456789012.345, Math.PI * 1e7}) {
            String s = SrWriter.ds(v);
            assertTrue(s.length() <= 16 && s.matches("[-+0-9.E]+"), s);
            assertEquals(v, Double.parseDouble(s), Math.abs(v) * 1e-7);
        }
        assertArrayEquals(new String[] {"0.7", "3456.789"}, new String[] {SrWriter.ds(0.7), SrWriter.ds(3456.789)});
    }

    /**
     * A measurement made on a segment carries its image region: the NUM is INFERRED FROM a closed SCOORD POLYLINE, the
     * segment's outline (from the real label map) on the slice where it is largest, SELECTED FROM that source image; a
     * classification says its answer in words (a DCM 121106 Comment), as OHIF 3.13 shows Comments; the SR stays valid.
     */
    @Test
    void aSegmentMeasurementHasItsOutlineAndAClassificationItsAnswerInWords() throws Exception {
        ReportInput plain = input(mr, false, null, Instant.parse("2026-01-02T03:04:05Z"));
        AttributeList firstSlice = plain.sources().values().iterator().next();
        int columns = Attribute.getSingleIntegerValueOrDefault(firstSlice, TagFromName.Columns, 0);
        int rows = Attribute.getSingleIntegerValueOrDefault(firstSlice, TagFromName.Rows, 0);
        int slices = mr.sopInstanceUids().size();
        byte[] labels = new byte[columns * rows * slices];
        // an L on slice 2 (the largest: 5 pixels), one pixel on slice 1
        int[][] l = {{10, 20}, {10, 21}, {10, 22}, {11, 22}, {12, 22}};
        for (int[] p : l) {
            labels[(2 * rows + p[1]) * columns + p[0]] = 1;
        }
        labels[(rows + 5) * columns + 5] = 1;
        Concept hippocampus = Concept.sct("5366008", "Hippocampus");
        Finding.Segment segment = new Finding.Segment(1, "Hippocampus", Concept.sct("123037004", "Anatomical Structure"),
                hippocampus, 0xFFD700);
        Finding mask = new Finding.Segmentation(hippocampus, columns, rows, slices, labels, List.of(segment),
                mr.sopInstanceUids());
        Finding volume = new Finding.Measurement(hippocampus, Concept.sct("118565006", "Volume"), 1600.25,
                Concept.ucum("mm3", "cubic millimeter"), hippocampus, List.of(), segment, mr.sopInstanceUids());
        Finding classification = plain.result().findings().get(1);
        ReportInput in = new ReportInput(plain.job(), plain.module(), ModuleResult.completed(List.of(volume, classification,
                mask), List.of(), plain.result().summary(), Map.of()), plain.sources(), plain.first(), plain.createdAt(), null);
        Path sr = writeOne(in, shared.resolve("outline"));

        // dciodvfy, DicomInstanceValidator and DicomSRValidator (without its known misreading of a TID 1501 group next to
        // TID 1411 groups, see Validators)
        Validators.Report report = Validators.check(sr);
        assertTrue(report.errors().isEmpty(), report.validators() + ": " + report.errors());

        com.pixelmed.dicom.StructuredReport tree = new com.pixelmed.dicom.StructuredReport(read(sr));
        List<com.pixelmed.dicom.ContentItem> regions = new ArrayList<>();
        collect((com.pixelmed.dicom.ContentItem) tree.getRoot(), "SCOORD", regions);
        assertEquals(1, regions.size(), "one image region, for the segment measurement only");
        var region = (com.pixelmed.dicom.ContentItemFactory.SpatialCoordinatesContentItem) regions.get(0);
        assertEquals("INFERRED FROM", region.getRelationshipType());
        assertEquals("NUM", ((com.pixelmed.dicom.ContentItem) region.getParent()).getValueType());
        assertEquals("118565006", ((com.pixelmed.dicom.ContentItem) region.getParent()).getConceptNameCodeValue());
        assertEquals("POLYLINE", region.getGraphicType());
        // the L's outline in pixel-corner coordinates, clockwise, closed
        assertArrayEquals(new float[] {10, 20, 11, 20, 11, 22, 13, 22, 13, 23, 10, 23, 10, 20}, region.getGraphicData());
        assertEquals(1, region.getChildCount());
        var image = (com.pixelmed.dicom.ContentItemFactory.ImageContentItem) region.getChildAt(0);
        assertEquals("SELECTED FROM", image.getRelationshipType());
        assertEquals(mr.sopInstanceUids().get(2), image.getReferencedSOPInstanceUID(), "the slice where the segment is largest");
        assertEquals(Attribute.getSingleStringValueOrEmptyString(firstSlice, TagFromName.SOPClassUID),
                image.getReferencedSOPClassUID());

        String dump = run("dsrdump", "+Pc", "+Pl", sr.toString());
        assertTrue(dump.contains("(121106,DCM,\"Comment\")=\"Most likely: Normal (probability 0.70)\""), dump);
    }

    private static void collect(com.pixelmed.dicom.ContentItem item, String valueType, List<com.pixelmed.dicom.ContentItem> out) {
        if (valueType.equals(item.getValueType())) {
            out.add(item);
        }
        for (int i = 0; i < item.getChildCount(); i++) {
            collect((com.pixelmed.dicom.ContentItem) item.getChildAt(i), valueType, out);
        }
    }
}
