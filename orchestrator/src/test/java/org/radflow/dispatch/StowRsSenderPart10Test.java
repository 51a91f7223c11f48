package org.radflow.dispatch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.testkit.Dcmtk;
import org.radflow.testkit.SampleDicom;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bounded Part 10 check that gives StowRsSender each file's SOP Instance UID. */
class StowRsSenderPart10Test {

    private static final String UID = "1.2.826.0.1.3680043.10.1234.99";

    @TempDir
    Path dir;

    /** A file with nested undefined-length sequences (dump2dcm -e), 16 x 16 x 8 bit. */
    private Path withSequences(String... dump2dcmOptions) throws Exception {
        Path raw = Files.write(dir.resolve("px.raw"), new byte[256]);
        String dump = String.join("\n",
                "(0002,0001) OB 00\\01",
                "(0002,0002) UI =SecondaryCaptureImageStorage",
                "(0002,0003) UI [" + UID + "]",
                "(0002,0010) UI =LittleEndianExplicit",
                "(0008,0016) UI =SecondaryCaptureImageStorage",
                "(0008,0018) UI [" + UID + "]",
                "(0008,1115) SQ (Sequence with undefined length)",
                "  (fffe,e000) na (Item with undefined length)",
                "    (0008,1140) SQ (Sequence with undefined length)",
                "      (fffe,e000) na (Item with undefined length)",
                "        (0008,1150) UI =CTImageStorage",
                "        (0008,1155) UI [1.2.3.4]",
                "      (fffe,e00d) na (ItemDelimitationItem)",
                "    (fffe,e0dd) na (SequenceDelimitationItem)",
                "    (0020,000e) UI [1.2.3]",
                "  (fffe,e00d) na (ItemDelimitationItem)",
                "(fffe,e0dd) na (SequenceDelimitationItem)",
                "(0010,0010) PN [SEQUENCE^TEST]",
                "(0020,000d) UI [1.2.3.4.5]",
                "(0028,0002) US 1",
                "(0028,0004) CS [MONOCHROME2]",
                "(0028,0010) US 16",
                "(0028,0011) US 16",
                "(0028,0100) US 8",
                "(0028,0101) US 8",
                "(0028,0102) US 7",
                "(0028,0103) US 0",
                "(7fe0,0010) OB =" + raw.toAbsolutePath(),
                "");
        Path dumpFile = Files.writeString(dir.resolve("seq.txt"), dump);
        Path out = dir.resolve("seq" + String.join("", dump2dcmOptions) + ".dcm");
        Dcmtk.dump2dcm(dumpFile, out, dump2dcmOptions).assertOk();
        return out;
    }

    private static String uid(Path file) throws Exception {
        return StowRsSender.sopInstanceUid(Files.readAllBytes(file));
    }

    private Path convert(Path in, String tool, String... options) {
        Path out = dir.resolve(in.getFileName() + "-" + tool + String.join("", options) + ".dcm");
        String[] command = new String[options.length + 3];
        command[0] = tool;
        System.arraycopy(options, 0, command, 1, options.length);
        command[options.length + 1] = in.toString();
        command[options.length + 2] = out.toString();
        Dcmtk.run(Duration.ofSeconds(30), command).assertOk();
        return out;
    }

    @Test
    void readsTheUidOfEveryEncoding() throws Exception {
        Path undefinedLengths = withSequences("-e");
        Path definedLengths = withSequences();
        assertEquals(UID, uid(undefinedLengths));
        assertEquals(UID, uid(definedLengths));
        assertEquals(UID, uid(convert(undefinedLengths, "dcmconv", "+ti")));           // implicit VR
        assertEquals(UID, uid(convert(definedLengths, "dcmconv", "+ti")));
        assertEquals(UID, uid(convert(undefinedLengths, "dcmconv", "+tb")));           // big endian: meta only
        assertEquals(UID, uid(convert(undefinedLengths, "dcmconv", "+td")));           // deflated: meta only
        assertEquals(UID, uid(convert(undefinedLengths, "dcmcjpeg")));                 // encapsulated JPEG
        assertEquals(UID, uid(convert(undefinedLengths, "dcmcrle")));                  // encapsulated RLE
        Path sample = SampleDicom.instance().sopInstanceUid("2.25.77").write(dir.resolve("s.dcm"));
        assertEquals("2.25.77", uid(sample));
    }

