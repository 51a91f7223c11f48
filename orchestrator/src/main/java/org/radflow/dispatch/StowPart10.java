package org.radflow.dispatch;

import java.nio.charset.StandardCharsets;

/**
 * A bounded structural check of a DICOM Part 10 file before STOW-RS sends it, which also yields its
 * SOP Instance UID (package-private, used by {@link StowRsSender}).
 *
 * <p>It reads the file meta information and walks the data set's elements (nested sequences and
 * items too) up to the top-level Pixel Data, checking that every length fits in the file. That is
 * cheap (no values are decoded except two UIDs) and allocation-free, unlike a general parser which
 * allocates what a corrupt length says (PixelMed tries a 2 GB array for a length of 0x7f7f7f7f).
 * Explicit and implicit VR little endian and the encapsulated (compressed) syntaxes, whose data set
 * is explicit VR little endian, are walked; for deflated and (retired) big endian data sets only the
 * meta information is checked and its UID used.
 */
final class StowPart10 {

    private static final int PREAMBLE = 128;
    private static final long UNDEFINED = 0xFFFFFFFFL;
    private static final int ITEM = 0xFFFEE000;
    private static final int ITEM_END = 0xFFFEE00D;
    private static final int SEQUENCE_END = 0xFFFEE0DD;
    private static final int PIXEL_DATA = 0x7FE00010;
    private static final int SOP_INSTANCE_UID = 0x00080018;
    private static final int MAX_DEPTH = 32;

    private final byte[] data;
    private String sopInstanceUid;

    private StowPart10(byte[] data) {
        this.data = data;
    }

    /**
     * The SOP Instance UID: (0008,0018) of the data set, else (0002,0003) of the meta information.
     * Throws {@link IllegalArgumentException} with a short reason (never data values) when the bytes
     * are not a well-formed Part 10 file.
     */
    static String sopInstanceUid(byte[] file) {
        return new StowPart10(file).check();
    }

    private String check() {
        if (data.length < PREAMBLE + 4 || data[PREAMBLE] != 'D' || data[PREAMBLE + 1] != 'I'
                || data[PREAMBLE + 2] != 'C' || data[PREAMBLE + 3] != 'M') {
            throw new IllegalArgumentException("not a DICOM Part 10 file (no \"DICM\" after the 128-byte preamble)");
        }
        // file meta information: explicit VR little endian, group 0002
        int pos = PREAMBLE + 4;
        String metaUid = null;
        String transferSyntax = null;
        while (pos + 8 <= data.length && u16(pos) == 0x0002) {
            int tag = tag(pos);
            Element e = element(pos, data.length, true);
            if (tag == 0x00020003) {
                metaUid = text(e.valueStart, e.length);
            } else if (tag == 0x00020010) {
                transferSyntax = text(e.valueStart, e.length);
            }
            pos = e.valueStart + (int) e.length;
        }
        if (transferSyntax == null) {
            throw new IllegalArgumentException("the file meta information has no Transfer Syntax UID");
        }
        boolean explicitVr = !transferSyntax.equals("1.2.840.10008.1.2");
        boolean walkable = !transferSyntax.equals("1.2.840.10008.1.2.1.99") // deflated
                && !transferSyntax.equals("1.2.840.10008.1.2.2");             // big endian
        if (walkable) {
            walk(pos, data.length, 0, false, explicitVr);
        }
        String uid = sopInstanceUid != null && !sopInstanceUid.isBlank() ? sopInstanceUid : metaUid;
        if (uid == null || uid.isBlank()) {
            throw new IllegalArgumentException("the DICOM file has no SOP Instance UID");
        }
        return uid.trim();
    }

    private record Element(int valueStart, long length, String vr) {
    }

