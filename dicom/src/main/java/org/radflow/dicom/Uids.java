package org.radflow.dicom;

import java.util.regex.Pattern;

/** DICOM UID rules (PS3.5 9.1): digits and dots, components without leading zeros, at most 64 characters. */
public final class Uids {

    private static final Pattern VALID = Pattern.compile("(0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*))*");

    public static final String VERIFICATION = "1.2.840.10008.1.1";
    public static final String APPLICATION_CONTEXT = "1.2.840.10008.3.1.1.1";

    private Uids() {
    }

    public static boolean isValid(String uid) {
        return uid != null && !uid.isEmpty() && uid.length() <= 64 && VALID.matcher(uid).matches();
    }

    /** Why a UID is not valid, for log lines and error comments; null when it is valid. */
    public static String problem(String uid) {
        if (uid == null || uid.isEmpty()) {
            return "missing";
        }
        if (uid.length() > 64) {
            return "longer than 64 characters";
        }
        if (!VALID.matcher(uid).matches()) {
            return "not digits and dots (or a component with a leading zero)";
        }
        return null;
    }

    /** A UID quoted for a log line: escaped by {@link LogText} and bounded, so hostile input cannot forge log lines. */
    public static String forLog(String uid) {
        return uid == null ? "<none>" : '"' + LogText.escape(uid, 80) + '"';
    }
}
