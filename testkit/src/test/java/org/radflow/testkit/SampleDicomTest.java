package org.radflow.testkit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DCMTK-generated sample files are valid DICOM (dciodvfy) and carry the requested UIDs. */
class SampleDicomTest {

    @TempDir
    Path dir;

    @Test
    void generatedFilesPassDciodvfy() {
        List<Path> files = SampleDicom.study(dir, 2);
        assertEquals(2, files.size());
        for (Path file : files) {
            Dciodvfy.Result result = Dciodvfy.check(file);
            assertFalse(result.hasErrors(), () -> "dciodvfy: " + result.output());
            assertTrue(result.output().contains("SCImage"), result.output());
        }
    }

    @Test
    void sixteenBitImageAndRequestedUids() {
        Path file = SampleDicom.instance().studyInstanceUid("2.25.1").seriesInstanceUid("2.25.2")
                .sopInstanceUid("2.25.3").modality("CT").image(64, 32, 16).write(dir.resolve("a/b.dcm"));
        String dump = Dcmtk.dcmdump(file).assertOk().output();
        assertTrue(dump.contains("(0020,000d) UI [2.25.1]"), dump);
        assertTrue(dump.contains("(0008,0018) UI [2.25.3]"), dump);
        assertTrue(dump.contains("(0002,0003) UI [2.25.3]"), dump);
        assertTrue(dump.contains("(0028,0010) US 64"), dump);
        Dciodvfy.check(file).assertNoErrors();
    }

    @Test
    void dciodvfyReportsErrors() throws Exception {
        Path file = SampleDicom.study(dir, 1).get(0);
        Path broken = dir.resolve("broken.dcm");
        // remove Rows: a Type 1 attribute of the Image Pixel module
        Path dump = dir.resolve("broken.txt");
        String text = Dcmtk.dcmdump(file, "+L", "+E").assertOk().output();
        Files.writeString(dump, text.lines().filter(l -> !l.startsWith("(0028,0010)"))
                .reduce("", (a, b) -> a + b + "\n"));
        Dcmtk.run(java.time.Duration.ofSeconds(30), "dump2dcm", "+E", dump.toString(), broken.toString());
        Dciodvfy.Result result = Dciodvfy.check(broken);
        assertTrue(result.hasErrors(), result.output());
        assertTrue(result.errors().stream().allMatch(e -> e.startsWith("Error")));
    }
}
