package org.radflow.testdata;

import java.util.Objects;

/**
 * Options of a synthetic T1-like brain MR volume (MR Image Storage, one file per slice).
 *
 * @param seed                    drives noise, dates and UIDs
 * @param patient                 the patient
 * @param studyInstanceUid        {@code null}: derived from (kind, seed, patient ID, accession),
 *                                so a crop and a full head of the same seed share the study and
 *                                the Frame of Reference
 * @param accessionNumber         {@code null}: derived from the seed
 * @param studyDescription        Study Description
 * @param seriesNumber            Series Number
 * @param seriesDescription       Series Description
 * @param field                   what the volume is centred on: the right hippocampus (a crop)
 *                                or the head
 * @param columns                 Columns
 * @param rows                    Rows
 * @param slices                  number of slices (files)
 * @param rowSpacingMm            Pixel Spacing value 1 (between rows)
 * @param columnSpacingMm         Pixel Spacing value 2 (between columns)
 * @param sliceSpacingMm          slice spacing = Slice Thickness = Spacing Between Slices
 * @param orientation             axial, sagittal or coronal Image Orientation (Patient)
 * @param shuffleInstanceNumbers  Instance Numbers (and file names) in a seeded random order
 *                                unrelated to position
 */
public record MrOptions(long seed, Patient patient, String studyInstanceUid, String accessionNumber,
                        String studyDescription, int seriesNumber, String seriesDescription,
                        Field field, int columns, int rows, int slices,
                        double rowSpacingMm, double columnSpacingMm, double sliceSpacingMm,
                        Orientation orientation, boolean shuffleInstanceNumbers) {

    public enum Field {
        /** Centred on the right hippocampus (patient coordinates about (-28, 7, -18) mm). */
        HIPPOCAMPUS,
        /** Centred on the head. */
        HEAD
    }

    /**
     * Slice orientations. Row/column direction cosines (LPS): axial (1,0,0)/(0,1,0), normal +z
     * (towards the head); sagittal (0,1,0)/(0,0,-1), normal -x (towards the patient's right);
     * coronal (1,0,0)/(0,0,-1), normal +y (posterior).
     */
    public enum Orientation {
        AXIAL(new double[] {1, 0, 0}, new double[] {0, 1, 0}),
        SAGITTAL(new double[] {0, 1, 0}, new double[] {0, 0, -1}),
        CORONAL(new double[] {1, 0, 0}, new double[] {0, 0, -1});

        private final double[] row;
        private final double[] column;

        Orientation(double[] row, double[] column) {
            this.row = row;
            this.column = column;
        }

        /** Direction of increasing column index (the first three Image Orientation values). */
        public double[] rowDirection() {
            return row.clone();
        }

        /** Direction of increasing row index (the last three Image Orientation values). */
        public double[] columnDirection() {
            return column.clone();
        }

        /** row x column: the direction in which slice positions advance. */
        public double[] normal() {
            return new double[] {
                row[1] * column[2] - row[2] * column[1],
                row[2] * column[0] - row[0] * column[2],
                row[0] * column[1] - row[1] * column[0]};
        }
    }

    public MrOptions {
        Objects.requireNonNull(patient, "patient");
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(orientation, "orientation");
        Objects.requireNonNull(seriesDescription, "seriesDescription");
        if (columns < 1 || rows < 1 || slices < 1 || columns > 2048 || rows > 2048 || slices > 4096) {
            throw new IllegalArgumentException("bad dimensions " + columns + "x" + rows + "x" + slices);
        }
        if (!(rowSpacingMm > 0 && columnSpacingMm > 0 && sliceSpacingMm > 0)) {
            throw new IllegalArgumentException("spacings must be > 0");
        }
    }

    /**
     * The "HippoCrop": 35 columns x 51 rows x 32 axial slices at 1 mm around the right
     * hippocampus, Series Description "HippoCrop", series 1.
     */
    public static MrOptions defaults() {
        return new MrOptions(1L, Patient.anonymous(), null, null, "Synthetic brain MR", 1, "HippoCrop",
                Field.HIPPOCAMPUS, 35, 51, 32, 1.0, 1.0, 1.0, Orientation.AXIAL, false);
    }

    /** A T1-like head: 256 x 256 x 176 sagittal slices at 1 mm, "T1 MPRAGE SAG", series 2. */
    public static MrOptions fullHead() {
        return new MrOptions(1L, Patient.anonymous(), null, null, "Synthetic brain MR", 2, "T1 MPRAGE SAG",
                Field.HEAD, 256, 256, 176, 1.0, 1.0, 1.0, Orientation.SAGITTAL, false);
    }

    public MrOptions withSeed(long seed) {
        return new MrOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, field, columns, rows, slices, rowSpacingMm, columnSpacingMm, sliceSpacingMm,
                orientation, shuffleInstanceNumbers);
    }

    public MrOptions withPatient(Patient patient) {
        return new MrOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, field, columns, rows, slices, rowSpacingMm, columnSpacingMm, sliceSpacingMm,
                orientation, shuffleInstanceNumbers);
    }

    public MrOptions withStudyInstanceUid(String studyInstanceUid) {
        return new MrOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, field, columns, rows, slices, rowSpacingMm, columnSpacingMm, sliceSpacingMm,
                orientation, shuffleInstanceNumbers);
    }

    public MrOptions withAccessionNumber(String accessionNumber) {
        return new MrOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, field, columns, rows, slices, rowSpacingMm, columnSpacingMm, sliceSpacingMm,
                orientation, shuffleInstanceNumbers);
    }

    public MrOptions withStudyDescription(String studyDescription) {
        return new MrOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, field, columns, rows, slices, rowSpacingMm, columnSpacingMm, sliceSpacingMm,
                orientation, shuffleInstanceNumbers);
    }

    public MrOptions withSeriesNumber(int seriesNumber) {
        return new MrOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, field, columns, rows, slices, rowSpacingMm, columnSpacingMm, sliceSpacingMm,
                orientation, shuffleInstanceNumbers);
    }

    public MrOptions withSeriesDescription(String seriesDescription) {
        return new MrOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, field, columns, rows, slices, rowSpacingMm, columnSpacingMm, sliceSpacingMm,
                orientation, shuffleInstanceNumbers);
    }

    public MrOptions withField(Field field) {
        return new MrOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, field, columns, rows, slices, rowSpacingMm, columnSpacingMm, sliceSpacingMm,
                orientation, shuffleInstanceNumbers);
    }

    /** Columns x rows x slices. */
    public MrOptions withDimensions(int columns, int rows, int slices) {
        return new MrOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, field, columns, rows, slices, rowSpacingMm, columnSpacingMm, sliceSpacingMm,
                orientation, shuffleInstanceNumbers);
    }

    /** Row spacing (Pixel Spacing value 1), column spacing (value 2), slice spacing, in mm. */
    public MrOptions withSpacing(double rowSpacingMm, double columnSpacingMm, double sliceSpacingMm) {
        return new MrOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, field, columns, rows, slices, rowSpacingMm, columnSpacingMm, sliceSpacingMm,
                orientation, shuffleInstanceNumbers);
    }

    public MrOptions withOrientation(Orientation orientation) {
        return new MrOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, field, columns, rows, slices, rowSpacingMm, columnSpacingMm, sliceSpacingMm,
                orientation, shuffleInstanceNumbers);
    }

    public MrOptions withShuffledInstanceNumbers(boolean shuffleInstanceNumbers) {
        return new MrOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, field, columns, rows, slices, rowSpacingMm, columnSpacingMm, sliceSpacingMm,
                orientation, shuffleInstanceNumbers);
    }
}
