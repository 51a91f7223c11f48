package org.radflow.testdata;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeterminismTest {

    @TempDir
    Path dir;

    interface Generator {
        GeneratedSeries generate(Path out) throws Exception;
    }

    private void assertSameBytes(Generator gen) throws Exception {
        GeneratedSeries a = gen.generate(dir.resolve("a"));
        GeneratedSeries b = gen.generate(dir.resolve("b"));
        assertEquals(a.studyInstanceUid(), b.studyInstanceUid());
        assertEquals(a.seriesInstanceUid(), b.seriesInstanceUid());
        assertEquals(a.sopInstanceUids(), b.sopInstanceUids());
        assertEquals(a.files().size(), b.files().size());
        for (int i = 0; i < a.files().size(); i++) {
            assertEquals(a.files().get(i).getFileName(), b.files().get(i).getFileName());
            assertArrayEquals(Files.readAllBytes(a.files().get(i)), Files.readAllBytes(b.files().get(i)),
                    "file " + a.files().get(i).getFileName());
        }
    }

    @Test
    void sameOptionsGiveIdenticalBytes() throws Exception {
        assertSameBytes(out -> Synth.chestRadiograph(out, ChestOptions.defaults().withSize(300, 256)
                .withView(ChestOptions.View.LAT).withPhotometric(ChestOptions.Photometric.MONOCHROME1)));
        assertSameBytes(out -> Synth.chestRadiograph(out, ChestOptions.defaults()
                .withModality(ChestOptions.Modality.CR).withPatient(Patient.of("山田^太郎", "JP1"))));
        assertSameBytes(out -> Synth.brainMr(out, MrOptions.defaults().withShuffledInstanceNumbers(true)));
        assertSameBytes(out -> Synth.brainMr(out, MrOptions.fullHead().withDimensions(128, 128, 4)));
        assertSameBytes(out -> Synth.ctSeries(out, CtOptions.defaults().withCount(3)));
    }

    @Test
    void differentSeedsGiveDifferentPicturesAndUids() throws Exception {
        GeneratedSeries a = Synth.chestRadiograph(dir.resolve("a"), ChestOptions.defaults().withSize(128, 128));
        GeneratedSeries b = Synth.chestRadiograph(dir.resolve("b"), ChestOptions.defaults().withSize(128, 128).withSeed(2));
        assertNotEquals(a.studyInstanceUid(), b.studyInstanceUid());
        assertNotEquals(a.seriesInstanceUid(), b.seriesInstanceUid());
        assertNotEquals(a.sopInstanceUids(), b.sopInstanceUids());
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(a.files().get(0)), Files.readAllBytes(b.files().get(0))));
    }

    @Test
    void explicitStudyUidPutsSeveralSeriesInOneStudy() throws Exception {
        String study = SynthUids.derive("my study");
        GeneratedSeries pa = Synth.chestRadiograph(dir, ChestOptions.defaults().withSize(128, 128)
                .withStudyInstanceUid(study).withSeriesNumber(1));
        GeneratedSeries lat = Synth.chestRadiograph(dir, ChestOptions.defaults().withSize(128, 128)
                .withStudyInstanceUid(study).withSeriesNumber(2).withView(ChestOptions.View.LAT));
        GeneratedSeries ct = Synth.ctSeries(dir, CtOptions.defaults().withStudyInstanceUid(study).withSeriesNumber(3));
        assertEquals(study, pa.studyInstanceUid());
        assertEquals(study, lat.studyInstanceUid());
        assertEquals(study, ct.studyInstanceUid());
        assertEquals(3, List.of(pa.seriesInstanceUid(), lat.seriesInstanceUid(), ct.seriesInstanceUid())
                .stream().distinct().count());
        assertEquals(3, Files.list(dir).count(), "no file name collisions in one directory");
        // One study, one study date.
        assertEquals(DicomTools.string(DicomTools.read(pa.files().get(0)), 0x0008, 0x0020),
                DicomTools.string(DicomTools.read(ct.files().get(0)), 0x0008, 0x0020));
    }

    @Test
    void everyUidIsValid() throws Exception {
        List<String> uids = new ArrayList<>();
        GeneratedSeries c = Synth.chestRadiograph(dir, ChestOptions.defaults().withSize(128, 128));
        GeneratedSeries m = Synth.brainMr(dir, MrOptions.defaults().withDimensions(35, 51, 3));
        for (GeneratedSeries g : List.of(c, m)) {
            uids.add(g.studyInstanceUid());
            uids.add(g.seriesInstanceUid());
            uids.addAll(g.sopInstanceUids());
            var l = DicomTools.read(g.files().get(0));
            uids.add(DicomTools.string(l, 0x0002, 0x0012));
        }
        uids.add(DicomTools.string(DicomTools.read(m.files().get(0)), 0x0020, 0x0052));
        for (String uid : uids) {
            assertTrue(SynthUids.isValid(uid) && uid.startsWith("2.25.") && uid.length() <= 64, uid);
        }
        for (long seed = 0; seed < 2000; seed++) {
            String uid = SynthUids.derive("x", seed);
            assertTrue(SynthUids.isValid(uid), uid);
        }
        assertFalse(SynthUids.isValid("1.02.3"));
        assertFalse(SynthUids.isValid("1..2"));
        assertFalse(SynthUids.isValid("1.2a"));
    }
}
