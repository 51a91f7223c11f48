package org.radflow.pixels;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.SequenceAttribute;

/**
 * Attributes that may apply to one frame: in an enhanced multi-frame object they sit in a functional group macro
 * of the Per-frame or the Shared Functional Groups Sequence; in a classic image at the top level. Looked up in
 * that order.
 */
final class FrameAttributes {
    private FrameAttributes() {}

    static final AttributeTag SHARED_FUNCTIONAL_GROUPS = new AttributeTag(0x5200, 0x9229);
    static final AttributeTag PER_FRAME_FUNCTIONAL_GROUPS = new AttributeTag(0x5200, 0x9230);
    static final AttributeTag PIXEL_MEASURES = new AttributeTag(0x0028, 0x9110);
    static final AttributeTag PLANE_POSITION = new AttributeTag(0x0020, 0x9113);
    static final AttributeTag PLANE_ORIENTATION = new AttributeTag(0x0020, 0x9116);
    static final AttributeTag PIXEL_VALUE_TRANSFORMATION = new AttributeTag(0x0028, 0x9145);
    static final AttributeTag FRAME_VOI_LUT = new AttributeTag(0x0028, 0x9132);

    static final AttributeTag IMAGE_POSITION_PATIENT = new AttributeTag(0x0020, 0x0032);
    static final AttributeTag IMAGE_ORIENTATION_PATIENT = new AttributeTag(0x0020, 0x0037);
    static final AttributeTag PIXEL_SPACING = new AttributeTag(0x0028, 0x0030);
    static final AttributeTag IMAGER_PIXEL_SPACING = new AttributeTag(0x0018, 0x1164);
    static final AttributeTag RESCALE_INTERCEPT = new AttributeTag(0x0028, 0x1052);
    static final AttributeTag RESCALE_SLOPE = new AttributeTag(0x0028, 0x1053);
    static final AttributeTag WINDOW_CENTER = new AttributeTag(0x0028, 0x1050);
    static final AttributeTag WINDOW_WIDTH = new AttributeTag(0x0028, 0x1051);

    /** The attribute for a frame (0-based), or null. */
    static Attribute get(AttributeList list, int frame, AttributeTag macro, AttributeTag tag) {
        Attribute a = inGroups(list, PER_FRAME_FUNCTIONAL_GROUPS, frame, macro, tag);
        if (a == null) {
            a = inGroups(list, SHARED_FUNCTIONAL_GROUPS, 0, macro, tag);
        }
        return a != null ? a : list.get(tag);
    }

    /** All values as numbers; null when absent, empty or not numeric. */
    static double[] doubles(AttributeList list, int frame, AttributeTag macro, AttributeTag tag) {
        Attribute a = get(list, frame, macro, tag);
        if (a == null || a.getVM() == 0) {
            return null;
        }
        try {
            double[] v = a.getDoubleValues();
            return v == null || v.length == 0 ? null : v;
        } catch (Exception e) { // a malformed DS is treated as absent
            return null;
        }
    }

    /** The first value, or {@code fallback}. */
    static double first(AttributeList list, int frame, AttributeTag macro, AttributeTag tag, double fallback) {
        double[] v = doubles(list, frame, macro, tag);
        return v == null ? fallback : v[0];
    }

    private static Attribute inGroups(AttributeList list, AttributeTag groups, int item, AttributeTag macro,
                                      AttributeTag tag) {
        if (!(list.get(groups) instanceof SequenceAttribute seq) || item >= seq.getNumberOfItems()) {
            return null;
        }
        AttributeList group = seq.getItem(item).getAttributeList();
        if (group == null || !(group.get(macro) instanceof SequenceAttribute m) || m.getNumberOfItems() == 0) {
            return null;
        }
        AttributeList values = m.getItem(0).getAttributeList();
        return values == null ? null : values.get(tag);
    }
}
