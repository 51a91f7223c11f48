package org.radflow.listener;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.TagFromName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.dicom.Part10;
import org.radflow.testdata.CtOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.Synth;
import org.radflow.testkit.Dcmtk;
import org.radflow.testkit.ToolResult;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The listener against DCMTK's echoscu and storescu, the way modalities talk to it. */
class ListenerDcmtkIT {

    @TempDir
    Path dir;

    @Test
    void echoSucceedsAndWrongCalledAeOrCallingAeIsRejectedAtAssociation() throws Exception {
        try (RunningListener l = new RunningListener(dir, s -> s.withAllowedCallingAeTitles(Set.of("MODALITY1")))) {
            Dcmtk.echoscu("127.0.0.1", l.port(), l.aeTitle(), "MODALITY1", Dcmtk.DEFAULT_TIMEOUT).assertOk();

            ToolResult wrongCalled = Dcmtk.echoscu("127.0.0.1", l.port(), "NOT_RADFLOW", "MODALITY1", Dcmtk.DEFAULT_TIMEOUT);
            assertFalse(wrongCalled.ok(), wrongCalled.describe());
            assertTrue(wrongCalled.output().contains("Called AE Title Not Recognized"), wrongCalled.output());

            ToolResult stranger = Dcmtk.echoscu("127.0.0.1", l.port(), l.aeTitle(), "STRANGER", Dcmtk.DEFAULT_TIMEOUT);
            assertFalse(stranger.ok(), stranger.describe());
            assertTrue(stranger.output().contains("Calling AE Title Not Recognized"), stranger.output());
        }
    }

    @Test
    void twoHundredInstancesOverOneAssociationAreStoredIdenticallyWithOneEventEach() throws Exception {
        GeneratedSeries series = Synth.ctSeries(dir.resolve("in"), CtOptions.defaults().withCount(200).withSize(128, 128));
        try (RunningListener l = new RunningListener(dir, s -> s)) {
            Dcmtk.storescu().host("127.0.0.1").port(l.port()).calledAe(l.aeTitle()).callingAe("CT01")
                    .files(series.files()).run().assertOk();
            l.awaitEvents(200, 10_000);

            List<Path> spooled = l.spooled();
            assertEquals(200, spooled.size());
            assertEquals(200, l.events.size());
            assertEquals(new HashSet<>(series.sopInstanceUids()),
                    l.events.stream().map(InstanceStored::sopInstanceUid).collect(Collectors.toSet()));
            for (int i = 0; i < series.files().size(); i++) {
                Path sent = series.files().get(i);
                Path stored = l.spool.resolve("incoming").resolve(series.studyInstanceUid()).resolve(series.seriesInstanceUid())
                        .resolve(series.sopInstanceUids().get(i) + ".dcm");
                assertTrue(Files.exists(stored), stored.toString());
                // storescu proposes explicit VR little endian first, the generator's encoding: the data set bytes must match exactly
                assertArrayEquals(dataSet(sent), dataSet(stored), "data set of " + stored.getFileName());
            }
            InstanceStored e = l.events.get(0);
            assertEquals("CT", e.modality());
            assertEquals("CT01", e.callingAeTitle());
            assertEquals(series.studyInstanceUid(), e.studyInstanceUid());
            assertEquals(Files.size(e.path()), e.size());
            assertTrue(l.temporaries().isEmpty());
            l.awaitAssociations(1, 5000);
            assertEquals(1, l.associations.size());
            assertEquals(200, l.associations.get(0).stored());
        }
    }

