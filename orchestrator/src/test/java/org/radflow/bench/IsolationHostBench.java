package org.radflow.bench;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.TagFromName;
import org.radflow.api.JobContext;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleException;
import org.radflow.api.ModuleResult;
import org.radflow.api.Trigger;
import org.radflow.host.InProcessHost;
import org.radflow.host.ModuleHost;
import org.radflow.config.RadflowConfig;
import org.radflow.host.ProcessModuleHost;
import org.radflow.host.RegistryCatalog;
import org.radflow.inference.HostInferenceEngine;
import org.radflow.intake.InstanceHeader;
import org.radflow.jobs.Job;
import org.radflow.jobs.JobState;
import org.radflow.modules.ModuleRegistry;
import org.radflow.modules.RegistrySettings;
import org.radflow.pixels.SpoolStudyInput;
import org.radflow.routing.Priority;
import org.radflow.testdata.ChestOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.UUID;

/**
 * The cost of the process boundary alone: the same jobs through {@link InProcessHost} and {@link ProcessModuleHost}
 * in one JVM, alternately (in-process, process, process, in-process, ...), timing {@code ModuleHost.run} — what the
 * scheduler's lane thread waits for. Without the planner, journal, reports and outbox (bench/isolation.sh measures
 * those too), so a few milliseconds are not lost in their noise on a busy machine. Also times a worker's start
 * (JVM + module, until it says READY) and the first job on a fresh worker, over several restarts.
 *
 * <p>Modules: {@code sample} (sample-slow with delayMs 0, a no-op, from the drop-in JAR given) on an 8-slice MR
 * series as bench/orchestration.sh sends, or {@code covidnet} (built-in, {@code model: demo}: the small ONNX demo
 * model in its JAR) on a 1024x1024 DX radiograph. Run by bench/isolation-host.sh.
 *
 * <p>Arguments: module (sample|covidnet), jobs, warm-up jobs, restarts, sample module JAR (for sample).
 */
public final class IsolationHostBench {

