package org.radflow.testdata;

import java.util.Objects;

/**
 * Options of a synthetic chest radiograph (one image, one series).
 *
 * @param seed               drives the picture's noise, the dates and every UID
 * @param patient            the patient
 * @param studyInstanceUid   {@code null}: derived from (kind, seed, patient ID, accession)
 * @param accessionNumber    {@code null}: derived from the seed
 * @param studyDescription   Study Description
 * @param seriesNumber       Series Number
 * @param seriesDescription  {@code null}: "Chest PA" etc.
 * @param modality           DX (Digital X-Ray Image Storage - For Presentation) or CR
 * @param view               View Position: PA, AP or LAT (a left lateral)
 * @param photometric        MONOCHROME2 (high = white) or MONOCHROME1 (stored values inverted)
 * @param bodyPart           Body Part Examined, e.g. CHEST or SKULL; {@code null} leaves it
 *                           (and the anatomic region code) out
 * @param rows               Rows
 * @param columns            Columns
 * @param pixelSpacingMm     Imager Pixel Spacing (DX) or Pixel Spacing (CR), both directions
 * @param window             whether Window Center/Width are written
 * @param finding            a simulated lung finding in frontal views (PA/AP): {@link Finding#NONE} (default),
 *                           {@link Finding#CONSOLIDATION} or {@link Finding#DIFFUSE_OPACITY}; a lateral view
 *                           ignores it. Labels for training demo classifiers; not a model of real disease.
 */
