package org.radflow.report;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.AttributeTagAttribute;
import com.pixelmed.dicom.CodeStringAttribute;
import com.pixelmed.dicom.CodedSequenceItem;
import com.pixelmed.dicom.DecimalStringAttribute;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.IntegerStringAttribute;
import com.pixelmed.dicom.LongStringAttribute;
import com.pixelmed.dicom.OtherByteAttribute;
import com.pixelmed.dicom.PersonNameAttribute;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.ShortTextAttribute;
import com.pixelmed.dicom.TransferSyntax;
import com.pixelmed.dicom.UniqueIdentifierAttribute;
import com.pixelmed.dicom.UnsignedLongAttribute;
import com.pixelmed.dicom.UnsignedShortAttribute;
import org.radflow.api.Concept;
import org.radflow.api.Finding;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes each {@link Finding.Segmentation} of a result as a DICOM Segmentation (one segment per entry of
 * {@code segments}) in the input's study, on the source's Frame of Reference.
 *
 * <p>Encoding: BINARY (1 bit per pixel, packed across frames) when a frame's pixel count is a multiple of 8;
 * otherwise FRACTIONAL OCCUPANCY with only the values 0 and 255 (8 bits per pixel). Both are conformant and
 * say the same thing; the second exists because OHIF 3.13's SEG loader unpacks 1-bit pixel data frame by frame
 * from byte boundaries, so a BINARY SEG whose frames are not byte-aligned (e.g. 35 x 51) is listed but not
 * drawn, while it draws a FRACTIONAL SEG whose values are all 0 or the maximum ("pseudo-binary"). DashboardBrowserIT
 * sees both in a browser: the FRACTIONAL 35 x 51 SEG drawn where the mask is, the BINARY one stuck loading.
 *
 * <p>Frames: one per (segment, slice) that contains at least one voxel of the segment, ordered by segment
 * number and then by slice position along the normal; slices without the segment are omitted. Each frame
 * carries the Image Position (Patient) of its source slice and references that instance
 * (Derivation Image / Source Image Sequence), so viewers place it on the source grid.
 */
public final class SegWriter implements ReportObjectWriter {

    public static final String SEGMENTATION_STORAGE = "1.2.840.10008.5.1.4.1.1.66.4";
    public static final int SERIES_NUMBER = 9903;

