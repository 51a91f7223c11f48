package org.radflow.report;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.CodeStringAttribute;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.PersonNameAttribute;
import com.pixelmed.dicom.SpecificCharacterSet;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.TransferSyntax;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.radflow.api.ApiVersion;
import org.radflow.api.Concept;
import org.radflow.api.Finding;
import org.radflow.api.KeyImage;
import org.radflow.api.ModelIdentity;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleResult;
import org.radflow.api.Trigger;
import org.radflow.dicom.OutputUids;
import org.radflow.jobs.Job;
import org.radflow.jobs.JobState;
import org.radflow.routing.Priority;
import org.radflow.testdata.ChestOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Patient;
import org.radflow.testdata.Synth;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PageWriterTest {

    static final Path TARGET = Path.of("target");

    @TempDir
    Path tmp;

    @BeforeAll
    static void headless() {
        System.setProperty("java.awt.headless", "true");
    }

    // ------------------------------------------------------------------ fixtures

    static ReportInput input(GeneratedSeries s, boolean demo) throws Exception {
        Map<String, AttributeList> sources = new LinkedHashMap<>();
        for (Path p : s.files()) {
            AttributeList a = new AttributeList();
            a.read(p.toString(), TagFromName.PixelData);
            sources.put(Attribute.getSingleStringValueOrEmptyString(a, TagFromName.SOPInstanceUID), a);
        }
        return input(s, sources, demo);
    }

    static ReportInput input(GeneratedSeries s, Map<String, AttributeList> sources, boolean demo) {
        AttributeList first = sources.values().iterator().next();
        String hash = OutputUids.inputHash(s.sopInstanceUids());
        Instant t = Instant.parse("2026-03-14T09:26:53Z");
        Job job = new Job("job-42", "series:" + s.studyInstanceUid() + "/" + s.seriesInstanceUid(), Trigger.SERIES,
                s.studyInstanceUid(), s.seriesInstanceUid(), null, "hippo-volume", "1.2.0", "mr-brain", Priority.NORMAL,
                List.of("pacs"), s.files(), hash, 1, null, JobState.RUNNING, 1, null, 0.9, "writing outputs",
                t, t, t, null, null);
        ModuleDescriptor module = ModuleDescriptor.builder("hippo-volume", "1.2.0", ApiVersion.MAJOR, ApiVersion.MINOR)
                .displayName("Hippocampus Volumetry")
                .model(new ModelIdentity("HippoNet-Small", "0.3.1", "3D U-Net trained on synthetic data", demo))
                .build();
        return new ReportInput(job, module, result(s), sources, first, t.plusSeconds(5), null);
    }

    static ModuleResult result(GeneratedSeries s) {
        Concept hippo = Concept.sct("17561000", "Hippocampus");
        var volume = new Finding.Measurement(hippo, Concept.sct("118565006", "Volume"), 2345.4,
                Concept.ucum("mm3", "cubic millimeter"), Concept.sct("5300000", "Left hippocampus"), s.sopInstanceUids());
        Concept normal = new Concept("99RADFLOW", "N", "Normal");
        Concept mild = new Concept("99RADFLOW", "M", "Mild atrophy");
        Concept severe = new Concept("99RADFLOW", "S", "Severe atrophy");
        var cls = new Finding.Classification(Concept.sct("43258001", "Atrophy of hippocampus"), List.of(
                new Finding.ClassProbability(normal, 0.18),
                new Finding.ClassProbability(mild, 0.71),
                new Finding.ClassProbability(severe, 0.11)), mild, s.sopInstanceUids());
        int cols = 8;
        int rows = 8;
        int slices = s.sopInstanceUids().size();
        byte[] labels = new byte[cols * rows * slices];
        for (int i = 0; i < labels.length; i++) {
            int x = i % cols;
            labels[i] = (byte) (x < 2 ? 1 : x > 5 ? 2 : 0);
        }
        var seg = new Finding.Segmentation(hippo, cols, rows, slices, labels, List.of(
                new Finding.Segment(1, "Left hippocampus", Concept.sct("91723000", "Anatomical structure"), hippo, 0xE6194B),
                new Finding.Segment(2, "Right hippocampus", Concept.sct("91723000", "Anatomical structure"), hippo, 0x3CB44B)),
                s.sopInstanceUids());
        int w = 256;
        int h = 200;
        int[] rgb = new int[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int v = (x + y) * 255 / (w + h);
                rgb[y * w + x] = (x >= 100 && x < 140 && y >= 80 && y < 120) ? 0xFF0000 : (v << 16) | (v << 8) | v;
            }
        }
        String mid = s.sopInstanceUids().get(s.sopInstanceUids().size() / 2);
        return ModuleResult.completed(List.of(volume, cls, seg), List.of(
                        new KeyImage("Axial slice through the left hippocampus (red: segmentation)", w, h, rgb, mid),
                        new KeyImage("Same slice, no overlay", w, h, rgb.clone(), mid)),
                "Left hippocampal volume 2 345 mm³; pattern most consistent with mild atrophy (synthetic test result).",
                Map.of("profile", "fast"));
    }

    static List<String> dciodvfy(Path file) throws Exception {
        Process p = new ProcessBuilder("dciodvfy", file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return out.lines().toList();
    }

    static void png(BufferedImage page, String name) throws IOException {
        Files.createDirectories(TARGET);
        ImageIO.write(page, "png", TARGET.resolve("report-page-" + name + ".png").toFile());
    }

    static AttributeList read(Path file) throws Exception {
        AttributeList a = new AttributeList();
        a.read(file.toString());
        return a;
    }

    // ------------------------------------------------------------------ tests

    @Test
    void brainMrPageIsAValidSecondaryCaptureInTheStudyWithDeterministicUids() throws Exception {
        GeneratedSeries s = Synth.brainMr(tmp.resolve("in"), MrOptions.defaults().withAccessionNumber("ACC-2026-0042"));
        ReportInput in = input(s, true);
        PageWriter w = new PageWriter();
        assertEquals("sc", w.kind());
        Path out1 = Files.createDirectories(tmp.resolve("out1"));
        Path out2 = Files.createDirectories(tmp.resolve("out2"));
        List<Path> files = w.write(in, out1);
        assertEquals(1, files.size());
        Path file = files.get(0);

        List<String> report = dciodvfy(file);
        Files.createDirectories(TARGET);
        Files.write(TARGET.resolve("report-page-mr.dciodvfy.txt"), report);
        List<String> errors = report.stream().filter(l -> l.startsWith("Error")).toList();
        assertTrue(errors.isEmpty(), () -> String.join("\n", report));

        AttributeList sc = read(file);
        assertEquals(PageWriter.SECONDARY_CAPTURE, Attribute.getSingleStringValueOrEmptyString(sc, TagFromName.SOPClassUID));
        assertEquals(in.uid("sc.instance"), Attribute.getSingleStringValueOrEmptyString(sc, TagFromName.SOPInstanceUID));
        assertEquals(in.uid("sc.series"), Attribute.getSingleStringValueOrEmptyString(sc, TagFromName.SeriesInstanceUID));
        assertNotEquals(s.seriesInstanceUid(), in.uid("sc.series"));
        assertEquals(s.studyInstanceUid(), Attribute.getSingleStringValueOrEmptyString(sc, TagFromName.StudyInstanceUID));
        assertEquals("OT", Attribute.getSingleStringValueOrEmptyString(sc, TagFromName.Modality));
        assertEquals("WSD", Attribute.getSingleStringValueOrEmptyString(sc, TagFromName.ConversionType));
        assertEquals("YES", Attribute.getSingleStringValueOrEmptyString(sc, TagFromName.BurnedInAnnotation));
        assertEquals("RGB", Attribute.getSingleStringValueOrEmptyString(sc, TagFromName.PhotometricInterpretation));
        assertEquals(3, Attribute.getSingleIntegerValueOrDefault(sc, TagFromName.SamplesPerPixel, 0));
        assertEquals(0, Attribute.getSingleIntegerValueOrDefault(sc, TagFromName.PlanarConfiguration, -1));
        assertEquals(1024, Attribute.getSingleIntegerValueOrDefault(sc, TagFromName.Columns, 0));
        assertTrue(Attribute.getSingleIntegerValueOrDefault(sc, TagFromName.Rows, 0) >= 1324);
        assertEquals("HEAD", Attribute.getSingleStringValueOrEmptyString(sc, TagFromName.BodyPartExamined));
        assertEquals("RADFLOW", Attribute.getSingleStringValueOrEmptyString(sc, TagFromName.SourceApplicationEntityTitle));
        assertEquals(TransferSyntax.ExplicitVRLittleEndian,
                Attribute.getSingleStringValueOrEmptyString(sc, TagFromName.TransferSyntaxUID));
        assertEquals("RadFlow", Attribute.getSingleStringValueOrEmptyString(sc, TagFromName.Manufacturer));
        for (var tag : List.of(TagFromName.ImagePositionPatient, TagFromName.ImageOrientationPatient,
                TagFromName.PixelSpacing, TagFromName.FrameOfReferenceUID, TagFromName.SliceLocation)) {
            assertNull(sc.get(tag), tag.toString());
        }

        // same inputs, module and version: same UIDs and the same page
        Path again = w.write(in, out2).get(0);
        AttributeList sc2 = read(again);
        assertEquals(Attribute.getSingleStringValueOrEmptyString(sc, TagFromName.SOPInstanceUID),
                Attribute.getSingleStringValueOrEmptyString(sc2, TagFromName.SOPInstanceUID));
        assertEquals(Attribute.getSingleStringValueOrEmptyString(sc, TagFromName.SeriesInstanceUID),
                Attribute.getSingleStringValueOrEmptyString(sc2, TagFromName.SeriesInstanceUID));

        png(w.render(in), "mr");
    }

    @Test
    void chestRadiographPageIsValid() throws Exception {
        GeneratedSeries s = Synth.chestRadiograph(tmp.resolve("in"), ChestOptions.defaults()
                .withPatient(Patient.of("Smith^Anna^Marie^Dr.", "CXR-0007")));
        ReportInput in = input(s, false);
        Path file = new PageWriter().write(in, Files.createDirectories(tmp.resolve("out"))).get(0);
        List<String> report = dciodvfy(file);
        Files.createDirectories(TARGET);
        Files.write(TARGET.resolve("report-page-chest.dciodvfy.txt"), report);
        assertTrue(report.stream().noneMatch(l -> l.startsWith("Error")), () -> String.join("\n", report));
        png(new PageWriter().render(in), "chest");
    }

    /**
     * The page painted straight onto its final raster is the page painted on a tall scratch page and copied (how every
     * page was made before), pixel for pixel, and the Secondary Capture's Pixel Data is that page's RGB: for an MR
     * page with key images, a chest page with a 512-wide key image, a Japanese name, and a page taller than the minimum.
     */
    @Test
    void pagePaintedStraightOntoItsRasterIsThePageCopiedFromAScratchPage() throws Exception {
        GeneratedSeries mr = Synth.brainMr(tmp.resolve("mr"), MrOptions.defaults());
        ReportInput mrIn = input(mr, true);
        GeneratedSeries cxr = Synth.chestRadiograph(tmp.resolve("cxr"), ChestOptions.defaults()
                .withPatient(Patient.of("Yamada^Tarou=山田^太郎", "CXR-0008")));
        ReportInput cxrBase = input(cxr, false);
        int kw = 512;
        int kh = 512;
        int[] rgb = new int[kw * kh];
        for (int i = 0; i < rgb.length; i++) {
            int v = (i * 7 + i / kw * 3) & 0xFF;
            rgb[i] = (i % kw == 100 || i / kw == 60) ? 0xFFD400 : 0xAB000000 | v << 16 | v << 8 | v; // junk in the alpha byte
        }
        ReportInput cxrIn = new ReportInput(cxrBase.job(), cxrBase.module(), ModuleResult.completed(
                cxrBase.result().findings(), List.of(new KeyImage("Chest radiograph", kw, kh, rgb, null)), "Summary.",
                Map.of()), cxrBase.sources(), cxrBase.first(), cxrBase.createdAt(), null);
        List<KeyImage> keys = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            keys.add(new KeyImage("Slice " + i, 200, 240, java.util.Arrays.copyOf(rgb, 200 * 240), null));
        }
        ReportInput tall = new ReportInput(mrIn.job(), mrIn.module(), ModuleResult.completed(mrIn.result().findings(), keys,
                "Tall.", Map.of()), mrIn.sources(), mrIn.first(), mrIn.createdAt(), null);
        PageWriter w = new PageWriter();
        for (ReportInput in : List.of(mrIn, cxrIn, tall)) {
            BufferedImage direct = w.render(in, true);
            BufferedImage copied = w.render(in, false);
            assertEquals(copied.getHeight(), direct.getHeight());
            int n = PageWriter.WIDTH * direct.getHeight();
            int[] a = direct.getRGB(0, 0, PageWriter.WIDTH, direct.getHeight(), null, 0, PageWriter.WIDTH);
            int[] b = copied.getRGB(0, 0, PageWriter.WIDTH, copied.getHeight(), null, 0, PageWriter.WIDTH);
            for (int i = 0; i < n; i++) {
                assertEquals(b[i], a[i], "pixel " + (i % PageWriter.WIDTH) + "," + (i / PageWriter.WIDTH));
            }
            byte[] stored = w.attributes(in, direct).getPixelData().getByteValues();
            for (int i = 0; i < n; i++) {
                assertEquals((byte) (b[i] >> 16), stored[3 * i]);
                assertEquals((byte) (b[i] >> 8), stored[3 * i + 1]);
                assertEquals((byte) b[i], stored[3 * i + 2]);
            }
        }
        assertTrue(w.render(tall, true).getHeight() > PageWriter.MIN_HEIGHT);
        // the chest page's content fits on MIN_HEIGHT, its footer does not: the direct page is copied, not painted again
        assertTrue(w.render(cxrIn, true).getHeight() > PageWriter.MIN_HEIGHT);
    }

    /** PITFALLS: without Body Part Examined the SC must still satisfy dciodvfy (no Laterality complaint). */
    @Test
    void sourceWithoutBodyPartStillValid() throws Exception {
        GeneratedSeries s = Synth.brainMr(tmp.resolve("in"), MrOptions.defaults());
        ReportInput ok = input(s, false);
        AttributeList first = (AttributeList) ok.first().clone();
        first.remove(TagFromName.BodyPartExamined);
        ReportInput in = new ReportInput(ok.job(), ok.module(), ok.result(), ok.sources(), first, ok.createdAt(), null);
        Path file = new PageWriter().write(in, Files.createDirectories(tmp.resolve("out"))).get(0);
        assertNull(read(file).get(TagFromName.BodyPartExamined));
        List<String> report = dciodvfy(file);
        Files.createDirectories(TARGET);
        Files.write(TARGET.resolve("report-page-nobodypart.dciodvfy.txt"), report);
        assertTrue(report.stream().noneMatch(l -> l.startsWith("Error")), () -> String.join("\n", report));
    }

    /** Many key images and a long summary: the page grows (still 1024 wide) and stays valid. */
    @Test
    void manyKeyImagesMakeATallerPage() throws Exception {
        GeneratedSeries s = Synth.brainMr(tmp.resolve("in"), MrOptions.defaults());
        ReportInput ok = input(s, true);
        List<KeyImage> keys = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            int w = 120 + 40 * (i % 3);
            int h = 160;
            int[] rgb = new int[w * h];
            for (int j = 0; j < rgb.length; j++) {
                int v = (j % w) * 255 / w;
                rgb[j] = (v << 16) | ((255 - v) << 8) | (i * 20);
            }
            keys.add(new KeyImage("Slice " + (i + 1) + " of the hippocampus with a rather long caption that has to wrap", w, h, rgb, null));
        }
        ModuleResult r = ModuleResult.completed(ok.result().findings(), keys,
                String.join(" ", java.util.Collections.nCopies(12, "A long summary sentence that goes on.")), Map.of());
        ReportInput in = new ReportInput(ok.job(), ok.module(), r, ok.sources(), ok.first(), ok.createdAt(), null);
        BufferedImage page = new PageWriter().render(in);
        assertEquals(PageWriter.WIDTH, page.getWidth());
        assertTrue(page.getHeight() > PageWriter.MIN_HEIGHT);
        assertEquals(0, page.getHeight() % 2);
        png(page, "many");
        Path file = new PageWriter().write(in, Files.createDirectories(tmp.resolve("out"))).get(0);
        List<String> report = dciodvfy(file);
        assertTrue(report.stream().noneMatch(l -> l.startsWith("Error")), () -> String.join("\n", report));
    }

    /**
     * A qualitative evaluation (a stated band of a reference table, here a made-up one) is printed as text with its
     * reference and comment, never as a probability; the page with it differs from the page without it only by it.
     */
    @Test
    void qualitativeEvaluationIsPrintedAsTextWithItsReference() throws Exception {
        GeneratedSeries s = Synth.brainMr(tmp.resolve("in"), MrOptions.defaults());
        ReportInput ok = input(s, false);
        var band = new Finding.Qualitative(Concept.sct("17561000", "Hippocampus"),
                new Concept("99RADFLOW", "TEST-BAND", "Percentile band of total hippocampal volume"),
                new Concept("99RADFLOW", "PCTL-5-10", "Between the 5th and 10th percentile"),
                "FICTIONAL test table (not published data)", "Compared with: women aged 60 to under 65 (fictional).",
                s.sopInstanceUids());
        List<String> text = PageWriter.evaluationText(band);
        assertEquals(List.of("Percentile band of total hippocampal volume", "Between the 5th and 10th percentile",
                "Reference: FICTIONAL test table (not published data)",
                "Compared with: women aged 60 to under 65 (fictional)."), text);
        assertTrue(text.stream().noneMatch(l -> l.contains("%") || l.contains("predicted")), text.toString());
        assertEquals(List.of("A", "B"), PageWriter.evaluationText(new Finding.Qualitative(band.finding(),
                new Concept("99RADFLOW", "A", "A"), new Concept("99RADFLOW", "B", "B"), "", null, List.of())),
                "no empty reference or comment lines");
        assertEquals(List.of("A", "B (confidence 0.81)"), PageWriter.evaluationText(new Finding.Qualitative(band.finding(),
                new Concept("99X", "A", "A"), new Concept("99X", "B", "B"), "", "", List.of(), 0.8125)));

        List<Finding> with = new ArrayList<>(ok.result().findings());
        with.add(band);
        ModuleResult r = ModuleResult.completed(with, ok.result().keyImages(), ok.result().summary(), Map.of());
        ReportInput in = new ReportInput(ok.job(), ok.module(), r, ok.sources(), ok.first(), ok.createdAt(), null);
        BufferedImage plain = new PageWriter().render(ok);
        BufferedImage page = new PageWriter().render(in);
        png(page, "qualitative");
        assertEquals(plain.getWidth(), page.getWidth());
        int differing = 0;
        for (int y = 0; y < Math.min(plain.getHeight(), page.getHeight()); y++) {
            for (int x = 0; x < page.getWidth(); x++) {
                differing += plain.getRGB(x, y) != page.getRGB(x, y) ? 1 : 0;
            }
        }
        assertTrue(differing > 1000, "the evaluation is drawn (" + differing + " pixels differ)");
        Path file = new PageWriter().write(in, Files.createDirectories(tmp.resolve("out"))).get(0);
        List<String> report = dciodvfy(file);
        assertTrue(report.stream().noneMatch(l -> l.startsWith("Error")), () -> String.join("\n", report));
    }

    @Test
    void failedResultsMakeNoPage() throws Exception {
        GeneratedSeries s = Synth.brainMr(tmp.resolve("in"), MrOptions.defaults());
        ReportInput ok = input(s, true);
        ReportInput failed = new ReportInput(ok.job(), ok.module(), ModuleResult.failed("out of memory"), ok.sources(),
                ok.first(), ok.createdAt(), null);
        assertTrue(new PageWriter().write(failed, tmp).isEmpty());
    }

    @Test
    void valuesAndUnitsReadWell() {
        assertEquals("2 345 mm³", PageWriter.valueWithUnit(2345.4, Concept.ucum("mm3", "cubic millimeter")));
        assertEquals("12.5 mL", PageWriter.valueWithUnit(12.49, Concept.ucum("mL", "milliliter")));
        assertEquals("0.731", PageWriter.valueWithUnit(0.7312, Concept.ucum("1", "no units")));
        assertEquals("-850 HU", PageWriter.valueWithUnit(-850, Concept.ucum("[hnsf'U]", "Hounsfield unit")));
    }

    @Test
    void notoFontsAreInstalled() {
        assertTrue(PageFonts.notoInstalled(),
                "Noto fonts missing: install Debian fonts-noto-core and fonts-noto-cjk");
        var fonts = new PageFonts(PageFonts.CjkLocale.JP);
        assertTrue(fonts.primary(false, 12f).getFamily().startsWith("Noto Sans"));
        assertTrue(fonts.chain(false, 12f).get(1).getFamily().startsWith("Noto Sans CJK"));
    }

    /**
     * Names in several character sets: written with that Specific Character Set, read back by PixelMed, shown on the
     * page with glyphs for every character, and carried into the SC unchanged.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "latin1   | ISO_IR 100 | Müller^Jürgen                    | Müller, Jürgen",
            "greek    | ISO_IR 126 | Παπαδόπουλος^Γιώργος             | Παπαδόπουλος, Γιώργος",
            "greek8   | ISO_IR 192 | Παπαδόπουλος^Γιώργος             | Παπαδόπουλος, Γιώργος",
            "cyrillic | ISO_IR 144 | Иванов^Иван                      | Иванов, Иван",
            "cyrillic8| ISO_IR 192 | Иванов^Иван                      | Иванов, Иван",
            "cjk      | ISO_IR 192 | Yamada^Tarou=山田^太郎=やまだ^たろう | Yamada, Tarou   山田 太郎   (やまだ たろう)",
            "chinese  | ISO_IR 192 | 王^小明                           | 王 小明",
            "korean   | ISO_IR 192 | 홍^길동                            | 홍 길동",
    })
    void patientNamesInAnyCharacterSetRenderWithoutTofu(String label, String charset, String name, String shown)
            throws Exception {
        label = label.trim();
        Path inDir = tmp.resolve("in");
        GeneratedSeries s;
        if (charset.equals("ISO_IR 192")) {
            s = Synth.brainMr(inDir, MrOptions.defaults().withPatient(Patient.of(name, "PN-" + label)));
        } else {
            s = recode(Synth.brainMr(inDir, MrOptions.defaults()), charset, name);
        }
        ReportInput in = input(s, true);
        assertEquals(charset, Attribute.getSingleStringValueOrEmptyString(in.first(), TagFromName.SpecificCharacterSet));
        assertEquals(name, Attribute.getSingleStringValueOrEmptyString(in.first(), TagFromName.PatientName));
        String display = PageWriter.displayName(in.first());
        assertEquals(shown, display);

        // every character has a glyph in one of the page's fonts (Noto Sans, then Noto Sans CJK)
        var fonts = new PageFonts(PageFonts.CjkLocale.fromCharacterSets(new String[] {charset}));
        assertEquals(-1, fonts.canDisplayUpTo(display), "no glyph for a character of " + display);
        if (!label.startsWith("cjk") && !label.equals("chinese") && !label.equals("korean")) {
            // Latin, Greek and Cyrillic need no fallback at all
            assertEquals(-1, fonts.primary(true, 28f).canDisplayUpTo(display));
        }

        Path file = new PageWriter().write(in, Files.createDirectories(tmp.resolve("out"))).get(0);
        AttributeList sc = read(file);
        assertEquals(name, Attribute.getSingleStringValueOrEmptyString(sc, TagFromName.PatientName));
        assertEquals(charset, Attribute.getSingleStringValueOrEmptyString(sc, TagFromName.SpecificCharacterSet));
        List<String> report = dciodvfy(file);
        assertTrue(report.stream().noneMatch(l -> l.startsWith("Error")), () -> String.join("\n", report));
        png(new PageWriter().render(in), "name-" + label);
    }

    /** Rewrites a synthetic series with another Specific Character Set and patient name (PixelMed encodes it). */
    static GeneratedSeries recode(GeneratedSeries s, String charset, String name) throws Exception {
        List<Path> files = new ArrayList<>();
        for (Path p : s.files()) {
            AttributeList a = new AttributeList();
            a.read(p.toString());
            Attribute cs = new CodeStringAttribute(TagFromName.SpecificCharacterSet);
            cs.addValue(charset);
            a.put(cs);
            Attribute pn = new PersonNameAttribute(TagFromName.PatientName, new SpecificCharacterSet(new String[] {charset}));
            pn.addValue(name);
            a.put(pn);
            a.removeGroupLengthAttributes();
            a.removeMetaInformationHeaderAttributes();
            FileMetaInformation.addFileMetaInformation(a, TransferSyntax.ExplicitVRLittleEndian, "SYNTH");
            Path q = p.resolveSibling("recoded-" + p.getFileName());
            a.write(q.toFile(), TransferSyntax.ExplicitVRLittleEndian, true, true);
            files.add(q);
        }
        // the bytes on disk are in the 8-bit character set, not UTF-8
        byte[] raw = Files.readAllBytes(files.get(0));
        String decoded = new String(raw, java.nio.charset.Charset.forName(switch (charset) {
            case "ISO_IR 100" -> "ISO-8859-1";
            case "ISO_IR 126" -> "ISO-8859-7";
            case "ISO_IR 144" -> "ISO-8859-5";
            default -> throw new IllegalArgumentException(charset);
        }));
        assertTrue(decoded.contains(name), "name not encoded in " + charset);
        assertFalse(new String(raw, StandardCharsets.UTF_8).contains(name));
        return new GeneratedSeries(s.studyInstanceUid(), s.seriesInstanceUid(), s.modality(), files, s.sopInstanceUids());
    }

    @Test
    void siteLabelNamesModifiersLateralityFirst() {
        Concept hippocampus = Concept.sct("5366008", "Hippocampus");
        var m = new org.radflow.api.Finding.Measurement(hippocampus, Concept.sct("118565006", "Volume"), 1.0,
                Concept.ucum("mm3", "cubic millimeter"), hippocampus,
                List.of(org.radflow.api.Finding.Modifier.topographical(Concept.sct("255549009", "Anterior")),
                        org.radflow.api.Finding.Modifier.laterality(Concept.sct("7771000", "Left"))), null, List.of());
        org.junit.jupiter.api.Assertions.assertEquals("Hippocampus, left anterior", PageWriter.siteLabel(m));
        var plain = new org.radflow.api.Finding.Measurement(hippocampus, Concept.sct("118565006", "Volume"), 1.0,
                Concept.ucum("mm3", "cubic millimeter"), null, List.of());
        org.junit.jupiter.api.Assertions.assertEquals("Hippocampus", PageWriter.siteLabel(plain));
    }
}
