/**
 * Synthetic DICOM studies for tests, benchmarks and the demo.
 *
 * <p>{@link org.radflow.testdata.Synth} writes valid Part 10 files (explicit VR little endian,
 * uncompressed; checked with dicom3tools' {@code dciodvfy}): chest radiographs (DX For
 * Presentation or CR, MONOCHROME1/2, PA/AP/lateral), T1-like brain MR volumes with a labelled
 * two-part hippocampus ({@link org.radflow.testdata.GeneratedVolume} gives the exact ground
 * truth), and CT-size series. Everything, UIDs and dates included, is a function of the options
 * and the seed: the same options give byte-identical files. {@link org.radflow.testdata.SynthCli}
 * is the command line.
 */
package org.radflow.testdata;
