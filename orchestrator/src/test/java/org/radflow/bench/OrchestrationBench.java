package org.radflow.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.radflow.config.RadflowConfig;
import org.radflow.server.RadflowServer;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;
import org.radflow.testkit.Dcmtk;
import org.radflow.testkit.FreePorts;
import org.radflow.testkit.OrthancServer;
import org.radflow.testkit.PostgresServer;

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
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Orchestration overhead: for N studies, the time from the last instance stored (the newest spool file's modification
 * time, written before the C-STORE response) to the last output acknowledged by Orthanc — so the wait for the unit's
 * completion (the tracker) is in it (issue 16); the part after the job's creation is printed too, with a module that does no work (sample-slow with
 * delayMs 0, one measurement, no mask), so what is measured is RadFlow: planning, scheduling,
 * reading the inputs, writing the SR and the report page, the outbox and C-STORE. Run by
 * bench/orchestration.sh; with {@code --store postgres} the journal and outbox are in a PostgreSQL started here
 * (bench/orchestration-store.sh compares the two stores).
 */
public final class OrchestrationBench {

    public static void main(String[] argv) throws Exception {
        // --store h2 (the embedded default) | postgres (a PostgreSQL started here, fsync on, as a cluster's shared store)
        List<String> positional = new ArrayList<>(List.of(argv));
        String storeKind = "h2";
        int at = positional.indexOf("--store");
        if (at >= 0) {
            if (at + 1 >= positional.size() || !List.of("h2", "postgres").contains(positional.get(at + 1))) {
                throw new IllegalArgumentException("--store takes h2 or postgres");
            }
            storeKind = positional.get(at + 1);
            positional.subList(at, at + 2).clear();
        }
        String[] args = positional.toArray(String[]::new);
        System.out.println("store: " + storeKind);
        try (PostgresServer postgres = storeKind.equals("postgres") ? new PostgresServer().durable().start() : null) {
            run(args, postgres == null ? "" : "store: {url: '" + postgres.createDatabase("orchestration") + "', user: "
                    + postgres.user() + "}\n");
        }
    }

    private static void run(String[] args, String storeYaml) throws Exception {
        int studies = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        Path dir = Files.createTempDirectory("radflow-bench");
        Path jar = Path.of(args.length > 1 ? args[1] : "orchestrator/target/test-modules/sample/radflow-sample-module.jar");
        String isolation = args.length > 2 ? args[2] : "in-process"; // or "process": the module runs in a worker JVM
        Path modules = dir.resolve("modules");
        Files.createDirectories(modules.resolve("sample"));
        Files.copy(jar, modules.resolve("sample").resolve("sample.jar"));
        try (OrthancServer pacs = new OrthancServer().withName("bench-pacs").start()) {
            Path cfg = dir.resolve("radflow.yaml");
            Files.writeString(cfg, """
                    server: {dataDir: %s}
                    listener: {bindAddress: 127.0.0.1, port: %d, minFreeSpaceMb: 0}
                    api: {port: %d}
                    tracking: {seriesQuietSeconds: 0, studyQuietSeconds: 3600}
                    %smodules:
                      dir: %s
                      watch: false
                      sample-slow: {maxConcurrentJobs: 1, isolation: %s, heapMb: 512, config: {delayMs: 0}}
                    destinations:
                      pacs: {type: dicom, aeTitle: %s, host: 127.0.0.1, port: %d}
                    rules:
                      - {name: noop, module: sample-slow, destinations: [pacs], match: {Modality: MR}}
                    """.formatted(dir.resolve("data"), FreePorts.find(), FreePorts.find(), storeYaml, modules, isolation, pacs.aeTitle(), pacs.dicomPort()));
            try (RadflowServer s = new RadflowServer(RadflowConfig.load(cfg), false)) {
                s.start().await(60, TimeUnit.SECONDS);
                List<GeneratedSeries> series = new ArrayList<>();
                for (int i = 0; i < studies; i++) {
                    series.add(Synth.brainMr(dir.resolve("in" + i), MrOptions.defaults().withSeed(1000 + i).withDimensions(35, 51, 8)));
                }
                // one study at a time, as they would trickle in, so each measures its own path
                List<Double> overhead = new ArrayList<>();
                List<Double> fromCreation = new ArrayList<>();
                for (GeneratedSeries g : series) {
                    Dcmtk.storescu().host("127.0.0.1").port(s.dicomPort()).calledAe("RADFLOW").files(g.files()).run().assertOk();
                    JsonObject job = awaitDelivered(s.httpPort(), g.studyInstanceUid());
                    Instant stored = LargeSeriesBench.storedAt(dir.resolve("data"), g.studyInstanceUid());
                    Instant created = Instant.parse(job.getString("createdAt"));
                    Instant lastSent = job.getJsonArray("deliveries").stream().map(o -> Instant.parse(((JsonObject) o).getString("sentAt")))
                            .max(Instant::compareTo).orElseThrow();
                    overhead.add(Duration.between(stored, lastSent).toNanos() / 1e6);
                    fromCreation.add(Duration.between(created, lastSent).toNanos() / 1e6);
                }
                List<Double> warm = overhead.subList(Math.min(5, overhead.size() - 1), overhead.size());
                System.out.printf("studies: %d (first 5 are JIT warm-up and excluded: %s ms)%n", studies,
                        overhead.subList(0, Math.min(5, overhead.size())).stream().map(d -> String.format("%.0f", d)).toList());
                System.out.printf("orchestration overhead, last instance stored -> last output acknowledged by Orthanc: p50 %.0f ms, "
                        + "p95 %.0f ms, max %.0f ms (n=%d)%n", percentile(warm, 50), percentile(warm, 95), Collections.max(warm), warm.size());
                List<Double> warmC = fromCreation.subList(Math.min(5, fromCreation.size() - 1), fromCreation.size());
                System.out.printf("of which after the job's creation (the measure before issue 16): p50 %.0f ms, p95 %.0f ms (n=%d)%n",
                        percentile(warmC, 50), percentile(warmC, 95), warmC.size());
            }
        }
    }

    private static JsonObject awaitDelivered(int port, String study) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long end = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < end) {
            JsonArray jobs = new JsonObject(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/api/jobs?study=" + study)).build(), HttpResponse.BodyHandlers.ofString()).body()).getJsonArray("jobs");
            if (!jobs.isEmpty()) {
                JsonObject job = new JsonObject(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/api/jobs/" + jobs.getJsonObject(0).getString("id"))).build(), HttpResponse.BodyHandlers.ofString()).body());
                JsonArray d = job.getJsonArray("deliveries");
                if (d != null && d.size() >= 2 && d.stream().allMatch(o -> "SENT".equals(((JsonObject) o).getString("state")))) {
                    return job;
                }
            }
            Thread.sleep(5);
        }
        throw new IllegalStateException("study " + study + " was not delivered within 60 s");
    }

    private static double percentile(List<Double> values, int p) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }
}
