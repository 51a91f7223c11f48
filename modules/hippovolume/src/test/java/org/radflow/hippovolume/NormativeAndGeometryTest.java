package org.radflow.hippovolume;

import org.junit.jupiter.api.Test;
import org.radflow.api.Volume;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The normative lookup, padding sizes, axis choice and key-image slice choice, on hand-made values. */
class NormativeAndGeometryTest {

    @Test
    void totalIsPlacedBetweenPercentilesOfItsAgeBandAndSex() {
        // women 60-65: 25th 3360, 50th 3600 (approximate table)
        assertEquals("between the 25th and 50th percentile for women aged 60-65 (Nobis et al. 2019, indicative only)",
                Normative.compare(3450, "062Y", "F").text());
        assertEquals("between the 50th and 75th percentile for men aged 75-80 (Nobis et al. 2019, indicative only)",
                Normative.compare(3600, "079Y", "M").text());
        assertEquals("between the 2.5th and 5th percentile for men aged 45-50 (Nobis et al. 2019, indicative only)",
                Normative.compare(3230, "045Y", "M").text(), "a value on a percentile counts as at or above it");
        assertEquals("below the 2.5th percentile for women aged 70-75 (Nobis et al. 2019, indicative only)",
                Normative.compare(1500, "071Y", "F").text());
        assertEquals("above the 97.5th percentile for women aged 50-55 (Nobis et al. 2019, indicative only)",
                Normative.compare(6000, "050Y", "F").text());
        assertTrue(Normative.compare(3450, "062Y", "F").available());
    }

    @Test
    void noComparisonWithoutUsableAgeAndSex() {
        Normative.Result young = Normative.compare(3500, "030Y", "F");
        assertFalse(young.available());
        assertTrue(young.text().contains("cover ages 45 to 80, the patient is 30"), young.text());
        assertTrue(Normative.compare(3500, "080Y", "M").text().contains("the patient is 80"));
        assertTrue(Normative.compare(3500, "062Y", "O").text().contains("Patient's Sex is O"));
        assertTrue(Normative.compare(3500, "062Y", null).text().contains("Sex is absent"));
        assertTrue(Normative.compare(3500, null, "F").text().contains("Age is absent"));
        assertTrue(Normative.compare(3500, "sixty", "F").text().contains("not an age in years"));
        assertEquals(Optional.of(1), Normative.years("018M"));
        assertEquals(Optional.of(62), Normative.years("062Y"));
    }

    @Test
    void tablesRiseWithPercentileAndFallWithAge() {
        for (int[][] table : new int[][][] {Normative.FEMALE, Normative.MALE}) {
            assertEquals(Normative.BAND_START.length, table.length);
            for (int b = 0; b < table.length; b++) {
                assertEquals(Normative.PERCENTILES.length, table[b].length);
                for (int p = 1; p < table[b].length; p++) {
                    assertTrue(table[b][p] > table[b][p - 1]);
                }
                if (b > 0) {
                    assertTrue(table[b][4] < table[b - 1][4], "median falls with age");
                }
            }
        }
    }

    @Test
    void paddingRoundsUpToMultiplesOf16AndNeverCuts() {
        assertEquals(48, Segmenter.padded(35));
        assertEquals(64, Segmenter.padded(51));
        assertEquals(32, Segmenter.padded(32));
        assertEquals(16, Segmenter.padded(1));
        assertEquals(256, Segmenter.padded(256));
        assertEquals(176, Segmenter.padded(176));
        assertEquals(192, Segmenter.padded(177));
    }

    @Test
    void axesMapToTheClosestStoredGridAxis() {
        // a sagittal stack: rows along +y (anterior-posterior), columns along -z, slices along -x
        Volume sagittal = new Volume(2, 2, 2, new float[8], 1, 1, 1, new double[3], new double[] {0, 1, 0},
                new double[] {0, 0, -1}, List.of("a", "b"));
        assertEquals(Segmenter.SLICE, Segmenter.gridAxis(sagittal, Segmenter.Axis.NATIVE));
        assertEquals(Segmenter.SLICE, Segmenter.gridAxis(sagittal, Segmenter.Axis.SAGITTAL));
        assertEquals(Segmenter.COLUMN, Segmenter.gridAxis(sagittal, Segmenter.Axis.CORONAL));
        assertEquals(Segmenter.ROW, Segmenter.gridAxis(sagittal, Segmenter.Axis.AXIAL));
        assertEquals(1.0, Segmenter.alignment(sagittal, Segmenter.Axis.AXIAL, Segmenter.ROW), 1e-12);
    }

    @Test
    void keyImageSlicesSpanTheLabelledExtent() {
        int size = 4;
        byte[] labels = new byte[20 * size];
        int[] area = {0, 0, 1, 2, 2, 3, 4, 4, 4, 3, 2, 1, 1, 1, 0, 0, 0, 0, 0, 0}; // slices 2..13 labelled, widest 6
        for (int z = 0; z < 20; z++) {
            for (int p = 0; p < area[z]; p++) {
                labels[z * size + p] = 1;
            }
        }
        // spread 2 + round(11/6) = 4, 2 + round(11/2) = 8, 2 + round(55/6) = 11; 4 is nearest the widest (6) and becomes it
        assertEquals(List.of(6, 8, 11), KeyImages.choose(labels, 20, size));
        byte[] one = new byte[20 * size];
        one[7 * size] = 2;
        assertEquals(List.of(6, 7, 8), KeyImages.choose(one, 20, size));
        assertEquals(List.of(10), KeyImages.choose(new byte[20 * size], 20, size));
    }
}
