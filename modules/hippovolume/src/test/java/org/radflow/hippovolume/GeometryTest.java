package org.radflow.hippovolume;

import org.junit.jupiter.api.Test;
import org.radflow.api.Volume;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Padding sizes, axis choice and key-image slice choice, on hand-made values. */
class GeometryTest {

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