    @Test
    void walksUndefinedLengthUnAsImplicitVr() throws Exception {
        byte[] sample = Files.readAllBytes(SampleDicom.instance().sopInstanceUid("2.25.5").write(dir.resolve("u.dcm")));
        int groupLength = ByteBuffer.wrap(sample, 140, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        file.write(sample, 0, 144 + groupLength); // preamble, DICM, meta information
        ByteBuffer ds = ByteBuffer.allocate(200).order(ByteOrder.LITTLE_ENDIAN);
        ds.putShort((short) 0x0008).putShort((short) 0x0018).put("UI".getBytes(StandardCharsets.US_ASCII))
                .putShort((short) 6).put("2.25.5".getBytes(StandardCharsets.US_ASCII));
        ds.putShort((short) 0x0009).putShort((short) 0x1001).put("UN".getBytes(StandardCharsets.US_ASCII))
                .putShort((short) 0).putInt(-1);                                     // UN, undefined length
        ds.putShort((short) 0xFFFE).putShort((short) 0xE000).putInt(-1);            // item
        ds.putShort((short) 0x0009).putShort((short) 0x1002).putInt(2).put((byte) 'A').put((byte) 'B'); // implicit
        ds.putShort((short) 0xFFFE).putShort((short) 0xE00D).putInt(0);             // item end
        ds.putShort((short) 0xFFFE).putShort((short) 0xE0DD).putInt(0);             // sequence end
        file.write(ds.array(), 0, ds.position());
        assertEquals("2.25.5", StowRsSender.sopInstanceUid(file.toByteArray()));
    }

    @Test
    void rejectsDamagedFilesWithShortReasons() throws Exception {
        byte[] good = Files.readAllBytes(withSequences("-e"));
        IllegalArgumentException notDicom = assertThrows(IllegalArgumentException.class,
                () -> StowRsSender.sopInstanceUid("hello".getBytes(StandardCharsets.US_ASCII)));
        assertTrue(notDicom.getMessage().contains("DICM"));
        IllegalArgumentException cut = assertThrows(IllegalArgumentException.class,
                () -> StowRsSender.sopInstanceUid(Arrays.copyOf(good, 400)));
        assertTrue(cut.getMessage().startsWith("a damaged DICOM file"), cut.getMessage());
        assertTrue(!cut.getMessage().contains("SEQUENCE"), "no data values in messages");
        byte[] huge = good.clone();
        int pos = indexOf(huge, new byte[] {0x10, 0x00, 0x10, 0x00, 'P', 'N'});     // (0010,0010) PN
        huge[pos + 6] = (byte) 0x7f;
        huge[pos + 7] = (byte) 0x7f;
        assertThrows(IllegalArgumentException.class, () -> StowRsSender.sopInstanceUid(huge));
    }

    /** Random damage never escapes as anything but IllegalArgumentException, and never allocates much. */
    @Test
    void randomDamageIsContained() throws Exception {
        byte[][] originals = {
                Files.readAllBytes(withSequences("-e")),
                Files.readAllBytes(convert(withSequences("-e"), "dcmconv", "+ti")),
                Files.readAllBytes(convert(withSequences(), "dcmcrle"))};
        Random random = new Random(42);
        int rejected = 0;
        for (int i = 0; i < 6000; i++) {
            byte[] original = originals[i % originals.length];
            byte[] damaged = original.clone();
            int flips = 1 + random.nextInt(4);
            for (int f = 0; f < flips; f++) {
                int at = 132 + random.nextInt(damaged.length - 132);
                damaged[at] = random.nextInt(3) == 0 ? (byte) 0xFF : (byte) random.nextInt(256);
            }
            if (random.nextInt(5) == 0) {
                damaged = Arrays.copyOf(damaged, 132 + random.nextInt(damaged.length - 132));
            }
            try {
                String uid = StowRsSender.sopInstanceUid(damaged);
                assertTrue(uid != null && !uid.isBlank());
            } catch (IllegalArgumentException expected) {
                rejected++;
            }
        }
        assertTrue(rejected > 100, "damage should usually be noticed, was " + rejected);
    }

    private static int indexOf(byte[] data, byte[] pattern) {
        outer:
        for (int i = 0; i <= data.length - pattern.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("pattern not found");
    }
}
