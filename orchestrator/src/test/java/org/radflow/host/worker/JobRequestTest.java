package org.radflow.host.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.LongStringAttribute;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.TransferSyntax;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.ImagePlane;
import org.radflow.api.StudyInput;
import org.radflow.intake.HeaderCache;
import org.radflow.pixels.GeometryTolerance;
import org.radflow.pixels.InputHeader;
import org.radflow.pixels.InputHeaders;
import org.radflow.pixels.InputOpener;
import org.radflow.pixels.SpoolStudyInput;
import org.radflow.testdata.CtOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Patient;
import org.radflow.testdata.Synth;

/**
 * Protocol version 2's JOB payload (issue 16): the worker builds the module's input from what the host sent, opening an
 * input file only for its pixel data, and the host takes every header from intake's cache; each input file is opened
 * at most once per job, counted through the {@link InputOpener}s of both sides.
 */
class JobRequestTest {

    @TempDir
    Path dir;

    /** Counts opens per file. */
    private static final class Counting implements InputOpener {
        final Map<Path, AtomicInteger> opens = new ConcurrentHashMap<>();

        @Override
        public java.io.InputStream open(Path file) throws IOException {
            opens.computeIfAbsent(file, f -> new AtomicInteger()).incrementAndGet();
            return InputOpener.FILES.open(file);
        }

        int total() {
            return opens.values().stream().mapToInt(AtomicInteger::get).sum();
        }

        int max() {
            return opens.values().stream().mapToInt(AtomicInteger::get).max().orElse(0);
        }
    }

    /** As intake does: each header read once and kept. */
    private static HeaderCache intake(List<Path> files, Counting opener) throws IOException {
        HeaderCache cache = new HeaderCache(4096, opener);
        for (Path f : files) {
            cache.put(f, cache.read(f));
        }
        return cache;
    }

    @Test
    void theWorkerBuildsTheInputWithoutOpeningAFileAndReadsEachOnceForItsPixels() throws Exception {
        GeneratedSeries ct = Synth.ctSeries(dir.resolve("ct"), CtOptions.defaults().withCount(12).withSize(32, 32));
        List<Path> files = ct.files();
        Counting hostOpens = new Counting();
        HeaderCache cache = intake(files, hostOpens);
        assertEquals(files.size(), hostOpens.total());

        byte[] payload = JobRequest.encode("job-1", ct.studyInstanceUid(), files, cache);
        assertEquals(files.size(), hostOpens.total(), "the host takes every header from intake's cache");

        Counting workerOpens = new Counting();
        JobRequest.Decoded request = JobRequest.decode(payload, workerOpens);
        assertEquals("job-1", request.jobId());
        assertEquals(ct.studyInstanceUid(), request.studyUid());
        SpoolStudyInput in = SpoolStudyInput.fromSummaries(request.studyUid(), request.inputs(), GeometryTolerance.DEFAULT, workerOpens);
        // what a no-op module reads (sample-slow: the SOP Instance UIDs), and the attributes of every instance
        assertEquals(ct.sopInstanceUids(), in.series().get(0).instances().stream().map(StudyInput.InstanceInput::sopInstanceUid).toList());
        for (StudyInput.InstanceInput i : in.series().get(0).instances()) {
            assertEquals("CT", i.tags().get("Modality").orElseThrow());
            assertEquals(32, i.tags().number("Rows").orElseThrow(), 0);
        }
        assertEquals(0, workerOpens.total(), "no input file opened for the input or its attributes: " + workerOpens.opens);

        // pixels: each file opened once, and the planes are those read from the files directly
        SpoolStudyInput direct = SpoolStudyInput.of(ct.studyInstanceUid(), files);
        List<StudyInput.InstanceInput> mine = in.series().get(0).instances();
        List<StudyInput.InstanceInput> theirs = direct.series().get(0).instances();
        for (int k = 0; k < mine.size(); k++) {
            ImagePlane a = mine.get(k).plane();
            ImagePlane b = theirs.get(k).plane();
            assertEquals(b.rows(), a.rows());
            assertArrayEquals(b.pixels(), a.pixels());
        }
        assertEquals(files.size(), workerOpens.total());
        assertEquals(1, workerOpens.max(), "each file opened at most once: " + workerOpens.opens);
        // a volume from the same instances, its geometry from the headers that were sent
        assertArrayEquals(direct.series().get(0).volume().voxels(), in.series().get(0).volume().voxels());
    }

