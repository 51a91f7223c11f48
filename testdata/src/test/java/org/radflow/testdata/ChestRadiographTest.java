package org.radflow.testdata;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pixelmed.dicom.AttributeList;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ChestRadiographTest {

    @TempDir
    Path dir;

    static List<Arguments> everyCombination() {
        List<Arguments> all = new java.util.ArrayList<>();
        for (ChestOptions.Modality m : ChestOptions.Modality.values()) {
            for (ChestOptions.Photometric p : ChestOptions.Photometric.values()) {
                for (ChestOptions.View v : ChestOptions.View.values()) {
                    all.add(Arguments.of(m, p, v));
                }
            }
        }
        return all;
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("everyCombination")
    void everyModalityPhotometricAndViewPassesDciodvfy(ChestOptions.Modality m, ChestOptions.Photometric p,
                                                      ChestOptions.View v) throws Exception {
        ChestOptions o = ChestOptions.defaults().withModality(m).withPhotometric(p).withView(v).withSize(512, 512);
        GeneratedSeries g = Synth.chestRadiograph(dir, o);
        assertEquals(1, g.files().size());
        Path f = g.files().get(0);
        List<String> warnings = DicomTools.assertValid(f);
        assertEquals(List.of(), warnings, "no dciodvfy warnings expected");

        AttributeList l = DicomTools.read(f);
        assertEquals(m.name(), DicomTools.string(l, 0x0008, 0x0060));
        assertEquals(m == ChestOptions.Modality.DX ? Synth.DX_FOR_PRESENTATION : Synth.CR_IMAGE,
                DicomTools.string(l, 0x0008, 0x0016));
        assertEquals(g.sopInstanceUids().get(0), DicomTools.string(l, 0x0008, 0x0018));
        assertEquals(p.name(), DicomTools.string(l, 0x0028, 0x0004));
        assertEquals(v == ChestOptions.View.LAT ? "LL" : v.name(), DicomTools.string(l, 0x0018, 0x5101));
        assertEquals("CHEST", DicomTools.string(l, 0x0018, 0x0015));
        assertEquals(16, DicomTools.integer(l, 0x0028, 0x0100));
        assertEquals(12, DicomTools.integer(l, 0x0028, 0x0101));
        double[] spacing = m == ChestOptions.Modality.DX
                ? DicomTools.doubles(l, 0x0018, 0x1164) : DicomTools.doubles(l, 0x0028, 0x0030);
        assertArrayEquals(new double[] {0.35, 0.35}, spacing, 1e-9);
        assertFalse(DicomTools.string(l, 0x0028, 0x1050).isEmpty(), "WindowCenter");
        assertFalse(DicomTools.string(l, 0x0028, 0x1051).isEmpty(), "WindowWidth");
        for (short s : DicomTools.pixels(l)) {
            assertTrue(s >= 0 && s <= 4095, "within 12 bits");
        }
    }

    @Test
    void defaultIsDxPa1024SquareAndValid() throws Exception {
        GeneratedSeries g = Synth.chestRadiograph(dir, ChestOptions.defaults());
        AttributeList l = DicomTools.read(g.files().get(0));
        assertEquals(1024, DicomTools.integer(l, 0x0028, 0x0010));
        assertEquals(1024, DicomTools.integer(l, 0x0028, 0x0011));
        assertEquals("PA", DicomTools.string(l, 0x0018, 0x5101));
        assertEquals("RADFLOW^SYNTHETIC", DicomTools.string(l, 0x0010, 0x0010));
        assertEquals("SYN0001", DicomTools.string(l, 0x0010, 0x0020));
        assertEquals("", DicomTools.string(l, 0x0008, 0x0005), "ASCII needs no Specific Character Set");
        assertTrue(Files.size(g.files().get(0)) > 2 * 1024 * 1024);
        assertEquals(List.of(), DicomTools.assertValid(g.files().get(0)));
    }

    @Test
    void variantsStayValid() throws Exception {
        for (ChestOptions.Modality m : ChestOptions.Modality.values()) {
            ChestOptions base = ChestOptions.defaults().withModality(m).withSize(256, 256);
            DicomTools.assertValid(Synth.chestRadiograph(dir.resolve(m + "-skull"), base.withBodyPart("SKULL")).files().get(0));
            DicomTools.assertValid(Synth.chestRadiograph(dir.resolve(m + "-nobody"), base.withBodyPart(null)).files().get(0));
            Path noWindow = Synth.chestRadiograph(dir.resolve(m + "-nowindow"), base.withWindow(false)).files().get(0);
            DicomTools.assertValid(noWindow);
            AttributeList l = DicomTools.read(noWindow);
            assertEquals("", DicomTools.string(l, 0x0028, 0x1050));
            assertEquals("", DicomTools.string(l, 0x0028, 0x1051));

            Path nonSquare = Synth.chestRadiograph(dir.resolve(m + "-nonsquare"),
                    base.withSize(1200, 1000).withView(ChestOptions.View.LAT)).files().get(0);
            DicomTools.assertValid(nonSquare);
            AttributeList ns = DicomTools.read(nonSquare);
            assertEquals(1200, DicomTools.integer(ns, 0x0028, 0x0010));
            assertEquals(1000, DicomTools.integer(ns, 0x0028, 0x0011));
        }
        AttributeList skull = DicomTools.read(Synth.chestRadiograph(dir.resolve("s"),
                ChestOptions.defaults().withSize(128, 128).withBodyPart("SKULL")).files().get(0));
        assertEquals("SKULL", DicomTools.string(skull, 0x0018, 0x0015));
        AttributeList none = DicomTools.read(Synth.chestRadiograph(dir.resolve("n"),
                ChestOptions.defaults().withSize(128, 128).withBodyPart(null)).files().get(0));
        assertEquals(null, none.get(new com.pixelmed.dicom.AttributeTag(0x0018, 0x0015)));
    }

    @Test
    void monochrome1IsTheInverseOfMonochrome2() throws Exception {
        for (ChestOptions.Modality m : ChestOptions.Modality.values()) {
            ChestOptions o = ChestOptions.defaults().withModality(m).withSeed(42).withSize(400, 300);
            short[] m2 = DicomTools.pixels(DicomTools.read(Synth.chestRadiograph(dir.resolve(m + "2"),
                    o.withPhotometric(ChestOptions.Photometric.MONOCHROME2)).files().get(0)));
            AttributeList l1 = DicomTools.read(Synth.chestRadiograph(dir.resolve(m + "1"),
                    o.withPhotometric(ChestOptions.Photometric.MONOCHROME1)).files().get(0));
            short[] m1 = DicomTools.pixels(l1);
            assertEquals(m2.length, m1.length);
            for (int i = 0; i < m1.length; i++) {
                assertEquals(4095, m1[i] + m2[i], "sample " + i);
            }
            if (m == ChestOptions.Modality.DX) {
                assertEquals("INVERSE", DicomTools.string(l1, 0x2050, 0x0020));
            }
        }
    }

    @Test
    void pictureIsAnatomicallyPlausible() throws Exception {
        int n = 512;
        short[] pa = DicomTools.pixels(DicomTools.read(
                Synth.chestRadiograph(dir.resolve("pa"), ChestOptions.defaults().withSize(n, n)).files().get(0)));
        short[] lat = DicomTools.pixels(DicomTools.read(Synth.chestRadiograph(dir.resolve("lat"),
                ChestOptions.defaults().withSize(n, n).withView(ChestOptions.View.LAT)).files().get(0)));
        // MONOCHROME2: air darkest, lungs darker than the mediastinum/spine, bone bright.
        double air = mean(pa, n, 25, 25, 20);
        double rightLung = mean(pa, n, n * 28 / 100, n * 45 / 100, 20);
        double leftLung = mean(pa, n, n * 72 / 100, n * 45 / 100, 20);
        double spine = mean(pa, n, n / 2, n * 45 / 100, 4);
        double abdomen = mean(pa, n, n * 35 / 100, n * 90 / 100, 20);
        assertTrue(air < rightLung && rightLung < spine, air + " " + rightLung + " " + spine);
        assertTrue(leftLung < spine && rightLung < abdomen && leftLung < abdomen);
        // The lateral view is a different picture: lung field in the middle, spine at the back (right).
        double latLung = mean(lat, n, n / 2, n * 40 / 100, 15);
        double latSpine = mean(lat, n, n * 71 / 100, n * 55 / 100, 4);
        assertTrue(latLung < latSpine, latLung + " " + latSpine);
        double diff = 0;
        for (int i = 0; i < pa.length; i++) {
            diff += Math.abs(pa[i] - lat[i]);
        }
        assertTrue(diff / pa.length > 100, "LAT differs visibly from PA: " + diff / pa.length);
    }

    private static double mean(short[] img, int n, int cx, int cy, int half) {
        double sum = 0;
        int count = 0;
        for (int y = cy - half; y <= cy + half; y++) {
            for (int x = cx - half; x <= cx + half; x++) {
                sum += img[y * n + x];
                count++;
            }
        }
        return sum / count;
    }
}
