package org.radflow.testdata;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Deterministic UIDs: {@code 2.25.} followed by the decimal value of a name-based (MD5) UUID
 * of the given parts, as ISO/IEC 9834-8 allows. At most 44 characters, no leading zeros.
 */
public final class SynthUids {
    private SynthUids() {}

    /** The UID derived from the parts, joined with a separator that cannot occur by accident. */
    public static String derive(Object... parts) {
        StringBuilder sb = new StringBuilder("radflow-testdata");
        for (Object p : parts) {
            sb.append('\u001f').append(p);
        }
        UUID u = UUID.nameUUIDFromBytes(sb.toString().getBytes(StandardCharsets.UTF_8));
        byte[] b = ByteBuffer.allocate(16).putLong(u.getMostSignificantBits())
                .putLong(u.getLeastSignificantBits()).array();
        return "2.25." + new BigInteger(1, b);
    }

    /** Whether the string is a syntactically valid UID (digits and dots, no leading zeros, at most 64). */
    public static boolean isValid(String uid) {
        if (uid == null || uid.isEmpty() || uid.length() > 64) {
            return false;
        }
        for (String c : uid.split("\\.", -1)) {
            if (c.isEmpty() || !c.chars().allMatch(ch -> ch >= '0' && ch <= '9')
                    || (c.length() > 1 && c.charAt(0) == '0')) {
                return false;
            }
        }
        return true;
    }
}
