package org.radflow.inference;

import org.radflow.api.InferenceEngine.Backend;
import org.radflow.api.InferenceEngine.Tensor;
import org.radflow.api.ModuleException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Times a model through {@link HostInferenceEngine}, for the benchmark pages: runtime load, session load, first
 * run, then latency percentiles and throughput over N runs of random input.
 *
 * <pre>
 * java -cp 'inference/target/radflow-inference.jar:lib/*' org.radflow.inference.InferenceBench \
 *     TENSORFLOW_CHECKPOINT /models/covidnet/model-8485 --runs 50 --threads 2 --batch 1 \
 *     --input input_1:0=1,480,480,3 --output norm_dense_1/Softmax:0
 * </pre>
 *
 * Options: {@code --runs N} (default 20), {@code --warmup N} (3), {@code --threads T} intra-op threads (1),
 * {@code --concurrency C} callers running at once (1), {@code --batch B} replaces dimensions of any size (1),
 * {@code --input name=d1,d2,...} (repeatable; default: every declared input with its declared shape),
 * {@code --output name} (repeatable; default: every output).
 */
public final class InferenceBench {

    private InferenceBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: InferenceBench ONNX|TENSORFLOW_SAVED_MODEL|TENSORFLOW_CHECKPOINT <model> [--runs N]"
                    + " [--warmup N] [--threads T] [--concurrency C] [--batch B] [--input name=d1,d2,..]... [--output name]...");
            System.exit(2);
        }
        Backend backend = Backend.valueOf(args[0].toUpperCase(Locale.ROOT));
        Path model = Path.of(args[1]);
        int runs = 20;
        int warmup = 3;
        int threads = 1;
        int concurrency = 1;
        long batch = 1;
        Map<String, long[]> shapes = new LinkedHashMap<>();
        List<String> outputs = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--runs" -> runs = Integer.parseInt(value);
                case "--warmup" -> warmup = Integer.parseInt(value);
                case "--threads" -> threads = Integer.parseInt(value);
                case "--concurrency" -> concurrency = Integer.parseInt(value);
                case "--batch" -> batch = Long.parseLong(value);
                case "--input" -> {
                    int eq = value.lastIndexOf('=');
                    shapes.put(value.substring(0, eq),
                            Arrays.stream(value.substring(eq + 1).split(",")).mapToLong(Long::parseLong).toArray());
                }
                case "--output" -> outputs.add(value);
                default -> throw new IllegalArgumentException("Unknown option " + args[i]);
            }
            i++;
        }

        try (HostInferenceEngine engine = new HostInferenceEngine()) {
            ModuleInference view = engine.forModule("bench", threads);
            long t0 = System.nanoTime();
            LoadedModel session = (LoadedModel) view.load(backend, model);
            long loaded = System.nanoTime();

            Map<String, Tensor> inputs = inputs(session, shapes, batch);
            long t1 = System.nanoTime();
            session.run(inputs, outputs);
            long firstRun = System.nanoTime() - t1;
            for (int i = 0; i < warmup; i++) {
                session.run(inputs, outputs);
            }

            long[] latencies = new long[runs];
            ExecutorService pool = Executors.newFixedThreadPool(concurrency);
            long start = System.nanoTime();
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int i = 0; i < runs; i++) {
                    int index = i;
                    List<String> wanted = outputs;
                    done.add(pool.submit(() -> {
                        long s = System.nanoTime();
                        session.run(inputs, wanted);
                        latencies[index] = System.nanoTime() - s;
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdown();
            }
            long wall = System.nanoTime() - start;

            Arrays.sort(latencies);
            System.out.printf(Locale.ROOT, "model        %s %s%n", backend, model);
            System.out.printf(Locale.ROOT, "runtimes     %s%n", engine.loadedRuntimes());
            System.out.printf(Locale.ROOT, "inputs       %s%n", describe(inputs));
            System.out.printf(Locale.ROOT, "threads      %d intra-op, %d concurrent caller(s)%n", threads, concurrency);
            System.out.printf(Locale.ROOT, "load         %.1f ms (runtime + session, cold)%n", ms(loaded - t0));
            System.out.printf(Locale.ROOT, "first run    %.1f ms%n", ms(firstRun));
            System.out.printf(Locale.ROOT, "runs         %d after %d warm-up%n", runs, warmup);
            System.out.printf(Locale.ROOT, "latency ms   mean %.2f  p50 %.2f  p90 %.2f  p99 %.2f  min %.2f  max %.2f%n",
                    ms(Arrays.stream(latencies).sum()) / runs, ms(pct(latencies, 50)), ms(pct(latencies, 90)),
                    ms(pct(latencies, 99)), ms(latencies[0]), ms(latencies[runs - 1]));
            long images = inputs.values().iterator().next().shape().length == 0 ? 1
                    : inputs.values().iterator().next().shape()[0];
            System.out.printf(Locale.ROOT, "throughput   %.1f runs/s (%.1f images/s, %d per run)%n", runs / (wall / 1e9),
                    runs * images / (wall / 1e9), images);
        }
    }

    /** Random inputs: the shapes given, else the declared ones with dimensions of any size set to {@code batch}. */
    private static Map<String, Tensor> inputs(LoadedModel session, Map<String, long[]> given, long batch)
            throws ModuleException {
        Random random = new Random(1);
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>(given);
        if (shapes.isEmpty()) {
            for (Map.Entry<String, TensorSpec> e : session.inputSpecs().entrySet()) {
                long[] declared = e.getValue().shape();
                if (declared == null) {
                    throw new ModuleException("Input '" + e.getKey() + "' has no declared rank: give --input "
                            + e.getKey() + "=d1,d2,...");
                }
                shapes.put(e.getKey(), Arrays.stream(declared).map(d -> d < 0 ? batch : d).toArray());
            }
        }
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            long n = Arrays.stream(e.getValue()).reduce(1, (a, b) -> a * b);
            float[] data = new float[Math.toIntExact(n)];
            for (int i = 0; i < data.length; i++) {
                data[i] = random.nextFloat();
            }
            inputs.put(e.getKey(), new Tensor(e.getValue(), data));
        }
        return inputs;
    }

    private static String describe(Map<String, Tensor> inputs) {
        StringBuilder sb = new StringBuilder();
        inputs.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ", ").append(k).append(Arrays.toString(v.shape())));
        return sb.toString();
    }

    private static long pct(long[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
