package org.radflow.report;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.CodeStringAttribute;
import com.pixelmed.dicom.DecimalStringAttribute;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.PersonNameAttribute;
import com.pixelmed.dicom.SpecificCharacterSet;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.TransferSyntax;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.ApiVersion;
import org.radflow.api.Concept;
import org.radflow.api.Finding;
import org.radflow.api.KeyImage;
import org.radflow.api.ModelIdentity;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleResult;
import org.radflow.api.Trigger;
import org.radflow.jobs.Job;
import org.radflow.jobs.JobState;
import org.radflow.routing.Priority;
import org.radflow.testdata.ChestOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.GeneratedVolume;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Patient;
import org.radflow.testdata.Synth;
import org.radflow.dicom.OutputUids;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every kind of object RadFlow writes (SR, Secondary Capture report page, SEG), made from odd-but-legal inputs, passes
 * dciodvfy, PixelMed's DicomInstanceValidator and (for SRs) DicomSRValidator with 0 errors.
 *
 * <p>The MR result also carries a qualitative evaluation ({@link Finding.Qualitative}), the SR's CODE and TEXT rows.
 *
 * <p>The inputs are what PACSs really send and a writer that copies strings gets wrong: Image Position values of 16
 * characters whose re-formatting is longer (and one source value of 18, which some modalities write though DS allows
 * 16), a 35 × 51 crop (frames not byte-aligned once bit-packed), a UTF-8 (ISO_IR 192) patient name with ideographic
 * and phonetic groups, empty type 2 attributes, and no Laterality.
 */
class OutputConformanceTest {

    @TempDir
    static Path dir;

    static Map<String, Validators.Report> reports = new LinkedHashMap<>();

    static final Patient JAPANESE = new Patient("Yamada^Tarou", "ID-J1", "19500101", "M", "076Y");

    @BeforeAll
    static void writeAll() throws Exception {
        // HippoVolume-like: measurements with finding-site modifiers, a segmentation, key images, on an odd MR crop
        GeneratedVolume mr = Synth.brainMrWithLabels(dir.resolve("mr"), MrOptions.defaults().withDimensions(35, 51, 12)
                .withSpacing(0.9375, 0.9375, 1.2).withPatient(JAPANESE));
        GeneratedSeries odd = oddInputs(mr.series());
        ReportInput hippo = input(odd, "hippovolume", hippoResult(odd, mr));
        write("mr", hippo);

        // COVID-Net-like: a classification with probabilities and a predicted class on a chest radiograph
        GeneratedSeries dx = Synth.chestRadiograph(dir.resolve("dx"), ChestOptions.defaults());
        ReportInput covid = input(dx, "covidnet", covidResult(dx));
        write("dx", covid);
    }

    @Test
    void everySegPassesEveryValidator() {
        checkKind("SEG ");
    }

    @Test
    void everySrPassesEveryValidator() {
        checkKind("SR ");
    }

    @Test
    void everyReportPagePassesEveryValidator() {
        checkKind("SC ");
    }

    @Test
    void decimalStringsAreFormattedNotCopied() throws Exception {
        for (Path f : reports.values().stream().map(Validators.Report::file).toList()) {
            AttributeList l = new AttributeList();
            l.read(f.toString());
            assertDsFit(l, f.getFileName().toString());
        }
    }

    @Test
    void measurementsOnSegmentsReferenceTheSegSegmentWithStandardModifiers() throws Exception {
        AttributeList sr = read("SR mr");
        AttributeList seg = read("SEG mr");
        String segUid = Attribute.getSingleStringValueOrEmptyString(seg, com.pixelmed.dicom.TagFromName.SOPInstanceUID);
        com.pixelmed.dicom.StructuredReport tree = new com.pixelmed.dicom.StructuredReport(sr);
        List<String> references = new ArrayList<>();
        List<String> siteModifiers = new ArrayList<>();
        collect((com.pixelmed.dicom.ContentItem) tree.getRoot(), references, siteModifiers);
        assertEquals(List.of(segUid + "#1", segUid + "#2"), references, "anterior and posterior each reference their segment");
        assertTrue(siteModifiers.containsAll(List.of("272741003=7771000", "106233006=255549009", "106233006=255551008")),
                siteModifiers.toString());
        // the SEG is listed in the SR's evidence, and its segment types carry the same modifiers
        assertTrue(sr.toString().contains(segUid) && sr.get(com.pixelmed.dicom.TagFromName.CurrentRequestedProcedureEvidenceSequence)
                .toString().contains(segUid), "SEG in Current Requested Procedure Evidence");
        String segText = seg.toString();
        assertTrue(segText.contains("255549009") && segText.contains("255551008") && segText.contains("7771000"),
                "segment type modifiers written");
    }

