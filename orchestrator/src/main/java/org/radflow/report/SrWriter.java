package org.radflow.report;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.CodedSequenceItem;
import com.pixelmed.dicom.ContentItem;
import com.pixelmed.dicom.ContentItemFactory;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.SpecificCharacterSet;
import com.pixelmed.dicom.StringAttribute;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.TextAttribute;
import com.pixelmed.dicom.TransferSyntax;
import org.radflow.api.Concept;
import org.radflow.api.Finding;
import org.radflow.api.ModuleResult;

import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The job's Comprehensive SR: a DICOM TID 1500 Measurement Report with a device observer naming the
 * module, an image library of the inputs, one measurement group (TID 1501) per finding with the
 * algorithm identification (TID 4019), and the research-use label in a "Qualitative Evaluations"
 * container where a reader sees it.
 */
public final class SrWriter implements ReportObjectWriter {

    public static final String COMPREHENSIVE_SR = "1.2.840.10008.5.1.4.1.1.88.33";
    public static final String SERIES_NUMBER = "9901";
    /** RadFlow's private coding scheme, for concepts DICOM and SNOMED have no code for (class probabilities). */
    public static final String PRIVATE_SCHEME = "99RADFLOW";
    /** Up to this many inputs the image library lists all of them; above, only the evidence. */
    public static final int IMAGE_LIBRARY_LIMIT = 500;

    /** At most this many source images are referenced from one measurement group. */
    public static final int EVIDENCE_PER_GROUP_LIMIT = 100;

    private static final String CONTAINS = "CONTAINS";
    private static final String HAS_CONCEPT_MOD = "HAS CONCEPT MOD";
    private static final String HAS_OBS_CONTEXT = "HAS OBS CONTEXT";

