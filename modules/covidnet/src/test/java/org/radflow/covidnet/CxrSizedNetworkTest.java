package org.radflow.covidnet;

import org.junit.jupiter.api.Test;
import org.radflow.covidnet.CxrSizedNetwork.Layer;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The benchmark network's size (computed, not run: the network itself is only built by the benchmark). */
class CxrSizedNetworkTest {

    @Test
    void hasCovidNetCxr2sSize() {
        // COVID-Net-CXR-2: about 8.8 M parameters and 5.5 GMACs at 480 x 480 (issue 5)
        assertEquals(8.8e6, CxrSizedNetwork.parameters(), 0.03 * 8.8e6);
        assertEquals(5.5e9, CxrSizedNetwork.macs(), 0.05 * 5.5e9);
    }

    @Test
    void sidesHalveWithSamePaddingAndTheHeadEndsInTwoClasses() {
        List<Layer> layers = CxrSizedNetwork.layers();
        Layer stem = layers.get(0);
        assertEquals(240, stem.outSide());
        // TF SAME, 7x7 stride 2 on 480: total padding (240 - 1) * 2 + 7 - 480 = 5, the odd one after
        assertEquals(2, stem.padBefore());
        assertEquals(3, stem.padAfter());
        Layer last = layers.stream().filter(l -> !l.dense()).reduce((a, b) -> b).orElseThrow();
        assertEquals(15, last.outSide());
        assertEquals(1, last.padBefore()); // 3x3 stride 1: one on each side
        assertEquals(1, last.padAfter());
        Layer head = layers.get(layers.size() - 1);
        assertEquals("norm_dense_2", head.name());
        assertEquals(2, head.out());
        assertTrue(layers.stream().filter(l -> l != head).allMatch(Layer::relu));
        assertEquals(last.out(), layers.get(layers.size() - 2).in()); // global average pooling of the last convolution
        System.out.print(CxrSizedNetwork.describe());
    }
}