    /**
     * Walks elements from {@code pos} to {@code end}; in an undefined-length item, until the item
     * delimiter (returns the position after it). Stops at top-level Pixel Data.
     */
    private int walk(int pos, int end, int depth, boolean untilItemEnd, boolean explicit) {
        if (depth > MAX_DEPTH) {
            throw corrupt("sequences nested deeper than " + MAX_DEPTH);
        }
        while (pos < end) {
            if (pos + 8 > end) {
                throw corrupt("an element header is cut off");
            }
            int tag = tag(pos);
            if (tag == ITEM_END) {
                if (!untilItemEnd) {
                    throw corrupt("an item delimiter outside an item");
                }
                return pos + 8;
            }
            if (tag == ITEM || tag == SEQUENCE_END) {
                throw corrupt("an item tag outside a sequence");
            }
            Element e = element(pos, end, explicit);
            if (depth == 0 && tag == PIXEL_DATA) {
                return end;
            }
            if (depth == 0 && tag == SOP_INSTANCE_UID && e.length != UNDEFINED) {
                sopInstanceUid = text(e.valueStart, e.length);
            }
            if (e.length == UNDEFINED) {
                // an undefined-length UN holds an implicit VR sequence (PS3.5 6.2.2)
                pos = tag == PIXEL_DATA ? fragments(e.valueStart, end)
                        : sequence(e.valueStart, end, depth, explicit && !"UN".equals(e.vr));
            } else if ("SQ".equals(e.vr)) {
                int valueEnd = e.valueStart + (int) e.length;
                int after = sequence(e.valueStart, valueEnd, depth, explicit);
                if (after != valueEnd) {
                    throw corrupt("a sequence's items do not fill its length");
                }
                pos = valueEnd;
            } else {
                pos = e.valueStart + (int) e.length;
            }
        }
        if (untilItemEnd) {
            throw corrupt("an item has no delimiter");
        }
        return pos;
    }

    /** Items of a sequence from {@code pos}: to {@code end} or its delimiter (undefined length). */
    private int sequence(int pos, int end, int depth, boolean explicit) {
        while (pos < end) {
            if (pos + 8 > end) {
                throw corrupt("an item header is cut off");
            }
            int tag = tag(pos);
            long length = u32(pos + 4);
            if (tag == SEQUENCE_END) {
                return pos + 8;
            }
            if (tag != ITEM) {
                throw corrupt("a sequence holds something else than items");
            }
            pos += 8;
            if (length == UNDEFINED) {
                pos = walk(pos, end, depth + 1, true, explicit);
            } else {
                if (length > end - pos) {
                    throw corrupt("an item is longer than the file");
                }
                int itemEnd = pos + (int) length;
                walk(pos, itemEnd, depth + 1, false, explicit);
                pos = itemEnd;
            }
        }
        return pos;
    }

    /** Encapsulated pixel data fragments (items skipped by length) up to the sequence delimiter. */
    private int fragments(int pos, int end) {
        while (pos + 8 <= end) {
            int tag = tag(pos);
            long length = u32(pos + 4);
            if (tag == SEQUENCE_END) {
                return pos + 8;
            }
            if (tag != ITEM || length == UNDEFINED || length > end - pos - 8) {
                throw corrupt("encapsulated pixel data is damaged");
            }
            pos += 8 + (int) length;
        }
        throw corrupt("encapsulated pixel data has no end");
    }

    private Element element(int pos, int end, boolean explicit) {
        int headerLength;
        long length;
        String vr = null;
        if (explicit) {
            char v1 = (char) (data[pos + 4] & 0xff);
            char v2 = (char) (data[pos + 5] & 0xff);
            if (v1 < 'A' || v1 > 'Z' || v2 < 'A' || v2 > 'Z') {
                throw corrupt("an element has no valid VR");
            }
            vr = "" + v1 + v2;
            if (longVr(vr)) {
                if (pos + 12 > end) {
                    throw corrupt("an element header is cut off");
                }
                length = u32(pos + 8);
                headerLength = 12;
            } else {
                length = u16(pos + 6);
                headerLength = 8;
            }
        } else {
            length = u32(pos + 4);
            headerLength = 8;
        }
        int valueStart = pos + headerLength;
        if (length != UNDEFINED && length > end - valueStart) {
            throw corrupt("an element is longer than the " + (end == data.length ? "file" : "item holding it"));
        }
        return new Element(valueStart, length, vr);
    }

    private static boolean longVr(String vr) {
        return switch (vr) {
            case "OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV" -> true;
            default -> false;
        };
    }

    private IllegalArgumentException corrupt(String why) {
        return new IllegalArgumentException("a damaged DICOM file: " + why);
    }

    private int tag(int pos) {
        return u16(pos) << 16 | u16(pos + 2);
    }

    private int u16(int pos) {
        return (data[pos] & 0xff) | (data[pos + 1] & 0xff) << 8;
    }

    private long u32(int pos) {
        return (data[pos] & 0xffL) | (data[pos + 1] & 0xffL) << 8 | (data[pos + 2] & 0xffL) << 16
                | (data[pos + 3] & 0xffL) << 24;
    }

    private String text(int start, long length) {
        String s = new String(data, start, (int) length, StandardCharsets.US_ASCII);
        int nul = s.indexOf('\0');
        return (nul >= 0 ? s.substring(0, nul) : s).trim();
    }
}
