package org.radflow.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.radflow.config.RadflowConfig;
import org.radflow.server.RadflowServer;
import org.radflow.testdata.CtOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;
import org.radflow.testkit.Dcmtk;
import org.radflow.testkit.FreePorts;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Large series and instance triggers (issue 16), through a real server in this JVM (run by bench/large-series.sh):
 * <ol>
 *   <li>a no-op module job ({@code sample-slow}, delayMs 0) on one CT series of SLICES slices (512x512): the series
 *   is sent once with storescu, then processed again JOBS times through {@code POST /api/studies/{uid}/reprocess};
 *   each job's run time is its {@code finishedAt - startedAt} (reading the inputs, the module, the report stage:
 *   result, SR, report page, journal). No destination, so delivery is not in it.</li>
 *   <li>instance triggers: TRIGGERS single-instance MR studies sent one after the other to a rule with
 *   {@code trigger: instance}; for each, the time from the instance stored (the spool file's modification time,
 *   written before the C-STORE response) to the job's {@code createdAt}.</li>
 * </ol>
 * Uses only the public API and configuration, so the same source runs against an older checkout.
 */
public final class LargeSeriesBench {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    public static void main(String[] args) throws Exception {
        int slices = args.length > 0 ? Integer.parseInt(args[0]) : 1500;
        int jobs = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        int triggers = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        Path jar = Path.of(args.length > 3 ? args[3] : "orchestrator/target/test-modules/sample/radflow-sample-module.jar");
        String isolation = args.length > 4 ? args[4] : "process"; // the default; "in-process": the module runs in the server
        Path dir = Files.createTempDirectory("radflow-large-series");
        try {
            run(dir, jar, slices, jobs, triggers, isolation);
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void run(Path dir, Path jar, int slices, int jobs, int triggers, String isolation) throws Exception {
        Path modules = dir.resolve("modules");
        Files.createDirectories(modules.resolve("sample"));
        Files.copy(jar, modules.resolve("sample").resolve("sample.jar"));
        Path data = dir.resolve("data");
        Path cfg = dir.resolve("radflow.yaml");
        Files.writeString(cfg, """
                server: {dataDir: %s}
                listener: {bindAddress: 127.0.0.1, port: %d, minFreeSpaceMb: 0}
                api: {port: %d}
                tracking: {seriesQuietSeconds: 2, studyQuietSeconds: 3600}
                modules:
                  dir: %s
                  watch: false
                  sample-slow: {maxConcurrentJobs: 1, isolation: %s, heapMb: 512, config: {delayMs: 0}}
                rules:
                  - {name: large, module: sample-slow, match: {Modality: CT}}
                  - {name: per-instance, module: sample-slow, trigger: instance, match: {Modality: MR}}
                """.formatted(data, FreePorts.find(), FreePorts.find(), modules, isolation));
        GeneratedSeries ct = Synth.ctSeries(dir.resolve("ct"), CtOptions.defaults().withSeed(16).withCount(slices));
        List<GeneratedSeries> singles = new ArrayList<>();
        for (int i = 0; i < triggers; i++) {
            singles.add(Synth.brainMr(dir.resolve("mr" + i), MrOptions.defaults().withSeed(2000 + i).withDimensions(64, 64, 1)));
        }
        try (RadflowServer s = new RadflowServer(RadflowConfig.load(cfg), false)) {
            s.start().await(60, TimeUnit.SECONDS);
            int port = s.httpPort();

            // 1. the large series: first job from the C-STORE, then reprocessed
            Dcmtk.storescu().host("127.0.0.1").port(s.dicomPort()).calledAe("RADFLOW").files(ct.files())
                    .timeout(Duration.ofMinutes(5)).run().assertOk();
            JsonObject first = awaitJob(port, ct.studyInstanceUid(), null, Duration.ofMinutes(5));
            List<Double> runs = new ArrayList<>();
            runs.add(runMs(first));
            for (int i = 0; i < jobs; i++) {
                Instant asked = Instant.now();
                post(port, "/api/studies/" + ct.studyInstanceUid() + "/reprocess", new JsonObject().put("module", "sample-slow"));
                runs.add(runMs(awaitJob(port, ct.studyInstanceUid(), asked, Duration.ofMinutes(2))));
            }
            List<Double> warm = runs.subList(Math.min(2, runs.size() - 1), runs.size());
            System.out.printf("large series (isolation %s): %d slices, no-op job run time (startedAt -> finishedAt), first two are warm-up "
                    + "%s ms: p50 %.0f ms, min %.0f ms, max %.0f ms (n=%d)%n", isolation, slices,
                    runs.subList(0, Math.min(2, runs.size())).stream().map(d -> String.format("%.0f", d)).toList(),
                    percentile(warm, 50), Collections.min(warm), Collections.max(warm), warm.size());

            // 2. instance triggers: stored -> job created
            if (triggers == 0) {
                return;
            }
            List<Double> latency = new ArrayList<>();
            for (GeneratedSeries g : singles) {
                Dcmtk.storescu().host("127.0.0.1").port(s.dicomPort()).calledAe("RADFLOW").files(g.files()).run().assertOk();
                JsonObject job = awaitJob(port, g.studyInstanceUid(), null, Duration.ofSeconds(30));
                Instant stored = storedAt(data, g.studyInstanceUid());
                latency.add(Duration.between(stored, Instant.parse(job.getString("createdAt"))).toNanos() / 1e6);
            }
            List<Double> warmL = latency.subList(Math.min(5, latency.size() - 1), latency.size());
            System.out.printf("instance trigger: instance stored -> job created: p50 %.1f ms, p95 %.1f ms, max %.1f ms (n=%d, "
                    + "first 5 excluded)%n", percentile(warmL, 50), percentile(warmL, 95), Collections.max(warmL), warmL.size());
        }
    }

    /** The newest spool file of a study: when its last instance was stored. */
    static Instant storedAt(Path data, String study) throws Exception {
        try (Stream<Path> s = Files.walk(data)) {
            List<Path> files = s.filter(p -> p.getFileName().toString().endsWith(".dcm"))
                    .filter(p -> p.getParent() != null && p.getParent().getParent() != null
                            && p.getParent().getParent().getFileName().toString().equals(study))
                    .filter(p -> p.toString().contains("incoming")).toList();
            Instant newest = null;
            for (Path f : files) {
                Instant t = Files.getLastModifiedTime(f).toInstant();
                newest = newest == null || t.isAfter(newest) ? t : newest;
            }
            if (newest == null) {
                throw new IllegalStateException("study " + study + " is not in the spool under " + data);
            }
            return newest;
        }
    }

    private static double runMs(JsonObject job) {
        return Duration.between(Instant.parse(job.getString("startedAt")), Instant.parse(job.getString("finishedAt"))).toNanos() / 1e6;
    }

    /** The study's job once SUCCEEDED (and, with {@code after}, started after that moment). */
    private static JsonObject awaitJob(int port, String study, Instant after, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            JsonArray list = new JsonObject(get(port, "/api/jobs?study=" + study)).getJsonArray("jobs");
            for (Object o : list) {
                JsonObject j = (JsonObject) o;
                if ("FAILED".equals(j.getString("state"))) {
                    throw new IllegalStateException("job " + j.getString("id") + " failed: " + j.getString("reason"));
                }
                if ("SUCCEEDED".equals(j.getString("state")) && j.getString("startedAt") != null
                        && (after == null || Instant.parse(j.getString("startedAt")).isAfter(after))) {
                    return j;
                }
            }
            Thread.sleep(10); // each listing parses the jobs' input lists: polling faster loads the server it measures
        }
        throw new IllegalStateException("no job of study " + study + " succeeded within " + timeout);
    }

    private static String get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static void post(int port, String path, JsonObject body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IllegalStateException("POST " + path + ": " + r.statusCode() + " " + r.body());
        }
    }

    private static double percentile(List<Double> values, int p) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }
}