    public static void main(String[] args) throws Exception {
        String which = args.length > 0 ? args[0] : "sample";
        int jobs = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        int restarts = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        Path dir = Files.createTempDirectory("radflow-hostbench");
        Path data = Files.createDirectories(dir.resolve("data"));
        Path models = Files.createDirectories(dir.resolve("models"));
        Path modules = null;
        String id;
        Map<String, Object> config;
        List<GeneratedSeries> studies = new ArrayList<>();
        if (which.equals("covidnet")) {
            id = "covidnet";
            config = Map.of("model", "demo");
            for (int i = 0; i < 4; i++) {
                studies.add(Synth.chestRadiograph(dir.resolve("in" + i), ChestOptions.defaults().withSeed(100 + i)));
            }
        } else {
            id = "sample-slow";
            config = Map.of("delayMs", 0);
            modules = Files.createDirectories(dir.resolve("modules"));
            Files.createDirectories(modules.resolve("sample"));
            Files.copy(Path.of(args[4]), modules.resolve("sample").resolve("sample.jar"));
            for (int i = 0; i < 8; i++) {
                studies.add(Synth.brainMr(dir.resolve("in" + i), MrOptions.defaults().withSeed(1000 + i).withDimensions(35, 51, 8)));
            }
        }
        HostInferenceEngine inference = new HostInferenceEngine(data.resolve("native"));
        ModuleRegistry registry = new ModuleRegistry(new RegistrySettings(modules, models, data, Map.of(id, config), Duration.ZERO,
                IsolationHostBench.class.getClassLoader()), (m, threads) -> inference.forModule(m, threads)).start();
        ModuleDescriptor d = registry.require(id).descriptor();
        // as Pipeline.workerSpec derives them when the operator sets nothing
        long declaredMb = d.resources().memoryMb();
        int heapMb = (int) Math.max(512, Math.min(16_384, declaredMb > 0 ? declaredMb : 1024));
        int threads = Math.min(d.resources().inferenceThreads(), Runtime.getRuntime().availableProcessors());
        int generation = registry.require(id).generation();
        Path modulesDir = modules;
        InProcessHost inProcess = new InProcessHost(new RegistryCatalog(registry), job -> {
            try {
                return SpoolStudyInput.of(job.studyUid(), job.inputFiles());
            } catch (IOException | IllegalArgumentException e) {
                throw new ModuleException("cannot read the job's input files: " + e.getMessage(), e);
            }
        });
        System.out.printf("module %s %s; worker heap %d MB (descriptor: %d MB), inference threads %d; %d jobs each way after %d warm-up%n",
                id, d.version(), heapMb, declaredMb, threads, jobs, warmup);
        ProcessModuleHost.WorkerSpec spec = new ProcessModuleHost.WorkerSpec(id, modulesDir, models, data, config, heapMb, threads,
                generation, 1000, RadflowConfig.ModuleSettings.DEFAULT_MAX_THREADS, null);
        try (ProcessModuleHost workers = new ProcessModuleHost(new ProcessModuleHost.Environment() {
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
                return false; // the bench starts its workers itself, to time them
            }

            @Override
            public RadflowConfig.Workers settings() {
                return RadflowConfig.Workers.DEFAULTS;
            }

            @Override
            public void crashLimit(String moduleId, String reason) {
            }
        })) {
            // a worker's start, then the first job on it, over several restarts
            List<Double> starts = new ArrayList<>();
            List<Double> firsts = new ArrayList<>();
            List<Boolean> shared = new ArrayList<>();
            for (int r = 0; r < restarts; r++) {
                workers.retire(id);
                // the first worker writes the class data archive as it exits (WorkerClassData): later starts map it
                long until = System.currentTimeMillis() + (r > 0 ? 5000 : 0);
                while (!hasClassData(data) && System.currentTimeMillis() < until) {
                    Thread.sleep(20);
                }
                shared.add(hasClassData(data));
                long t0 = System.nanoTime();
                workers.prestart(id);
                long t1 = System.nanoTime();
                run(workers, job(id, studies.get(r % studies.size())));
                long t2 = System.nanoTime();
                starts.add((t1 - t0) / 1e6);
                firsts.add((t2 - t1) / 1e6);
            }
            run(inProcess, job(id, studies.get(0))); // the in-process module's first job (class loading) is not compared either
            System.out.printf("worker start (JVM + module until READY): %s ms, median %.0f ms (class data archive used: %s)%n",
                    fmt(starts), median(starts), shared);
            System.out.printf("first job on a fresh worker: %s ms, median %.0f ms%n", fmt(firsts), median(firsts));

            List<Double> in = new ArrayList<>();
            List<Double> pr = new ArrayList<>();
            List<Double> diff = new ArrayList<>();
            for (int i = 0; i < warmup + jobs; i++) {
                Job job = job(id, studies.get(i % studies.size()));
                serverReads(job); // once per job in either mode, as the server does
                double a;
                double b;
                if (i % 2 == 0) { // alternate who goes first, so neither always finds the caches the other warmed
                    a = run(inProcess, job);
                    b = run(workers, job);
                } else {
                    b = run(workers, job);
                    a = run(inProcess, job);
                }
                if (i >= warmup) {
                    in.add(a);
                    pr.add(b);
                    diff.add(b - a);
                }
            }
            double mi = median(in);
            double mp = median(pr);
            System.out.printf("in-process: p50 %.2f ms, p95 %.2f ms%n", mi, percentile(in, 95));
            System.out.printf("process:    p50 %.2f ms, p95 %.2f ms%n", mp, percentile(pr, 95));
            System.out.printf("extra per job in a worker: %+.2f ms at the median (ratio %.2f); median of the paired differences %+.2f ms%n",
                    mp - mi, mp / mi, median(diff));
            List<Double> lastHalf = diff.subList(diff.size() / 2, diff.size());
            System.out.printf("  the same over the last half of the jobs only (warmer JITs): %+.2f ms%n", median(lastHalf));
        } finally {
            registry.close();
            inference.close();
        }
    }

    /**
     * What the server itself parses of a job's inputs in either mode, untimed: each header at intake, and each
     * instance up to Pixel Data when the reports are written. It keeps the server's parsing code as hot as in
     * RadFlow, which favours the in-process host: the worker only parses its own jobs.
     */
    private static void serverReads(Job job) throws Exception {
        for (Path f : job.inputFiles()) {
            InstanceHeader.read(f);
            new AttributeList().read(f.toString(), TagFromName.PixelData);
        }
    }

    private static double run(ModuleHost host, Job job) throws Exception {
        long t = System.nanoTime();
        ModuleResult r = host.run(job, new JobContext() {
            @Override
            public String jobId() {
                return job.id();
            }

            @Override
            public void progress(double fraction, String message) {
                // the server writes this to the journal in both modes alike: not part of the comparison
            }

            @Override
            public boolean isCancelled() {
                return false;
            }
        });
        double ms = (System.nanoTime() - t) / 1e6;
        if (r == null || r.status() != ModuleResult.Status.COMPLETED) {
            throw new IllegalStateException("job " + job.id() + " did not complete: " + (r == null ? "no result" : r.reason()));
        }
        return ms;
    }

    private static Job job(String module, GeneratedSeries s) {
        Instant now = Instant.now();
        return new Job(UUID.randomUUID().toString(), "series:" + s.studyInstanceUid() + "/" + s.seriesInstanceUid(), Trigger.SERIES,
                s.studyInstanceUid(), s.seriesInstanceUid(), null, module, "bench", "bench", Priority.NORMAL, List.of(), s.files(),
                "bench", 1, null, JobState.RUNNING, 1, null, 0, null, now, now, now, null, null);
    }

    private static boolean hasClassData(Path data) throws IOException {
        Path dir = data.resolve("workers").resolve("class-data");
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (var files = Files.list(dir)) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith(".jsa"));
        }
    }

    private static String fmt(List<Double> values) {
        return values.stream().map(v -> String.format("%.0f", v)).toList().toString();
    }

    static double median(List<Double> values) {
        return percentile(values, 50);
    }

    static double percentile(List<Double> values, int p) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        if (p == 50 && sorted.size() % 2 == 0) {
            return (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }
}
