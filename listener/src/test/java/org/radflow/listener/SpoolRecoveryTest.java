package org.radflow.listener;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The spool's one-sync write path and its start-up recovery: what a crash leaves in {@code tmp/} is either an
 * acknowledged instance (sealed: its record matches its bytes), moved to its final name, or partial, removed.
 * Crashes are reproduced by stopping the write path where a crash would (after {@code seal}, before the rename).
 */
class SpoolRecoveryTest {

    private static final String STUDY = "1.2.826.0.1.3680043.10.1";
    private static final String SERIES = "1.2.826.0.1.3680043.10.1.2";

    @TempDir
    Path dir;
    private Spool spool;

    @BeforeEach
    void open() throws IOException {
        spool = new Spool(dir.resolve("spool"), true, 0);
        spool.open();
        assertTrue(spool.recordsSupported(), "these tests need a file system with user extended attributes (ext4, XFS, btrfs)");
    }

    @AfterEach
    void close() {
        spool.close();
    }

    @Test
    void aSealedFileWhoseRenameWasLostIsMovedToItsFinalNameAtStart() throws Exception {
        byte[] content = bytes(300_000, 1);
        Path temp = sealed(content, "1.2.3.4.1");
        spool.close();

        Spool.Recovery r = new Spool(dir.resolve("spool"), true, 0).open();

        assertEquals(new Spool.Recovery(1, 0), r);
        Path target = spool.finalPath(STUDY, SERIES, "1.2.3.4.1");
        assertArrayEquals(content, Files.readAllBytes(target));
        assertFalse(Files.exists(temp));
        assertEquals(List.of(), temporaries());
    }

    @Test
    void aSealedFileCutShortOrDamagedIsPartialAndRemovedWithoutAFinalName() throws Exception {
        byte[] content = bytes(200_000, 2);
        Path shortened = sealed(content, "1.2.3.4.2");
        try (FileChannel ch = FileChannel.open(shortened, StandardOpenOption.WRITE)) {
            ch.truncate(150_000); // the data never reached the disk whole: the record did, the bytes did not
        }
        Path torn = sealed(bytes(200_000, 3), "1.2.3.4.3");
        try (FileChannel ch = FileChannel.open(torn, StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[4096]), 65_536); // a page that never made it: zeros, same size
        }

        Spool.Recovery r = new Spool(dir.resolve("spool"), true, 0).open();

