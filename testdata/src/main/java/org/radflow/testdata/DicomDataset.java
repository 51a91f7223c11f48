package org.radflow.testdata;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A minimal DICOM data set and an explicit VR little endian Part 10 writer.
 *
 * <p>Written here rather than with a toolkit so that every byte is under our control
 * (determinism, UTF-8 names) and a 512 KB CT image costs one array copy.
 */
final class DicomDataset {

    static final String EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1";
    /** RadFlow's implementation class UID: 2.25 + a UUID derived from the product name. */
    static final String IMPLEMENTATION_CLASS_UID = SynthUids.derive("org.radflow.testdata implementation");
    static final String IMPLEMENTATION_VERSION_NAME = "RADFLOW_TD_01";

    private record Element(String vr, Object value) {}

    // Tags compared as unsigned ints so (7FE0,0010) sorts after (0028,xxxx) and (FFFE,...) last.
    private final TreeMap<Integer, Element> elements = new TreeMap<>(Integer::compareUnsigned);

    static int tag(int group, int element) {
        return (group << 16) | (element & 0xFFFF);
    }

    /** A string element; multiple values are joined with a backslash. */
    DicomDataset str(int tag, String vr, String... values) {
        for (String v : values) {
            if (v == null) {
                throw new IllegalArgumentException("null value for " + tagString(tag));
            }
        }
        elements.put(tag, new Element(vr, String.join("\\", values)));
        return this;
    }

    /** Puts the string if non-null; an empty string gives an empty (type 2) element. */
    DicomDataset strIfPresent(int tag, String vr, String value) {
        if (value != null) {
            str(tag, vr, value);
        }
        return this;
    }

    DicomDataset us(int tag, int... values) {
        byte[] b = new byte[values.length * 2];
        for (int i = 0; i < values.length; i++) {
            if (values[i] < 0 || values[i] > 0xFFFF) {
                throw new IllegalArgumentException("US out of range for " + tagString(tag) + ": " + values[i]);
            }
            b[2 * i] = (byte) values[i];
            b[2 * i + 1] = (byte) (values[i] >>> 8);
        }
        elements.put(tag, new Element("US", b));
        return this;
    }

    DicomDataset ds(int tag, double... values) {
        String[] s = new String[values.length];
        for (int i = 0; i < values.length; i++) {
            s[i] = formatDs(values[i]);
        }
        return str(tag, "DS", s);
    }

    DicomDataset is(int tag, int... values) {
        String[] s = new String[values.length];
        for (int i = 0; i < values.length; i++) {
            s[i] = Integer.toString(values[i]);
        }
        return str(tag, "IS", s);
    }

    DicomDataset bytes(int tag, String vr, byte[] value) {
        elements.put(tag, new Element(vr, value));
        return this;
    }

    DicomDataset seq(int tag, DicomDataset... items) {
        elements.put(tag, new Element("SQ", List.of(items)));
        return this;
    }

    /** A code sequence item (Code Value, Coding Scheme Designator, Code Meaning). */
    static DicomDataset code(String value, String scheme, String meaning) {
        return new DicomDataset()
                .str(tag(0x0008, 0x0100), "SH", value)
                .str(tag(0x0008, 0x0102), "SH", scheme)
                .str(tag(0x0008, 0x0104), "LO", meaning);
    }

    boolean contains(int tag) {
        return elements.containsKey(tag);
    }

