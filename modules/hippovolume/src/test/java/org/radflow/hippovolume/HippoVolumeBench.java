package org.radflow.hippovolume;

import org.radflow.api.AiModule;
import org.radflow.api.ModuleResult;
import org.radflow.inference.HostInferenceEngine;
import org.radflow.moduletest.TestJob;
import org.radflow.moduletest.TestModuleContext;
import org.radflow.moduletest.TestStudies;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Time per volume through the module (the platform's SpoolStudyInput decoding and volume assembly, normalisation,
 * padding, inference in batches, argmax, measurements and key images) for the 35x51x32 HippoCrop and a
 * 256x256x176 head, with a given ONNX model.
 *
 * <pre>
 * bench/hippovolume.sh [--model FILE.onnx] [--runs N] [--threads N] [--batch N] [--cases crop,head]
 * </pre>
 *
 * Without {@code --model} it runs the 1x1-convolution test model: that times the plumbing only, not a U-Net.
 * The cases are generated once into {@code --work} (default {@code bench/out/hippovolume}).
 */
public final class HippoVolumeBench {

    /** A benchmark volume. */
    public record Case(String name, MrOptions options) {
        static final Case CROP = new Case("crop 35x51x32", MrOptions.defaults());
        static final Case HEAD = new Case("head 256x256x176", MrOptions.fullHead().withSeriesDescription("HippoCrop full head"));
    }

    /** Per case: milliseconds of each measured run. */
    public record Timing(Case benchCase, String model, double[] millis) {
        double median() {
            double[] s = millis.clone();
            Arrays.sort(s);
            return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
        }
    }

    private HippoVolumeBench() {
    }

    public static void main(String[] args) throws Exception {
        Path model = null;
        int runs = 5;
        int threads = 2;
        int batch = HippoVolumeFactory.DEFAULT_BATCH;
        Path work = Path.of("bench/out/hippovolume");
        List<Case> cases = new ArrayList<>(List.of(Case.CROP, Case.HEAD));
        for (int i = 0; i < args.length; i++) {
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--model" -> model = Path.of(require(v, "--model")).toAbsolutePath();
                case "--runs" -> runs = Integer.parseInt(require(v, "--runs"));
                case "--threads" -> threads = Integer.parseInt(require(v, "--threads"));
                case "--batch" -> batch = Integer.parseInt(require(v, "--batch"));
                case "--work" -> work = Path.of(require(v, "--work"));
                case "--cases" -> {
                    cases.clear();
                    for (String c : require(v, "--cases").split(",")) {
                        cases.add(switch (c.trim()) {
                            case "crop" -> Case.CROP;
                            case "head" -> Case.HEAD;
                            default -> throw new IllegalArgumentException("--cases: crop and/or head, not " + c);
                        });
                    }
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; options: --model FILE --runs N --threads N --batch N --work DIR --cases crop,head");
            }
            i++;
        }
        run(model, work, cases, runs, threads, batch, System.out);
    }

    private static String require(String v, String option) {
        if (v == null) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return v;
    }

    /** Runs the cases (one warm-up run each, then {@code runs} measured) and prints a line per case. */
    public static List<Timing> run(Path model, Path work, List<Case> cases, int runs, int threads, int batch,
                                   PrintStream out) throws Exception {
        Files.createDirectories(work);
        String modelLabel;
        if (model == null) {
            model = HippoVolumeModuleTest.thresholdModel(work.resolve("plumbing-1x1conv.onnx"), 0.25, 0.75);
            modelLabel = "1x1-conv test model (plumbing only, not a U-Net)";
        } else {
            modelLabel = model.getFileName().toString();
        }
        List<Timing> timings = new ArrayList<>();
        try (HostInferenceEngine engine = new HostInferenceEngine()) {
            Map<String, String> config = Map.of("model", model.getFileName().toString(), "batchSize",
                    String.valueOf(batch), "minSlices", "2");
            Path modelDir = model.toAbsolutePath().getParent();
            try (AiModule module = TestModuleContext.builder(new HippoVolumeFactory()).config(config).modelDirectory(modelDir)
                    .workDirectory(work.resolve("module-work")).inference(engine, threads).create()) {
                for (Case c : cases) {
                    GeneratedSeries series = generate(work, c);
                    double[] ms = new double[runs];
                    for (int r = -1; r < runs; r++) {
                        long t0 = System.nanoTime();
                        ModuleResult result = module.process(TestStudies.dicom(series.studyInstanceUid(), series.files()),
                                new TestJob("bench"));
                        long t1 = System.nanoTime();
                        if (result.status() != ModuleResult.Status.COMPLETED) {
                            throw new IllegalStateException(c.name() + ": " + result.status() + " " + result.reason());
                        }
                        if (r >= 0) {
                            ms[r] = (t1 - t0) / 1e6;
                        }
                    }
                    Timing t = new Timing(c, modelLabel, ms);
                    timings.add(t);
                    out.printf(Locale.ROOT, "%-18s %-50s median %9.1f ms  (runs %s, %d inference threads, batch %d)%n",
                            c.name(), modelLabel, t.median(), Arrays.toString(Arrays.stream(ms)
                                    .map(x -> Math.round(x * 10) / 10.0).toArray()), threads, batch);
                }
            }
        }
        return timings;
    }

    private static GeneratedSeries generate(Path work, Case c) throws Exception {
        Path dir = work.resolve(c.name().replaceAll("[^a-z0-9]+", "-"));
        Path done = dir.resolve("complete");
        GeneratedSeries series;
        if (Files.exists(done)) {
            try (var files = Files.list(dir)) {
                List<Path> dcm = files.filter(p -> p.toString().endsWith(".dcm")).sorted().toList();
                String study = Files.readString(done).trim();
                return new GeneratedSeries(study, "", "MR", dcm, List.of());
            }
        }
        Files.createDirectories(dir);
        series = Synth.brainMr(dir, c.options());
        Files.writeString(done, series.studyInstanceUid());
        return series;
    }
}
