package org.radflow.testdata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pixelmed.dicom.AttributeList;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CtTest {

    @TempDir
    Path dir;

    @Test
    void ctSlicesAreValidSignedHuWithAxialGeometry() throws Exception {
        GeneratedSeries g = Synth.ctSeries(dir, CtOptions.defaults().withCount(3).withSliceSpacingMm(2.5));
        assertEquals(3, g.files().size());
        assertEquals("CT", g.modality());
        for (Path f : g.files()) {
            DicomTools.assertValid(f);
            long size = Files.size(f);
            assertTrue(size > 512 * 1024 && size < 530 * 1024, "about 512 KB: " + size);
        }
        List<MrTest.Slice> slices = MrTest.readAll(g);
        MrTest.assertGeometry(slices, 2.5, 0.703125, 0.703125);
        AttributeList l = slices.get(1).list();
        assertEquals(Synth.CT_IMAGE, DicomTools.string(l, 0x0008, 0x0016));
        assertEquals(512, DicomTools.integer(l, 0x0028, 0x0010));
        assertEquals(512, DicomTools.integer(l, 0x0028, 0x0011));
        assertEquals(16, DicomTools.integer(l, 0x0028, 0x0101));
        assertEquals(1, DicomTools.integer(l, 0x0028, 0x0103));
        assertEquals(-1024.0, Double.parseDouble(DicomTools.string(l, 0x0028, 0x1052)));
        assertEquals(1.0, Double.parseDouble(DicomTools.string(l, 0x0028, 0x1053)));
        short[] px = slices.get(1).pixels();
        double corner = hu(px, 5, 5);
        double centre = hu(px, 256, 256);
        assertTrue(corner < -900, "air " + corner);
        assertTrue(centre > -50 && centre < 130, "soft tissue " + centre);
        double maxHu = -2000;
        for (short s : px) {
            maxHu = Math.max(maxHu, s - 1024);
        }
        assertTrue(maxHu > 600, "bone present " + maxHu);
        for (int i = 0; i < 3; i++) {
            assertEquals(i + 1, slices.get(i).instance());
        }
    }

    private static double hu(short[] px, int r, int c) {
        double sum = 0;
        for (int y = r - 3; y <= r + 3; y++) {
            for (int x = c - 3; x <= c + 3; x++) {
                sum += px[y * 512 + x] - 1024;
            }
        }
        return sum / 49;
    }

    @Test
    void thousandImagesWellUnderAMinute() throws IOException {
        long t0 = System.nanoTime();
        GeneratedSeries g = Synth.ctSeries(dir, CtOptions.defaults().withCount(1000).withSeed(3));
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(1000, g.files().size());
        assertEquals(1000, g.sopInstanceUids().stream().distinct().count());
        System.out.printf("1000 CT images (%d MB) written in %.2f s%n",
                Files.size(g.files().get(0)) * 1000 / (1024 * 1024), seconds);
        assertTrue(seconds < 30, "1000 CT images took " + seconds + " s");
    }
}