    /** Whether a string in this data set (or its items) needs a character set other than ASCII. */
    boolean needsNonAscii() {
        for (Element e : elements.values()) {
            if (e.value instanceof String s && !isAscii(s)) {
                return true;
            }
            if (e.value instanceof List<?> items) {
                for (Object item : items) {
                    if (((DicomDataset) item).needsNonAscii()) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /**
     * Writes a Part 10 file: preamble, file meta information, then this data set in explicit VR
     * little endian. Adds Specific Character Set "ISO_IR 192" when any text is not ASCII.
     */
    void writePart10(Path file, String sopClassUid, String sopInstanceUid) throws IOException {
        Charset cs = StandardCharsets.US_ASCII;
        if (needsNonAscii()) {
            str(tag(0x0008, 0x0005), "CS", "ISO_IR 192");
            cs = StandardCharsets.UTF_8;
        }
        DicomDataset meta = new DicomDataset()
                .bytes(tag(0x0002, 0x0001), "OB", new byte[] {0, 1})
                .str(tag(0x0002, 0x0002), "UI", sopClassUid)
                .str(tag(0x0002, 0x0003), "UI", sopInstanceUid)
                .str(tag(0x0002, 0x0010), "UI", EXPLICIT_VR_LITTLE_ENDIAN)
                .str(tag(0x0002, 0x0012), "UI", IMPLEMENTATION_CLASS_UID)
                .str(tag(0x0002, 0x0013), "SH", IMPLEMENTATION_VERSION_NAME);
        Buf metaBody = new Buf(256);
        meta.encode(metaBody, StandardCharsets.US_ASCII);

        Buf out = new Buf(estimateSize() + 512);
        out.put(new byte[128]);
        out.put(new byte[] {'D', 'I', 'C', 'M'});
        out.tag(tag(0x0002, 0x0000));
        out.put(new byte[] {'U', 'L'});
        out.u16(4);
        out.u32(metaBody.size());
        out.put(metaBody.array(), 0, metaBody.size());
        encode(out, cs);
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (OutputStream os = Files.newOutputStream(file, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            os.write(out.array(), 0, out.size());
        }
    }

    private int estimateSize() {
        int n = 0;
        for (Element e : elements.values()) {
            n += 12 + (e.value instanceof byte[] b ? b.length : 64);
        }
        return n;
    }

    private void encode(Buf out, Charset cs) {
        for (Map.Entry<Integer, Element> entry : elements.entrySet()) {
            int tag = entry.getKey();
            Element e = entry.getValue();
            if (e.value instanceof List<?> items) {
                Buf body = new Buf(256);
                for (Object o : items) {
                    Buf item = new Buf(256);
                    ((DicomDataset) o).encode(item, cs);
                    body.tag(tag(0xFFFE, 0xE000));
                    body.u32(item.size());
                    body.put(item.array(), 0, item.size());
                }
                header(out, tag, "SQ", body.size());
                out.put(body.array(), 0, body.size());
                continue;
            }
            byte[] value;
            byte pad;
            if (e.value instanceof String s) {
                value = encodeString(tag, e.vr, s, cs);
                pad = e.vr.equals("UI") ? 0 : (byte) ' ';
            } else {
                value = (byte[]) e.value;
                pad = 0;
            }
            int len = value.length + (value.length & 1);
            header(out, tag, e.vr, len);
            out.put(value, 0, value.length);
            if ((value.length & 1) != 0) {
                out.put(new byte[] {pad}, 0, 1);
            }
        }
    }

    private static final List<String> LONG_VRS =
            Arrays.asList("OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV");
    private static final java.util.regex.Pattern CS_CHARS = java.util.regex.Pattern.compile("[A-Z0-9 _\\\\]*");
    private static final List<String> TEXT_VRS = Arrays.asList("SH", "LO", "ST", "LT", "PN", "UC", "UT");

    private static void header(Buf out, int tag, String vr, int length) {
        out.tag(tag);
        out.put(new byte[] {(byte) vr.charAt(0), (byte) vr.charAt(1)});
        if (LONG_VRS.contains(vr)) {
            out.u16(0);
            out.u32(length);
        } else {
            if (length > 0xFFFE) {
                throw new IllegalArgumentException("value too long for " + tagString(tag) + " " + vr);
            }
            out.u16(length);
        }
    }

    private static byte[] encodeString(int tag, String vr, String s, Charset cs) {
        if (!TEXT_VRS.contains(vr) && !isAscii(s)) {
            throw new IllegalArgumentException(tagString(tag) + " (" + vr + ") must be ASCII: " + s);
        }
        int max = switch (vr) {
            case "SH", "CS", "AE" -> 16;
            case "LO", "UI" -> 64;
            case "DS" -> 16;
            case "IS" -> 12;
            case "PN" -> 64; // per component group; checked below
            default -> Integer.MAX_VALUE;
        };
        if (vr.equals("CS") && !CS_CHARS.matcher(s).matches()) {
            throw new IllegalArgumentException(tagString(tag) + " (CS) allows only A-Z 0-9 space _ : " + s);
        }
        for (String v : s.split("\\\\", -1)) {
            if (vr.equals("PN")) {
                for (String group : v.split("=", -1)) {
                    if (group.codePointCount(0, group.length()) > max) {
                        throw new IllegalArgumentException(tagString(tag) + " PN group longer than 64 characters: " + group);
                    }
                }
            } else if (v.codePointCount(0, v.length()) > max) {
                throw new IllegalArgumentException(tagString(tag) + " (" + vr + ") longer than " + max + ": " + v);
            }
        }
        return s.getBytes(TEXT_VRS.contains(vr) ? cs : StandardCharsets.US_ASCII);
    }

    static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) > 0x7E) {
                return false;
            }
        }
        return true;
    }

    static String tagString(int tag) {
        return String.format("(%04X,%04X)", tag >>> 16, tag & 0xFFFF);
    }

    /** Formats a decimal string of at most 16 characters, rounding as little as needed. */
    static String formatDs(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            throw new IllegalArgumentException("DS cannot hold " + v);
        }
        for (int scale = 6; scale >= 0; scale--) {
            java.math.BigDecimal d = java.math.BigDecimal.valueOf(v)
                    .setScale(scale, java.math.RoundingMode.HALF_EVEN).stripTrailingZeros();
            String s = d.signum() == 0 ? "0" : d.toPlainString();
            if (s.length() <= 16) {
                return s;
            }
        }
        throw new IllegalArgumentException("DS too large: " + v);
    }

    /** A growable little endian byte buffer. */
    static final class Buf {
        private byte[] a;
        private int n;

        Buf(int capacity) {
            a = new byte[Math.max(16, capacity)];
        }

        private void ensure(int extra) {
            if (n + extra > a.length) {
                a = Arrays.copyOf(a, Math.max(a.length * 2, n + extra));
            }
        }

        void put(byte[] b) {
            put(b, 0, b.length);
        }

        void put(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, a, n, len);
            n += len;
        }

        void u16(int v) {
            ensure(2);
            a[n++] = (byte) v;
            a[n++] = (byte) (v >>> 8);
        }

        void u32(int v) {
            u16(v & 0xFFFF);
            u16(v >>> 16);
        }

        void tag(int tag) {
            u16(tag >>> 16);
            u16(tag & 0xFFFF);
        }

        byte[] array() {
            return a;
        }

        int size() {
            return n;
        }
    }

    /** Little endian bytes of 16-bit samples. */
    static byte[] le16(short[] samples) {
        byte[] b = new byte[samples.length * 2];
        for (int i = 0, j = 0; i < samples.length; i++) {
            short v = samples[i];
            b[j++] = (byte) v;
            b[j++] = (byte) (v >>> 8);
        }
        return b;
    }
}