    /** The segment volumes' image regions (SCOORD POLYLINE, issue 14) are in the SR the validators pass, on the 35 x 51 crop. */
    @Test
    void segmentMeasurementsCarryTheirOutlineOnAnInputSlice() throws Exception {
        AttributeList sr = read("SR mr");
        List<com.pixelmed.dicom.ContentItem> regions = new ArrayList<>();
        scoords((com.pixelmed.dicom.ContentItem) new com.pixelmed.dicom.StructuredReport(sr).getRoot(), regions);
        assertEquals(2, regions.size(), "anterior and posterior volumes each have their outline; the total has none");
        String inputs = sr.get(com.pixelmed.dicom.TagFromName.CurrentRequestedProcedureEvidenceSequence).toString();
        for (var item : regions) {
            var region = (com.pixelmed.dicom.ContentItemFactory.SpatialCoordinatesContentItem) item;
            assertEquals("INFERRED FROM", region.getRelationshipType());
            assertEquals("POLYLINE", region.getGraphicType());
            float[] g = region.getGraphicData();
            assertTrue(g.length >= 10 && g[0] == g[g.length - 2] && g[1] == g[g.length - 1], "a closed polygon");
            for (int i = 0; i < g.length; i += 2) {
                assertTrue(g[i] >= 0 && g[i] <= 35 && g[i + 1] >= 0 && g[i + 1] <= 51, "inside the 35 x 51 image");
            }
            var image = (com.pixelmed.dicom.ContentItemFactory.ImageContentItem) region.getChildAt(0);
            assertEquals("SELECTED FROM", image.getRelationshipType());
            assertTrue(inputs.contains(image.getReferencedSOPInstanceUID()), "an input slice");
        }
    }

    private static void scoords(com.pixelmed.dicom.ContentItem item, List<com.pixelmed.dicom.ContentItem> out) {
        if ("SCOORD".equals(item.getValueType())) {
            out.add(item);
        }
        for (int i = 0; i < item.getChildCount(); i++) {
            scoords((com.pixelmed.dicom.ContentItem) item.getChildAt(i), out);
        }
    }

    private static void collect(com.pixelmed.dicom.ContentItem item, List<String> references, List<String> siteModifiers) {
        String concept = item.getConceptNameCodeValue();
        if ("121191".equals(concept) && item instanceof com.pixelmed.dicom.ContentItemFactory.ImageContentItem image) {
            references.add(image.getReferencedSOPInstanceUID() + "#" + image.getReferencedSegmentNumber());
        }
        if (("272741003".equals(concept) || "106233006".equals(concept))
                && item instanceof com.pixelmed.dicom.ContentItemFactory.CodeContentItem code) {
            siteModifiers.add(concept + "=" + code.getConceptCode().getCodeValue());
        }
        for (int i = 0; i < item.getChildCount(); i++) {
            collect((com.pixelmed.dicom.ContentItem) item.getChildAt(i), references, siteModifiers);
        }
    }

    private static AttributeList read(String prefix) throws Exception {
        for (var e : reports.entrySet()) {
            if (e.getKey().startsWith(prefix + " ")) {
                AttributeList l = new AttributeList();
                l.read(e.getValue().file().toString());
                return l;
            }
        }
        throw new AssertionError("no " + prefix + " written");
    }

    private static void assertDsFit(AttributeList l, String where) throws Exception {
        for (Attribute a : l.values()) {
            if (a instanceof com.pixelmed.dicom.SequenceAttribute s) {
                for (int i = 0; i < s.getNumberOfItems(); i++) {
                    assertDsFit(s.getItem(i).getAttributeList(), where);
                }
            } else if (a instanceof DecimalStringAttribute) {
                for (String v : a.getOriginalStringValues()) {
                    assertTrue(v.length() <= 16, where + " " + a.getTag() + " value '" + v + "' longer than 16");
                }
            }
        }
    }

    private static void checkKind(String prefix) {
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (var e : reports.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                checked++;
                System.out.println(e.getKey() + ": " + e.getValue().validators() + ": " + e.getValue().errors().size() + " error(s), "
                        + e.getValue().warnings().size() + " dciodvfy warning(s)" + (e.getValue().warnings().isEmpty()
                        ? "" : "\n  " + String.join("\n  ", e.getValue().warnings())));
                failures.addAll(e.getValue().errors().stream().map(x -> e.getKey() + ": " + x).toList());
            }
        }
        assertTrue(checked > 0, "no " + prefix + " object written");
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    private static String kindOf(ReportObjectWriter w) {
        return w instanceof SrWriter ? "SR" : w instanceof SegWriter ? "SEG" : "SC";
    }

