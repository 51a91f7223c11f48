package org.radflow.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DcmtkTranscoderTest {

    @TempDir
    Path dir;

    @Test
    void foundOnThePathOrThroughTheProperty() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        assertTrue(DcmtkTranscoder.locate("dcmdjpls", null, dir + ":" + "/nonexistent").isEmpty());
        Path tool = Files.createFile(bin.resolve("dcmdjpls"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        assertEquals(tool, DcmtkTranscoder.locate("dcmdjpls", null, "/nonexistent::" + bin).orElseThrow().tool());
        // the property wins; empty means "none" (a site that wants JPEG-LS refused at negotiation)
        assertTrue(DcmtkTranscoder.locate("dcmdjpls", "", bin.toString()).isEmpty());
        assertEquals(tool, DcmtkTranscoder.locate("dcmdjpls", tool.toString(), null).orElseThrow().tool());
        assertTrue(DcmtkTranscoder.locate("dcmdjpls", dir.resolve("missing").toString(), bin.toString()).isEmpty());
    }

    @Test
    void aFailingToolGivesItsMessageAndLeavesNoFile() throws Exception {
        Path script = dir.resolve("dcmdjpls");
        Files.writeString(script, "#!/bin/sh\necho 'E: cannot decode: \u001b[31mbad' >&2\nexit 1\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        IOException e = assertThrows(IOException.class,
                () -> new DcmtkTranscoder(script).decode(dir.resolve("in.dcm"), tmp));
        assertTrue(e.getMessage().contains("failed (exit 1)") && e.getMessage().contains("cannot decode"), e.getMessage());
        assertTrue(!e.getMessage().contains("\u001b"), "control characters escaped: " + e.getMessage());
        try (var left = Files.list(tmp)) {
            assertEquals(0, left.count());
        }
    }

    @Test
    void realDcmtkDecodesToExplicitLittleEndian() throws Exception {
        DcmtkTranscoder t = DcmtkTranscoder.jpegLs().orElseThrow(
                () -> new AssertionError("dcmdjpls not found: scripts/setup.sh installs dcmtk"));
        Path src = Path.of("/usr/lib/python3/dist-packages/pydicom/data/test_files/MR_small_jpeg_ls_lossless.dcm");
        assertTrue(Files.isRegularFile(src), "python3-pydicom is not installed: run scripts/setup.sh");
        Path out = t.decode(src, dir);
        try {
            com.pixelmed.dicom.AttributeList l = new com.pixelmed.dicom.AttributeList();
            l.read(out.toString());
            assertEquals(TransferSyntaxes.EXPLICIT_VR_LITTLE_ENDIAN, com.pixelmed.dicom.Attribute
                    .getSingleStringValueOrEmptyString(l, com.pixelmed.dicom.TagFromName.TransferSyntaxUID));
        } finally {
            Files.delete(out);
        }
    }
}
