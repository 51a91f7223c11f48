package org.radflow.report;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.LongStringAttribute;
import com.pixelmed.dicom.SpecificCharacterSet;
import com.pixelmed.dicom.StringAttribute;
import com.pixelmed.dicom.TagFromName;
import org.radflow.Main;

import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/**
 * Attributes every RadFlow output carries: the patient and study of the input (with its character
 * set), RadFlow as manufacturer with module and model versions, and the research-use label.
 */
public final class CommonAttributes {

    public static final String MANUFACTURER = "RadFlow";
    public static final String NOT_FOR_DIAGNOSIS = "NOT FOR DIAGNOSTIC USE";

    /** Patient and study attributes copied verbatim from the input (type 2 ones kept even when empty). */
    private static final AttributeTag[] PATIENT_AND_STUDY = {
            TagFromName.SpecificCharacterSet,
            TagFromName.PatientName, TagFromName.PatientID, TagFromName.IssuerOfPatientID, TagFromName.PatientBirthDate,
            TagFromName.PatientSex, TagFromName.PatientAge, TagFromName.PatientWeight, TagFromName.PatientSize,
            TagFromName.StudyInstanceUID, TagFromName.StudyDate, TagFromName.StudyTime, TagFromName.StudyID,
            TagFromName.AccessionNumber, TagFromName.ReferringPhysicianName, TagFromName.StudyDescription,
    };

    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyyMMdd");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HHmmss.SSS");

    private CommonAttributes() {
    }

    /**
     * Copies the input's patient and study attributes into an output. Each attribute is copied, never shared: the
     * input's header may be intake's cached one, read by other jobs at the same time, and the SR writer sets a
     * character set on its values when it declares one.
     */
    public static void copyPatientAndStudy(AttributeList source, AttributeList target) {
        for (AttributeTag t : PATIENT_AND_STUDY) {
            Attribute a = source.get(t);
            if (a != null) {
                target.put(copyOf(a));
            }
        }
        // type 2 attributes of the Patient and General Study modules: present, even if empty
        for (AttributeTag t : new AttributeTag[] {TagFromName.PatientName, TagFromName.PatientID, TagFromName.PatientBirthDate,
                TagFromName.PatientSex, TagFromName.StudyDate, TagFromName.StudyTime, TagFromName.StudyID,
                TagFromName.AccessionNumber, TagFromName.ReferringPhysicianName}) {
            if (target.get(t) == null) {
                target.put(emptyOf(t));
            }
        }
    }

    /** A new attribute with the same tag, VR, character set and values (string VRs: all the copied ones are). */
    static Attribute copyOf(Attribute a) {
        try {
            SpecificCharacterSet cs = a instanceof StringAttribute str ? str.getSpecificCharacterSet() : null;
            Attribute copy = com.pixelmed.dicom.AttributeFactory.newAttribute(a.getTag(), a.getVR(), cs);
            String[] values = a.getOriginalStringValues();
            for (String v : values == null ? new String[0] : values) {
                copy.addValue(v);
            }
            return copy;
        } catch (DicomException e) {
            throw new IllegalStateException("PixelMed cannot copy " + a.getTag(), e);
        }
    }

    private static Attribute emptyOf(AttributeTag t) {
        try {
            return com.pixelmed.dicom.AttributeFactory.newAttribute(t);
        } catch (DicomException e) {
            throw new IllegalStateException("PixelMed cannot make " + t, e);
        }
    }

    /**
     * General Equipment: Manufacturer "RadFlow", model = module id, Software Versions naming RadFlow,
     * the module and the model (the model marked DEMO MODEL for demonstration models).
     */
    public static void equipment(ReportInput in, AttributeList target) throws DicomException {
        put(target, TagFromName.Manufacturer, MANUFACTURER);
        put(target, TagFromName.ManufacturerModelName, in.module().id());
        Attribute sv = new LongStringAttribute(TagFromName.SoftwareVersions);
        sv.addValue("RadFlow " + Main.version());
        sv.addValue(in.module().id() + " " + in.module().version());
        sv.addValue(truncate(in.module().model().name() + " " + in.module().model().version()
                + (in.demoModel() ? " DEMO MODEL" : ""), 64));
        target.put(sv);
    }

    /**
     * Image Laterality (0020,0062) of a derived image: the source's Image Laterality (R, L, U or B), else its series
     * Laterality (R or L), else U. A source that names no laterality examined an unpaired part (PS3.3 C.7.3.1 requires
     * Laterality for paired ones), so U is what it says. Written instead of General Series Laterality, which dciodvfy
     * forbids without a paired Body Part Examined while PixelMed's validator requires it unless Image Laterality is sent.
     */
    public static void imageLaterality(AttributeList source, AttributeList target) throws DicomException {
        String side = Attribute.getSingleStringValueOrEmptyString(source, TagFromName.ImageLaterality).strip();
        if (!side.matches("[RLUB]")) {
            side = Attribute.getSingleStringValueOrEmptyString(source, TagFromName.Laterality).strip();
            side = side.matches("[RL]") ? side : "U";
        }
        put(target, TagFromName.ImageLaterality, side);
    }

    /** Content Date and Time of creation, in the server's time zone. */
    public static void contentDateTime(ReportInput in, AttributeList target) throws DicomException {
        var t = in.createdAt().atZone(ZoneId.systemDefault());
        put(target, TagFromName.ContentDate, DATE.format(t));
        put(target, TagFromName.ContentTime, TIME.format(t));
        put(target, TagFromName.InstanceCreationDate, DATE.format(t));
        put(target, TagFromName.InstanceCreationTime, TIME.format(t));
    }

    /** "RadFlow <module display name> ... NOT FOR DIAGNOSTIC USE" within LO's 64 characters. */
    public static String seriesDescription(ReportInput in, String what) {
        return truncate("RadFlow " + in.module().id() + " " + what + (in.demoModel() ? " DEMO" : "") + " - research use", 64);
    }

    public static void put(AttributeList list, AttributeTag tag, String value) throws DicomException {
        Attribute a = com.pixelmed.dicom.AttributeFactory.newAttribute(tag);
        a.addValue(value);
        list.put(a);
    }

    public static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }

}