    @Test
    void implicitAndBigEndianEncodingsAreStoredAsReceivedWithTheSameContent() throws Exception {
        GeneratedSeries series = Synth.ctSeries(dir.resolve("in"), CtOptions.defaults().withCount(2).withSize(64, 64));
        // explicit little endian not offered, so storescu must send implicit and big endian as asked
        try (RunningListener l = new RunningListener(dir, s -> new ListenerSettings(s.aeTitle(), s.bindAddress(), s.port(),
                s.maxAssociations(), s.allowedCallingAeTitles(), s.checkCalledAeTitle(), s.maxPduLength(), s.idleTimeout(),
                List.of("1.2.840.10008.1.2", "1.2.840.10008.1.2.2"), s.spoolDir(), s.fsync(), s.minFreeSpaceBytes()))) {
            Dcmtk.storescu().host("127.0.0.1").port(l.port()).calledAe(l.aeTitle())
                    .propose(Dcmtk.ProposedTransferSyntax.IMPLICIT_LITTLE_ENDIAN).file(series.files().get(0)).run().assertOk();
            Dcmtk.storescu().host("127.0.0.1").port(l.port()).calledAe(l.aeTitle())
                    .propose(Dcmtk.ProposedTransferSyntax.EXPLICIT_BIG_ENDIAN).file(series.files().get(1)).run().assertOk();
            l.awaitEvents(2, 5_000);
            assertEquals(Set.of("1.2.840.10008.1.2", "1.2.840.10008.1.2.2"),
                    l.events.stream().map(InstanceStored::transferSyntaxUid).collect(Collectors.toSet()));
            for (InstanceStored e : l.events) {
                int i = series.sopInstanceUids().indexOf(e.sopInstanceUid());
                assertEquals(Part10.readMeta(e.path()).transferSyntaxUid(), e.transferSyntaxUid());
                AttributeList sent = read(series.files().get(i));
                AttributeList stored = read(e.path());
                assertArrayEquals(sent.get(TagFromName.PixelData).getShortValues(), stored.get(TagFromName.PixelData).getShortValues());
                assertEquals(Attribute.getSingleStringValueOrNull(sent, TagFromName.PatientName),
                        Attribute.getSingleStringValueOrNull(stored, TagFromName.PatientName));
            }
        }
    }

    @Test
    void invalidUidsAreRefusedWithAFailureStatusAndNeverBecomePaths() throws Exception {
        GeneratedSeries series = Synth.ctSeries(dir.resolve("in"), CtOptions.defaults().withCount(2).withSize(32, 32));
        Path badStudy = rewrite(series.files().get(0), dir.resolve("bad-study.dcm"), TagFromName.StudyInstanceUID, "1.2.3.04.x");
        Path traversal = rewrite(series.files().get(1), dir.resolve("bad-series.dcm"), TagFromName.SeriesInstanceUID, "../../../tmp");
        try (RunningListener l = new RunningListener(dir, s -> s)) {
            for (Path bad : List.of(badStudy, traversal)) {
                ToolResult r = Dcmtk.storescu().host("127.0.0.1").port(l.port()).calledAe(l.aeTitle()).verbose().file(bad).run();
                assertFalse(r.ok());
                assertTrue(r.output().contains("Error: CannotUnderstand") || r.output().contains("0xc000"), r.describe());
            }
            assertTrue(l.spooled().isEmpty(), "nothing may be stored: " + l.spooled());
            assertTrue(l.temporaries().isEmpty());
            assertTrue(l.events.isEmpty());
            l.awaitAssociations(2, 5000);
            assertEquals(2, l.associations.stream().mapToInt(AssociationSummary::refused).sum());
        }
    }

    @Test
    void lowDiskSpaceAnswersOutOfResources() throws Exception {
        GeneratedSeries series = Synth.ctSeries(dir.resolve("in"), CtOptions.defaults().withCount(1).withSize(32, 32));
        try (RunningListener l = new RunningListener(dir, s -> s.withMinFreeSpaceBytes(Long.MAX_VALUE))) {
            ToolResult r = Dcmtk.storescu().host("127.0.0.1").port(l.port()).calledAe(l.aeTitle()).verbose()
                    .files(series.files()).run();
            assertFalse(r.ok());
            assertTrue(r.output().contains("Refused: OutOfResources"), r.describe());
            assertTrue(l.spooled().isEmpty());
        }
    }

