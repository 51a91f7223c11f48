package org.radflow.e2e;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.SequenceAttribute;

import java.io.ByteArrayInputStream;
import java.util.HashMap;
import java.util.Map;

/**
 * The masks a DICOM Segmentation holds, read back from the bytes the PACS serves (what a viewer reads): per source
 * instance (Referenced SOP Instance UID of the frame's Source Image Sequence) and segment number, which pixels are set.
 * Reads BINARY (1 bit per pixel, packed across frames) and FRACTIONAL (8 bits, a pixel is set when its value is above
 * half the Maximum Fractional Value).
 */
record SegMask(int rows, int columns, Map<Integer, String> labels, Map<String, Map<Integer, boolean[]>> frames) {

    private static final AttributeTag SEGMENTATION_TYPE = new AttributeTag(0x0062, 0x0001);
    private static final AttributeTag MAXIMUM_FRACTIONAL_VALUE = new AttributeTag(0x0062, 0x000E);
    private static final AttributeTag SEGMENT_SEQUENCE = new AttributeTag(0x0062, 0x0002);
    private static final AttributeTag SEGMENT_NUMBER = new AttributeTag(0x0062, 0x0004);
    private static final AttributeTag SEGMENT_LABEL = new AttributeTag(0x0062, 0x0005);
    private static final AttributeTag PER_FRAME = new AttributeTag(0x5200, 0x9230);
    private static final AttributeTag DERIVATION_IMAGE = new AttributeTag(0x0008, 0x9124);
    private static final AttributeTag SOURCE_IMAGE = new AttributeTag(0x0008, 0x2112);
    private static final AttributeTag REFERENCED_SOP_INSTANCE_UID = new AttributeTag(0x0008, 0x1155);
    private static final AttributeTag SEGMENT_IDENTIFICATION = new AttributeTag(0x0062, 0x000A);
    private static final AttributeTag REFERENCED_SEGMENT_NUMBER = new AttributeTag(0x0062, 0x000B);
    private static final AttributeTag ROWS = new AttributeTag(0x0028, 0x0010);
    private static final AttributeTag COLUMNS = new AttributeTag(0x0028, 0x0011);
    private static final AttributeTag PIXEL_DATA = new AttributeTag(0x7FE0, 0x0010);

    static SegMask read(byte[] part10) throws Exception {
        AttributeList list = new AttributeList();
        try (DicomInputStream in = new DicomInputStream(new ByteArrayInputStream(part10))) {
            list.read(in);
        }
        int rows = Attribute.getSingleIntegerValueOrDefault(list, ROWS, 0);
        int columns = Attribute.getSingleIntegerValueOrDefault(list, COLUMNS, 0);
        boolean binary = "BINARY".equals(Attribute.getSingleStringValueOrEmptyString(list, SEGMENTATION_TYPE).strip());
        int max = Attribute.getSingleIntegerValueOrDefault(list, MAXIMUM_FRACTIONAL_VALUE, 255);
        byte[] pixels = list.get(PIXEL_DATA).getByteValues();
        Map<Integer, String> labels = new HashMap<>();
        SequenceAttribute segments = (SequenceAttribute) list.get(SEGMENT_SEQUENCE);
        for (int i = 0; i < segments.getNumberOfItems(); i++) {
            AttributeList item = segments.getItem(i).getAttributeList();
            labels.put(Attribute.getSingleIntegerValueOrDefault(item, SEGMENT_NUMBER, 0),
                    Attribute.getSingleStringValueOrEmptyString(item, SEGMENT_LABEL).strip());
        }
        SequenceAttribute perFrame = (SequenceAttribute) list.get(PER_FRAME);
        int frameSize = rows * columns;
        Map<String, Map<Integer, boolean[]>> frames = new HashMap<>();
        for (int f = 0; f < perFrame.getNumberOfItems(); f++) {
            AttributeList group = perFrame.getItem(f).getAttributeList();
            AttributeList derivation = ((SequenceAttribute) group.get(DERIVATION_IMAGE)).getItem(0).getAttributeList();
            AttributeList source = ((SequenceAttribute) derivation.get(SOURCE_IMAGE)).getItem(0).getAttributeList();
            String sop = Attribute.getSingleStringValueOrEmptyString(source, REFERENCED_SOP_INSTANCE_UID).strip();
            int segment = Attribute.getSingleIntegerValueOrDefault(
                    ((SequenceAttribute) group.get(SEGMENT_IDENTIFICATION)).getItem(0).getAttributeList(), REFERENCED_SEGMENT_NUMBER, 0);
            boolean[] mask = new boolean[frameSize];
            for (int p = 0; p < frameSize; p++) {
                long i = (long) f * frameSize + p;
                mask[p] = binary ? (pixels[(int) (i >>> 3)] >> (i & 7) & 1) == 1 : (pixels[(int) i] & 0xFF) * 2 > max;
            }
            frames.computeIfAbsent(sop, k -> new HashMap<>()).put(segment, mask);
        }
        return new SegMask(rows, columns, labels, frames);
    }

    /** The source instance on which this segment has the most pixels. */
    String largestSlice(int segment) {
        String best = null;
        int bestCount = 0;
        for (Map.Entry<String, Map<Integer, boolean[]>> e : frames.entrySet()) {
            boolean[] m = e.getValue().get(segment);
            int n = m == null ? 0 : count(m);
            if (n > bestCount) {
                best = e.getKey();
                bestCount = n;
            }
        }
        if (best == null) {
            throw new AssertionError("the SEG has no pixel of segment " + segment);
        }
        return best;
    }

    /** The segment set at (column, row) of this source instance, or 0 for none. */
    int segmentAt(String sop, int column, int row) {
        Map<Integer, boolean[]> bySegment = frames.getOrDefault(sop, Map.of());
        for (Map.Entry<Integer, boolean[]> e : bySegment.entrySet()) {
            if (e.getValue()[row * columns + column]) {
                return e.getKey();
            }
        }
        return 0;
    }

    /** True when this pixel or one of its 8 neighbours belongs to a segment (the edge a renderer may blur). */
    boolean nearMask(String sop, int column, int row) {
        for (int dr = -1; dr <= 1; dr++) {
            for (int dc = -1; dc <= 1; dc++) {
                int r = row + dr;
                int c = column + dc;
                if (r >= 0 && c >= 0 && r < rows && c < columns && segmentAt(sop, c, r) != 0) {
                    return true;
                }
            }
        }
        return false;
    }

    private static int count(boolean[] m) {
        int n = 0;
        for (boolean b : m) {
            n += b ? 1 : 0;
        }
        return n;
    }
}
