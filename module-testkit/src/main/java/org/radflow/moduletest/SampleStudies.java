package org.radflow.moduletest;

import org.radflow.testdata.ChestOptions;
import org.radflow.testdata.CtOptions;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Synthetic DICOM series written to disk (RadFlow's own phantoms, the ones its tests use): for a module's tests and
 * {@link ReportPreview} when no real data is at hand. The pixels mean nothing clinically; names and IDs are made up.
 * The same seed gives the same files (and UIDs); another seed gives another study.
 */
public final class SampleStudies {

    private SampleStudies() {
    }

    /** A brain MR series: a small axial volume around the hippocampi (32 slices of 51x35, 1 mm voxels), one study. */
    public static List<Path> brainMr(Path directory, long seed) throws IOException {
        return Synth.brainMr(directory, MrOptions.defaults().withSeed(seed)).files();
    }

    /** A CT phantom: one axial 512x512 slice in Hounsfield units, one study. */
    public static List<Path> chestCt(Path directory, long seed) throws IOException {
        return Synth.ctSeries(directory, CtOptions.defaults().withSeed(seed)).files();
    }

    /** One frontal chest radiograph (DX, for presentation), one study. */
    public static List<Path> chestRadiograph(Path directory, long seed) throws IOException {
        return Synth.chestRadiograph(directory, ChestOptions.defaults().withSeed(seed)).files();
    }
}
