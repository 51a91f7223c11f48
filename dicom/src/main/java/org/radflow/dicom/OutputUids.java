package org.radflow.dicom;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;

/**
 * RadFlow's UIDs for the objects it writes: {@code 2.25.} followed by a 128-bit number derived from a
 * SHA-256 hash of (input instances, module id, module version, role), so a retried or duplicated
 * job produces the very same UIDs and PACS keeps one copy.
 */
public final class OutputUids {

    private OutputUids() {
    }

    /** Hash identifying a unit's inputs: its SOP Instance UIDs, sorted, so order of arrival does not matter. */
    public static String inputHash(Collection<String> sopInstanceUids) {
        List<String> sorted = new ArrayList<>(sopInstanceUids);
        sorted.sort(null);
        return HexFormat.of().formatHex(sha256(String.join("\n", sorted)));
    }

    /**
     * A UID for one output of one job.
     *
     * @param role what the UID is for, e.g. {@code "sr.series"}, {@code "sr.instance"}, {@code "seg.instance"}
     */
    public static String derive(String inputHash, String moduleId, String moduleVersion, String role) {
        byte[] h = sha256(inputHash + "\n" + moduleId + "\n" + moduleVersion + "\n" + role);
        byte[] first = new byte[16];
        System.arraycopy(h, 0, first, 0, 16);
        // UUID variant and version bits (RFC 9562 version 8, custom), as 2.25 UIDs are UUIDs in decimal
        first[6] = (byte) ((first[6] & 0x0f) | 0x80);
        first[8] = (byte) ((first[8] & 0x3f) | 0x80);
        return "2.25." + new BigInteger(1, first);
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