    @Test
    void theHeadersIntakeEncodedAreSentAsTheyAreAndDecodeToTheSameAttributes() throws Exception {
        GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withDimensions(16, 16, 3));
        HeaderCache cache = intake(mr.files(), new Counting());
        for (Path f : mr.files()) {
            byte[] atIntake = cache.encoded(f);
            assertNotNull(atIntake, "intake encodes each header it keeps");
            assertArrayEquals(JobRequest.encodeHeader(cache.header(f).attributes(), new java.io.ByteArrayOutputStream()), atIntake);
        }
        // the frame carries intake's bytes, not a new encoding: an encoding that says something else is what arrives
        Path first = mr.files().get(0);
        AttributeList marked = (AttributeList) cache.header(first).attributes().clone();
        Attribute desc = new LongStringAttribute(TagFromName.SeriesDescription);
        desc.addValue("ENCODED AT INTAKE");
        marked.put(desc);
        byte[] markedBytes = JobRequest.encodeHeader(marked, new java.io.ByteArrayOutputStream());
        InputHeaders withMark = new InputHeaders() {
            @Override
            public InputHeader header(Path file) throws IOException {
                return cache.header(file);
            }

            @Override
            public byte[] encoded(Path file) {
                return file.equals(first) ? markedBytes : cache.encoded(file);
            }
        };
        List<org.radflow.pixels.InputSummary> sent = JobRequest.decode(
                JobRequest.encode("j", mr.studyInstanceUid(), mr.files(), withMark), InputOpener.FILES).inputs();
        assertEquals("ENCODED AT INTAKE", Attribute.getSingleStringValueOrEmptyString(sent.get(0).header().load(), TagFromName.SeriesDescription));
        assertEquals(Attribute.getSingleStringValueOrEmptyString(cache.header(mr.files().get(1)).attributes(), TagFromName.SOPInstanceUID),
                Attribute.getSingleStringValueOrEmptyString(sent.get(1).header().load(), TagFromName.SOPInstanceUID));
        // a header read later (not by intake) has no encoding ahead and is encoded by the request itself
        HeaderCache cold = new HeaderCache(16, InputOpener.FILES);
        cold.header(first);
        assertEquals(null, cold.encoded(first));
        assertEquals(cache.header(first).attributes().keySet(),
                JobRequest.decode(JobRequest.encode("j", mr.studyInstanceUid(), List.of(first), cold), InputOpener.FILES)
                        .inputs().get(0).header().load().keySet());
    }

    @Test
    void aHeaderMissingFromTheCacheIsReadOnceForTheWholeJob() throws Exception {
        GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withDimensions(16, 16, 6));
        Counting opens = new Counting();
        HeaderCache cache = new HeaderCache(2, opens); // most headers left it (or the server restarted)
        byte[] payload = JobRequest.encode("j", mr.studyInstanceUid(), mr.files(), cache);
        assertEquals(mr.files().size(), opens.total());
        // the report stage after the module takes them from the cache too (those it still holds), never twice per file
        for (Path f : mr.files().subList(4, 6)) {
            cache.header(f);
        }
        assertEquals(1, opens.max(), "each file read once by the host: " + opens.opens);
        Counting worker = new Counting();
        SpoolStudyInput in = SpoolStudyInput.fromSummaries(mr.studyInstanceUid(), JobRequest.decode(payload, worker).inputs(),
                GeometryTolerance.DEFAULT, worker);
        assertEquals("MR", in.studyTags().get("Modality").orElseThrow());
        assertEquals(0, worker.total());
    }

    @Test
    void headersSurviveTheTripAttributeForAttribute() throws Exception {
        GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withDimensions(16, 16, 2)
                .withPatient(Patient.of("Müller^Jörg", "ÄÖ-123")));
        // one file in Implicit VR Little Endian with a private attribute and a sequence, as modalities send them
        Path implicit = dir.resolve("implicit.dcm");
        AttributeList full = new AttributeList();
        full.read(mr.files().get(1).toString());
        AttributeTag creator = new AttributeTag(0x0029, 0x0010);
        Attribute c = new LongStringAttribute(creator);
        c.addValue("RADFLOW TEST");
        full.put(c);
        Attribute priv = new LongStringAttribute(new AttributeTag(0x0029, 0x1001));
        priv.addValue("private value");
        full.put(priv);
        SequenceAttribute seq = new SequenceAttribute(TagFromName.ReferencedImageSequence);
        AttributeList item = new AttributeList();
        Attribute ref = new com.pixelmed.dicom.UniqueIdentifierAttribute(TagFromName.ReferencedSOPInstanceUID);
        ref.addValue(mr.sopInstanceUids().get(0));
        item.put(ref);
        seq.addItem(item);
        full.put(seq);
        full.removeGroupLengthAttributes();
        full.removeMetaInformationHeaderAttributes();
        FileMetaInformation.addFileMetaInformation(full, TransferSyntax.ImplicitVRLittleEndian, "RADFLOW");
        full.write(implicit.toString(), TransferSyntax.ImplicitVRLittleEndian, true, true);
        List<Path> files = List.of(mr.files().get(0), implicit);

        Counting opens = new Counting();
        byte[] payload = JobRequest.encode("j", mr.studyInstanceUid(), files, intake(files, opens));
        List<org.radflow.pixels.InputSummary> sent = JobRequest.decode(payload, InputOpener.FILES).inputs();
        for (int k = 0; k < files.size(); k++) {
            AttributeList expected = InputHeader.read(files.get(k), InputOpener.FILES).attributes();
            AttributeList got = sent.get(k).header().load();
            assertEquals(expected.keySet(), got.keySet(), files.get(k).toString());
            for (AttributeTag t : expected.keySet()) {
                assertEquals(text(expected.get(t)), text(got.get(t)), t + " of " + files.get(k));
            }
        }
        AttributeList h = sent.get(1).header().load();
        assertEquals("Müller^Jörg", Attribute.getSingleStringValueOrEmptyString(h, TagFromName.PatientName));
        assertEquals(TransferSyntax.ImplicitVRLittleEndian, Attribute.getSingleStringValueOrEmptyString(h, TagFromName.TransferSyntaxUID));
        assertEquals("private value", Attribute.getSingleStringValueOrEmptyString(h, new AttributeTag(0x0029, 0x1001)));
        // and the implicit file's pixels decode through the header that was sent
        SpoolStudyInput in = SpoolStudyInput.fromSummaries(mr.studyInstanceUid(), sent, GeometryTolerance.DEFAULT, InputOpener.FILES);
        assertEquals(16, in.series().get(0).instances().get(1).plane().columns());
    }

    /** An attribute as text, without where a sequence item started in its stream. */
    private static String text(Attribute a) {
        return a.toString().replaceAll("\\[starts at 0x[0-9a-fA-F]+\\]", "");
    }

    @Test
    void aHeaderNotSentIsReadFromItsFileWhenTheModuleAsks() throws Exception {
        GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withDimensions(16, 16, 3));
        byte[] payload = JobRequest.encode("j", mr.studyInstanceUid(), mr.files(), InputHeaders.FILES, 0); // no budget left
        Counting worker = new Counting();
        SpoolStudyInput in = SpoolStudyInput.fromSummaries(mr.studyInstanceUid(), JobRequest.decode(payload, worker).inputs(),
                GeometryTolerance.DEFAULT, worker);
        assertEquals(mr.sopInstanceUids(), in.series().get(0).instances().stream().map(StudyInput.InstanceInput::sopInstanceUid).toList());
        assertEquals(0, worker.total(), "placed by the summaries alone");
        assertEquals("MR", in.series().get(0).instances().get(2).tags().get("Modality").orElseThrow());
        assertEquals(1, worker.total());
    }

    @Test
    void anInputThatCannotBeReadOrBelongsElsewhereIsRefusedWithItsFileNamed() throws Exception {
        GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withDimensions(16, 16, 2));
        Path junk = Files.writeString(dir.resolve("junk.dcm"), "not DICOM");
        List<Path> files = new ArrayList<>(mr.files());
        files.add(junk);
        byte[] withJunk = JobRequest.encode("j", mr.studyInstanceUid(), files, InputHeaders.FILES);
        IOException e = assertThrows(IOException.class, () -> SpoolStudyInput.fromSummaries(mr.studyInstanceUid(),
                JobRequest.decode(withJunk, InputOpener.FILES).inputs(), GeometryTolerance.DEFAULT, InputOpener.FILES));
        assertTrue(e.getMessage().contains(junk + " is not a DICOM composite instance"), e.getMessage());
        Path missing = dir.resolve("gone.dcm");
        IOException gone = assertThrows(IOException.class, () -> JobRequest.encode("j", mr.studyInstanceUid(), List.of(missing),
                InputHeaders.FILES));
        assertTrue(gone.getMessage().contains(missing.toString()), gone.getMessage());
        byte[] payload = JobRequest.encode("j", "2.25.999", mr.files(), InputHeaders.FILES);
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class, () -> SpoolStudyInput.fromSummaries("2.25.999",
                JobRequest.decode(payload, InputOpener.FILES).inputs(), GeometryTolerance.DEFAULT, InputOpener.FILES));
        assertTrue(other.getMessage().contains("belongs to study " + mr.studyInstanceUid()), other.getMessage());
    }

    @Test
    void aWorkerOfAnotherVersionSaysBothAndThatTheInstallationIsMixed() {
        String why = WorkerMain.versionMismatch("1");
        assertTrue(why.contains("version 1") && why.contains("version " + Frames.VERSION) && why.contains("same build"), why);
        assertFalse(String.valueOf(Frames.VERSION).equals("1"), "protocol version 2 carries the headers");
        assertNotNull(why);
    }
}
