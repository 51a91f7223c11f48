package org.radflow.pixels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.StudyInput.InstanceInput;
import org.radflow.api.StudyInput.SeriesInput;
import org.radflow.testdata.ChestOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;

class SpoolStudyInputTest {

    @TempDir
    Path dir;

    private static List<String> sops(SeriesInput s) {
        return s.instances().stream().map(InstanceInput::sopInstanceUid).toList();
    }

    @Test
    void filesAreGroupedIntoSeriesOfTheStudy() throws Exception {
        GeneratedSeries chest = Synth.chestRadiograph(dir.resolve("cx"), ChestOptions.defaults().withSize(128, 128));
        GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withDimensions(16, 16, 6)
                .withStudyInstanceUid(chest.studyInstanceUid()).withSeriesNumber(2));
        List<Path> files = new ArrayList<>(mr.files());
        Collections.reverse(files);
        files.add(2, chest.files().get(0));
        files.add(mr.files().get(0)); // listed twice: counts once

        SpoolStudyInput in = SpoolStudyInput.of(chest.studyInstanceUid(), files);
        assertEquals(chest.studyInstanceUid(), in.studyInstanceUid());
        assertEquals(7, in.instanceCount());
        List<SeriesInput> series = in.series();
        assertEquals(2, series.size());

        SeriesInput cx = series.get(0); // Series Number 1 before 2
        assertEquals(chest.seriesInstanceUid(), cx.seriesInstanceUid());
        assertEquals(chest.sopInstanceUids(), sops(cx));
        assertEquals("DX", cx.tags().get("Modality").orElseThrow());
        assertEquals(Synth.DX_FOR_PRESENTATION, cx.instances().get(0).sopClassUid());
        assertEquals(1, cx.instances().get(0).frames());

        SeriesInput brain = in.series(mr.seriesInstanceUid()).orElseThrow();
        assertEquals(brain, series.get(1));
        assertEquals(mr.sopInstanceUids(), sops(brain)); // Instance Number order (here also position order)
        assertEquals("MR", brain.tags().get("Modality").orElseThrow());
        assertEquals("HippoCrop", brain.tags().get("SeriesDescription").orElseThrow());
        assertEquals(16, brain.instances().get(0).tags().number("Columns").orElseThrow(), 0);

        assertEquals(chest.studyInstanceUid(), in.studyTags().get("StudyInstanceUID").orElseThrow());
        assertEquals(chest.studyInstanceUid(), in.studyTags().get("(0020,000D)").orElseThrow());
        assertTrue(in.studyTags().has("PatientID"));
        assertTrue(in.series("2.25.1").isEmpty());
    }

    @Test
    void oneInstanceIsAUnitToo() throws Exception {
        GeneratedSeries mr = Synth.brainMr(dir, MrOptions.defaults().withDimensions(16, 16, 3));
        SpoolStudyInput in = SpoolStudyInput.of(mr.studyInstanceUid(), List.of(mr.files().get(1)));
        assertEquals(1, in.series().size());
        assertEquals(List.of(mr.sopInstanceUids().get(1)), sops(in.series().get(0)));
        assertEquals(16, in.series().get(0).instances().get(0).plane().columns());
    }

    @Test
    void filesOutsideTheStudyOrNotDicomAreRejected() throws Exception {
        GeneratedSeries chest = Synth.chestRadiograph(dir.resolve("cx"), ChestOptions.defaults().withSize(64, 64));
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
                () -> SpoolStudyInput.of("2.25.99", chest.files()));
        assertTrue(other.getMessage().contains(chest.studyInstanceUid()) && other.getMessage().contains("2.25.99"),
                other.getMessage());

        Path text = Files.writeString(dir.resolve("notes.dcm"), "not DICOM at all");
        IOException e = assertThrows(IOException.class, () -> SpoolStudyInput.of(chest.studyInstanceUid(), List.of(text)));
        assertTrue(e.getMessage().contains("notes.dcm"), e.getMessage());

        assertThrows(IllegalArgumentException.class, () -> SpoolStudyInput.of(chest.studyInstanceUid(), List.of()));
    }
}