        assertEquals(new Spool.Recovery(0, 2), r);
        assertEquals(List.of(), finals());
        assertEquals(List.of(), temporaries());
    }

    @Test
    void aTemporaryFileWithoutARecordIsAnInterruptedTransferAndRemoved() throws Exception {
        Path temp = spool.newTempFile();
        Files.write(temp, bytes(10_000, 4));

        assertEquals(new Spool.Recovery(0, 1), new Spool(dir.resolve("spool"), true, 0).open());
        assertEquals(List.of(), finals());
        assertEquals(List.of(), temporaries());
    }

    @Test
    void aRecordNamingAPathOutsideTheSpoolIsRemovedNotFollowed() throws Exception {
        byte[] content = bytes(1000, 5);
        Path temp = spool.newTempFile();
        Files.write(temp, content);
        CRC32C crc = new CRC32C();
        crc.update(content);
        new SpoolRecord(content.length, (int) crc.getValue(), "..", "..", "escaped").writeTo(temp);

        assertEquals(new Spool.Recovery(0, 1), new Spool(dir.resolve("spool"), true, 0).open());
        assertFalse(Files.exists(dir.resolve("escaped.dcm")));
        assertFalse(Files.exists(dir.resolve("spool").resolve("escaped.dcm")));
        assertEquals(List.of(), temporaries());
    }

    @Test
    void aRecoveredFileReplacesTheOlderCopyItsLostRenameWouldHaveReplaced() throws Exception {
        byte[] first = bytes(5000, 6);
        Path t1 = sealed(first, "1.2.3.4.6");
        spool.commitRecorded(t1, STUDY, SERIES, "1.2.3.4.6");
        byte[] second = bytes(6000, 7);
        sealed(second, "1.2.3.4.6");

        assertEquals(new Spool.Recovery(1, 0), new Spool(dir.resolve("spool"), true, 0).open());
        assertArrayEquals(second, Files.readAllBytes(spool.finalPath(STUDY, SERIES, "1.2.3.4.6")));
    }

    @Test
    void whenTwoCopiesOfOneInstanceLostTheirRenamesTheLaterOneWins() throws Exception {
        byte[] older = bytes(4000, 8);
        byte[] newer = bytes(4500, 9);
        Path t2 = sealed(newer, "1.2.3.4.8");
        Path t1 = sealed(older, "1.2.3.4.8");
        // written in this order as far as the clock says, whatever order the folder lists them in
        Files.setLastModifiedTime(t1, java.nio.file.attribute.FileTime.fromMillis(1_000_000));
        Files.setLastModifiedTime(t2, java.nio.file.attribute.FileTime.fromMillis(2_000_000));

        assertEquals(new Spool.Recovery(2, 0), new Spool(dir.resolve("spool"), true, 0).open());
        assertArrayEquals(newer, Files.readAllBytes(spool.finalPath(STUDY, SERIES, "1.2.3.4.8")));
    }

    @Test
    void theListenerPathRenamesAtOnceAndSyncsTheFoldersInBatches() throws Exception {
        for (int i = 0; i < 50; i++) {
            Path t = sealed(bytes(1000, 100 + i), "1.2.3.5." + i);
            Path target = spool.commitRecorded(t, STUDY, SERIES, "1.2.3.5." + i);
            assertTrue(Files.exists(target));
        }
        spool.syncFolders();
        long[] counts = spool.folderSyncCounts();
        // one sync per folder per batch, not one per rename: 50 renames into one series folder
        assertTrue(counts[0] >= 2 && counts[0] < 50, "folder syncs " + counts[0] + " in " + counts[1] + " batches");
        assertTrue(counts[0] <= 4 * counts[1], "at most tmp/, series, study and incoming/ per batch: " + counts[0] + " in "
                + counts[1]);
        assertEquals(50, finals().size());
        assertEquals(List.of(), temporaries());
        assertEquals(new Spool.Recovery(0, 0), new Spool(dir.resolve("spool"), true, 0).open());
    }

    @Test
    void recordsSurviveTheirTextFormAndRejectDamage() {
        SpoolRecord r = new SpoolRecord(525_738, 0xCAFEBABE, STUDY, SERIES, "1.2.3");
        assertEquals(r, SpoolRecord.decode(r.encode()));
        assertNull(SpoolRecord.decode("v2 1 2 a/b/c"));
        assertNull(SpoolRecord.decode("v1 x 2 a/b/c"));
        assertNull(SpoolRecord.decode("v1 1 2 a/b"));
        assertNull(SpoolRecord.decode(""));
    }

    /** Writes content to a temporary file and seals it as the listener does; the rename that would follow is "lost". */
    private Path sealed(byte[] content, String sop) throws IOException {
        Path temp = spool.newTempFile();
        CRC32C crc = new CRC32C();
        crc.update(content);
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(content));
            spool.seal(temp, ch, new SpoolRecord(content.length, (int) crc.getValue(), STUDY, SERIES, sop));
        }
        return temp;
    }

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        if (n > 65_536 + 4096) {
            Arrays.fill(b, 65_536, 65_536 + 4096, (byte) 1); // so that a zeroed page changes the checksum
        }
        return b;
    }

    private List<Path> temporaries() throws IOException {
        try (Stream<Path> s = Files.list(dir.resolve("spool").resolve("tmp"))) {
            return s.toList();
        }
    }

    private List<Path> finals() throws IOException {
        try (Stream<Path> s = Files.walk(dir.resolve("spool").resolve("incoming"))) {
            return s.filter(Files::isRegularFile).toList();
        }
    }
}
