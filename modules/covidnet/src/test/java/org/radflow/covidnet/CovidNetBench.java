package org.radflow.covidnet;

import org.radflow.api.AiModule;
import org.radflow.api.Finding;
import org.radflow.api.ImagePlane;
import org.radflow.api.InferenceEngine;
import org.radflow.api.InferenceEngine.ModelSession;
import org.radflow.api.InferenceEngine.Tensor;
import org.radflow.api.ModuleException;
import org.radflow.api.ModuleResult;
import org.radflow.api.StudyInput.PlaneOptions;
import org.radflow.api.StudyInput;
import org.radflow.moduletest.TestJob;
import org.radflow.moduletest.TestModuleContext;
import org.radflow.moduletest.TestStudies;
import org.radflow.inference.HostInferenceEngine;
import org.radflow.testdata.ChestOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.Synth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The COVID-Net module's per-image cost through its real path (docs/benchmarks.md, "COVID-Net module"), run by
 * {@code bench/covidnet.sh}.
 *
 * <p>A network of COVID-Net-CXR-2's size ({@link CxrSizedNetwork}, random weights) is written as a TF1 checkpoint and
 * as ONNX with the same weights. A synthetic DX PA radiograph ({@code Synth.chestRadiograph}, 16 bit, default
 * 2500 x 2000) is read as the platform reads a spooled instance ({@code SpoolStudyInput}, through the module test kit, a fresh one per job so
 * nothing decoded is reused). Measured:
 * <ul>
 *   <li>decoding alone and preprocessing alone ({@link CovidNetPreprocessing#prepare}), one thread;</li>
 *   <li>per backend and pool size: the module created by {@link CovidNetFactory} in a host-like context
 *       (profile cxr2), model load time, then {@code pool} jobs at once, each {@code process()} timed whole and its
 *       model run timed inside (the session the module received is wrapped); images per minute over the wall time.
 *       Pool 1 runs one job with {@code threads} intra-op threads (the descriptor's 2); pool P runs P jobs with
 *       {@code threads / P} each, as a lane with {@code maxConcurrentJobs: P} should be given.</li>
 * </ul>
 * Warm-up jobs are excluded. The TensorFlow and ONNX probabilities for the same image are compared (same network).
 *
 * <pre>
 * CovidNetBench --work DIR [--images N] [--warmup W] [--size ROWSxCOLS] [--threads T] [--pools 1,2]
 *               [--backends onnx,tensorflow-checkpoint] [--out FILE]
 * </pre>
 */
public final class CovidNetBench {

    private CovidNetBench() {
    }

    public static void main(String[] args) throws Exception {
        Path work = null;
        Path out = null;
        int images = 20;
        int warmup = 3;
        int rows = 2500;
        int columns = 2000;
        int threads = new CovidNetFactory().descriptor().resources().inferenceThreads();
        List<Integer> pools = List.of(1, 2);
        List<String> backends = List.of("onnx", "tensorflow-checkpoint");
        boolean writeModels = false;
        for (int i = 0; i < args.length; i += 2) {
            if (args[i].equals("--write-models")) {
                writeModels = true;
                i--;
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("Option " + args[i] + " needs a value");
            }
            String v = args[i + 1];
            switch (args[i]) {
                case "--work" -> work = Path.of(v);
                case "--out" -> out = Path.of(v);
                case "--images" -> images = Integer.parseInt(v);
                case "--warmup" -> warmup = Integer.parseInt(v);
                case "--threads" -> threads = Integer.parseInt(v);
                case "--size" -> {
                    String[] rc = v.toLowerCase(Locale.ROOT).split("x");
                    rows = Integer.parseInt(rc[0]);
                    columns = Integer.parseInt(rc[1]);
                }
                case "--pools" -> pools = Arrays.stream(v.split(",")).map(String::trim).map(Integer::parseInt).toList();
                case "--backends" -> backends = Arrays.stream(v.split(",")).map(String::trim).toList();
                default -> throw new IllegalArgumentException("Unknown option " + args[i]
                        + "; options: --work --write-models --out --images --warmup --threads --size --pools --backends");
            }
        }
        if (work == null) {
            throw new IllegalArgumentException("--work DIR is required (model files and the radiograph go there)");
        }
        if (images < 1 || warmup < 0) {
            throw new IllegalArgumentException("--images must be at least 1 and --warmup at least 0");
        }
        Path models = work.resolve("models");
        Path onnx = models.resolve("cxr2-sized.onnx");
        Path checkpoint = models.resolve("cxr2-sized-checkpoint");
        if (writeModels) {
            // in a JVM of its own, so that the measuring JVM loads each runtime cold
            Files.createDirectories(models);
            long t = System.nanoTime();
            CxrSizedNetwork.Weights weights = CxrSizedNetwork.weights();
            CxrSizedNetwork.writeOnnx(onnx, weights);
            long onnxWrite = System.nanoTime() - t;
            t = System.nanoTime();
            Path prefix = CxrSizedNetwork.writeCheckpoint(checkpoint, weights);
            System.out.printf(Locale.ROOT, "models written to %s: ONNX %.1f MB (%.1f s), TF1 checkpoint %s (%.1f s)%n",
                    models, Files.size(onnx) / 1e6, onnxWrite / 1e9, prefix.getFileName(), (System.nanoTime() - t) / 1e9);
            System.out.print(CxrSizedNetwork.describe());
            return;
        }
        if (!Files.isRegularFile(onnx) || !Files.isRegularFile(checkpoint.resolve("model.meta"))) {
            throw new IllegalArgumentException("No models in " + models + ": run once with --work " + work
                    + " --write-models first");
        }
        StringBuilder report = new StringBuilder();
        Report r = line -> {
            System.out.println(line);
            report.append(line).append('\n');
        };

        r.line("# COVID-Net module benchmark, " + Instant.now() + " (research use only)");
        r.line(String.format(Locale.ROOT, "machine: %d processors, Java %s, %s %s", Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"), System.getProperty("os.name"), System.getProperty("os.arch")));
        r.line(String.format(Locale.ROOT, "network: %,d parameters, %.2f GMACs at 480x480 (CxrSizedNetwork, random weights, seed %d)",
                CxrSizedNetwork.parameters(), CxrSizedNetwork.macs() / 1e9, CxrSizedNetwork.SEED));
        r.line(String.format(Locale.ROOT, "model files: %s %.1f MB; TF1 checkpoint %s (model.meta + model-1.index/.data)",
                onnx.getFileName(), Files.size(onnx) / 1e6, checkpoint.getFileName()));
        r.line(String.format(Locale.ROOT, "image: synthetic DX PA, %d x %d, 16 bit; %d measured images per configuration after %d"
                + " warm-up job(s) per pool thread", rows, columns, images, warmup));

        // --- the radiograph ---
        GeneratedSeries series = Synth.chestRadiograph(Files.createDirectories(work.resolve("radiograph")),
                ChestOptions.defaults().withSize(rows, columns));
        // a second, different radiograph: both backends must agree on it too, and it must change the answer
        GeneratedSeries other = Synth.chestRadiograph(Files.createDirectories(work.resolve("radiograph-2")),
                ChestOptions.defaults().withSize(1200, 1000).withSeed(99).withWindow(false));

        // --- decoding and preprocessing alone (one thread) ---
        int single = warmup + images;
        long[] decode = new long[single];
        long[] prepare = new long[single];
        for (int i = 0; i < single; i++) {
            StudyInput input = study(series);
            long a = System.nanoTime();
            ImagePlane plane = input.series().get(0).instances().get(0).plane(0, PlaneOptions.BRIGHTER_IS_HIGHER);
            long b = System.nanoTime();
            CovidNetPreprocessing.prepare(plane);
            long c = System.nanoTime();
            decode[i] = b - a;
            prepare[i] = c - b;
        }
        long[] decodeMeasured = Arrays.copyOfRange(decode, warmup, single);
        long[] prepareMeasured = Arrays.copyOfRange(prepare, warmup, single);
        r.line("");
        r.line(String.format(Locale.ROOT, "decode (platform, 16-bit plane)   p50 %7.1f ms  p95 %7.1f ms", p(decodeMeasured, 50),
                p(decodeMeasured, 95)));
        r.line(String.format(Locale.ROOT, "preprocessing alone               p50 %7.1f ms  p95 %7.1f ms", p(prepareMeasured, 50),
                p(prepareMeasured, 95)));
        double preprocessingP50 = p(prepareMeasured, 50);

        // --- module path per backend and pool ---
        r.line("");
        r.line("| backend | pool | threads/job | model load ms | inference p50 ms | inference p95 ms | process() p50 ms"
                + " | process() p95 ms | images/min | preprocessing / inference (p50) |");
        r.line("|---|---|---|---|---|---|---|---|---|---|");
        Map<String, List<Double>> probabilities = new LinkedHashMap<>();
        Map<String, List<Double>> otherProbabilities = new LinkedHashMap<>();
        try (HostInferenceEngine engine = new HostInferenceEngine()) {
            for (String backend : backends) {
                String model = backend.equals("onnx") ? "cxr2-sized.onnx" : "cxr2-sized-checkpoint";
                for (int pool : pools) {
                    int perJob = Math.max(1, threads / pool);
                    Timing timing = new Timing();
                    String runtime = backend.equals("onnx") ? "ONNX" : "TensorFlow";
                    boolean cold = engine.loadedRuntimes().stream().noneMatch(d -> d.startsWith(runtime));
                    long l0 = System.nanoTime();
                    AiModule module = new CovidNetFactory().create(new TimedContext(
                            TestModuleContext.builder(new CovidNetFactory()).config(Map.of("profile", "cxr2", "backend", backend,
                                    "model", model)).modelDirectory(models).workDirectory(work).inference(engine, perJob).build(), timing));
                    long load = System.nanoTime() - l0;
                    try (module) {
                        Result result = measure(module, series, timing, pool, warmup, images);
                        probabilities.putIfAbsent(backend, result.probabilities());
                        otherProbabilities.putIfAbsent(backend, probabilities(module.process(study(other), new TestJob("check"))));
                        double inferenceP50 = p(result.inference(), 50);
                        r.line(String.format(Locale.ROOT, "| %s | %d | %d | %.0f%s | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f %% |",
                                backend, pool, perJob, load / 1e6, cold ? " (incl. runtime)" : "",
                                inferenceP50, p(result.inference(), 95), p(result.process(), 50), p(result.process(), 95),
                                images * 60e9 / result.wallNanos(), 100 * preprocessingP50 / inferenceP50));
                    }
                }
            }
            r.line("");
            r.line("runtimes: " + engine.loadedRuntimes() + " (the first model load of a backend includes loading its runtime)");
        }
        probabilities.forEach((backend, p) -> r.line("probabilities " + backend + ": " + p + "; second image: "
                + otherProbabilities.get(backend)));
        if (probabilities.size() == 2) {
            List<List<Double>> first = new ArrayList<>(probabilities.values());
            List<List<Double>> second = new ArrayList<>(otherProbabilities.values());
            double diff = Math.max(largestDifference(first.get(0), first.get(1)), largestDifference(second.get(0), second.get(1)));
            double change = largestDifference(first.get(0), second.get(0));
            r.line(String.format(Locale.ROOT, "largest difference between the backends: %.2e; between the two images: %.2e",
                    diff, change));
            if (diff > 1e-3 || change < 10 * diff) {
                throw new IllegalStateException("TensorFlow and ONNX disagree by " + diff + " (images differ by " + change
                        + "): the two models are not the same network");
            }
        }
        r.line("NOT FOR DIAGNOSTIC USE: random weights, timing only.");
        if (out != null) {
            Path parent = out.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(out, report.toString());
            System.out.println("written: " + out);
        }
    }

    private static double largestDifference(List<Double> a, List<Double> b) {
        double d = 0;
        for (int k = 0; k < a.size(); k++) {
            d = Math.max(d, Math.abs(a.get(k) - b.get(k)));
        }
        return d;
    }

    private record Result(long[] process, long[] inference, long wallNanos, List<Double> probabilities) {
    }

    /** {@code pool} workers each run {@code warmup} jobs, then together {@code images} measured jobs. */
    private static Result measure(AiModule module, GeneratedSeries series, Timing timing, int pool, int warmup, int images)
            throws Exception {
        ExecutorService workers = Executors.newFixedThreadPool(pool);
        try {
            List<Future<ModuleResult>> warm = new ArrayList<>();
            for (int i = 0; i < warmup * pool; i++) {
                warm.add(workers.submit(() -> module.process(study(series), new TestJob("warm-up"))));
            }
            List<Double> probabilities = null;
            for (Future<ModuleResult> f : warm) {
                probabilities = probabilities(f.get());
            }
            long[] process = new long[images];
            long[] inference = new long[images];
            List<Future<?>> jobs = new ArrayList<>();
            long start = System.nanoTime();
            for (int i = 0; i < images; i++) {
                int index = i;
                jobs.add(workers.submit(() -> {
                    StudyInput input = study(series);
                    long a = System.nanoTime();
                    ModuleResult result = module.process(input, new TestJob("bench-" + index));
                    process[index] = System.nanoTime() - a;
                    inference[index] = timing.last();
                    probabilities(result);
                    return null;
                }));
            }
            for (Future<?> f : jobs) {
                f.get();
            }
            long wall = System.nanoTime() - start;
            if (probabilities == null) {
                probabilities = probabilities(module.process(study(series), new TestJob("check")));
            }
            return new Result(process, inference, wall, probabilities);
        } finally {
            workers.shutdown();
        }
    }

    private static List<Double> probabilities(ModuleResult result) {
        if (result.status() != ModuleResult.Status.COMPLETED) {
            throw new IllegalStateException("The module did not complete: " + result.status() + " " + result.reason());
        }
        return ((Finding.Classification) result.findings().get(0)).probabilities().stream()
                .map(Finding.ClassProbability::probability).toList();
    }

    private static StudyInput study(GeneratedSeries series) throws IOException {
        return TestStudies.dicom(series.studyInstanceUid(), series.files());
    }

    private static double p(long[] nanos, int percentile) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        int index = Math.min(sorted.length - 1, Math.max(0, (int) Math.ceil(percentile / 100.0 * sorted.length) - 1));
        return sorted[index] / 1e6;
    }

    private interface Report {
        void line(String line);
    }

    /** The duration of the calling thread's last model run. */
    private static final class Timing {
        private final ThreadLocal<long[]> last = ThreadLocal.withInitial(() -> new long[1]);

        void record(long nanos) {
            last.get()[0] = nanos;
        }

        long last() {
            return last.get()[0];
        }
    }

    /** The host context, with every model session the module loads wrapped to time its runs. */
    private record TimedContext(TestModuleContext host, Timing timing) implements org.radflow.api.ModuleContext {
        @Override
        public org.radflow.api.ModuleDescriptor descriptor() {
            return host.descriptor();
        }

        @Override
        public org.radflow.api.ModuleConfig config() {
            return host.config();
        }

        @Override
        public Path modelDirectory() {
            return host.modelDirectory();
        }

        @Override
        public Path workDirectory() {
            return host.workDirectory();
        }

        @Override
        public System.Logger logger() {
            return host.logger();
        }

        @Override
        public InferenceEngine inference() {
            InferenceEngine real = host.inference();
            return (backend, model) -> {
                ModelSession session = real.load(backend, model);
                return new ModelSession() {
                    @Override
                    public Map<String, Tensor> run(Map<String, Tensor> inputs, List<String> outputNames) throws ModuleException {
                        long a = System.nanoTime();
                        try {
                            return session.run(inputs, outputNames);
                        } finally {
                            timing.record(System.nanoTime() - a);
                        }
                    }

                    @Override
                    public List<String> inputNames() {
                        return session.inputNames();
                    }

                    @Override
                    public List<String> outputNames() {
                        return session.outputNames();
                    }
                };
            };
        }
    }
}
