package org.radflow.api;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * A coding scheme a module's own codes belong to, declared so that the platform writes it into each structured report's
 * Coding Scheme Identification Sequence (0008,0110), as PS3.3 C.12.1 asks for any scheme that is not in PS3.16's
 * registry. Standard schemes ({@code SCT}, {@code DCM}, {@code UCUM}, {@code LN}, ...) need no declaration; a private
 * one should start with {@code 99} (PS3.16 8.2), e.g. {@code 99MYHOSP}.
 *
 * @param designator              Coding Scheme Designator (SH: at most 16 characters, no backslash)
 * @param name                    Coding Scheme Name, e.g. "Example Hospital fat-fraction codes" (at most 64 characters)
 * @param responsibleOrganization who defines and maintains the codes (at most 64 characters)
 * @param uid                     Coding Scheme UID if it has one, else null
 * @param version                 Coding Scheme Version, else null (at most 16 characters)
 * @since 0.5
 */
public record CodingScheme(String designator, String name, String responsibleOrganization, String uid, String version) {

    /** Designators of PS3.16's registry (Table 8-1) a module cannot redefine, and the platform's own private scheme. */
    static final Set<String> RESERVED = Set.of("SCT", "SRT", "DCM", "UCUM", "LN", "FMA", "NCIt", "RADLEX", "NEU", "MDC",
            "ICD10", "I10", "ACR", "UMLS", "99RADFLOW");
    private static final Pattern UID = Pattern.compile("(0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*))*");

    public CodingScheme {
        Checks.require(designator, "coding scheme designator");
        Checks.require(name, "coding scheme name");
        Checks.require(responsibleOrganization, "coding scheme responsible organization");
        if (designator.length() > 16 || designator.contains("\\") || !designator.equals(designator.strip())) {
            throw new IllegalArgumentException("coding scheme designator '" + designator
                    + "' must be at most 16 characters without a backslash or surrounding spaces");
        }
        if (RESERVED.contains(designator)) {
            throw new IllegalArgumentException("coding scheme designator '" + designator + "' is a standard (or RadFlow's)"
                    + " scheme and needs no declaration; declare only your own schemes, e.g. 99MYHOSP");
        }
        if (name.length() > 64 || responsibleOrganization.length() > 64) {
            throw new IllegalArgumentException("coding scheme " + designator + ": name and responsible organization must be"
                    + " at most 64 characters");
        }
        if (uid != null && (uid.length() > 64 || !UID.matcher(uid).matches())) {
            throw new IllegalArgumentException("coding scheme " + designator + ": '" + uid + "' is not a valid UID");
        }
        if (version != null && (version.isBlank() || version.length() > 16)) {
            throw new IllegalArgumentException("coding scheme " + designator + ": version must be 1 to 16 characters");
        }
    }

    /** A private scheme without UID or version. */
    public static CodingScheme of(String designator, String name, String responsibleOrganization) {
        return new CodingScheme(designator, name, responsibleOrganization, null, null);
    }
}