    private static final AttributeTag CODING_SCHEME_IDENTIFICATION = new AttributeTag(0x0008, 0x0110);
    private static final AttributeTag CODING_SCHEME_NAME = new AttributeTag(0x0008, 0x0115);
    private static final AttributeTag CODING_SCHEME_RESPONSIBLE_ORGANIZATION = new AttributeTag(0x0008, 0x0116);

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SrWriter.class);

    private final Function<String, String> predecessorSeries;

    /** A writer that cannot look up the series of a superseded SR (see {@link #SrWriter(Function)}). */
    public SrWriter() {
        this(sop -> null);
    }

    /**
     * @param predecessorSeries the Series Instance UID of an earlier RadFlow SR given its SOP Instance UID
     *                          (e.g. from the result store), or null when unknown
     */
    public SrWriter(Function<String, String> predecessorSeries) {
        this.predecessorSeries = predecessorSeries;
    }

    @Override
    public String kind() {
        return "sr";
    }

    @Override
    public List<Path> write(ReportInput in, Path directory) throws Exception {
        if (in.result().status() != ModuleResult.Status.COMPLETED) {
            return List.of();
        }
        AttributeList list = build(in);
        String sop = in.uid("sr.instance");
        FileMetaInformation.addFileMetaInformation(list, TransferSyntax.ExplicitVRLittleEndian, "RADFLOW");
        Path file = directory.resolve("SR_" + sop + ".dcm");
        Path tmp = directory.resolve(file.getFileName() + ".part");
        list.write(tmp.toFile(), TransferSyntax.ExplicitVRLittleEndian, true, true);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return List.of(file);
    }

    /** The SR's data set (without file meta information). */
    public AttributeList build(ReportInput in) throws DicomException {
        ContentItemFactory f = new ContentItemFactory();
        ContentItem root = f.makeContainerContentItem(null, null, dcm("126000", "Imaging Measurement Report"),
                true, "DCMR", "1500");

        // TID 1204 language of content
        f.makeCodeContentItem(root, HAS_CONCEPT_MOD, dcm("121049", "Language of Content Item and Descendants"),
                code("RFC5646", "en-US", "English (United States)"));

        // TID 1001/1002/1004 observer context: the module as a device
        String moduleId = in.module().id();
        f.makeCodeContentItem(root, HAS_OBS_CONTEXT, dcm("121005", "Observer Type"), dcm("121007", "Device"));
        f.makeUIDContentItem(root, HAS_OBS_CONTEXT, dcm("121012", "Device Observer UID"), in.uid("device"));
        f.makeTextContentItem(root, HAS_OBS_CONTEXT, dcm("121013", "Device Observer Name"), "RadFlow " + moduleId);
        f.makeTextContentItem(root, HAS_OBS_CONTEXT, dcm("121014", "Device Observer Manufacturer"),
                CommonAttributes.MANUFACTURER);
        f.makeTextContentItem(root, HAS_OBS_CONTEXT, dcm("121015", "Device Observer Model Name"), moduleId);

        // CID 100
        f.makeCodeContentItem(root, HAS_CONCEPT_MOD, dcm("121058", "Procedure reported"),
                sct("363679005", "Imaging procedure"));

        imageLibrary(f, root, in);

        ContentItem measurements = f.makeContainerContentItem(root, CONTAINS, dcm("126010", "Imaging Measurements"), true);
        List<Finding> findings = in.result().findings();
        for (int i = 0; i < findings.size(); i++) {
            measurementGroup(f, measurements, in, findings.get(i), i + 1);
        }

        // TID 1500 row "Qualitative Evaluations": where a reader sees the label and the summary
        ContentItem qualitative = f.makeContainerContentItem(root, CONTAINS,
                code("UMLS", "C0034375", "Qualitative Evaluations"), true);
        f.makeTextContentItem(qualitative, CONTAINS, dcm("121106", "Comment"), label(in));
        if (!in.result().summary().isBlank()) {
            f.makeTextContentItem(qualitative, CONTAINS, dcm("121111", "Summary"), labelledSummary(in));
        }

        AttributeList list = new AttributeList();
        list.putAll(tree(root));
        CommonAttributes.copyPatientAndStudy(in.first(), list);
        documentAttributes(list, in);
        return list;
    }

    /** A content item's attributes with its children in a Content Sequence (PixelMed keeps them apart). */
    private static AttributeList tree(ContentItem item) throws DicomException {
        AttributeList l = item.getAttributeList();
        if (item.getChildCount() > 0) {
            SequenceAttribute content = new SequenceAttribute(TagFromName.ContentSequence);
            for (int i = 0; i < item.getChildCount(); i++) {
                content.addItem(tree((ContentItem) item.getChildAt(i)));
            }
            l.put(content);
        }
        return l;
    }

    /** "NOT FOR DIAGNOSTIC USE", with "DEMO MODEL" and the model for demonstration models. */
    static String label(ReportInput in) {
        return CommonAttributes.NOT_FOR_DIAGNOSIS + (in.demoModel()
                ? " - DEMO MODEL " + in.module().model().name() + " " + in.module().model().version() : "");
    }

    /**
     * The module's summary with the research-use label added once: a summary that already says "not for diagnostic
     * use" (any case) gets only the DEMO MODEL part, when it lacks that too.
     */
    static String labelledSummary(ReportInput in) {
        String summary = in.result().summary().strip();
        String lower = summary.toLowerCase(java.util.Locale.ROOT);
        if (!lower.contains(CommonAttributes.NOT_FOR_DIAGNOSIS.toLowerCase(java.util.Locale.ROOT))) {
            return summary + " (" + label(in) + ")";
        }
        if (in.demoModel() && !lower.contains("demo model")) {
            return summary + " (DEMO MODEL " + in.module().model().name() + " " + in.module().model().version() + ")";
        }
        return summary;
    }

    private void documentAttributes(AttributeList list, ReportInput in) throws DicomException {
        String sop = in.uid("sr.instance");
        put(list, TagFromName.SOPClassUID, COMPREHENSIVE_SR);
        put(list, TagFromName.SOPInstanceUID, sop);
        put(list, TagFromName.Modality, "SR");
        put(list, TagFromName.SeriesInstanceUID, in.uid("sr.series"));
        put(list, TagFromName.SeriesNumber, SERIES_NUMBER);
        put(list, TagFromName.SeriesDescription, CommonAttributes.seriesDescription(in, "SR"));
        put(list, TagFromName.InstanceNumber, "1");
        CommonAttributes.equipment(in, list);
        CommonAttributes.contentDateTime(in, list);
        put(list, TagFromName.CompletionFlag, "COMPLETE");
        put(list, TagFromName.VerificationFlag, "UNVERIFIED");
        list.put(new SequenceAttribute(TagFromName.ReferencedPerformedProcedureStepSequence));
        list.put(new SequenceAttribute(TagFromName.PerformedProcedureCodeSequence));
        put(list, TagFromName.InstanceCreatorUID, in.uid("device"));

        // the private coding schemes, each declared only when a code of it is used: RadFlow's own (class probabilities),
        // the module's declared ones (API 0.5) and, for a "99..." scheme the module did not declare, the module as its owner
        java.util.Set<String> used = new java.util.LinkedHashSet<>();
        designators(list, used);
        SequenceAttribute schemes = new SequenceAttribute(CODING_SCHEME_IDENTIFICATION);
        for (String designator : used) {
            AttributeList scheme = new AttributeList();
            if (PRIVATE_SCHEME.equals(designator)) {
                put(scheme, TagFromName.CodingSchemeDesignator, PRIVATE_SCHEME);
                put(scheme, CODING_SCHEME_NAME, "RadFlow private codes");
                put(scheme, CODING_SCHEME_RESPONSIBLE_ORGANIZATION, "RadFlow project");
            } else if (in.module().codingScheme(designator).isPresent()) {
                org.radflow.api.CodingScheme c = in.module().codingScheme(designator).orElseThrow();
                put(scheme, TagFromName.CodingSchemeDesignator, c.designator());
                if (c.uid() != null) {
                    put(scheme, TagFromName.CodingSchemeUID, c.uid());
                }
                put(scheme, CODING_SCHEME_NAME, c.name());
                if (c.version() != null) {
                    put(scheme, TagFromName.CodingSchemeVersion, c.version());
                }
                put(scheme, CODING_SCHEME_RESPONSIBLE_ORGANIZATION, c.responsibleOrganization());
            } else if (designator.startsWith("99")) {
                put(scheme, TagFromName.CodingSchemeDesignator, designator);
                put(scheme, CODING_SCHEME_NAME, CommonAttributes.truncate("Private codes of module " + in.module().id()
                        + " (not declared by the module)", 64));
                put(scheme, CODING_SCHEME_RESPONSIBLE_ORGANIZATION, CommonAttributes.truncate(in.module().displayName(), 64));
            } else {
                continue; // a scheme of PS3.16's registry: no declaration needed
            }
            schemes.addItem(scheme);
        }
        if (schemes.getNumberOfItems() > 0) {
            list.put(schemes);
        }

        // evidence: the inputs the SR references, by series
        list.put(evidence(TagFromName.CurrentRequestedProcedureEvidenceSequence, in, libraryInstances(in),
                referencedSegs(in)));

        if (in.supersededSrInstanceUid() != null) {
            String prior = in.supersededSrInstanceUid();
            String series = predecessorSeries.apply(prior);
            if (series == null) {
                // the superseded SR's series UID derives from the earlier job's input hash, which is not known here
                LOG.warn("series of superseded SR {} unknown; Predecessor Documents Sequence names this SR's series", prior);
                series = in.uid("sr.series");
            }
            SequenceAttribute pred = new SequenceAttribute(TagFromName.PredecessorDocumentsSequence);
            pred.addItem(studyItem(in, Map.of(series, List.<String[]>of(new String[] {COMPREHENSIVE_SR, prior}))));
            list.put(pred);
        }
        characterSet(list);
    }

    /**
     * Keeps the input's Specific Character Set; when the input had none (ASCII) and RadFlow's own text is not
     * ASCII, declares UTF-8 (ASCII is a subset). Every value PixelMed made without a character set is then
     * encoded with the declared one, not the platform's default.
     */
    private static void characterSet(AttributeList list) throws DicomException {
        if (allAscii(list)) {
            return;
        }
        if (list.get(TagFromName.SpecificCharacterSet) == null) {
            put(list, TagFromName.SpecificCharacterSet, "ISO_IR 192");
        }
        String[] declared = list.get(TagFromName.SpecificCharacterSet).getStringValues();
        setCharacterSet(list, new SpecificCharacterSet(declared == null || declared.length == 0 ? new String[] {""} : declared));
    }

    private static void setCharacterSet(AttributeList list, SpecificCharacterSet cs) throws DicomException {
        for (Attribute a : new ArrayList<>(list.values())) {
            if (a instanceof SequenceAttribute s) {
                for (int i = 0; i < s.getNumberOfItems(); i++) {
                    setCharacterSet(s.getItem(i).getAttributeList(), cs);
                }
            } else if (a instanceof StringAttribute str && str.getSpecificCharacterSet() == null) {
                str.setSpecificCharacterSet(cs);
            } else if (a instanceof TextAttribute) {
                // PixelMed's text attributes take their character set only when made: make them again
                Attribute again = com.pixelmed.dicom.AttributeFactory.newAttribute(a.getTag(), a.getVR(), cs);
                String[] values = a.getStringValues();
                for (String v : values == null ? new String[0] : values) {
                    again.addValue(v);
                }
                list.put(again);
            }
        }
    }

    private static boolean allAscii(AttributeList list) throws DicomException {
        for (Attribute a : list.values()) {
            if (a instanceof SequenceAttribute s) {
                for (int i = 0; i < s.getNumberOfItems(); i++) {
                    if (!allAscii(s.getItem(i).getAttributeList())) {
                        return false;
                    }
                }
            } else if (a instanceof StringAttribute || a instanceof TextAttribute) {
                String[] values = a.getStringValues();
                for (String v : values == null ? new String[0] : values) {
                    if (!StandardCharsets.US_ASCII.newEncoder().canEncode(v)) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /** The SEG instances the content tree references (TID 1411), by series: they belong in the evidence too. */
    private static Map<String, List<String[]>> referencedSegs(ReportInput in) {
        Map<String, List<String[]>> bySeries = new TreeMap<>();
        Set<String> seen = new LinkedHashSet<>();
        for (Finding f : in.result().findings()) {
            if (f instanceof Finding.Measurement m) {
                SegmentReference ref = segmentReference(in, m.segment());
                if (ref != null && seen.add(ref.sopInstanceUid())) {
                    bySeries.computeIfAbsent(ref.segSeriesUid(), k -> new ArrayList<>())
                            .add(new String[] {SegWriter.SEGMENTATION_STORAGE, ref.sopInstanceUid()});
                }
            }
        }
        return bySeries;
    }

    private SequenceAttribute evidence(AttributeTag tag, ReportInput in, List<String> sops,
                                       Map<String, List<String[]>> extra) throws DicomException {
        Map<String, List<String[]>> bySeries = new TreeMap<>();
        for (String sop : sops) {
            AttributeList src = in.sources().get(sop);
            bySeries.computeIfAbsent(Attribute.getSingleStringValueOrEmptyString(src, TagFromName.SeriesInstanceUID),
                    k -> new ArrayList<>()).add(new String[] {sopClass(src), sop});
        }
        extra.forEach((series, refs) -> bySeries.computeIfAbsent(series, k -> new ArrayList<>()).addAll(refs));
        SequenceAttribute seq = new SequenceAttribute(tag);
        if (!bySeries.isEmpty()) {
            seq.addItem(studyItem(in, bySeries));
        }
        return seq;
    }

    /** A Hierarchical SOP Instance Reference Macro item: study, then series, then instances. */
    private static AttributeList studyItem(ReportInput in, Map<String, List<String[]>> bySeries) throws DicomException {
        AttributeList study = new AttributeList();
        put(study, TagFromName.StudyInstanceUID,
                Attribute.getSingleStringValueOrEmptyString(in.first(), TagFromName.StudyInstanceUID));
        SequenceAttribute series = new SequenceAttribute(TagFromName.ReferencedSeriesSequence);
        for (var e : bySeries.entrySet()) {
            AttributeList s = new AttributeList();
            put(s, TagFromName.SeriesInstanceUID, e.getKey());
            SequenceAttribute sops = new SequenceAttribute(TagFromName.ReferencedSOPSequence);
            for (String[] ref : e.getValue()) {
                AttributeList r = new AttributeList();
                put(r, TagFromName.ReferencedSOPClassUID, ref[0]);
                put(r, TagFromName.ReferencedSOPInstanceUID, ref[1]);
                sops.addItem(r);
            }
            s.put(sops);
            series.addItem(s);
        }
        study.put(series);
        return study;
    }

    /** The instances listed in the image library: all inputs up to the limit, else the evidence of the findings. */
    static List<String> libraryInstances(ReportInput in) {
        if (in.sources().size() <= IMAGE_LIBRARY_LIMIT) {
            return List.copyOf(in.sources().keySet());
        }
        Set<String> evidence = new LinkedHashSet<>();
        for (Finding f : in.result().findings()) {
            evidence.addAll(evidenceOf(f));
        }
        List<String> out = new ArrayList<>();
        for (String sop : in.sources().keySet()) {
            if (evidence.contains(sop) && out.size() < IMAGE_LIBRARY_LIMIT) {
                out.add(sop);
            }
        }
        return out;
    }

    private static List<String> evidenceOf(Finding f) {
        if (f instanceof Finding.Classification c) {
            return c.evidenceSopInstanceUids();
        } else if (f instanceof Finding.Measurement m) {
            return m.evidenceSopInstanceUids();
        } else if (f instanceof Finding.Segmentation s) {
            return s.sopInstanceUids();
        } else if (f instanceof Finding.Qualitative q) {
            return q.evidenceSopInstanceUids();
        }
        return List.of();
    }

    private static String sopClass(AttributeList src) {
        return Attribute.getSingleStringValueOrEmptyString(src, TagFromName.SOPClassUID);
    }

    /** TID 1600: one image library group (TID 1601) with the inputs' common descriptors and one entry per image. */
    private void imageLibrary(ContentItemFactory f, ContentItem root, ReportInput in) throws DicomException {
        ContentItem library = f.makeContainerContentItem(root, CONTAINS, dcm("111028", "Image Library"), true);
        List<String> sops = libraryInstances(in);
        if (sops.isEmpty()) {
            return;
        }
        ContentItem group = f.makeContainerContentItem(library, CONTAINS, dcm("126200", "Image Library Group"), true);
        for (String sop : sops) {
            f.makeImageContentItem(group, CONTAINS, null, sopClass(in.sources().get(sop)), sop, 0, 0,
                    null, null, null, null);
        }
    }

    /** TID 1501 for one finding. */
    private void measurementGroup(ContentItemFactory f, ContentItem parent, ReportInput in, Finding finding, int index)
            throws DicomException {
        ContentItem group = f.makeContainerContentItem(parent, CONTAINS, dcm("125007", "Measurement Group"), true);
        f.makeTextContentItem(group, HAS_OBS_CONTEXT, dcm("112039", "Tracking Identifier"),
                CommonAttributes.truncate(index + " " + finding.finding().meaning(), 64));
        f.makeUIDContentItem(group, HAS_OBS_CONTEXT, dcm("112040", "Tracking Unique Identifier"),
                in.uid("sr.tracking." + index));
        f.makeCodeContentItem(group, CONTAINS, dcm("121071", "Finding"), coded(finding.finding()));
        if (finding instanceof Finding.Measurement m && m.findingSite() != null) {
            ContentItem site = f.makeCodeContentItem(group, HAS_CONCEPT_MOD, sct("363698007", "Finding Site"),
                    coded(m.findingSite()));
            for (Finding.Modifier modifier : m.findingSiteModifiers()) {
                f.makeCodeContentItem(site, HAS_CONCEPT_MOD, modifier.kind() == Finding.Modifier.Kind.LATERALITY
                        ? sct("272741003", "Laterality") : sct("106233006", "Topographical modifier"),
                        coded(modifier.value()));
            }
        }
        // TID 4019 belongs to each group (TID 1501), and TID 1500 has no document-level place for it; its parameters
        // (row 3, user option) are the same run's for every group, so they are written once, in the first group
        algorithm(f, group, in, index == 1);
        SegmentReference segment = finding instanceof Finding.Measurement m ? segmentReference(in, m.segment()) : null;
        if (segment != null) {
            // TID 1411: a measurement made on a segment references the SEG segment and the series it segments
            f.makeImageContentItem(group, CONTAINS, dcm("121191", "Referenced Segment"), SegWriter.SEGMENTATION_STORAGE,
                    segment.sopInstanceUid(), 0, segment.segmentNumber(), null, null, null, null);
            f.makeUIDContentItem(group, CONTAINS, dcm("121232", "Source series for segmentation"),
                    segment.sourceSeriesUid());
        }
        // TID 1501 row 10b: the images the finding was made from, as listed in the image library
        List<String> evidence = segment != null ? List.of() : evidenceOf(finding);
        for (int i = 0; i < Math.min(evidence.size(), EVIDENCE_PER_GROUP_LIMIT); i++) {
            AttributeList src = in.sources().get(evidence.get(i));
            if (src != null) {
                f.makeImageContentItem(group, CONTAINS, dcm("121112", "Source of Measurement"), sopClass(src),
                        evidence.get(i), 0, 0, null, null, null, null);
            }
        }
        if (finding instanceof Finding.Measurement m) {
            ContentItem num = f.makeNumericContentItem(group, CONTAINS, coded(m.quantity()), ds(m.value()), coded(m.unit()));
            if (segment != null) {
                imageRegion(f, num, in, m.segment());
            }
        } else if (finding instanceof Finding.Classification c) {
            for (Finding.ClassProbability p : c.probabilities()) {
                f.makeNumericContentItem(group, CONTAINS, probabilityConcept(p.label()), ds(p.probability()),
                        code("UCUM", "1", "no units"));
            }
            if (c.predicted() != null) {
                f.makeCodeContentItem(group, CONTAINS, coded(c.finding()), coded(c.predicted()));
                // the answer in words as well: viewers that show no coded answers (OHIF 3.13 shows a group's NUMs and
                // its DCM 121106 Comments only) then still show the classification
                f.makeTextContentItem(group, CONTAINS, dcm("121106", "Comment"), classificationInWords(c));
            }
        } else if (finding instanceof Finding.Qualitative q) {
            // TID 1501 qualitative evaluation: the coded answer, then its reference and what to know as text
            f.makeCodeContentItem(group, CONTAINS, coded(q.concept()), coded(q.value()));
            // the coded answer in words too, for viewers that show Comments but no coded answers (OHIF 3.13)
            f.makeTextContentItem(group, CONTAINS, dcm("121106", "Comment"),
                    q.concept().meaning() + ": " + q.value().meaning());
            if (q.confidence() != null) {
                // the module's confidence in its answer as DICOM's "Certainty of Finding" (CID 6048), in percent as that
                // concept is used in the CAD templates
                f.makeNumericContentItem(group, CONTAINS, dcm("111012", "Certainty of Finding"),
                        ds(java.math.BigDecimal.valueOf(q.confidence()).movePointRight(2).doubleValue()),
                        code("UCUM", "%", "percent"));
            }
            if (!q.method().isBlank()) {
                f.makeTextContentItem(group, CONTAINS, dcm("121423", "Method Citation"), q.method());
            }
            if (!q.comment().isBlank()) {
                f.makeTextContentItem(group, CONTAINS, dcm("121106", "Comment"), q.comment());
            }
        }
        // a Segmentation's segments live in the SEG object; its group records the finding and the algorithm only
    }

    /** "Most likely: Normal (probability 0.70)": a classification's predicted class in words. */
    static String classificationInWords(Finding.Classification c) {
        String text = "Most likely: " + c.predicted().meaning();
        for (Finding.ClassProbability p : c.probabilities()) {
            if (p.label().equals(c.predicted())) {
                text += String.format(java.util.Locale.ROOT, " (probability %.2f)", p.probability());
                break;
            }
        }
        return text;
    }

    /**
     * TID 300 row "INFERRED FROM" (TID 320): the measurement's image region, a closed SCOORD POLYLINE outlining its segment
     * on the source slice where the segment is largest (see {@link MaskOutline}), SELECTED FROM that slice. A viewer that
     * cannot read the SEG (or has not opened it) shows where the measured structure is from the SR alone. Left out when
     * the slice is not among the SR's referenced images (image library above its limit) or its matrix differs from the
     * label map's.
     */
    private void imageRegion(ContentItemFactory f, ContentItem num, ReportInput in, Finding.Segment segment)
            throws DicomException {
        Finding.Segmentation seg = segmentationOf(in, segment);
        MaskOutline.Outline outline = seg == null ? null : MaskOutline.of(seg, segment.label());
        if (outline == null) {
            return;
        }
        String sop = seg.sopInstanceUids().get(outline.slice());
        AttributeList src = in.sources().get(sop);
        if (src == null || !libraryInstances(in).contains(sop)
                || Attribute.getSingleIntegerValueOrDefault(src, TagFromName.Columns, -1) != seg.columns()
                || Attribute.getSingleIntegerValueOrDefault(src, TagFromName.Rows, -1) != seg.rows()) {
            return;
        }
        ContentItem region = f.makeSpatialCoordinatesContentItem(num, "INFERRED FROM", null, "POLYLINE",
                outline.graphicData());
        f.makeImageContentItem(region, "SELECTED FROM", null, sopClass(src), sop, 0, 0, null, null, null, null);
    }

    private static Finding.Segmentation segmentationOf(ReportInput in, Finding.Segment segment) {
        for (Finding f : in.result().findings()) {
            if (f instanceof Finding.Segmentation s && s.segments().contains(segment)) {
                return s;
            }
        }
        return null;
    }

    /** Every Coding Scheme Designator used in the data set, in document order. */
    private static void designators(AttributeList list, java.util.Set<String> out) {
        for (Attribute a : list.values()) {
            if (a instanceof SequenceAttribute seq) {
                for (int i = 0; i < seq.getNumberOfItems(); i++) {
                    designators(seq.getItem(i).getAttributeList(), out);
                }
            } else if (a.getTag().equals(TagFromName.CodingSchemeDesignator)) {
                String d = Attribute.getSingleStringValueOrEmptyString(list, TagFromName.CodingSchemeDesignator);
                if (!d.isEmpty()) {
                    out.add(d);
                }
            }
        }
    }

    /** Where a measurement's segment was written: the SEG instance, the segment's number, the segmented series. */
    record SegmentReference(String sopInstanceUid, int segmentNumber, String sourceSeriesUid, String segSeriesUid) {
    }

    /**
     * The SEG segment a measurement was made from, numbered as {@link SegWriter} numbers it (the n-th
     * segmentation of the result is the n-th SEG, its segments numbered from 1 in order); null when the
     * measurement names no segment or its segmentation has no voxel (SegWriter then writes no object).
     */
    static SegmentReference segmentReference(ReportInput in, Finding.Segment segment) {
        if (segment == null) {
            return null;
        }
        int index = 0;
        for (Finding f : in.result().findings()) {
            if (f instanceof Finding.Segmentation s) {
                index++;
                int n = s.segments().indexOf(segment);
                if (n < 0) {
                    continue;
                }
                if (!anyVoxel(s)) {
                    return null;
                }
                AttributeList firstSlice = in.sources().get(s.sopInstanceUids().get(0));
                String series = firstSlice == null ? ""
                        : Attribute.getSingleStringValueOrEmptyString(firstSlice, TagFromName.SeriesInstanceUID);
                return new SegmentReference(in.uid("seg.instance" + (index == 1 ? "" : "." + index)), n + 1, series,
                        in.uid("seg.series"));
            }
        }
        throw new IllegalArgumentException("a measurement refers to segment '" + segment.name()
                + "', which is not a segment of any segmentation in the same result");
    }

    private static boolean anyVoxel(Finding.Segmentation s) {
        boolean[] labelled = new boolean[256];
        for (Finding.Segment segment : s.segments()) {
            labelled[segment.label()] = true;
        }
        for (byte b : s.labels()) {
            if (labelled[b & 0xFF]) {
                return true;
            }
        }
        return false;
    }

    /** TID 4019 Algorithm Identification; its parameters in the module's own order when {@code withParameters}. */
    private void algorithm(ContentItemFactory f, ContentItem group, ReportInput in, boolean withParameters)
            throws DicomException {
        var module = in.module();
        f.makeTextContentItem(group, HAS_CONCEPT_MOD, dcm("111001", "Algorithm Name"),
                module.displayName() + " (" + module.model().name() + ")");
        f.makeTextContentItem(group, HAS_CONCEPT_MOD, dcm("111003", "Algorithm Version"),
                module.version() + " (model " + module.model().version() + (in.demoModel() ? ", DEMO MODEL" : "") + ")");
        if (!withParameters) {
            return;
        }
        for (var e : in.result().parameters().entrySet()) {
            f.makeTextContentItem(group, HAS_CONCEPT_MOD, dcm("111002", "Algorithm Parameters"),
                    e.getKey() + "=" + e.getValue());
        }
    }

    /** A private concept "Probability of <label>": code value PROB-<label code>, or a hash when that is too long. */
    static CodedSequenceItem probabilityConcept(Concept label) throws DicomException {
        String value = "P-" + label.code();
        if (value.length() > 16 || !label.code().matches("[A-Za-z0-9.\\-]+")) {
            value = "P-" + HexFormat.of().formatHex(sha256(label.scheme() + ":" + label.code()), 0, 7);
        }
        return code(PRIVATE_SCHEME, value, CommonAttributes.truncate("Probability of " + label.meaning(), 64));
    }

    /** A Decimal String of at most 16 characters, the same for the same value. */
    static String ds(double v) {
        BigDecimal d = new BigDecimal(v).round(new MathContext(10)).stripTrailingZeros();
        String s = d.abs().compareTo(new BigDecimal("1e-6")) < 0 && d.signum() != 0 || d.abs().compareTo(new BigDecimal("1e10")) >= 0
                ? d.toString() : d.toPlainString();
        if (s.length() > 16) {
            s = new BigDecimal(v).round(new MathContext(8)).stripTrailingZeros().toString();
        }
        return s;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static CodedSequenceItem coded(Concept c) throws DicomException {
        return code(c.scheme(), c.code(), CommonAttributes.truncate(c.meaning(), 64));
    }

    private static CodedSequenceItem dcm(String code, String meaning) throws DicomException {
        return code("DCM", code, meaning);
    }

    private static CodedSequenceItem sct(String code, String meaning) throws DicomException {
        return code("SCT", code, meaning);
    }

    private static CodedSequenceItem code(String scheme, String code, String meaning) throws DicomException {
        return new CodedSequenceItem(code, scheme, meaning);
    }

    private static void put(AttributeList list, AttributeTag tag, String value) throws DicomException {
        CommonAttributes.put(list, tag, value);
    }
}
