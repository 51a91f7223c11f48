package org.radflow.report;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.CodeStringAttribute;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.OtherByteAttribute;
import com.pixelmed.dicom.PersonNameAttribute;
import com.pixelmed.dicom.SOPClass;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.TransferSyntax;
import org.radflow.api.Concept;
import org.radflow.api.Finding;
import org.radflow.api.KeyImage;
import org.radflow.api.ModuleResult;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.font.FontRenderContext;
import java.awt.font.LineBreakMeasurer;
import java.awt.font.TextLayout;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.awt.image.SinglePixelPackedSampleModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Vector;

/**
 * The report page: a Secondary Capture Image (RGB, 8 bit, 1024 pixels wide) in the input's study and a new
 * series, showing the patient header, the findings, the key images with their captions, the segment legend,
 * the algorithm and model identity and "NOT FOR DIAGNOSTIC USE". {@link #render} gives the same page as a
 * {@link BufferedImage} (for the dashboard preview).
 */
public final class PageWriter implements ReportObjectWriter {

    public static final String SECONDARY_CAPTURE = SOPClass.SecondaryCaptureImageStorage;
    public static final int SERIES_NUMBER = 9902;
    public static final int WIDTH = 1024;
    /** A4 proportions at 1024 pixels wide; taller when the content needs it. */
    public static final int MIN_HEIGHT = 1448;

    private static final int MARGIN = 40;
    private static final int INNER = WIDTH - 2 * MARGIN;
    private static final int FOOTER_HEIGHT = 250;
    /** More would not fit a page: the rest are named, not drawn. */
    static final int MAX_KEY_IMAGES = 9;

    private static final Color INK = new Color(0x1A1A1A);
    private static final Color MUTED = new Color(0x5F6368);
    private static final Color BAND = new Color(0x12355B);
    private static final Color RULE = new Color(0xC9CED6);
    private static final Color ROW = new Color(0xF1F3F6);
    private static final Color BAR = new Color(0x9AA7B8);
    private static final Color PREDICTED = new Color(0xD35400);
    private static final Color WARNING = new Color(0xC0392B);

    private static final DateTimeFormatter PROCESSED = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss z", Locale.ROOT);

    static {
        System.setProperty("java.awt.headless", "true");
    }

    @Override
    public String kind() {
        return "sc";
    }

    @Override
    public List<Path> write(ReportInput in, Path directory) throws Exception {
        if (in.result().status() != ModuleResult.Status.COMPLETED) {
            return List.of();
        }
        BufferedImage page = render(in);
        AttributeList list = attributes(in, page);
        String sop = in.uid("sc.instance");
        FileMetaInformation.addFileMetaInformation(list, TransferSyntax.ExplicitVRLittleEndian, "RADFLOW");
        Path file = directory.resolve("sc-" + sop + ".dcm");
        Path tmp = directory.resolve("sc-" + sop + ".dcm.tmp");
        list.write(tmp.toFile(), TransferSyntax.ExplicitVRLittleEndian, true, true);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return List.of(file);
    }

    // ------------------------------------------------------------------------------------------ DICOM

