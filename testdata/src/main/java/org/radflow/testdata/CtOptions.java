package org.radflow.testdata;

import java.util.Objects;

/**
 * Options of a synthetic CT series (CT Image Storage, 16-bit signed, Rescale Intercept -1024).
 *
 * @param seed               drives noise, dates and UIDs
 * @param patient            the patient
 * @param studyInstanceUid   {@code null}: derived from (kind, seed, patient ID, accession)
 * @param accessionNumber    {@code null}: derived from the seed
 * @param studyDescription   Study Description
 * @param seriesNumber       Series Number
 * @param seriesDescription  Series Description
 * @param count              number of axial slices (files)
 * @param rows               Rows
 * @param columns            Columns
 * @param pixelSpacingMm     Pixel Spacing, both directions
 * @param sliceSpacingMm     slice spacing = Slice Thickness
 */
public record CtOptions(long seed, Patient patient, String studyInstanceUid, String accessionNumber,
                        String studyDescription, int seriesNumber, String seriesDescription,
                        int count, int rows, int columns, double pixelSpacingMm, double sliceSpacingMm) {

    public CtOptions {
        Objects.requireNonNull(patient, "patient");
        Objects.requireNonNull(seriesDescription, "seriesDescription");
        if (count < 1 || count > 100_000) {
            throw new IllegalArgumentException("count must be 1..100000: " + count);
        }
        if (rows < 16 || columns < 16 || rows > 4096 || columns > 4096) {
            throw new IllegalArgumentException("bad size " + rows + "x" + columns);
        }
        if (!(pixelSpacingMm > 0 && sliceSpacingMm > 0)) {
            throw new IllegalArgumentException("spacings must be > 0");
        }
    }

    /** One 512x512 slice, 0.703125 mm pixels, 1 mm slices, seed 1. */
    public static CtOptions defaults() {
        return new CtOptions(1L, Patient.anonymous(), null, null, "Synthetic CT", 1, "Synthetic CT phantom",
                1, 512, 512, 0.703125, 1.0);
    }

    public CtOptions withSeed(long seed) {
        return new CtOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, count, rows, columns, pixelSpacingMm, sliceSpacingMm);
    }

    public CtOptions withPatient(Patient patient) {
        return new CtOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, count, rows, columns, pixelSpacingMm, sliceSpacingMm);
    }

    public CtOptions withStudyInstanceUid(String studyInstanceUid) {
        return new CtOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, count, rows, columns, pixelSpacingMm, sliceSpacingMm);
    }

    public CtOptions withAccessionNumber(String accessionNumber) {
        return new CtOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, count, rows, columns, pixelSpacingMm, sliceSpacingMm);
    }

    public CtOptions withStudyDescription(String studyDescription) {
        return new CtOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, count, rows, columns, pixelSpacingMm, sliceSpacingMm);
    }

    public CtOptions withSeriesNumber(int seriesNumber) {
        return new CtOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, count, rows, columns, pixelSpacingMm, sliceSpacingMm);
    }

    public CtOptions withSeriesDescription(String seriesDescription) {
        return new CtOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, count, rows, columns, pixelSpacingMm, sliceSpacingMm);
    }

    public CtOptions withCount(int count) {
        return new CtOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, count, rows, columns, pixelSpacingMm, sliceSpacingMm);
    }

    /** Matrix size, DICOM order: Rows then Columns. */
    public CtOptions withSize(int rows, int columns) {
        return new CtOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, count, rows, columns, pixelSpacingMm, sliceSpacingMm);
    }

    public CtOptions withPixelSpacingMm(double pixelSpacingMm) {
        return new CtOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, count, rows, columns, pixelSpacingMm, sliceSpacingMm);
    }

    public CtOptions withSliceSpacingMm(double sliceSpacingMm) {
        return new CtOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, count, rows, columns, pixelSpacingMm, sliceSpacingMm);
    }
}
