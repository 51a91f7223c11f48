package org.radflow.dicom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Finding OpenJPEG's opj_decompress (2.5 or later only) and reading what it writes. */
class Htj2kTranscoderTest {

    @TempDir
    Path dir;

    private Path script(String name, String helpText) throws IOException {
        Path tool = dir.resolve(name);
        Files.writeString(tool, "#!/bin/sh\necho '" + helpText + "'\n", StandardCharsets.US_ASCII);
        Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwxr-xr-x"));
        return tool;
    }

    @Test
    void onlyAnOpenJpegOf25OrLaterCounts() throws Exception {
        Path old = script("old", "It has been compiled against openjp2 library v2.4.0.");
        Path current = script("current", "It has been compiled against openjp2 library v2.5.0.");
        Path mute = script("mute", "nothing useful");
        assertTrue(Htj2kTranscoder.locate(old.toString(), null).isEmpty());
        assertEquals(current, Htj2kTranscoder.locate(current.toString(), null).orElseThrow().tool());
        assertTrue(Htj2kTranscoder.locate(mute.toString(), null).isEmpty());
        assertTrue(Htj2kTranscoder.locate("", "/usr/bin").isEmpty(), "an empty override turns it off");
        assertTrue(Htj2kTranscoder.locate(null, dir.resolve("nowhere").toString()).isEmpty());
    }

    @Test
    void pgmWithCommentsAndSixteenBitSamples() throws Exception {
        Path pgm = dir.resolve("a.pgm");
        byte[] header = "P5\n#OpenJPEG-2.5.0\n2 2\n65535\n".getBytes(StandardCharsets.US_ASCII);
        byte[] data = {0, 1, 0x7f, (byte) 0xff, (byte) 0x80, 0, (byte) 0xff, (byte) 0xff};
        byte[] all = new byte[header.length + data.length];
        System.arraycopy(header, 0, all, 0, header.length);
        System.arraycopy(data, 0, all, header.length, data.length);
        Files.write(pgm, all);
        assertArrayEquals(new int[] {1, 0x7fff, 0x8000, 0xffff}, Htj2kTranscoder.Pgm.read(pgm, 2, 2));
        IOException wrong = assertThrows(IOException.class, () -> Htj2kTranscoder.Pgm.read(pgm, 3, 2));
        assertTrue(wrong.getMessage().contains("expected P5 3 x 2"), wrong.getMessage());
    }

    @Test
    void ppmWithThreeInterleavedSamples() throws Exception {
        Path ppm = dir.resolve("a.ppm");
        byte[] header = "P6\n#OpenJPEG-2.5.0\n2 1\n255\n".getBytes(StandardCharsets.US_ASCII);
        byte[] data = {1, 2, 3, (byte) 250, (byte) 251, (byte) 252};
        byte[] all = new byte[header.length + data.length];
        System.arraycopy(header, 0, all, 0, header.length);
        System.arraycopy(data, 0, all, header.length, data.length);
        Files.write(ppm, all);
        assertArrayEquals(new int[] {1, 2, 3, 250, 251, 252}, Htj2kTranscoder.Pgm.read(ppm, 2, 1, 3));
        IOException grey = assertThrows(IOException.class, () -> Htj2kTranscoder.Pgm.read(ppm, 2, 1));
        assertTrue(grey.getMessage().contains("expected P5 2 x 1"), grey.getMessage());
    }

    @Test
    void codestreamSizeComponentsAndSign() throws Exception {
        byte[] siz = new byte[48];
        siz[0] = (byte) 0xff;
        siz[1] = 0x4f;
        siz[2] = (byte) 0xff;
        siz[3] = 0x51;
        siz[11] = 64;  // Xsiz
        siz[15] = 48;  // Ysiz
        siz[41] = 1;   // Csiz
        siz[42] = (byte) 0x8f; // signed, 16 bits
        Htj2kTranscoder.Codestream c = Htj2kTranscoder.Codestream.of(siz, 0);
        assertEquals(new Htj2kTranscoder.Codestream(64, 48, 1, 16, true), c);
        IOException notJ2k = assertThrows(IOException.class, () -> Htj2kTranscoder.Codestream.of(new byte[48], 2));
        assertTrue(notJ2k.getMessage().startsWith("frame 3 is not a JPEG 2000 codestream"), notJ2k.getMessage());
    }
}
