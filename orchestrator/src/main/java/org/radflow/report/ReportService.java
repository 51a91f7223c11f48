package org.radflow.report;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.TagFromName;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleResult;
import org.radflow.dicom.OutputUids;
import org.radflow.dicom.Part10;
import org.radflow.dispatch.Outbox;
import org.radflow.jobs.Job;
import org.radflow.jobs.JobJournal;
import org.radflow.pixels.InputHeaders;
import org.radflow.report.ResultSink;
import org.radflow.report.ResultStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * What happens to a completed result before its job is marked SUCCEEDED: the result is stored, the
 * report objects (SR, report page, SEG) are written next to it, and each object is journaled in the
 * outbox for every destination of the job's rule. A crash anywhere before the job is marked
 * succeeded re-runs the job, which writes the same objects under the same UIDs.
 */
public final class ReportService implements ResultSink {

    private static final Logger LOG = LoggerFactory.getLogger(ReportService.class);

    private final ResultStore store;
    private final List<ReportObjectWriter> writers;
    private final Outbox outbox;
    private final JobJournal journal;
    private final Function<String, Optional<ModuleDescriptor>> modules;
    private final InputHeaders inputHeaders;
    /** Series of the superseded SRs this service has seen, for the SR's Predecessor Documents Sequence. */
    private final Map<String, String> supersededSrSeries = new java.util.concurrent.ConcurrentHashMap<>();

    /** The report objects every completed job gets: the SR, the report page and (when there are masks) the SEG. */
    public static List<ReportObjectWriter> standardWriters(ReportService service) {
        return List.of(new SrWriter(service.supersededSrSeries::get), new PageWriter(), new SegWriter());
    }

    /** With the standard writers. */
    public ReportService(ResultStore store, Outbox outbox, JobJournal journal, Function<String, Optional<ModuleDescriptor>> modules) {
        this(store, null, outbox, journal, modules);
    }

    /** With the given writers (null: the standard ones). */
    public ReportService(ResultStore store, List<ReportObjectWriter> writers, Outbox outbox, JobJournal journal,
                         Function<String, Optional<ModuleDescriptor>> modules) {
        this(store, writers, outbox, journal, modules, InputHeaders.FILES);
    }

    /**
     * @param inputHeaders where the inputs' headers come from: the server passes intake's cache, so writing the reports
     *                     opens no input file whose header intake read (the module's input took them from there too)
     */
    public ReportService(ResultStore store, List<ReportObjectWriter> writers, Outbox outbox, JobJournal journal,
                         Function<String, Optional<ModuleDescriptor>> modules, InputHeaders inputHeaders) {
        this.inputHeaders = java.util.Objects.requireNonNull(inputHeaders, "inputHeaders");
        this.store = store;
        this.writers = writers == null ? standardWriters(this) : List.copyOf(writers);
        this.outbox = outbox;
        this.journal = journal;
        this.modules = modules;
    }

    @Override
    public void completed(Job job, ModuleResult result) throws Exception {
        store.completed(job, result);
        ModuleDescriptor module = ranBy(job, modules.apply(job.moduleId())
                .orElseThrow(() -> new IllegalStateException("module " + job.moduleId() + " is no longer loaded")));
        Map<String, AttributeList> sources = new LinkedHashMap<>();
        for (Path f : job.inputFiles()) {
            AttributeList l = inputHeaders.header(f).attributes(); // up to Pixel Data: the reports draw no input pixels
            sources.put(com.pixelmed.dicom.Attribute.getSingleStringValueOrEmptyString(l, TagFromName.SOPInstanceUID), l);
        }
        if (sources.isEmpty()) {
            return;
        }
        ReportInput in = new ReportInput(job, module, result, sources, sources.values().iterator().next(), Instant.now(),
                supersededSr(job));
        Path dir = store.directory(job.id()).resolve("dicom");
        Path tmp = store.directory(job.id()).resolve("dicom.tmp");
        deleteTree(tmp);
        Files.createDirectories(tmp);
        List<Path> written = new ArrayList<>();
        for (ReportObjectWriter w : writers) {
            try {
                written.addAll(w.write(in, tmp));
            } catch (IllegalArgumentException invalid) {
                throw new UnreportableResultException(w.kind(), invalid);
            }
        }
        deleteTree(dir);
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        Map<String, Path> bySop = new LinkedHashMap<>();
        for (Path f : written) {
            Path moved = dir.resolve(tmp.relativize(f));
            bySop.put(Part10.readMeta(moved).sopInstanceUid(), moved);
        }
        if (job.destinations().isEmpty() || outbox == null) {
            LOG.info("Job {}: {} report object(s) kept in {} (the rule names no destination)", job.id(), bySop.size(), dir);
            return;
        }
        for (String d : job.destinations()) {
            outbox.enqueue(job.id(), d, bySop, job.lease()); // fenced: a node that lost the job sends nothing
        }
        LOG.info("Job {}: {} report object(s) queued for {}", job.id(), bySop.size(), job.destinations());
    }

    /**
     * The module as it ran the job: the version and model of the generation that ran it (the module may have been
     * replaced since), so the SR's algorithm identification (TID 4019) names what made the result.
     */
    static ModuleDescriptor ranBy(Job job, ModuleDescriptor current) {
        org.radflow.jobs.ModuleRun run = job.run();
        if (run == null || run.version() == null
                || run.version().equals(current.version()) && run.modelName().equals(current.model().name())
                && run.modelVersion().equals(current.model().version()) && run.demoModel() == current.model().demo()) {
            return current;
        }
        String description = run.modelName().equals(current.model().name()) ? current.model().description() : "";
        return new ModuleDescriptor(current.id(), run.version(), current.displayName(), current.apiMajor(), current.apiMinor(),
                new org.radflow.api.ModelIdentity(run.modelName(), run.modelVersion(), description, run.demoModel()),
                current.selection(), current.trigger(), current.resources(), current.timeout(), current.configProperties());
    }

    private String supersededSr(Job job) throws Exception {
        if (job.supersedes() == null) {
            return null;
        }
        Optional<Job> previous = journal.find(job.supersedes());
        if (previous.isEmpty()) {
            return null;
        }
        Job p = previous.get();
        String instance = OutputUids.derive(p.inputHash(), p.moduleId(), p.moduleVersion(), "sr.instance");
        supersededSrSeries.put(instance, OutputUids.derive(p.inputHash(), p.moduleId(), p.moduleVersion(), "sr.series"));
        return instance;
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var s = Files.walk(p)) {
            for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}
