package org.radflow.modules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.ApiVersion;
import org.radflow.api.Finding;
import org.radflow.api.JobContext;
import org.radflow.api.ModelIdentity;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleResult;
import org.radflow.api.Trigger;
import org.radflow.config.RadflowConfig;
import org.radflow.host.ProcessModuleHost;
import org.radflow.intake.HeaderCache;
import org.radflow.jobs.Job;
import org.radflow.jobs.JobState;
import org.radflow.pixels.InputHeaders;
import org.radflow.pixels.InputOpener;
import org.radflow.report.ReportService;
import org.radflow.report.ResultStore;
import org.radflow.routing.Priority;
import org.radflow.testdata.CtOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.Synth;

/**
 * Issue 16 in a real worker process (module isolation {@code process}, the default): the job's inputs reach the worker
 * with the headers intake read, so a module that reads every instance's attributes runs while the input files are gone
 * from the spool (the worker opened none), and the report stage after it opens none either. Before protocol version 2
 * the worker re-read every input file to build the module's input.
 */
class WorkerInputOpensIT {

    private static final String TAGS = """
            package org.example.tags;
            import org.radflow.api.*;
            import java.util.*;
            public final class TagsFactory implements AiModuleFactory {
                public ModuleDescriptor descriptor() {
                    return ModuleDescriptor.builder("read-tags", "1.0.0", ApiVersion.MAJOR, ApiVersion.MINOR).trigger(Trigger.SERIES).build();
                }
                public AiModule create(ModuleContext c) {
                    return (in, job) -> {
                        List<String> seen = new ArrayList<>();
                        double rows = 0;
                        for (StudyInput.SeriesInput s : in.series()) {
                            for (StudyInput.InstanceInput i : s.instances()) {
                                rows += i.tags().number("Rows").orElse(0.0);
                                seen.add(i.sopInstanceUid());
                            }
                        }
                        Concept c1 = Concept.sct("363679005", "Imaging procedure");
                        return ModuleResult.completed(List.of(new Finding.Measurement(c1, Concept.sct("118565006", "Volume"),
                                rows, Concept.ucum("1", "no units"), c1, seen)), List.of(),
                                in.studyTags().get("Modality").orElse("?") + " " + seen.size(), Map.of());
                    };
                }
            }
            """;

    @TempDir
    Path dir;

    /** Counts opens per file. */
    private static final class Counting implements InputOpener {
        final Map<Path, AtomicInteger> opens = new ConcurrentHashMap<>();

        @Override
        public InputStream open(Path file) throws IOException {
            opens.computeIfAbsent(file, f -> new AtomicInteger()).incrementAndGet();
            return InputOpener.FILES.open(file);
        }
    }

    @Test
    void aWorkerJobAndItsReportOpenNoInputWhoseHeaderIntakeRead() throws Exception {
        Path modules = dir.resolve("modules");
        TestJars.build(new TestJars.Spec().source("org.example.tags.TagsFactory", TAGS).factory("org.example.tags.TagsFactory"),
                Files.createDirectories(modules.resolve("tags")).resolve("tags.jar"));
        GeneratedSeries ct = Synth.ctSeries(dir.resolve("ct"), CtOptions.defaults().withSeed(16).withCount(10).withSize(64, 64));
        Path spool = Files.createDirectories(dir.resolve("spool"));
        Counting opener = new Counting();
        HeaderCache headers = new HeaderCache(4096, opener);
        List<Path> files = new ArrayList<>();
        for (Path f : ct.files()) {
            Path copy = Files.copy(f, spool.resolve(f.getFileName()));
            headers.put(copy, headers.read(copy)); // what Intake does once per instance
            files.add(copy);
        }
        opener.opens.clear();
        for (Path f : files) {
            Files.delete(f); // any read of an input, by the host or by the worker, now fails the job
        }

        Path data = Files.createDirectories(dir.resolve("data"));
        ProcessModuleHost.WorkerSpec spec = new ProcessModuleHost.WorkerSpec("read-tags", modules,
                Files.createDirectories(dir.resolve("models")), data, Map.of(), 256, 1, 1, 3,
                RadflowConfig.ModuleSettings.DEFAULT_MAX_THREADS, null);
        Instant now = Instant.now();
        Job job = new Job("job-w", "series:" + ct.studyInstanceUid() + "/" + ct.seriesInstanceUid(), Trigger.SERIES,
                ct.studyInstanceUid(), ct.seriesInstanceUid(), null, "read-tags", "1.0.0", "rule", Priority.NORMAL, List.of(),
                files, "hash", 1, null, JobState.RUNNING, 1, null, 0, null, now, now, now, null, null);
        ModuleResult result;
        try (ProcessModuleHost workers = new ProcessModuleHost(environment(spec, headers))) {
            result = workers.run(job, new JobContext() {
                @Override
                public String jobId() {
                    return job.id();
                }

                @Override
                public void progress(double fraction, String message) {
                }

                @Override
                public boolean isCancelled() {
                    return false;
                }
            });
        }
        assertEquals(ModuleResult.Status.COMPLETED, result.status(), String.valueOf(result.reason()));
        assertEquals("CT 10", result.summary());
        assertEquals(10 * 64, ((Finding.Measurement) result.findings().get(0)).value(), 0, "every instance's Rows, as sent");
        assertEquals(Map.of(), opener.opens, "the host took every header from intake's cache");

        // the report stage after it: SR and report page from the same headers, no input opened
        ModuleDescriptor module = ModuleDescriptor.builder("read-tags", "1.0.0", ApiVersion.MAJOR, ApiVersion.MINOR)
                .model(new ModelIdentity("none", "1", "reads tags", true)).build();
        Path results = dir.resolve("results");
        new ReportService(new ResultStore(results), null, null, null, id -> Optional.of(module), headers).completed(job, result);
        try (var written = Files.list(results.resolve("job-w").resolve("dicom"))) {
            assertTrue(written.count() >= 2, "the SR and the report page were written");
        }
        assertEquals(Map.of(), opener.opens, "the report stage took every header from intake's cache");
    }

    private static ProcessModuleHost.Environment environment(ProcessModuleHost.WorkerSpec spec, InputHeaders headers) {
        return new ProcessModuleHost.Environment() {
            @Override
            public Optional<ProcessModuleHost.WorkerSpec> spec(String moduleId) {
                return Optional.of(spec);
            }

            @Override
            public boolean wanted(String moduleId) {
                return true;
            }

            @Override
            public boolean keepWarm(String moduleId) {
                return false;
            }

            @Override
            public RadflowConfig.Workers settings() {
                return RadflowConfig.Workers.DEFAULTS;
            }

            @Override
            public void crashLimit(String moduleId, String reason) {
            }

            @Override
            public InputHeaders headers() {
                return headers;
            }
        };
    }

}
