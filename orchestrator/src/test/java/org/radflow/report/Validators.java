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
            new DicomSRValidator().validate(list).lines().filter(l -> l.startsWith("Error"))
                    .forEach(e -> errors.add("DicomSRValidator: " + e));
        }
        return new Report(file, ran, errors, d.warnings());
    }
}
