package org.radflow.report;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.validate.DicomInstanceValidator;
import com.pixelmed.validate.DicomSRValidator;
import org.radflow.testkit.Dciodvfy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The three validators every object RadFlow writes must pass with 0 errors: dciodvfy (dicom3tools), PixelMed's
 * DicomInstanceValidator (IOD and module conditions; it knows SEG but not SR or Secondary Capture, and says "IOD (SOP Class)
 * unrecognized" for them), and for SRs PixelMed's DicomSRValidator (IOD and templates).
 */
final class Validators {

    /** One object's findings: errors from any validator, warnings from dciodvfy. */
    record Report(Path file, List<String> validators, List<String> errors, List<String> warnings) {
        void assertNoErrors() {
            if (!errors.isEmpty()) {
                throw new AssertionError(errors.size() + " validator error(s) in " + file.getFileName() + ":\n"
                        + String.join("\n", errors));
            }
        }
    }

    private Validators() {
    }

    static synchronized Report check(Path file) throws Exception {
        System.setProperty("jdk.xml.xpathExprOpLimit", "0");
        System.setProperty("jdk.xml.xpathExprGrpLimit", "0");
        System.setProperty("jdk.xml.xpathTotalOpLimit", "0");
        List<String> errors = new ArrayList<>();
        List<String> ran = new ArrayList<>(List.of("dciodvfy"));
        Dciodvfy.Result d = Dciodvfy.check(file);
        d.errors().forEach(e -> errors.add("dciodvfy: " + e));
        AttributeList list = new AttributeList();
        list.read(file.toString());
        String charset = Attribute.getSingleStringValueOrEmptyString(list, TagFromName.SpecificCharacterSet);
        String instance = new DicomInstanceValidator().validate(list);
        if (!instance.contains("IOD (SOP Class) unrecognized")) {
            ran.add("DicomInstanceValidator");
        }
        instance.lines()
                .filter(l -> l.startsWith("Error"))
                // PixelMed 20220618 checks PN values against ASCII only (CommonDicomIODValidationRules.xsl, vr = 'PN'),
                // whatever Specific Character Set declares: a non-ASCII name under a declared extended set is legal
                .filter(l -> charset.isEmpty() || !(l.contains("Illegal character(s)") && l.contains("in value of PN VR")))
                .forEach(e -> errors.add("DicomInstanceValidator: " + e));
        if ("SR".equals(Attribute.getSingleStringValueOrEmptyString(list, TagFromName.Modality))) {
            ran.add("DicomSRValidator");
            com.pixelmed.dicom.ContentItem root = (com.pixelmed.dicom.ContentItem) new com.pixelmed.dicom.StructuredReport(list).getRoot();
            new DicomSRValidator().validate(list).lines().filter(l -> l.startsWith("Error"))
                    .filter(l -> !tid1501GroupCheckedAsTid1411(l, root))
                    .forEach(e -> errors.add("DicomSRValidator: " + e));
        }
        return new Report(file, ran, errors, d.warnings());
    }

    private static final java.util.regex.Pattern TID_1411_IMAGE_REGION = java.util.regex.Pattern.compile(
            "Error: Template 1411 VolumetricROIMeasurements/\\[Row 1\\] CONTAINER \\(125007,DCM,\"Measurement Group\"\\)"
                    + "/\\[Row [0-9]+\\] [A-Z0-9]+ \\((?:111030|121191|121231),DCM,\"[^\"]*\"\\): within ([0-9.]+): "
                    + ".*Missing conditional content item");

    /**
     * PixelMed 20220618's compiled TID 1500 (DicomSRDescriptionsCompiled.xsl) picks the measurement-group template
     * for the whole Imaging Measurements container: when any group has a "Referenced Segment" (DCM 121191) it checks
     * every group as TID 1411, so a sibling TID 1501 group (no region, no segment: e.g. a total over two segments)
     * is reported as missing TID 1411's region alternatives (Image Region, Referenced Segment, Volume Surface). Mixing TID 1501 and 1411 groups is legal (TID 1500 row 6) and
     * dciodvfy accepts it; this error is ignored only for a group that really has no ROI reference at all.
     */
    static boolean tid1501GroupCheckedAsTid1411(String error, com.pixelmed.dicom.ContentItem root) {
        java.util.regex.Matcher m = TID_1411_IMAGE_REGION.matcher(error);
        if (!m.find()) {
            return false;
        }
        String[] path = m.group(1).split("\\.");
        com.pixelmed.dicom.ContentItem item = root;
        for (int i = 1; i < path.length; i++) {
            int child = Integer.parseInt(path[i]) - 1;
            if (item == null || child >= item.getChildCount()) {
                return false;
            }
            item = (com.pixelmed.dicom.ContentItem) item.getChildAt(child);
        }
        if (item == null || !"125007".equals(item.getConceptNameCodeValue())) {
            return false;
        }
        for (int i = 0; i < item.getChildCount(); i++) {
            String concept = ((com.pixelmed.dicom.ContentItem) item.getChildAt(i)).getConceptNameCodeValue();
            if (List.of("121191", "121214", "121231", "111030").contains(concept)) {
                return false; // an ROI group: the error is real
            }
        }
        return true;
    }
}
