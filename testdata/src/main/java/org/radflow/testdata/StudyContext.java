package org.radflow.testdata;

import java.time.LocalDate;
import java.time.Period;
import java.time.format.DateTimeFormatter;

/**
 * Study- and series-level identity shared by all generators: UIDs, dates and times are all
 * derived from the seed or the study UID, never from the clock.
 */
final class StudyContext {

    /** Bump when a generator's output changes, so files from different versions never share UIDs. */
    static final String GENERATOR_VERSION = "1";

    final Patient patient;
    final String studyUid;
    final String seriesUid;
    final String accession;
    final String studyId;
    final String studyDate;
    final String studyTime;
    final String seriesTime;
    final String patientAge;
    final String studyDescription;
    final String seriesDescription;
    final int seriesNumber;

    StudyContext(String kind, long seed, Patient patient, String studyUid, String accession,
                 String studyDescription, int seriesNumber, String seriesDescription, Object seriesKey) {
        this.patient = patient;
        this.accession = accession != null ? accession
                : String.format("RF%08d", Math.floorMod(Rng.mix(seed ^ 0x5EEDACCL), 100_000_000L));
        this.studyUid = studyUid != null ? checkUid(studyUid)
                : SynthUids.derive("study", kind, seed, patient.id(), this.accession);
        this.seriesUid = SynthUids.derive("series", GENERATOR_VERSION, kind, this.studyUid, seriesKey);
        long h = Rng.mix(this.studyUid.hashCode() * 0x9E3779B97F4A7C15L + this.studyUid.length());
        LocalDate date = LocalDate.of(2024, 1, 1).plusDays(Math.floorMod(h, 366));
        int studySeconds = 7 * 3600 + Math.floorMod(Rng.mix(h), 12 * 3600);
        this.studyDate = date.format(DateTimeFormatter.BASIC_ISO_DATE);
        this.studyTime = hhmmss(studySeconds);
        this.seriesTime = hhmmss(Math.min(86399, studySeconds + 60 * Math.floorMod(seriesNumber, 600)));
        this.studyId = String.format("%06d", Math.floorMod(Rng.mix(h ^ 0x1D), 1_000_000L));
        this.patientAge = patient.age() != null ? patient.age() : age(patient.birthDate(), date);
        this.studyDescription = studyDescription;
        this.seriesDescription = seriesDescription;
        this.seriesNumber = seriesNumber;
    }

    private static String checkUid(String uid) {
        if (!SynthUids.isValid(uid)) {
            throw new IllegalArgumentException("not a valid UID: " + uid);
        }
        return uid;
    }

    private static String hhmmss(int seconds) {
        return String.format("%02d%02d%02d", seconds / 3600, seconds / 60 % 60, seconds % 60);
    }

    private static String age(String birthDate, LocalDate at) {
        if (birthDate.isEmpty()) {
            return null;
        }
        LocalDate birth = LocalDate.parse(birthDate, DateTimeFormatter.BASIC_ISO_DATE);
        int years = Period.between(birth, at).getYears();
        return years >= 0 && years <= 999 ? String.format("%03dY", years) : null;
    }

    String instanceUid(int index) {
        return SynthUids.derive("instance", seriesUid, index);
    }

    /** A file name that orders by instance number and does not collide with other series. */
    String fileName(String modality, int instanceNumber) {
        String h = seriesUid.substring(seriesUid.length() - 8);
        return String.format("%s_%s_%05d.dcm", modality, h, instanceNumber);
    }

    static int t(int group, int element) {
        return DicomDataset.tag(group, element);
    }

    /** Patient, General Study, Patient Study, General Series, General Equipment, SOP Common, General Image. */
    DicomDataset common(String modality, String sopClassUid, String sopInstanceUid, int instanceNumber) {
        DicomDataset ds = new DicomDataset()
                .str(t(0x0008, 0x0012), "DA", studyDate)
                .str(t(0x0008, 0x0013), "TM", seriesTime)
                .str(t(0x0008, 0x0016), "UI", sopClassUid)
                .str(t(0x0008, 0x0018), "UI", sopInstanceUid)
                .str(t(0x0008, 0x0020), "DA", studyDate)
                .str(t(0x0008, 0x0021), "DA", studyDate)
                .str(t(0x0008, 0x0022), "DA", studyDate)
                .str(t(0x0008, 0x0023), "DA", studyDate)
                .str(t(0x0008, 0x0030), "TM", studyTime)
                .str(t(0x0008, 0x0031), "TM", seriesTime)
                .str(t(0x0008, 0x0032), "TM", seriesTime)
                .str(t(0x0008, 0x0033), "TM", seriesTime)
                .str(t(0x0008, 0x0050), "SH", accession)
                .str(t(0x0008, 0x0060), "CS", modality)
                .str(t(0x0008, 0x0070), "LO", "RadFlow Synthetic")
                .str(t(0x0008, 0x0080), "LO", "RadFlow Synthetic Data")
                .str(t(0x0008, 0x0090), "PN", "")
                .strIfPresent(t(0x0008, 0x1030), "LO", studyDescription)
                .strIfPresent(t(0x0008, 0x103E), "LO", seriesDescription)
                .str(t(0x0008, 0x1090), "LO", "radflow-testdata")
                .str(t(0x0010, 0x0010), "PN", patient.name())
                .str(t(0x0010, 0x0020), "LO", patient.id())
                .str(t(0x0010, 0x0030), "DA", patient.birthDate())
                .str(t(0x0010, 0x0040), "CS", patient.sex())
                .strIfPresent(t(0x0010, 0x1010), "AS", patientAge)
                .str(t(0x0018, 0x1000), "LO", "SYNTH-" + GENERATOR_VERSION)
                .str(t(0x0018, 0x1020), "LO", "radflow-testdata " + GENERATOR_VERSION)
                .str(t(0x0020, 0x000D), "UI", studyUid)
                .str(t(0x0020, 0x000E), "UI", seriesUid)
                .str(t(0x0020, 0x0010), "SH", studyId)
                .is(t(0x0020, 0x0011), seriesNumber)
                .is(t(0x0020, 0x0012), 1)
                .is(t(0x0020, 0x0013), instanceNumber);
        return ds;
    }
}
