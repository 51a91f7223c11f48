package org.radflow.report;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.validate.DicomSRValidator;

/** PixelMed's SR template validator, in process (it needs the JDK's XPath limits lifted). */
final class SrValidation {

    private SrValidation() {
    }

    static synchronized String validate(AttributeList list) throws Exception {
        System.setProperty("jdk.xml.xpathExprOpLimit", "0");
        System.setProperty("jdk.xml.xpathExprGrpLimit", "0");
        System.setProperty("jdk.xml.xpathTotalOpLimit", "0");
        return new DicomSRValidator().validate(list);
    }
}