    private static void write(String name, ReportInput in) throws Exception {
        Path out = Files.createDirectories(dir.resolve("out-" + name));
        List<Path> files = new ArrayList<>();
        for (ReportObjectWriter w : List.of(new SrWriter(), new SegWriter(), new PageWriter())) {
            for (Path f : w.write(in, out)) {
                files.add(f);
                reports.put(kindOf(w) + " " + name + " " + f, Validators.check(f));
            }
        }
        String keep = System.getenv("RADFLOW_CONFORMANCE_KEEP");
        if (keep != null) { // e.g. RADFLOW_CONFORMANCE_KEEP=/tmp/conf to look at them
            for (Path f : files) {
                Files.copy(f, Files.createDirectories(Path.of(keep)).resolve(name + "-" + f.getFileName()),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /**
     * The series rewritten as a PACS might send it: UTF-8 names, long DS strings for positions, empty type 2 attributes.
     */
    static GeneratedSeries oddInputs(GeneratedSeries s) throws Exception {
        List<Path> files = new ArrayList<>();
        int i = 0;
        for (Path p : s.files()) {
            AttributeList a = new AttributeList();
            a.read(p.toString());
            SpecificCharacterSet utf8 = new SpecificCharacterSet(new String[] {"ISO_IR 192"});
            Attribute cs = new CodeStringAttribute(TagFromName.SpecificCharacterSet);
            cs.addValue("ISO_IR 192");
            a.put(cs);
            Attribute pn = new PersonNameAttribute(TagFromName.PatientName, utf8);
            pn.addValue("Yamada^Tarou=山田^太郎=やまだ^たろう");
            a.put(pn);
            for (AttributeTag empty : new AttributeTag[] {TagFromName.ReferringPhysicianName, TagFromName.StudyID,
                    TagFromName.AccessionNumber, TagFromName.PatientBirthDate, TagFromName.PatientSex}) {
                a.remove(empty);
                a.put(com.pixelmed.dicom.AttributeFactory.newAttribute(empty, a.getDictionary().getValueRepresentationFromTag(empty), utf8));
            }
            a.remove(TagFromName.Laterality);
            double[] ipp = Attribute.getDoubleValues(a, TagFromName.ImagePositionPatient);
            Attribute pos = new DecimalStringAttribute(TagFromName.ImagePositionPatient);
            // 16 characters that are not the shortest form, and on the first slice an 18-character one as some modalities write
            pos.addValue(i == 0 ? "3.5999999999999996" : String.format(java.util.Locale.ROOT, "%16.10f", ipp[0]).strip());
            pos.addValue(String.format(java.util.Locale.ROOT, "%.12f", ipp[1]).substring(0, Math.min(16,
                    String.format(java.util.Locale.ROOT, "%.12f", ipp[1]).length())));
            pos.addValue(String.format(java.util.Locale.ROOT, "%.12f", ipp[2]).substring(0, Math.min(16,
                    String.format(java.util.Locale.ROOT, "%.12f", ipp[2]).length())));
            a.put(pos);
            a.removeGroupLengthAttributes();
            a.removeMetaInformationHeaderAttributes();
            FileMetaInformation.addFileMetaInformation(a, TransferSyntax.ExplicitVRLittleEndian, "SYNTH");
            Path q = p.resolveSibling("odd-" + p.getFileName());
            a.write(q.toFile(), TransferSyntax.ExplicitVRLittleEndian, true, true);
            files.add(q);
            i++;
        }
        return new GeneratedSeries(s.studyInstanceUid(), s.seriesInstanceUid(), s.modality(), files, s.sopInstanceUids());
    }

    static ReportInput input(GeneratedSeries s, String module, ModuleResult result) throws Exception {
        Map<String, AttributeList> sources = new LinkedHashMap<>();
        for (Path p : s.files()) {
            AttributeList a = new AttributeList();
            a.read(p.toString(), TagFromName.PixelData);
            sources.put(Attribute.getSingleStringValueOrEmptyString(a, TagFromName.SOPInstanceUID), a);
        }
        AttributeList first = sources.values().iterator().next();
        Instant t = Instant.parse("2026-03-14T09:26:53Z");
        Job job = new Job("job-" + module, "series:" + s.studyInstanceUid() + "/" + s.seriesInstanceUid(), Trigger.SERIES,
                s.studyInstanceUid(), s.seriesInstanceUid(), null, module, "1.2.0", "rule", Priority.NORMAL,
                List.of("pacs"), s.files(), OutputUids.inputHash(s.sopInstanceUids()), 1, null, JobState.RUNNING, 1, null,
                0.9, "writing outputs", t, t, t, null, null);
        ModuleDescriptor descriptor = ModuleDescriptor.builder(module, "1.2.0", ApiVersion.MAJOR, ApiVersion.MINOR)
                .displayName(module.equals("covidnet") ? "COVID-Net" : "Hippocampal volume")
                .model(new ModelIdentity(module + "-demo", "0.1", "demo model", true))
                .build();
        return new ReportInput(job, descriptor, result, sources, first, t.plusSeconds(5), null);
    }

    static ModuleResult hippoResult(GeneratedSeries s, GeneratedVolume truth) {
        Concept hippocampus = Concept.sct("5366008", "Hippocampus");
        Concept volume = Concept.sct("118565006", "Volume");
        Concept mm3 = Concept.ucum("mm3", "cubic millimeter");
        int cols = 35;
        int rows = 51;
        int slices = s.sopInstanceUids().size();
        byte[] labels = new byte[cols * rows * slices];
        byte[][][] gt = truth.labels();
        for (int z = 0; z < slices; z++) {
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    labels[(z * rows + r) * cols + c] = gt[z][r][c];
                }
            }
        }
        Concept structure = Concept.sct("123037004", "Anatomical Structure");
        // standard post-coordinated codes: Hippocampus + Anterior/Posterior (+ Left), measured on SEG segments (TID 1411)
        var left = Finding.Modifier.laterality(Concept.sct("7771000", "Left"));
        var front = Finding.Modifier.topographical(Concept.sct("255549009", "Anterior"));
        var back = Finding.Modifier.topographical(Concept.sct("255551008", "Posterior"));
        var anteriorSegment = new Finding.Segment(GeneratedVolume.ANTERIOR, "Anterior hippocampus", structure, hippocampus,
                List.of(left, front), 0xFFD700);
        var posteriorSegment = new Finding.Segment(GeneratedVolume.POSTERIOR, "Posterior hippocampus", structure,
                hippocampus, List.of(left, back), 0x1E90FF);
        var seg = new Finding.Segmentation(hippocampus, cols, rows, slices, labels,
                List.of(anteriorSegment, posteriorSegment), s.sopInstanceUids());
        List<String> evidence = s.sopInstanceUids();
        var total = new Finding.Measurement(hippocampus, volume, 3012.5, mm3, hippocampus, List.of(left), null, evidence);
        var anterior = new Finding.Measurement(hippocampus, volume, 1600.25, mm3, hippocampus, List.of(left, front),
                anteriorSegment, evidence);
        var posterior = new Finding.Measurement(hippocampus, volume, 1412.25, mm3, hippocampus, List.of(left, back),
                posteriorSegment, evidence);
        int[] rgb = new int[64 * 48];
        java.util.Arrays.fill(rgb, 0x404040);
        // a stated coded answer (Finding.Qualitative) with its reference and comment; made-up text, not a published norm
        var band = new Finding.Qualitative(hippocampus, new Concept("99RADFLOW", "TEST-BAND", "Test band of total volume"),
                new Concept("99RADFLOW", "PCTL-5-10", "Between the 5th and 10th percentile"),
                "FICTIONAL reference table for tests", "Compared with: fictional test group (ünïcode).", evidence);
        return ModuleResult.completed(List.of(total, anterior, posterior, seg, band),
                List.of(new KeyImage("Axial slice (gold: anterior, blue: posterior)", 64, 48, rgb, s.sopInstanceUids().get(5))),
                "Hippocampal volume 3012 mm³ (anterior 1600, posterior 1412).", Map.of("threshold", "0.5", "axis", "z"));
    }

    static ModuleResult covidResult(GeneratedSeries s) {
        Concept normal = Concept.sct("17621005", "Normal");
        Concept pneumonia = Concept.sct("233604007", "Pneumonia");
        Concept covid = Concept.sct("840539006", "COVID-19");
        var cls = new Finding.Classification(new Concept("99RADFLOW", "COVIDNET-001",
                "COVID-Net chest radiograph classification"), List.of(
                new Finding.ClassProbability(normal, 0.7),
                new Finding.ClassProbability(pneumonia, 0.2),
                new Finding.ClassProbability(covid, 0.1)), normal, s.sopInstanceUids());
        return ModuleResult.completed(List.of(cls), List.of(), "Most likely normal (0.70).", Map.of("profile", "demo"));
    }

    @Test
    void everyKindWasChecked() {
        assertEquals(2, reports.keySet().stream().filter(k -> k.startsWith("SR ")).count());
        assertEquals(2, reports.keySet().stream().filter(k -> k.startsWith("SC ")).count());
        assertEquals(1, reports.keySet().stream().filter(k -> k.startsWith("SEG ")).count());
    }
}
