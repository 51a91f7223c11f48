package org.radflow.dicom;

/**
 * The one way a peer-supplied string (AE titles, UIDs, a peer's error comment, a file name from a peer)
 * reaches a log line or the audit trail: every character that could end a line, move the cursor or hide
 * text is written as an escape ({@code \n}, {@code \r}, {@code \t}, {@code \xNN}, {@code \}{@code uNNNN}),
 * a backslash as {@code \\} (so an escape the peer typed cannot pass for one of ours), and long values
 * are cut. A calling AE title {@code X<newline>ERROR FORGED} therefore stays one line:
 * {@code X\nERROR FORGED}. Printable non-ASCII letters (names in ISO_IR 192) are kept as they are.
 */
public final class LogText {

    /** Longest value written before it is cut; an AE title is 16 characters, a UID 64, an error comment 64. */
    public static final int DEFAULT_MAX = 200;

    private LogText() {
    }

    /** The value escaped and cut at {@link #DEFAULT_MAX} characters; {@code <none>} for null. */
    public static String escape(String value) {
        return escape(value, DEFAULT_MAX);
    }

    /** The value escaped, its first {@code max} characters only (then {@code …(+N chars)}); {@code <none>} for null. */
    public static String escape(String value, int max) {
        if (value == null) {
            return "<none>";
        }
        int n = Math.min(value.length(), max);
        StringBuilder sb = null;
        for (int i = 0; i < n; i++) {
            char c = value.charAt(i);
            if (!isPlain(c)) {
                sb = new StringBuilder(n + 16).append(value, 0, i);
                for (int j = i; j < n; j++) {
                    append(sb, value.charAt(j));
                }
                break;
            }
        }
        String body = sb != null ? sb.toString() : n == value.length() ? value : value.substring(0, n);
        return value.length() > max ? body + "…(+" + (value.length() - max) + " chars)" : body;
    }

    private static boolean isPlain(char c) {
        if (c >= 0x20 && c < 0x7f) {
            return c != '\\';
        }
        if (c < 0xa0) {
            return false; // C0, DEL, C1 controls (0x85 is a line break for some readers)
        }
        return switch (Character.getType(c)) {
            case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                 Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED -> false;
            default -> true;
        };
    }

    private static void append(StringBuilder sb, char c) {
        if (isPlain(c)) {
            sb.append(c);
            return;
        }
        switch (c) {
            case '\\' -> sb.append("\\\\");
            case '\n' -> sb.append("\\n");
            case '\r' -> sb.append("\\r");
            case '\t' -> sb.append("\\t");
            default -> {
                if (c < 0x100) {
                    sb.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
                } else {
                    sb.append(String.format("\\u%04x", (int) c));
                }
            }
        }
    }
}