    @Test
    void aClosedIntakeGateAnswersOutOfResourcesWithItsReasonAndAnOpenOneStoresAgain() throws Exception {
        GeneratedSeries series = Synth.ctSeries(dir.resolve("in"), CtOptions.defaults().withCount(2).withSize(32, 32));
        java.util.concurrent.atomic.AtomicReference<String> refusal =
                new java.util.concurrent.atomic.AtomicReference<>("RadFlow is behind (test); retry later");
        try (RunningListener l = new RunningListener(dir, s -> s, refusal::get)) {
            // -d: storescu prints the whole C-STORE-RSP, so the error comment the peer receives is visible
            ToolResult r = Dcmtk.storescu().host("127.0.0.1").port(l.port()).calledAe(l.aeTitle()).option("-d")
                    .file(series.files().get(0)).run();
            assertFalse(r.ok(), r.describe());
            assertTrue(r.output().contains("0xa700"), r.describe());
            assertTrue(r.output().contains("RadFlow is behind (test); retry later"), "the reason travels as the error comment: "
                    + r.describe());
            assertTrue(l.spooled().isEmpty());
            assertTrue(l.temporaries().isEmpty(), "a refused instance leaves no temporary file");
            assertTrue(l.events.isEmpty());

            refusal.set(null);
            Dcmtk.storescu().host("127.0.0.1").port(l.port()).calledAe(l.aeTitle()).files(series.files()).run().assertOk();
            l.awaitEvents(2, 5_000);
            assertEquals(2, l.spooled().size());
        }
    }

    @Test
    void storescuKilledMidTransferLeavesOnlyCompleteFilesUnderFinalNames() throws Exception {
        GeneratedSeries series = Synth.ctSeries(dir.resolve("in"), CtOptions.defaults().withCount(300));
        try (RunningListener l = new RunningListener(dir, s -> s)) {
            Process p = Dcmtk.storescu().host("127.0.0.1").port(l.port()).calledAe(l.aeTitle()).files(series.files()).start();
            long deadline = System.currentTimeMillis() + 30_000;
            while (l.events.size() < 20 && System.currentTimeMillis() < deadline) {
                Thread.sleep(5);
            }
            p.destroyForcibly().waitFor();
            Thread.sleep(500);
            List<Path> spooled = l.spooled();
            assertTrue(spooled.size() >= 20 && spooled.size() < 300, "killed mid-way, got " + spooled.size());
            for (Path f : spooled) {
                int i = series.sopInstanceUids().indexOf(f.getFileName().toString().replace(".dcm", ""));
                assertArrayEquals(dataSet(series.files().get(i)), dataSet(f), "complete copy of " + f.getFileName());
            }
            assertTrue(l.temporaries().isEmpty(), "the interrupted instance's temporary file is removed");
        }
    }

    @Test
    void theSameInstanceSentTwiceReplacesTheFirstCopy() throws Exception {
        GeneratedSeries series = Synth.ctSeries(dir.resolve("in"), CtOptions.defaults().withCount(1).withSize(32, 32));
        Path changed = rewrite(series.files().get(0), dir.resolve("v2.dcm"), TagFromName.SeriesDescription, "SECOND VERSION");
        try (RunningListener l = new RunningListener(dir, s -> s)) {
            Dcmtk.storescu().host("127.0.0.1").port(l.port()).calledAe(l.aeTitle()).files(series.files()).run().assertOk();
            Dcmtk.storescu().host("127.0.0.1").port(l.port()).calledAe(l.aeTitle()).file(changed).run().assertOk();
            List<Path> spooled = l.spooled();
            assertEquals(1, spooled.size());
            assertEquals("SECOND VERSION", Attribute.getSingleStringValueOrNull(read(spooled.get(0)), TagFromName.SeriesDescription));
        }
    }

    static byte[] dataSet(Path file) throws Exception {
        long offset = Part10.readMeta(file).dataSetOffset();
        try (InputStream in = Files.newInputStream(file)) {
            in.skipNBytes(offset);
            return in.readAllBytes();
        }
    }

    static AttributeList read(Path file) throws Exception {
        AttributeList list = new AttributeList();
        list.read(file.toString());
        return list;
    }

    static Path rewrite(Path in, Path out, com.pixelmed.dicom.AttributeTag tag, String value) throws Exception {
        AttributeList list = read(in);
        Attribute a = list.get(tag);
        a.removeValues();
        a.addValue(value);
        list.write(out.toString(), com.pixelmed.dicom.TransferSyntax.ExplicitVRLittleEndian, true, true);
        return out;
    }

    static String hex(byte[] b) {
        return Arrays.toString(b);
    }
}