    // tags, by number: the Debian PixelMed dictionary lacks many of the enhanced multi-frame ones
    static final AttributeTag SEGMENTATION_TYPE = new AttributeTag(0x0062, 0x0001);
    static final AttributeTag SEGMENTATION_FRACTIONAL_TYPE = new AttributeTag(0x0062, 0x0010);
    static final AttributeTag MAXIMUM_FRACTIONAL_VALUE = new AttributeTag(0x0062, 0x000E);
    /** The value of a fully occupied pixel in a FRACTIONAL SEG. */
    static final int FRACTIONAL_MAX = 255;
    static final AttributeTag SEGMENT_SEQUENCE = new AttributeTag(0x0062, 0x0002);
    static final AttributeTag SEGMENTED_PROPERTY_CATEGORY_CODE_SEQUENCE = new AttributeTag(0x0062, 0x0003);
    static final AttributeTag SEGMENT_NUMBER = new AttributeTag(0x0062, 0x0004);
    static final AttributeTag SEGMENT_LABEL = new AttributeTag(0x0062, 0x0005);
    static final AttributeTag SEGMENT_DESCRIPTION = new AttributeTag(0x0062, 0x0006);
    static final AttributeTag SEGMENT_ALGORITHM_TYPE = new AttributeTag(0x0062, 0x0008);
    static final AttributeTag SEGMENT_ALGORITHM_NAME = new AttributeTag(0x0062, 0x0009);
    static final AttributeTag SEGMENT_IDENTIFICATION_SEQUENCE = new AttributeTag(0x0062, 0x000A);
    static final AttributeTag REFERENCED_SEGMENT_NUMBER = new AttributeTag(0x0062, 0x000B);
    static final AttributeTag RECOMMENDED_DISPLAY_CIELAB_VALUE = new AttributeTag(0x0062, 0x000D);
    static final AttributeTag SEGMENTED_PROPERTY_TYPE_MODIFIER_CODE_SEQUENCE = new AttributeTag(0x0062, 0x0011);
    static final AttributeTag SEGMENTED_PROPERTY_TYPE_CODE_SEQUENCE = new AttributeTag(0x0062, 0x000F);
    static final AttributeTag CONTENT_LABEL = new AttributeTag(0x0070, 0x0080);
    static final AttributeTag CONTENT_DESCRIPTION = new AttributeTag(0x0070, 0x0081);
    static final AttributeTag CONTENT_CREATOR_NAME = new AttributeTag(0x0070, 0x0084);
    static final AttributeTag SHARED_FUNCTIONAL_GROUPS_SEQUENCE = new AttributeTag(0x5200, 0x9229);
    static final AttributeTag PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE = new AttributeTag(0x5200, 0x9230);
    static final AttributeTag PIXEL_MEASURES_SEQUENCE = new AttributeTag(0x0028, 0x9110);
    static final AttributeTag PLANE_ORIENTATION_SEQUENCE = new AttributeTag(0x0020, 0x9116);
    static final AttributeTag PLANE_POSITION_SEQUENCE = new AttributeTag(0x0020, 0x9113);
    static final AttributeTag FRAME_CONTENT_SEQUENCE = new AttributeTag(0x0020, 0x9111);
    static final AttributeTag DIMENSION_INDEX_VALUES = new AttributeTag(0x0020, 0x9157);
    static final AttributeTag DIMENSION_ORGANIZATION_SEQUENCE = new AttributeTag(0x0020, 0x9221);
    static final AttributeTag DIMENSION_ORGANIZATION_UID = new AttributeTag(0x0020, 0x9164);
    static final AttributeTag DIMENSION_INDEX_SEQUENCE = new AttributeTag(0x0020, 0x9222);
    static final AttributeTag DIMENSION_INDEX_POINTER = new AttributeTag(0x0020, 0x9165);
    static final AttributeTag FUNCTIONAL_GROUP_POINTER = new AttributeTag(0x0020, 0x9167);
    static final AttributeTag DIMENSION_DESCRIPTION_LABEL = new AttributeTag(0x0020, 0x9421);
    static final AttributeTag DIMENSION_ORGANIZATION_TYPE = new AttributeTag(0x0020, 0x9311);
    static final AttributeTag DERIVATION_IMAGE_SEQUENCE = new AttributeTag(0x0008, 0x9124);
    static final AttributeTag DERIVATION_CODE_SEQUENCE = new AttributeTag(0x0008, 0x9215);
    static final AttributeTag SOURCE_IMAGE_SEQUENCE = new AttributeTag(0x0008, 0x2112);
    static final AttributeTag PURPOSE_OF_REFERENCE_CODE_SEQUENCE = new AttributeTag(0x0040, 0xA170);
    static final AttributeTag REFERENCED_SERIES_SEQUENCE = new AttributeTag(0x0008, 0x1115);
    static final AttributeTag REFERENCED_INSTANCE_SEQUENCE = new AttributeTag(0x0008, 0x114A);
    static final AttributeTag REFERENCED_SOP_CLASS_UID = new AttributeTag(0x0008, 0x1150);
    static final AttributeTag REFERENCED_SOP_INSTANCE_UID = new AttributeTag(0x0008, 0x1155);
    static final AttributeTag SOP_CLASS_UID = new AttributeTag(0x0008, 0x0016);
    static final AttributeTag SOP_INSTANCE_UID = new AttributeTag(0x0008, 0x0018);
    static final AttributeTag IMAGE_TYPE = new AttributeTag(0x0008, 0x0008);
    static final AttributeTag MODALITY = new AttributeTag(0x0008, 0x0060);
    static final AttributeTag SERIES_INSTANCE_UID = new AttributeTag(0x0020, 0x000E);
    static final AttributeTag SERIES_NUMBER_TAG = new AttributeTag(0x0020, 0x0011);
    static final AttributeTag SERIES_DESCRIPTION = new AttributeTag(0x0008, 0x103E);
    static final AttributeTag INSTANCE_NUMBER = new AttributeTag(0x0020, 0x0013);
    static final AttributeTag FRAME_OF_REFERENCE_UID = new AttributeTag(0x0020, 0x0052);
    static final AttributeTag POSITION_REFERENCE_INDICATOR = new AttributeTag(0x0020, 0x1040);
    static final AttributeTag IMAGE_POSITION_PATIENT = new AttributeTag(0x0020, 0x0032);
    static final AttributeTag IMAGE_ORIENTATION_PATIENT = new AttributeTag(0x0020, 0x0037);
    static final AttributeTag PIXEL_SPACING = new AttributeTag(0x0028, 0x0030);
    static final AttributeTag SLICE_THICKNESS = new AttributeTag(0x0018, 0x0050);
    static final AttributeTag SPACING_BETWEEN_SLICES = new AttributeTag(0x0018, 0x0088);
    static final AttributeTag DEVICE_SERIAL_NUMBER = new AttributeTag(0x0018, 0x1000);
    static final AttributeTag SAMPLES_PER_PIXEL = new AttributeTag(0x0028, 0x0002);
    static final AttributeTag PHOTOMETRIC_INTERPRETATION = new AttributeTag(0x0028, 0x0004);
    static final AttributeTag NUMBER_OF_FRAMES = new AttributeTag(0x0028, 0x0008);
    static final AttributeTag ROWS = new AttributeTag(0x0028, 0x0010);
    static final AttributeTag COLUMNS = new AttributeTag(0x0028, 0x0011);
    static final AttributeTag BITS_ALLOCATED = new AttributeTag(0x0028, 0x0100);
    static final AttributeTag BITS_STORED = new AttributeTag(0x0028, 0x0101);
    static final AttributeTag HIGH_BIT = new AttributeTag(0x0028, 0x0102);
    static final AttributeTag PIXEL_REPRESENTATION = new AttributeTag(0x0028, 0x0103);
    static final AttributeTag LOSSY_IMAGE_COMPRESSION = new AttributeTag(0x0028, 0x2110);
    static final AttributeTag PIXEL_DATA = new AttributeTag(0x7FE0, 0x0010);
    static final AttributeTag BURNED_IN_ANNOTATION = new AttributeTag(0x0028, 0x0301);