    /** The Secondary Capture dataset (without file meta information) for a rendered page. */
    AttributeList attributes(ReportInput in, BufferedImage page) throws DicomException {
        AttributeList list = new AttributeList();
        CommonAttributes.copyPatientAndStudy(in.first(), list);
        CommonAttributes.equipment(in, list);
        CommonAttributes.contentDateTime(in, list);

        put(list, TagFromName.SOPClassUID, SECONDARY_CAPTURE);
        put(list, TagFromName.SOPInstanceUID, in.uid("sc.instance"));
        // General Series (no geometry, no frame of reference: the page is not an image of the patient)
        put(list, TagFromName.Modality, "OT");
        put(list, TagFromName.SeriesInstanceUID, in.uid("sc.series"));
        put(list, TagFromName.SeriesNumber, Integer.toString(SERIES_NUMBER));
        put(list, TagFromName.SeriesDescription, CommonAttributes.seriesDescription(in, "report"));
        Attribute bodyPart = in.first().get(TagFromName.BodyPartExamined);
        String bodyPartValue = bodyPart == null ? "" : bodyPart.getSingleStringValueOrEmptyString().trim();
        if (!bodyPartValue.isEmpty()) {
            // with a body part, dciodvfy wants Laterality absent (unpaired) ...
            put(list, TagFromName.BodyPartExamined, bodyPartValue);
        } else {
            // ... and without one (type 2C condition then unresolved) present, empty: laterality unknown
            list.put(new CodeStringAttribute(TagFromName.Laterality));
        }
        // SC Equipment
        put(list, TagFromName.ConversionType, "WSD");
        // General Image
        put(list, TagFromName.InstanceNumber, "1");
        list.put(new CodeStringAttribute(TagFromName.PatientOrientation));
        Attribute imageType = new CodeStringAttribute(TagFromName.ImageType);
        imageType.addValue("DERIVED");
        imageType.addValue("SECONDARY");
        list.put(imageType);
        put(list, TagFromName.DerivationDescription, CommonAttributes.truncate(
                "RadFlow report page: " + in.module().id() + " " + in.module().version() + " results", 1024));
        put(list, TagFromName.BurnedInAnnotation, "YES");
        put(list, TagFromName.LossyImageCompression, "00");
        referencedImages(in, list);
        // SC Image
        put(list, TagFromName.DateOfSecondaryCapture, Attribute.getSingleStringValueOrEmptyString(list, TagFromName.ContentDate));
        put(list, TagFromName.TimeOfSecondaryCapture, Attribute.getSingleStringValueOrEmptyString(list, TagFromName.ContentTime));
        // Image Pixel: RGB, 8 bit, colour-by-pixel
        int w = page.getWidth();
        int h = page.getHeight();
        put(list, TagFromName.SamplesPerPixel, "3");
        put(list, TagFromName.PhotometricInterpretation, "RGB");
        put(list, TagFromName.PlanarConfiguration, "0");
        put(list, TagFromName.Rows, Integer.toString(h));
        put(list, TagFromName.Columns, Integer.toString(w));
        put(list, TagFromName.BitsAllocated, "8");
        put(list, TagFromName.BitsStored, "8");
        put(list, TagFromName.HighBit, "7");
        put(list, TagFromName.PixelRepresentation, "0");
        byte[] rgb = new byte[w * h * 3];
        if (page.getType() == BufferedImage.TYPE_INT_RGB && page.getRaster().getDataBuffer() instanceof DataBufferInt d
                && d.getNumBanks() == 1 && page.getRaster().getParent() == null && d.getOffset() == 0
                && page.getRaster().getMinX() == 0 && page.getRaster().getMinY() == 0
                && ((SinglePixelPackedSampleModel) page.getSampleModel()).getScanlineStride() == w) {
            // the page's own 0x00RRGGBB pixels, read straight from its raster: no colour model per pixel
            int[] pixels = d.getData();
            for (int i = 0, o = 0; i < w * h; i++) {
                int p = pixels[i];
                rgb[o++] = (byte) (p >> 16);
                rgb[o++] = (byte) (p >> 8);
                rgb[o++] = (byte) p;
            }
        } else {
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                page.getRGB(0, y, w, 1, row, 0, w);
                int o = y * w * 3;
                for (int x = 0; x < w; x++) {
                    int p = row[x];
                    rgb[o++] = (byte) (p >> 16);
                    rgb[o++] = (byte) (p >> 8);
                    rgb[o++] = (byte) p;
                }
            }
        }
        OtherByteAttribute pixels = new OtherByteAttribute(TagFromName.PixelData);
        pixels.setValues(rgb);
        list.put(pixels);
        return list;
    }

    /** Referenced Image Sequence: the source instances of the key images (when known among the inputs). */
    private static void referencedImages(ReportInput in, AttributeList list) throws DicomException {
        SequenceAttribute seq = new SequenceAttribute(TagFromName.ReferencedImageSequence);
        List<String> seen = new ArrayList<>();
        for (KeyImage k : in.result().keyImages()) {
            String uid = k.sourceSopInstanceUid();
            if (uid == null || uid.isBlank() || seen.contains(uid) || in.sources() == null) {
                continue;
            }
            AttributeList src = in.sources().get(uid);
            String sopClass = src == null ? "" : Attribute.getSingleStringValueOrEmptyString(src, TagFromName.SOPClassUID);
            if (sopClass.isEmpty()) {
                continue;
            }
            seen.add(uid);
            AttributeList item = new AttributeList();
            put(item, TagFromName.ReferencedSOPClassUID, sopClass);
            put(item, TagFromName.ReferencedSOPInstanceUID, uid);
            seq.addItem(item);
        }
        if (seq.getNumberOfItems() > 0) {
            list.put(seq);
        }
    }

    private static void put(AttributeList list, AttributeTag tag, String value) throws DicomException {
        CommonAttributes.put(list, tag, value);
    }

    // ------------------------------------------------------------------------------------------ page

    /** The report page as an RGB image, 1024 pixels wide, at least A4-proportioned. */
    public BufferedImage render(ReportInput in) {
        return render(in, true);
    }

    /**
     * With {@code direct}, the content is painted straight onto a page of {@link #MIN_HEIGHT} and, when it fits there
     * with the footer (most pages, COVID-Net's included), the footer below it: one 6 MB raster painted once. When the
     * content fits there but the footer does not, that page's content is copied onto a page of the height it needs,
     * under which the footer is painted. Content taller than that (or {@code direct} false) is painted on a tall scratch
     * page and copied the same way, as before; all give the same pixels (PageWriterTest).
     */
    BufferedImage render(ReportInput in, boolean direct) {
        PageFonts fonts = new PageFonts(PageFonts.CjkLocale.fromCharacterSets(
                stringValues(in.first(), TagFromName.SpecificCharacterSet)));
        if (direct) {
            BufferedImage page = new BufferedImage(WIDTH, MIN_HEIGHT, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = prepare(page);
            int end = new Painter(g, fonts, in).content();
            int height = pageHeight(end);
            if (height == MIN_HEIGHT) {
                // what the copy from a scratch page leaves out: anything painted below end + 30
                g.setColor(Color.WHITE);
                g.fillRect(0, end + 30, WIDTH, MIN_HEIGHT - (end + 30));
                g.dispose();
                Graphics2D p = hints(page.createGraphics());
                new Painter(p, fonts, in).footer(MIN_HEIGHT - FOOTER_HEIGHT);
                p.dispose();
                return page;
            }
            g.dispose();
            if (end + 30 <= MIN_HEIGHT) {
                // The content fits, only the footer does not (e.g. a legend above a large key image: 1500 rows): this
                // page serves as the scratch page, rather than painting the content (and its key images) all over again.
                return withFooter(page, end, height, fonts, in);
            }
        }
        // content first, on a tall scratch page; then the page of the height the content needs
        BufferedImage scratch = new BufferedImage(WIDTH, 6000, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = prepare(scratch);
        int end = new Painter(g, fonts, in).content();
        g.dispose();
        return withFooter(scratch, end, pageHeight(end), fonts, in);
    }

    /** A page of {@code height}: the content's rows (down to {@code end + 30}) copied from {@code scratch}, then the footer. */
    private static BufferedImage withFooter(BufferedImage scratch, int end, int height, PageFonts fonts, ReportInput in) {
        BufferedImage page = new BufferedImage(WIDTH, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D p = prepare(page);
        p.drawImage(scratch.getSubimage(0, 0, WIDTH, Math.min(end + 30, scratch.getHeight())), 0, 0, null);
        new Painter(p, fonts, in).footer(height - FOOTER_HEIGHT);
        p.dispose();
        return page;
    }

    /** The page's height for content ending at {@code end}: at least {@link #MIN_HEIGHT}, even. */
    private static int pageHeight(int end) {
        int height = Math.max(MIN_HEIGHT, end + 30 + FOOTER_HEIGHT);
        return height + height % 2;
    }

    private static Graphics2D prepare(BufferedImage image) {
        Graphics2D g = hints(image.createGraphics());
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, image.getWidth(), image.getHeight());
        return g;
    }

    static Graphics2D hints(Graphics2D g) {
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
        return g;
    }

    private static String[] stringValues(AttributeList list, AttributeTag tag) {
        try {
            Attribute a = list == null ? null : list.get(tag);
            return a == null ? new String[0] : a.getStringValues();
        } catch (DicomException e) {
            return new String[0];
        }
    }

    private static String value(AttributeList list, AttributeTag tag) {
        return list == null ? "" : Attribute.getSingleStringValueOrEmptyString(list, tag).trim();
    }

    /**
     * The patient's name for people: "FAMILY, Given Middle" for the alphabetic group, then the ideographic
     * and phonetic groups (family and given name separated by a space), e.g. {@code Yamada, Tarou  山田 太郎  (やまだ たろう)}.
     * The value is the one PixelMed decoded with the dataset's Specific Character Set.
     */
    public static String displayName(AttributeList list) {
        String pn = list == null ? "" : Attribute.getSingleStringValueOrEmptyString(list, TagFromName.PatientName);
        if (pn.isBlank()) {
            return "(no name)";
        }
        Vector<String> groups = PersonNameAttribute.getNameComponentGroups(pn);
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < groups.size(); i++) {
            String group = groups.get(i);
            if (group == null || group.isBlank()) {
                continue;
            }
            String[] c = group.split("\\^", -1);
            String family = c.length > 0 ? c[0].trim() : "";
            StringBuilder given = new StringBuilder();
            for (int k : new int[] {3, 1, 2, 4}) { // prefix, given, middle, suffix
                if (c.length > k && !c[k].isBlank()) {
                    given.append(given.length() > 0 ? " " : "").append(c[k].trim());
                }
            }
            String s;
            if (i == 0 && !eastAsian(group)) {
                s = family.isEmpty() ? given.toString() : given.length() == 0 ? family : family + ", " + given;
            } else {
                s = (family + " " + given).trim();
            }
            parts.add(i == 2 ? "(" + s + ")" : s);
        }
        return String.join("   ", parts);
    }

    /** Han, kana or Hangul: such names read "Family Given", without the comma of the Latin order. */
    static boolean eastAsian(String s) {
        return s.codePoints().anyMatch(cp -> {
            Character.UnicodeScript sc = Character.UnicodeScript.of(cp);
            return sc == Character.UnicodeScript.HAN || sc == Character.UnicodeScript.HIRAGANA
                    || sc == Character.UnicodeScript.KATAKANA || sc == Character.UnicodeScript.HANGUL;
        });
    }

    static String date(String da) {
        return da != null && da.matches("\\d{8}") ? da.substring(0, 4) + "-" + da.substring(4, 6) + "-" + da.substring(6) : da;
    }

    static String sex(String cs) {
        return switch (cs) {
            case "M" -> "Male";
            case "F" -> "Female";
            case "O" -> "Other";
            default -> cs;
        };
    }

    /**
     * What the page prints for a qualitative evaluation, in order: its concept, the answer, "Reference: " and the
     * method when there is one, the comment when there is one. Plain text: no probability, no percentage bar.
     */
    static List<String> evaluationText(Finding.Qualitative q) {
        List<String> lines = new ArrayList<>(List.of(q.concept().meaning(), q.value().meaning()
                + (q.confidence() == null ? "" : String.format(java.util.Locale.ROOT, " (confidence %.2f)", q.confidence()))));
        if (!q.method().isBlank()) {
            lines.add("Reference: " + q.method());
        }
        if (!q.comment().isBlank()) {
            lines.add(q.comment());
        }
        return lines;
    }

    /** "2 345 mm³": value with digit grouping and a readable unit. */
    public static String valueWithUnit(double value, Concept unit) {
        double a = Math.abs(value);
        int decimals = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
        String s = String.format(Locale.ROOT, "%,." + decimals + "f", value).replace(',', ' ');
        String u = unit(unit);
        return u.isEmpty() ? s : u.equals("%") ? s + " %" : s + " " + u;
    }

    static String unit(Concept unit) {
        String code = unit.code();
        return switch (code) {
            case "1", "{ratio}" -> "";
            case "mm3" -> "mm³";
            case "cm3" -> "cm³";
            case "mm2" -> "mm²";
            case "cm2" -> "cm²";
            case "ml", "mL" -> "mL";
            case "[hnsf'U]" -> "HU";
            case "um" -> "µm";
            case "a" -> "years";
            default -> code;
        };
    }

    /** Draws the parts of the page; y is the top of the next element. */
    private static final class Painter {
        private final Graphics2D g;
        private final PageFonts fonts;
        private final ReportInput in;
        private final FontRenderContext frc;

        Painter(Graphics2D g, PageFonts fonts, ReportInput in) {
            this.g = g;
            this.fonts = fonts;
            this.in = in;
            this.frc = g.getFontRenderContext();
        }

        // ------------------------------------------------------------------ text primitives

        private TextLayout layout(String text, boolean bold, float size) {
            return new TextLayout(fonts.runs(text.isEmpty() ? " " : text, bold, size).getIterator(), frc);
        }

        /** Draws one line with its top at y; returns the line height. */
        private int text(String text, int x, int y, boolean bold, float size, Color color) {
            TextLayout t = layout(text, bold, size);
            g.setColor(color);
            t.draw(g, x, y + t.getAscent());
            return (int) Math.ceil(t.getAscent() + t.getDescent() + t.getLeading());
        }

        private float width(String text, boolean bold, float size) {
            return text.isEmpty() ? 0 : layout(text, bold, size).getAdvance();
        }

        /** One line shortened with an ellipsis to fit maxWidth. */
        private String fit(String text, boolean bold, float size, int maxWidth) {
            if (width(text, bold, size) <= maxWidth) {
                return text;
            }
            String s = text;
            while (s.length() > 1 && width(s + "…", bold, size) > maxWidth) {
                s = s.substring(0, s.offsetByCodePoints(s.length(), -1));
            }
            return s + "…";
        }

        /** Wrapped paragraph with its top at y; returns the height used. */
        private int paragraph(String text, int x, int y, int maxWidth, boolean bold, float size, Color color, int maxLines) {
            int used = 0;
            int lines = 0;
            g.setColor(color);
            for (String para : text.split("\n")) {
                if (para.isBlank()) {
                    used += (int) (size * 0.6f);
                    continue;
                }
                LineBreakMeasurer m = new LineBreakMeasurer(fonts.runs(para, bold, size).getIterator(), frc);
                while (m.getPosition() < para.length()) {
                    if (lines == maxLines) {
                        return used;
                    }
                    TextLayout t = m.nextLayout(maxWidth);
                    t.draw(g, x, y + used + t.getAscent());
                    used += (int) Math.ceil(t.getAscent() + t.getDescent() + t.getLeading());
                    lines++;
                }
            }
            return used;
        }

        private int sectionTitle(String title, int y) {
            int h = text(title.toUpperCase(Locale.ROOT), MARGIN, y, true, 17f, BAND);
            g.setColor(BAND);
            g.fillRect(MARGIN, y + h + 2, INNER, 2);
            return h + 12;
        }

        // ------------------------------------------------------------------ content

        int content() {
            int y = header();
            y = patient(y + 18);
            y = findings(y + 24);
            y = keyImages(y + 24);
            return y;
        }

        private int header() {
            int h = 86;
            g.setColor(BAND);
            g.fillRect(0, 0, WIDTH, h);
            String title = "RadFlow — " + in.module().displayName();
            String right = CommonAttributes.NOT_FOR_DIAGNOSIS;
            float rw = width(right, true, 17f);
            text(fit(title, true, 30f, (int) (INNER - rw - 24)), MARGIN, 14, true, 30f, Color.WHITE);
            text("AI analysis report · research use", MARGIN, 56, false, 15f, new Color(0xC8D3E0));
            g.setColor(new Color(0xF39C12));
            text(right, (int) (WIDTH - MARGIN - rw), 22, true, 17f, new Color(0xF5B041));
            if (in.demoModel()) {
                float dw = width("DEMO MODEL", true, 15f);
                text("DEMO MODEL", (int) (WIDTH - MARGIN - dw), 50, true, 15f, new Color(0xF5B041));
            }
            return h;
        }

        private int patient(int y) {
            AttributeList a = in.first();
            String name = displayName(a);
            int h = text(fit(name, true, 28f, INNER), MARGIN, y, true, 28f, INK);
            y += h + 8;
            String[][] fields = {
                    {"Patient ID", value(a, TagFromName.PatientID)},
                    {"Birth date", date(value(a, TagFromName.PatientBirthDate))},
                    {"Sex", sex(value(a, TagFromName.PatientSex))},
                    {"Study date", date(value(a, TagFromName.StudyDate))},
                    {"Accession number", value(a, TagFromName.AccessionNumber)},
                    {"Study description", value(a, TagFromName.StudyDescription)},
            };
            int colW = INNER / 3;
            int rowH = 48;
            g.setColor(ROW);
            g.fillRect(MARGIN, y, INNER, rowH * 2 + 12);
            for (int i = 0; i < fields.length; i++) {
                int x = MARGIN + 12 + (i % 3) * colW;
                int yy = y + 8 + (i / 3) * rowH;
                text(fields[i][0], x, yy, false, 13f, MUTED);
                String v = fields[i][1].isEmpty() ? "—" : fields[i][1];
                text(fit(v, true, 17f, colW - 20), x, yy + 19, true, 17f, INK);
            }
            return y + rowH * 2 + 12;
        }

        private int findings(int y) {
            ModuleResult r = in.result();
            y += sectionTitle("Findings", y);
            List<Finding.Measurement> measurements = new ArrayList<>();
            List<Finding.Classification> classifications = new ArrayList<>();
            List<Finding.Segmentation> segmentations = new ArrayList<>();
            List<Finding.Qualitative> evaluations = new ArrayList<>();
            for (Finding f : r.findings()) {
                if (f instanceof Finding.Measurement m) {
                    measurements.add(m);
                } else if (f instanceof Finding.Classification c) {
                    classifications.add(c);
                } else if (f instanceof Finding.Segmentation s) {
                    segmentations.add(s);
                } else if (f instanceof Finding.Qualitative q) {
                    evaluations.add(q);
                }
            }
            if (!measurements.isEmpty()) {
                y = measurements(measurements, y);
            }
            for (Finding.Classification c : classifications) {
                y = classification(c, y + 10);
            }
            for (Finding.Segmentation s : segmentations) {
                y = legend(s, y + 10);
            }
            for (Finding.Qualitative q : evaluations) {
                y = evaluation(q, y + 10);
            }
            if (r.findings().isEmpty()) {
                y += text("No findings reported by the module.", MARGIN, y, false, 16f, MUTED) + 6;
            }
            if (!r.summary().isBlank()) {
                y += 12;
                y += text("Summary", MARGIN, y, true, 16f, INK) + 4;
                y += paragraph(r.summary(), MARGIN, y, INNER, false, 17f, INK, 8);
            }
            return y;
        }

        private int measurements(List<Finding.Measurement> ms, int y) {
            int c1 = MARGIN + 10;
            int c2 = MARGIN + 380;
            int c3 = MARGIN + INNER - 10;
            text("Finding site", c1, y, true, 14f, MUTED);
            text("Quantity", c2, y, true, 14f, MUTED);
            float vw = width("Value", true, 14f);
            text("Value", (int) (c3 - vw), y, true, 14f, MUTED);
            y += 24;
            int i = 0;
            for (Finding.Measurement m : ms) {
                int rowH = 32;
                if (i++ % 2 == 0) {
                    g.setColor(ROW);
                    g.fillRect(MARGIN, y, INNER, rowH);
                }
                text(fit(siteLabel(m), false, 17f, c2 - c1 - 16), c1, y + 5, false, 17f, INK);
                String v = valueWithUnit(m.value(), m.unit());
                float w = width(v, true, 18f);
                text(fit(m.quantity().meaning(), false, 17f, (int) (c3 - c2 - w - 20)), c2, y + 5, false, 17f, INK);
                text(v, (int) (c3 - w), y + 4, true, 18f, INK);
                y += rowH;
            }
            return y + 6;
        }

        private int classification(Finding.Classification c, int y) {
            y += text(c.finding().meaning(), MARGIN, y, true, 17f, INK) + 6;
            int labelW = 300;
            int barX = MARGIN + 10 + labelW;
            int barW = INNER - labelW - 10 - 170;
            for (Finding.ClassProbability p : c.probabilities()) {
                boolean predicted = c.predicted() != null && p.label().code().equals(c.predicted().code())
                        && p.label().scheme().equals(c.predicted().scheme());
                int rowH = 30;
                if (predicted) {
                    g.setColor(new Color(0xFDEBD0));
                    g.fillRect(MARGIN, y, INNER, rowH);
                }
                text(fit(p.label().meaning(), predicted, 16f, labelW - 10), MARGIN + 10, y + 5, predicted, 16f, INK);
                g.setColor(new Color(0xE5E8EC));
                g.fillRect(barX, y + 8, barW, rowH - 16);
                g.setColor(predicted ? PREDICTED : BAR);
                g.fillRect(barX, y + 8, (int) Math.round(barW * p.probability()), rowH - 16);
                String pct = String.format(Locale.ROOT, "%.1f %%", 100 * p.probability());
                text(pct, barX + barW + 12, y + 5, predicted, 16f, predicted ? PREDICTED : INK);
                if (predicted) {
                    float pw = width(pct, true, 16f);
                    text("predicted", (int) (barX + barW + 18 + pw), y + 8, false, 12f, PREDICTED);
                }
                y += rowH + 2;
            }
            return y + 4;
        }

        /** A stated (not predicted) coded answer, as the text {@link #evaluationText} gives, with a bar at its left. */
        private int evaluation(Finding.Qualitative q, int y) {
            List<String> t = evaluationText(q);
            y += text(fit(t.get(0), true, 17f, INNER), MARGIN, y, true, 17f, INK) + 4;
            int top = y;
            y += 6;
            y += paragraph(t.get(1), MARGIN + 12, y, INNER - 24, true, 18f, INK, 2) + 4;
            for (String line : t.subList(2, t.size())) {
                boolean reference = line.startsWith("Reference: ");
                y += paragraph(line, MARGIN + 12, y, INNER - 24, false, 15f, reference ? INK : MUTED, reference ? 3 : 5) + 2;
            }
            g.setColor(BAND);
            g.fillRect(MARGIN, top, 3, y - top + 4);
            return y + 10;
        }

        private int legend(Finding.Segmentation s, int y) {
            int[] counts = new int[256];
            for (byte b : s.labels()) {
                counts[b & 0xFF]++;
            }
            y += text("Segmentation: " + s.finding().meaning(), MARGIN, y, true, 17f, INK) + 6;
            int x = MARGIN + 10;
            for (Finding.Segment seg : s.segments()) {
                String label = seg.name() + "  (" + String.format(Locale.ROOT, "%,d", counts[seg.label()]).replace(',', ' ') + " voxels)";
                int w = (int) width(label, false, 16f) + 40;
                if (x + w > MARGIN + INNER) {
                    x = MARGIN + 10;
                    y += 30;
                }
                g.setColor(new Color(seg.rgb() & 0xFFFFFF));
                g.fillRect(x, y + 5, 20, 20);
                g.setColor(INK);
                g.setStroke(new BasicStroke(1f));
                g.drawRect(x, y + 5, 20, 20);
                text(label, x + 28, y + 4, false, 16f, INK);
                x += w + 20;
            }
            return y + 34;
        }

        private int keyImages(int y) {
            List<KeyImage> images = in.result().keyImages();
            if (images.isEmpty()) {
                return y;
            }
            y += sectionTitle("Key images", y);
            int n = Math.min(images.size(), MAX_KEY_IMAGES);
            int cols = Math.min(n, 3);
            int gap = 20;
            int cellW = n == 1 ? 520 : (INNER - (cols - 1) * gap) / cols;
            int maxH = n == 1 ? 460 : n == 2 ? 420 : 300;
            for (int r = 0; r * cols < n; r++) {
                int rowTop = y;
                int rowBottom = y;
                for (int c = 0; c < cols && r * cols + c < n; c++) {
                    KeyImage k = images.get(r * cols + c);
                    int x = MARGIN + c * (cellW + gap);
                    double scale = Math.min((double) cellW / k.width(), (double) maxH / k.height());
                    int w = Math.max(1, (int) Math.round(k.width() * scale));
                    int h = Math.max(1, (int) Math.round(k.height() * scale));
                    BufferedImage img = new BufferedImage(k.width(), k.height(), BufferedImage.TYPE_INT_RGB);
                    // straight into the raster (as setRGB stores them: 0x00RRGGBB), not pixel by pixel through a colour model
                    int[] dst = ((DataBufferInt) img.getRaster().getDataBuffer()).getData();
                    int[] src = k.rgb();
                    for (int i = 0; i < dst.length; i++) {
                        dst[i] = src[i] & 0xFFFFFF;
                    }
                    g.setColor(Color.BLACK);
                    g.fillRect(x, rowTop, cellW, h);
                    // enlarged more than twice: pixels stay square; enlarged: bicubic; reduced (COVID-Net's 512 x 512
                    // into 460 x 460): bilinear, which looks the same there at a third of bicubic's cost (6.5 -> 1.9 ms,
                    // PageWriterPhasesBench)
                    Object interpolation = scale > 2 ? RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR
                            : scale > 1 ? RenderingHints.VALUE_INTERPOLATION_BICUBIC
                            : RenderingHints.VALUE_INTERPOLATION_BILINEAR;
                    g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, interpolation);
                    g.drawImage(img, x + (cellW - w) / 2, rowTop, w, h, null);
                    int capH = paragraph(k.caption(), x, rowTop + h + 6, cellW, false, 15f, INK, 3);
                    rowBottom = Math.max(rowBottom, rowTop + h + 6 + capH);
                }
                y = rowBottom + 16;
            }
            if (images.size() > n) {
                y += text((images.size() - n) + " more key images not shown (see the dashboard)", MARGIN, y, false, 15f, MUTED) + 8;
            }
            return y;
        }

        // ------------------------------------------------------------------ footer

        void footer(int top) {
            g.setColor(RULE);
            g.fillRect(MARGIN, top, INNER, 2);
            int y = top + 12;
            var d = in.module();
            var model = d.model();
            String algorithm = d.displayName() + " (" + d.id() + ") version " + d.version();
            String modelText = model.name() + " version " + model.version() + (in.demoModel() ? " — DEMO MODEL" : "")
                    + (model.description().isBlank() ? "" : " · " + model.description());
            AttributeList first = in.first();
            String seriesDescription = value(first, TagFromName.SeriesDescription);
            String series = (seriesDescription.isEmpty() ? "(no description)" : seriesDescription)
                    + "   " + value(first, TagFromName.SeriesInstanceUID);
            String processed = PROCESSED.format(in.createdAt().atZone(ZoneId.systemDefault()));
            String[][] rows = {
                    {"Algorithm", algorithm},
                    {"Model", modelText},
                    {"Input series", series},
                    {"Processed", processed + "   job " + in.job().id()},
            };
            for (String[] r : rows) {
                text(r[0], MARGIN, y, true, 14f, MUTED);
                text(fit(r[1], false, 14f, INNER - 130), MARGIN + 130, y, false, 14f, INK);
                y += 22;
            }
            y += 14;
            String warning = CommonAttributes.NOT_FOR_DIAGNOSIS;
            float w = width(warning, true, 40f);
            text(warning, (int) ((WIDTH - w) / 2), y, true, 40f, WARNING);
            y += 58;
            if (in.demoModel()) {
                String demo = "DEMO MODEL — results are illustrative only";
                float dw = width(demo, true, 24f);
                text(demo, (int) ((WIDTH - dw) / 2), y, true, 24f, PREDICTED);
            }
        }
    }

    /** "Hippocampus, left anterior": the finding site's meaning with its modifiers, laterality first. */
    static String siteLabel(Finding.Measurement m) {
        Concept site = m.findingSite() != null ? m.findingSite() : m.finding();
        List<String> mods = new ArrayList<>();
        for (Finding.Modifier.Kind kind : List.of(Finding.Modifier.Kind.LATERALITY, Finding.Modifier.Kind.TOPOGRAPHICAL)) {
            for (Finding.Modifier mod : m.findingSiteModifiers()) {
                if (mod.kind() == kind) {
                    mods.add(mod.value().meaning().toLowerCase(java.util.Locale.ROOT));
                }
            }
        }
        return mods.isEmpty() ? site.meaning() : site.meaning() + ", " + String.join(" ", mods);
    }
}
