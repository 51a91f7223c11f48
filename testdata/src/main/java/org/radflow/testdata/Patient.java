package org.radflow.testdata;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The patient of a synthetic study.
 *
 * @param name      DICOM person name ({@code Family^Given}); may be non-ASCII, then the files
 *                  carry Specific Character Set {@code ISO_IR 192} (UTF-8)
 * @param id        Patient ID (ASCII recommended, at most 64 characters)
 * @param birthDate {@code YYYYMMDD} or empty
 * @param sex       {@code M}, {@code F}, {@code O} or empty
 * @param age       {@code nnnY} etc., or {@code null} to compute it from the birth date and the
 *                  study date
 */
public record Patient(String name, String id, String birthDate, String sex, String age) {

    private static final Pattern DATE = Pattern.compile("(\\d{8})?");
    private static final Pattern SEX = Pattern.compile("[MFO]?");
    private static final Pattern AGE = Pattern.compile("\\d{3}[DWMY]");

    public Patient {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(id, "id");
        birthDate = birthDate == null ? "" : birthDate;
        sex = sex == null ? "" : sex;
        if (!DATE.matcher(birthDate).matches()) {
            throw new IllegalArgumentException("birthDate must be YYYYMMDD or empty: " + birthDate);
        }
        if (!SEX.matcher(sex).matches()) {
            throw new IllegalArgumentException("sex must be M, F, O or empty: " + sex);
        }
        if (age != null && !AGE.matcher(age).matches()) {
            throw new IllegalArgumentException("age must look like 054Y (or be null): " + age);
        }
    }

    /** The default patient: {@code RADFLOW^SYNTHETIC}, ID {@code SYN0001}, born 1970-01-01, sex O. */
    public static Patient anonymous() {
        return new Patient("RADFLOW^SYNTHETIC", "SYN0001", "19700101", "O", null);
    }

    /** A patient with the given name and ID and the default birth date and sex. */
    public static Patient of(String name, String id) {
        return new Patient(name, id, "19700101", "O", null);
    }

    public Patient withName(String name) {
        return new Patient(name, id, birthDate, sex, age);
    }

    public Patient withId(String id) {
        return new Patient(name, id, birthDate, sex, age);
    }

    public Patient withBirthDate(String birthDate) {
        return new Patient(name, id, birthDate, sex, age);
    }

    public Patient withSex(String sex) {
        return new Patient(name, id, birthDate, sex, age);
    }

    public Patient withAge(String age) {
        return new Patient(name, id, birthDate, sex, age);
    }
}