    @Override
    public String kind() {
        return "seg";
    }

    @Override
    public List<Path> write(ReportInput in, Path directory) throws Exception {
        List<Finding.Segmentation> segmentations = new ArrayList<>();
        for (Finding f : in.result().findings()) {
            if (f instanceof Finding.Segmentation s) {
                segmentations.add(s);
            }
        }
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < segmentations.size(); i++) {
            String suffix = i == 0 ? "" : "." + (i + 1);
            AttributeList list = build(in, segmentations.get(i), in.uid("seg.instance" + suffix), i + 1);
            if (list == null) {
                continue; // nothing segmented: no object
            }
            Path file = directory.resolve("seg" + (i == 0 ? "" : "-" + (i + 1)) + ".dcm");
            FileMetaInformation.addFileMetaInformation(list, TransferSyntax.ExplicitVRLittleEndian, "RADFLOW");
            list.write(file.toFile(), TransferSyntax.ExplicitVRLittleEndian, true, true);
            files.add(file);
        }
        return files;
    }

    /** The SEG's attributes (without file meta information), or null when no segment has a voxel. */
    static AttributeList build(ReportInput in, Finding.Segmentation seg, String sopInstanceUid, int instanceNumber)
            throws DicomException {
        int slices = seg.slices();
        int rows = seg.rows();
        int columns = seg.columns();
        int frameSize = rows * columns;

        // the source instance of each slice
        List<AttributeList> sources = new ArrayList<>(slices);
        for (String uid : seg.sopInstanceUids()) {
            AttributeList s = in.sources().get(uid);
            if (s == null) {
                throw new IllegalArgumentException("segmentation slice refers to " + uid + ", which is not an input instance");
            }
            if (intOf(s, ROWS) != rows || intOf(s, COLUMNS) != columns) {
                throw new IllegalArgumentException("segmentation grid " + columns + " x " + rows + " does not match instance "
                        + uid + " (" + intOf(s, COLUMNS) + " x " + intOf(s, ROWS) + ")");
            }
            sources.add(s);
        }
        AttributeList firstSource = sources.get(0);
        String frameOfReference = string(firstSource, FRAME_OF_REFERENCE_UID);
        if (frameOfReference.isEmpty()) {
            throw new IllegalArgumentException("source instance has no Frame of Reference UID: a SEG cannot be placed on it");
        }
        for (AttributeList s : sources) {
            if (!frameOfReference.equals(string(s, FRAME_OF_REFERENCE_UID))) {
                throw new IllegalArgumentException("segmentation slices span more than one Frame of Reference");
            }
        }

        // frames: per segment, the slices that contain it
        List<int[]> frames = new ArrayList<>(); // {segmentIndex, slice}
        List<Finding.Segment> segments = seg.segments();
        byte[] labels = seg.labels();
        for (int si = 0; si < segments.size(); si++) {
            byte label = (byte) segments.get(si).label();
            for (int z = 0; z < slices; z++) {
                int base = z * frameSize;
                for (int p = 0; p < frameSize; p++) {
                    if (labels[base + p] == label) {
                        frames.add(new int[] {si, z});
                        break;
                    }
                }
            }
        }
        if (frames.isEmpty()) {
            return null;
        }

        AttributeList list = new AttributeList();
        // SOP Common, patient, study
        uid(list, SOP_CLASS_UID, SEGMENTATION_STORAGE);
        uid(list, SOP_INSTANCE_UID, sopInstanceUid);
        CommonAttributes.copyPatientAndStudy(in.first(), list);
        CommonAttributes.contentDateTime(in, list);

        // General Series, Segmentation Series
        cs(list, MODALITY, "SEG");
        uid(list, SERIES_INSTANCE_UID, in.uid("seg.series"));
        is(list, SERIES_NUMBER_TAG, SERIES_NUMBER);
        lo(list, SERIES_DESCRIPTION, CommonAttributes.seriesDescription(in, "SEG"));

        // Frame of Reference: the source's
        uid(list, FRAME_OF_REFERENCE_UID, frameOfReference);
        Attribute pri = new LongStringAttribute(POSITION_REFERENCE_INDICATOR);
        String sourcePri = string(firstSource, POSITION_REFERENCE_INDICATOR);
        if (!sourcePri.isEmpty()) {
            pri.addValue(sourcePri);
        }
        list.put(pri);

        // General and Enhanced General Equipment
        CommonAttributes.equipment(in, list);
        lo(list, DEVICE_SERIAL_NUMBER, CommonAttributes.truncate(in.module().id() + " " + in.module().version(), 64));

        // General Image, Segmentation Image
        is(list, INSTANCE_NUMBER, instanceNumber);
        Attribute imageType = new CodeStringAttribute(IMAGE_TYPE);
        imageType.addValue("DERIVED");
        imageType.addValue("PRIMARY");
        list.put(imageType);
        cs(list, CONTENT_LABEL, contentLabel(in.module().id()));
        lo(list, CONTENT_DESCRIPTION, CommonAttributes.truncate(seg.finding().meaning() + " - "
                + CommonAttributes.NOT_FOR_DIAGNOSIS + (in.demoModel() ? " - DEMO MODEL" : ""), 64));
        Attribute creator = new PersonNameAttribute(CONTENT_CREATOR_NAME);
        creator.addValue(CommonAttributes.truncate("RadFlow^" + in.module().id(), 64));
        list.put(creator);
        boolean fractional = fractional(rows, columns);
        cs(list, SEGMENTATION_TYPE, fractional ? "FRACTIONAL" : "BINARY");
        if (fractional) {
            cs(list, SEGMENTATION_FRACTIONAL_TYPE, "OCCUPANCY");
            us(list, MAXIMUM_FRACTIONAL_VALUE, FRACTIONAL_MAX);
        }
        cs(list, LOSSY_IMAGE_COMPRESSION, "00");
        CommonAttributes.imageLaterality(firstSource, list);
        cs(list, BURNED_IN_ANNOTATION, "NO");

        SequenceAttribute segmentSequence = new SequenceAttribute(SEGMENT_SEQUENCE);
        String algorithmName = CommonAttributes.truncate(in.module().displayName(), 64);
        for (int si = 0; si < segments.size(); si++) {
            Finding.Segment s = segments.get(si);
            AttributeList item = new AttributeList();
            us(item, SEGMENT_NUMBER, si + 1);
            lo(item, SEGMENT_LABEL, CommonAttributes.truncate(s.name(), 64));
            Attribute description = new ShortTextAttribute(SEGMENT_DESCRIPTION);
            description.addValue(s.name() + " (label " + s.label() + ")");
            item.put(description);
            code(item, SEGMENTED_PROPERTY_CATEGORY_CODE_SEQUENCE, s.category());
            AttributeList type = new CodedSequenceItem(s.type().code(), s.type().scheme(), s.type().meaning())
                    .getAttributeList();
            if (!s.typeModifiers().isEmpty()) {
                SequenceAttribute modifiers = new SequenceAttribute(SEGMENTED_PROPERTY_TYPE_MODIFIER_CODE_SEQUENCE);
                for (Finding.Modifier m : s.typeModifiers()) {
                    modifiers.addItem(new CodedSequenceItem(m.value().code(), m.value().scheme(), m.value().meaning())
                            .getAttributeList());
                }
                type.put(modifiers);
            }
            item.put(single(SEGMENTED_PROPERTY_TYPE_CODE_SEQUENCE, type));
            cs(item, SEGMENT_ALGORITHM_TYPE, "AUTOMATIC");
            lo(item, SEGMENT_ALGORITHM_NAME, algorithmName);
            Attribute lab = new UnsignedShortAttribute(RECOMMENDED_DISPLAY_CIELAB_VALUE);
            for (int v : rgbToDicomLab(s.rgb())) {
                lab.addValue(v);
            }
            item.put(lab);
            segmentSequence.addItem(item);
        }
        list.put(segmentSequence);

        // Image Pixel
        us(list, SAMPLES_PER_PIXEL, 1);
        cs(list, PHOTOMETRIC_INTERPRETATION, "MONOCHROME2");
        us(list, ROWS, rows);
        us(list, COLUMNS, columns);
        us(list, BITS_ALLOCATED, fractional ? 8 : 1);
        us(list, BITS_STORED, fractional ? 8 : 1);
        us(list, HIGH_BIT, fractional ? 7 : 0);
        us(list, PIXEL_REPRESENTATION, 0);
        is(list, NUMBER_OF_FRAMES, frames.size());

        // Multi-frame Dimension: segment number, then position
        String dimensionOrganization = in.uid("seg.dimensions" + (instanceNumber == 1 ? "" : "." + instanceNumber));
        SequenceAttribute organizations = new SequenceAttribute(DIMENSION_ORGANIZATION_SEQUENCE);
        AttributeList organization = new AttributeList();
        uid(organization, DIMENSION_ORGANIZATION_UID, dimensionOrganization);
        organizations.addItem(organization);
        list.put(organizations);
        cs(list, DIMENSION_ORGANIZATION_TYPE, "3D");
        SequenceAttribute dimensions = new SequenceAttribute(DIMENSION_INDEX_SEQUENCE);
        dimensions.addItem(dimension(dimensionOrganization, REFERENCED_SEGMENT_NUMBER, SEGMENT_IDENTIFICATION_SEQUENCE,
                "Segment Number"));
        dimensions.addItem(dimension(dimensionOrganization, IMAGE_POSITION_PATIENT, PLANE_POSITION_SEQUENCE,
                "Image Position Patient"));
        list.put(dimensions);

        // Shared functional groups: the source's pixel spacing and orientation
        double sliceSpacing = sliceSpacing(sources);
        AttributeList shared = new AttributeList();
        AttributeList measures = new AttributeList();
        // DS values are formatted from numbers, never copied: a source's 18-character "3.5999999999999996" is not a DS
        Attribute pixelSpacing = new DecimalStringAttribute(PIXEL_SPACING);
        for (double v : doubles(firstSource, PIXEL_SPACING, 2)) {
            pixelSpacing.addValue(formatDs(v));
        }
        measures.put(pixelSpacing);
        ds(measures, SLICE_THICKNESS, sliceSpacing);
        ds(measures, SPACING_BETWEEN_SLICES, sliceSpacing);
        shared.put(single(PIXEL_MEASURES_SEQUENCE, measures));
        AttributeList orientation = new AttributeList();
        Attribute iop = new DecimalStringAttribute(IMAGE_ORIENTATION_PATIENT);
        for (double v : doubles(firstSource, IMAGE_ORIENTATION_PATIENT, 6)) {
            iop.addValue(formatDs(v));
        }
        orientation.put(iop);
        shared.put(single(PLANE_ORIENTATION_SEQUENCE, orientation));
        SequenceAttribute sharedSequence = new SequenceAttribute(SHARED_FUNCTIONAL_GROUPS_SEQUENCE);
        sharedSequence.addItem(shared);
        list.put(sharedSequence);

        // Per-frame functional groups and the packed bits
        SequenceAttribute perFrame = new SequenceAttribute(PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE);
        long totalBits = (long) frames.size() * frameSize * (fractional ? 8 : 1);
        long byteCount = (totalBits + 7) / 8;
        if (byteCount % 2 == 1) {
            byteCount++;
        }
        if (byteCount > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("segmentation too large for one SEG: " + frames.size() + " frames");
        }
        byte[] pixels = new byte[(int) byteCount];
        long bit = 0;
        for (int[] frame : frames) {
            int segmentNumber = frame[0] + 1;
            int z = frame[1];
            AttributeList source = sources.get(z);
            AttributeList group = new AttributeList();

            AttributeList content = new AttributeList();
            Attribute div = new UnsignedLongAttribute(DIMENSION_INDEX_VALUES);
            div.addValue(segmentNumber);
            div.addValue(z + 1);
            content.put(div);
            group.put(single(FRAME_CONTENT_SEQUENCE, content));

            AttributeList position = new AttributeList();
            Attribute ipp = new DecimalStringAttribute(IMAGE_POSITION_PATIENT);
            for (double v : doubles(source, IMAGE_POSITION_PATIENT, 3)) {
                ipp.addValue(formatDs(v));
            }
            position.put(ipp);
            group.put(single(PLANE_POSITION_SEQUENCE, position));

            AttributeList sourceImage = new AttributeList();
            uid(sourceImage, REFERENCED_SOP_CLASS_UID, string(source, SOP_CLASS_UID));
            uid(sourceImage, REFERENCED_SOP_INSTANCE_UID, seg.sopInstanceUids().get(z));
            code(sourceImage, PURPOSE_OF_REFERENCE_CODE_SEQUENCE,
                    Concept.dcm("121322", "Source image for image processing operation"));
            AttributeList derivation = new AttributeList();
            code(derivation, DERIVATION_CODE_SEQUENCE, Concept.dcm("113076", "Segmentation"));
            derivation.put(single(SOURCE_IMAGE_SEQUENCE, sourceImage));
            group.put(single(DERIVATION_IMAGE_SEQUENCE, derivation));

            AttributeList identification = new AttributeList();
            us(identification, REFERENCED_SEGMENT_NUMBER, segmentNumber);
            group.put(single(SEGMENT_IDENTIFICATION_SEQUENCE, identification));
            perFrame.addItem(group);

            byte label = (byte) segments.get(frame[0]).label();
            int base = z * frameSize;
            if (fractional) {
                int offset = (int) (bit >>> 3);
                for (int p = 0; p < frameSize; p++) {
                    if (labels[base + p] == label) {
                        pixels[offset + p] = (byte) FRACTIONAL_MAX;
                    }
                }
                bit += 8L * frameSize;
                continue;
            }
            // PS3.5 8.1.1: 1-bit pixels packed contiguously, little end first, across frame boundaries
            for (int p = 0; p < frameSize; p++, bit++) {
                if (labels[base + p] == label) {
                    pixels[(int) (bit >>> 3)] |= (byte) (1 << (bit & 7));
                }
            }
        }
        list.put(perFrame);

        // Common Instance Reference: every source slice, by series
        Map<String, List<AttributeList>> bySeries = new LinkedHashMap<>();
        for (AttributeList s : sources) {
            bySeries.computeIfAbsent(string(s, SERIES_INSTANCE_UID), k -> new ArrayList<>()).add(s);
        }
        SequenceAttribute referencedSeries = new SequenceAttribute(REFERENCED_SERIES_SEQUENCE);
        for (Map.Entry<String, List<AttributeList>> e : bySeries.entrySet()) {
            AttributeList seriesItem = new AttributeList();
            uid(seriesItem, SERIES_INSTANCE_UID, e.getKey());
            SequenceAttribute instances = new SequenceAttribute(REFERENCED_INSTANCE_SEQUENCE);
            for (AttributeList s : e.getValue()) {
                AttributeList instance = new AttributeList();
                uid(instance, REFERENCED_SOP_CLASS_UID, string(s, SOP_CLASS_UID));
                uid(instance, REFERENCED_SOP_INSTANCE_UID, string(s, SOP_INSTANCE_UID));
                instances.addItem(instance);
            }
            seriesItem.put(instances);
            referencedSeries.addItem(seriesItem);
        }
        list.put(referencedSeries);

        Attribute pixelData = new OtherByteAttribute(PIXEL_DATA);
        pixelData.setValues(pixels);
        list.put(pixelData);
        return list;
    }

    /** FRACTIONAL (8-bit, values 0 and 255) when frames of 1-bit pixels would not start on a byte boundary. */
    static boolean fractional(int rows, int columns) {
        return ((long) rows * columns) % 8 != 0;
    }

    /**
     * sRGB (0xRRGGBB) to CIELab (D65), scaled as PS3.3 C.10.7.1.1 asks: L* 0..100 to 0..65535,
     * a* and b* -128..127 to 0..65535.
     */
    static int[] rgbToDicomLab(int rgb) {
        double r = linear(((rgb >> 16) & 0xFF) / 255.0);
        double g = linear(((rgb >> 8) & 0xFF) / 255.0);
        double b = linear((rgb & 0xFF) / 255.0);
        double x = 0.4124564 * r + 0.3575761 * g + 0.1804375 * b;
        double y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
        double z = 0.0193339 * r + 0.1191920 * g + 0.9503041 * b;
        double fx = labF(x / 0.95047);
        double fy = labF(y / 1.0);
        double fz = labF(z / 1.08883);
        double l = 116 * fy - 16;
        double a = 500 * (fx - fy);
        double bb = 200 * (fy - fz);
        return new int[] {
            clamp((int) Math.round(l * 65535.0 / 100.0)),
            clamp((int) Math.round((a + 128) * 65535.0 / 255.0)),
            clamp((int) Math.round((bb + 128) * 65535.0 / 255.0))};
    }

    private static double linear(double c) {
        return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    }

    private static double labF(double t) {
        double d = 6.0 / 29.0;
        return t > d * d * d ? Math.cbrt(t) : t / (3 * d * d) + 4.0 / 29.0;
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(65535, v));
    }

    /** Content Label (CS, 16 characters of A-Z, 0-9, space and _) from the module id. */
    static String contentLabel(String moduleId) {
        String s = moduleId.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9_ ]", "_");
        return CommonAttributes.truncate(s.isEmpty() ? "SEGMENTATION" : s, 16);
    }

    /** Distance between slice positions along the normal (Slice Thickness of the source for one slice). */
    private static double sliceSpacing(List<AttributeList> sources) throws DicomException {
        if (sources.size() < 2) {
            String t = string(sources.get(0), SLICE_THICKNESS);
            return t.isEmpty() ? 1.0 : Double.parseDouble(t);
        }
        double[] iop = doubles(sources.get(0), IMAGE_ORIENTATION_PATIENT, 6);
        double[] n = {iop[1] * iop[5] - iop[2] * iop[4], iop[2] * iop[3] - iop[0] * iop[5], iop[0] * iop[4] - iop[1] * iop[3]};
        double[] a = doubles(sources.get(0), IMAGE_POSITION_PATIENT, 3);
        double[] b = doubles(sources.get(sources.size() - 1), IMAGE_POSITION_PATIENT, 3);
        double d = 0;
        for (int i = 0; i < 3; i++) {
            d += (b[i] - a[i]) * n[i];
        }
        return Math.abs(d) / (sources.size() - 1);
    }

    private static AttributeList dimension(String organization, AttributeTag pointer, AttributeTag group, String label)
            throws DicomException {
        AttributeList item = new AttributeList();
        uid(item, DIMENSION_ORGANIZATION_UID, organization);
        AttributeTagAttribute p = new AttributeTagAttribute(DIMENSION_INDEX_POINTER);
        p.addValue(pointer);
        item.put(p);
        AttributeTagAttribute g = new AttributeTagAttribute(FUNCTIONAL_GROUP_POINTER);
        g.addValue(group);
        item.put(g);
        lo(item, DIMENSION_DESCRIPTION_LABEL, label);
        return item;
    }

    private static SequenceAttribute single(AttributeTag tag, AttributeList item) {
        SequenceAttribute s = new SequenceAttribute(tag);
        s.addItem(item);
        return s;
    }

    private static void code(AttributeList list, AttributeTag tag, Concept c) throws DicomException {
        list.put(single(tag, new CodedSequenceItem(c.code(), c.scheme(), c.meaning()).getAttributeList()));
    }

    private static void uid(AttributeList list, AttributeTag tag, String v) throws DicomException {
        Attribute a = new UniqueIdentifierAttribute(tag);
        a.addValue(v);
        list.put(a);
    }

    private static void cs(AttributeList list, AttributeTag tag, String v) throws DicomException {
        Attribute a = new CodeStringAttribute(tag);
        a.addValue(v);
        list.put(a);
    }

    private static void lo(AttributeList list, AttributeTag tag, String v) throws DicomException {
        Attribute a = new LongStringAttribute(tag);
        a.addValue(v);
        list.put(a);
    }

    private static void us(AttributeList list, AttributeTag tag, int v) throws DicomException {
        Attribute a = new UnsignedShortAttribute(tag);
        a.addValue(v);
        list.put(a);
    }

    private static void is(AttributeList list, AttributeTag tag, int v) throws DicomException {
        Attribute a = new IntegerStringAttribute(tag);
        a.addValue(v);
        list.put(a);
    }

    private static void ds(AttributeList list, AttributeTag tag, double v) throws DicomException {
        Attribute a = new DecimalStringAttribute(tag);
        a.addValue(formatDs(v));
        list.put(a);
    }

    /** A Decimal String of at most 16 characters: 6 decimals (a micrometre), fewer digits when the value is large. */
    static String formatDs(double v) {
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException("not a finite number for a DS value: " + v);
        }
        String s = new BigDecimal(v).setScale(6, RoundingMode.HALF_UP).stripTrailingZeros().toPlainString();
        if (s.length() > 16) {
            s = new BigDecimal(v).round(new java.math.MathContext(10)).stripTrailingZeros().toString();
        }
        return s.equals("-0") || s.matches("-0\\.?0*") ? "0" : s;
    }

    private static String string(AttributeList list, AttributeTag tag) {
        return Attribute.getSingleStringValueOrEmptyString(list, tag).strip();
    }

    private static int intOf(AttributeList list, AttributeTag tag) {
        return Attribute.getSingleIntegerValueOrDefault(list, tag, -1);
    }

    private static String[] strings(AttributeList list, AttributeTag tag, int count) throws DicomException {
        Attribute a = list.get(tag);
        String[] v = a == null ? null : a.getStringValues();
        if (v == null || v.length != count) {
            throw new IllegalArgumentException("source instance " + string(list, SOP_INSTANCE_UID) + " lacks " + count
                    + " values of " + tag);
        }
        String[] out = new String[count];
        for (int i = 0; i < count; i++) {
            out[i] = v[i].strip();
        }
        return out;
    }

    private static double[] doubles(AttributeList list, AttributeTag tag, int count) throws DicomException {
        String[] s = strings(list, tag, count);
        double[] d = new double[count];
        for (int i = 0; i < count; i++) {
            d[i] = Double.parseDouble(s[i]);
        }
        return d;
    }
}
