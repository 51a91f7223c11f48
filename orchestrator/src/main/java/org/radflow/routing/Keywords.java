package org.radflow.routing;

import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomDictionary;
import com.pixelmed.dicom.ValueRepresentation;
import org.radflow.dicom.AttributeListTags;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** DICOM attribute keywords: which exist, the nearest to a typo, and which identify a person. */
final class Keywords {

    /** Patient-module attributes that do not identify anyone, so their values may be shown. */
    private static final Set<Integer> PATIENT_GROUP_SHOWABLE = Set.of(
            0x00101010, // PatientAge
            0x00100040, // PatientSex
            0x00101020, // PatientSize
            0x00101030); // PatientWeight

    /** Outside the patient group (0010): accession number and names of people. */
    private static final Set<Integer> IDENTIFYING = Set.of(
            0x00080050, // AccessionNumber
            0x00080090, // ReferringPhysicianName
            0x00081050, // PerformingPhysicianName
            0x00081060, // NameOfPhysiciansReadingStudy
            0x00081070, // OperatorsName
            0x00321032, // RequestingPhysician
            0x00200010, // StudyID
            0x00401001); // RequestedProcedureID

    private static volatile List<String> all;

    private Keywords() {
    }

    static boolean isKnown(String keyword) {
        return AttributeListTags.isKnown(keyword);
    }

    /** The dictionary keyword nearest to a misspelt one ({@code Modallity} → {@code Modality}). */
    static Optional<String> suggest(String keyword) {
        return RawYaml.closest(keyword, all());
    }

    /** True for Code String (CS) attributes, whose values DICOM writes in upper case (Modality, ImageType, ...). */
    static boolean isCodeString(String keyword) {
        Optional<AttributeTag> t = AttributeListTags.tag(keyword);
        if (t.isEmpty()) {
            return false;
        }
        byte[] vr = DicomDictionary.StandardDictionary.getValueRepresentationFromTag(t.get());
        return vr != null && ValueRepresentation.isCodeStringVR(vr);
    }

    /** True for attributes whose values must not appear in messages: patient names, IDs, birth date, accession. */
    static boolean identifying(String keyword) {
        Optional<AttributeTag> t = AttributeListTags.tag(keyword);
        if (t.isEmpty()) {
            return false;
        }
        int tag = (t.get().getGroup() << 16) | t.get().getElement();
        if (t.get().getGroup() == 0x0010) {
            return !PATIENT_GROUP_SHOWABLE.contains(tag);
        }
        return IDENTIFYING.contains(tag);
    }

    private static List<String> all() {
        List<String> a = all;
        if (a == null) {
            List<String> names = new ArrayList<>();
            DicomDictionary d = DicomDictionary.StandardDictionary;
            for (Iterator<?> it = d.getTagIterator(); it.hasNext(); ) {
                String name = d.getNameFromTag((AttributeTag) it.next());
                if (name != null && !name.isEmpty()) {
                    names.add(name);
                }
            }
            all = a = List.copyOf(names);
        }
        return a;
    }
}
