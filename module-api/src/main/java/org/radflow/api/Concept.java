package org.radflow.api;

/**
 * A coded concept, as DICOM structured reports need: coding scheme (e.g. {@code SCT}, {@code DCM},
 * {@code UCUM}, or a private scheme such as {@code 99RADFLOW}), code value and meaning.
 */
public record Concept(String scheme, String code, String meaning) {

    public Concept {
        Checks.require(scheme, "coding scheme");
        Checks.require(code, "code value");
        Checks.require(meaning, "code meaning");
    }

    public static Concept sct(String code, String meaning) {
        return new Concept("SCT", code, meaning);
    }

    public static Concept dcm(String code, String meaning) {
        return new Concept("DCM", code, meaning);
    }

    /** A UCUM unit: the code is the unit string itself, e.g. {@code mm3} or {@code 1}. */
    public static Concept ucum(String unit, String meaning) {
        return new Concept("UCUM", unit, meaning);
    }
}