public record ChestOptions(long seed, Patient patient, String studyInstanceUid, String accessionNumber,
                           String studyDescription, int seriesNumber, String seriesDescription,
                           Modality modality, View view, Photometric photometric, String bodyPart,
                           int rows, int columns, double pixelSpacingMm, boolean window, Finding finding) {

    public enum Modality { DX, CR }

    public enum View { PA, AP, LAT }

    public enum Photometric { MONOCHROME1, MONOCHROME2 }

    /**
     * Simulated lung findings (frontal views only). {@code CONSOLIDATION}: a dense, lobar-shaped patch in one
     * lung (side, zone and size from the seed). {@code DIFFUSE_OPACITY}: bilateral, peripheral, lower-zone
     * predominant hazy (ground-glass-like) opacities. The demo COVID-Net model maps NONE, CONSOLIDATION and
     * DIFFUSE_OPACITY to normal, pneumonia and COVID-19.
     */
    public enum Finding { NONE, CONSOLIDATION, DIFFUSE_OPACITY }

    /** Without a finding: the options as they were before findings existed. */
    public ChestOptions(long seed, Patient patient, String studyInstanceUid, String accessionNumber,
                        String studyDescription, int seriesNumber, String seriesDescription,
                        Modality modality, View view, Photometric photometric, String bodyPart,
                        int rows, int columns, double pixelSpacingMm, boolean window) {
        this(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber, seriesDescription,
                modality, view, photometric, bodyPart, rows, columns, pixelSpacingMm, window, Finding.NONE);
    }

    public ChestOptions {
        Objects.requireNonNull(patient, "patient");
        Objects.requireNonNull(modality, "modality");
        Objects.requireNonNull(view, "view");
        Objects.requireNonNull(photometric, "photometric");
        Objects.requireNonNull(finding, "finding");
        if (rows < 64 || columns < 64 || rows > 8192 || columns > 8192) {
            throw new IllegalArgumentException("rows and columns must be 64..8192: " + rows + "x" + columns);
        }
        if (!(pixelSpacingMm > 0)) {
            throw new IllegalArgumentException("pixelSpacingMm must be > 0: " + pixelSpacingMm);
        }
        if (seriesNumber < 0) {
            throw new IllegalArgumentException("seriesNumber must be >= 0");
        }
    }

    /** DX, PA, MONOCHROME2, CHEST, 1024x1024 at 0.35 mm, window present, seed 1. */
    public static ChestOptions defaults() {
        return new ChestOptions(1L, Patient.anonymous(), null, null, "Synthetic chest radiograph", 1, null,
                Modality.DX, View.PA, Photometric.MONOCHROME2, "CHEST", 1024, 1024, 0.35, true, Finding.NONE);
    }

    public ChestOptions withSeed(long seed) {
        return new ChestOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, modality, view, photometric, bodyPart, rows, columns, pixelSpacingMm, window,
                finding);
    }

    public ChestOptions withPatient(Patient patient) {
        return new ChestOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, modality, view, photometric, bodyPart, rows, columns, pixelSpacingMm, window,
                finding);
    }

    public ChestOptions withStudyInstanceUid(String studyInstanceUid) {
        return new ChestOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, modality, view, photometric, bodyPart, rows, columns, pixelSpacingMm, window,
                finding);
    }

    public ChestOptions withAccessionNumber(String accessionNumber) {
        return new ChestOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, modality, view, photometric, bodyPart, rows, columns, pixelSpacingMm, window,
                finding);
    }

    public ChestOptions withStudyDescription(String studyDescription) {
        return new ChestOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, modality, view, photometric, bodyPart, rows, columns, pixelSpacingMm, window,
                finding);
    }

    public ChestOptions withSeriesNumber(int seriesNumber) {
        return new ChestOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, modality, view, photometric, bodyPart, rows, columns, pixelSpacingMm, window,
                finding);
    }

    public ChestOptions withSeriesDescription(String seriesDescription) {
        return new ChestOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, modality, view, photometric, bodyPart, rows, columns, pixelSpacingMm, window,
                finding);
    }

    public ChestOptions withModality(Modality modality) {
        return new ChestOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, modality, view, photometric, bodyPart, rows, columns, pixelSpacingMm, window,
                finding);
    }

    public ChestOptions withView(View view) {
        return new ChestOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, modality, view, photometric, bodyPart, rows, columns, pixelSpacingMm, window,
                finding);
    }

    public ChestOptions withPhotometric(Photometric photometric) {
        return new ChestOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, modality, view, photometric, bodyPart, rows, columns, pixelSpacingMm, window,
                finding);
    }

    /** {@code null} leaves Body Part Examined out. */
    public ChestOptions withBodyPart(String bodyPart) {
        return new ChestOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, modality, view, photometric, bodyPart, rows, columns, pixelSpacingMm, window,
                finding);
    }

    /** Matrix size, DICOM order: Rows (height) then Columns (width). */
    public ChestOptions withSize(int rows, int columns) {
        return new ChestOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, modality, view, photometric, bodyPart, rows, columns, pixelSpacingMm, window,
                finding);
    }

    public ChestOptions withPixelSpacingMm(double pixelSpacingMm) {
        return new ChestOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, modality, view, photometric, bodyPart, rows, columns, pixelSpacingMm, window,
                finding);
    }

    public ChestOptions withWindow(boolean window) {
        return new ChestOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, modality, view, photometric, bodyPart, rows, columns, pixelSpacingMm, window,
                finding);
    }

    public ChestOptions withFinding(Finding finding) {
        return new ChestOptions(seed, patient, studyInstanceUid, accessionNumber, studyDescription, seriesNumber,
                seriesDescription, modality, view, photometric, bodyPart, rows, columns, pixelSpacingMm, window,
                finding);
    }

    /**
     * The record's usual form; {@code finding} appears only when it is not NONE. The series UID is derived from
     * this text, so options without a finding keep exactly the UIDs (and files) they had before findings existed.
     */
    @Override
    public String toString() {
        return "ChestOptions[seed=" + seed + ", patient=" + patient + ", studyInstanceUid=" + studyInstanceUid
                + ", accessionNumber=" + accessionNumber + ", studyDescription=" + studyDescription
                + ", seriesNumber=" + seriesNumber + ", seriesDescription=" + seriesDescription
                + ", modality=" + modality + ", view=" + view + ", photometric=" + photometric
                + ", bodyPart=" + bodyPart + ", rows=" + rows + ", columns=" + columns
                + ", pixelSpacingMm=" + pixelSpacingMm + ", window=" + window
                + (finding == Finding.NONE ? "" : ", finding=" + finding) + "]";
    }
}
