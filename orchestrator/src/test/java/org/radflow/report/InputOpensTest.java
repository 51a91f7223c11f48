package org.radflow.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.ApiVersion;
import org.radflow.api.Concept;
import org.radflow.api.Finding;
import org.radflow.api.ImagePlane;
import org.radflow.api.ModelIdentity;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleResult;
import org.radflow.api.StudyInput;
import org.radflow.api.Trigger;
import org.radflow.dicom.OutputUids;
import org.radflow.intake.HeaderCache;
import org.radflow.jobs.Job;
import org.radflow.jobs.JobState;
import org.radflow.pixels.GeometryTolerance;
import org.radflow.pixels.InputOpener;
import org.radflow.pixels.SpoolStudyInput;
import org.radflow.routing.Priority;
import org.radflow.testdata.CtOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.Synth;

/**
 * Issue 16: along one job (the module's input, a no-op module, the report stage: result, SR, report page) each input
 * file is opened at most once, and the report stage reads no pixel data. Every open goes through a counting
 * {@link InputOpener}; the bytes each open actually read are counted below the buffering.
 */
class InputOpensTest {

    private static final int SLICES = 12;

    @TempDir
    static Path shared;

    static GeneratedSeries ct;

    @BeforeAll
    static void generate() throws IOException {
        ct = Synth.ctSeries(shared.resolve("ct"), CtOptions.defaults().withSeed(16).withCount(SLICES));
    }

    /** Counts opens and bytes read per file; the stream it returns is buffered as the production one is. */
    static final class CountingOpener implements InputOpener {
        final Map<Path, AtomicLong> opens = new ConcurrentHashMap<>();
        final Map<Path, AtomicLong> bytes = new ConcurrentHashMap<>();

        @Override
        public InputStream open(Path file) throws IOException {
            Path key = file.toAbsolutePath().normalize();
            opens.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
            AtomicLong read = bytes.computeIfAbsent(key, k -> new AtomicLong());
            InputStream raw = new FilterInputStream(Files.newInputStream(file)) {
                @Override
                public int read() throws IOException {
                    int b = super.read();
                    if (b >= 0) {
                        read.incrementAndGet();
                    }
                    return b;
                }

                @Override
                public int read(byte[] buf, int off, int len) throws IOException {
                    int n = super.read(buf, off, len);
                    if (n > 0) {
                        read.addAndGet(n);
                    }
                    return n;
                }

                @Override
                public long skip(long n) throws IOException {
                    long s = super.skip(n);
                    read.addAndGet(s); // skipped bytes count as read: a skip over pixel data would be wasted I/O too
                    return s;
                }
            };
            return new java.io.BufferedInputStream(raw, 16 * 1024);
        }

        Map<Path, Long> opens() {
            return opens.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().get()));
        }

        void reset() {
            opens.clear();
            bytes.clear();
        }
    }

    @Test
    void aJobOpensEachInputOnceWhenNothingWasReadBefore(@TempDir Path results) throws Exception {
        CountingOpener opener = new CountingOpener();
        HeaderCache headers = new HeaderCache(4096, opener); // as after a restart: intake read nothing yet
        runNoOpJob(headers, opener, results, ct.files());
        assertEquals(SLICES, opener.opens().size(), "every input was read: " + opener.opens());
        opener.opens().forEach((file, n) -> assertEquals(1L, n, file + " was opened " + n + " times in one job"));
        assertNoPixelDataRead(opener);
    }

    @Test
    void aJobOpensNoInputWhoseHeaderIntakeRead(@TempDir Path results, @TempDir Path spool) throws Exception {
        CountingOpener opener = new CountingOpener();
        HeaderCache headers = new HeaderCache(4096, opener);
        List<Path> files = new java.util.ArrayList<>();
        for (Path f : ct.files()) {
            Path copy = Files.copy(f, spool.resolve(f.getFileName()));
            headers.put(copy, headers.read(copy)); // what Intake does once per instance
            files.add(copy);
        }
        opener.reset();
        for (Path f : files) {
            Files.delete(f); // a read that bypassed the cache (and the counting opener) fails the job
        }
        runNoOpJob(headers, opener, results, files);
        assertEquals(Map.of(), opener.opens(), "the job took every header from intake's cache");
    }

    @Test
    void pixelDataIsReadOnlyForThePlaneAModuleAsksFor(@TempDir Path results) throws Exception {
        CountingOpener opener = new CountingOpener();
        HeaderCache headers = new HeaderCache(4096, opener);
        for (Path f : ct.files()) {
            headers.put(f, headers.read(f));
        }
        opener.reset();
        SpoolStudyInput input = SpoolStudyInput.of(ct.studyInstanceUid(), ct.files(), GeometryTolerance.DEFAULT, headers, opener);
        StudyInput.InstanceInput middle = input.series().get(0).instances().get(SLICES / 2);
        ImagePlane plane = middle.plane(0, StudyInput.PlaneOptions.DEFAULT);
        assertEquals(512, plane.columns());
        assertEquals(1, opener.opens().size(), "only the asked instance was opened: " + opener.opens());
        assertEquals(1L, opener.opens().values().iterator().next());
    }

    /** The job as the server runs it in-process: the module's input, a module that looks at nothing, the report stage. */
    private static void runNoOpJob(HeaderCache headers, CountingOpener opener, Path results, List<Path> files) throws Exception {
        SpoolStudyInput input = SpoolStudyInput.of(ct.studyInstanceUid(), files, GeometryTolerance.DEFAULT, headers, opener);
        List<String> evidence = input.series().get(0).instances().stream().map(StudyInput.InstanceInput::sopInstanceUid).toList();
        assertEquals(SLICES, evidence.size());
        Concept wait = Concept.sct("363679005", "Imaging procedure");
        ModuleResult result = ModuleResult.completed(List.of(new Finding.Measurement(wait, Concept.sct("118565006", "Volume"),
                1.0, Concept.ucum("mm3", "cubic millimeter"), wait, evidence)), List.of(), "No-op.", Map.of());
        Instant at = Instant.now();
        Job job = new Job("job-opens", "series:" + ct.studyInstanceUid() + "/" + ct.seriesInstanceUid(), Trigger.SERIES,
                ct.studyInstanceUid(), ct.seriesInstanceUid(), null, "noop", "1.0.0", "large", Priority.NORMAL, List.of(),
                files, OutputUids.inputHash(evidence), 1, null, JobState.RUNNING, 1, null, 0.9, "reporting", at, at, at,
                null, null);
        ModuleDescriptor module = ModuleDescriptor.builder("noop", "1.0.0", ApiVersion.MAJOR, ApiVersion.MINOR)
                .displayName("No-op").model(new ModelIdentity("none", "1", "does nothing", true)).build();
        ReportService service = new ReportService(new ResultStore(results), null, null, null, id -> Optional.of(module), headers);
        service.completed(job, result);
        try (var written = Files.list(results.resolve("job-opens").resolve("dicom"))) {
            assertTrue(written.count() >= 2, "the SR and the report page were written");
        }
    }

    /** Each file is ~525 KB of which 512 KB are pixels: reading headers only stays within the first buffer or two. */
    private static void assertNoPixelDataRead(CountingOpener opener) throws IOException {
        for (Map.Entry<Path, AtomicLong> e : opener.bytes.entrySet()) {
            long size = Files.size(e.getKey());
            assertTrue(size > 512 * 1024, "a CT slice with its pixel data: " + size);
            assertTrue(e.getValue().get() <= 32 * 1024, e.getKey() + ": " + e.getValue().get() + " of " + size
                    + " bytes read for a job that draws none of its pixels");
        }
    }
}
