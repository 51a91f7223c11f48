package org.radflow.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmBufferPoolMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmClassLoadingMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmCompilationMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmGarbageCollectorMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmRuntimeInfoMetric;
import io.prometheus.metrics.instrumentation.jvm.JvmThreadsMetrics;
import io.prometheus.metrics.instrumentation.jvm.ProcessMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * RadFlow's metrics and the JVM's, in the Prometheus text exposition format (version 0.0.4), kept with the Prometheus
 * Java client. Each server has its own registry: two servers in one JVM (tests, a cluster on one machine) never
 * share or double-register a metric.
 *
 * <p>Counters and histograms are kept here, fed by the listener, the journal and the outbox; gauges that live
 * elsewhere (job counts, queue depth, outbox backlog, module workers) are read at scrape time through {@link Gauges}.
 * The JVM figures (memory and its pools, GC, threads, class loading, buffer pools, process CPU, open file descriptors)
 * come from the client's JVM instrumentation.
 */
public final class Metrics {

    /** Bucket upper bounds (seconds) of the latency histograms: 50 ms to 1 h. */
    static final double[] BUCKETS = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600};

    /** What the text format answers with: the HTTP content type of {@link #render}. */
    public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

    /** Values read at scrape time. */
    public interface Gauges {
        /** Jobs by module and state. */
        Map<String, Map<String, Integer>> jobs() throws Exception;

        /** Outbox backlog by destination: pending and dead objects. */
        Map<String, int[]> outbox() throws Exception;

        /** Worker processes by module (modules that run in workers); none when no module has had one. */
        default Map<String, ModuleWorkers> workers() throws Exception {
            return Map.of();
        }
    }

    /**
     * One module's worker processes: how many are alive now, and since the server started how many were started,
     * could not start, and were lost (the events that count towards {@code maxWorkerCrashes}, and deaths while idle).
     */
    public record ModuleWorkers(int live, long starts, long startFailures, long crashes) {
    }

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    private final Counter instances = Counter.builder().name("radflow_instances_received_total")
            .help("DICOM instances received and stored in the spool").register(registry);
    private final Counter bytes = Counter.builder().name("radflow_bytes_received_total")
            .help("Bytes of DICOM instances received").register(registry);
    private final Counter associations = Counter.builder().name("radflow_associations_total")
            .help("Inbound DICOM associations that ended").register(registry);
    private final Counter deliveryFailures = Counter.builder().name("radflow_delivery_failures_total")
            .help("Failed delivery attempts by destination").labelNames("destination").register(registry);
    private final Counter delivered = Counter.builder().name("radflow_objects_delivered_total")
            .help("Objects delivered by destination").labelNames("destination").register(registry);
    private final Histogram queueWait = histogram("radflow_job_queue_wait_seconds",
            "Time a job waited in the queue (from when it could start until it started)");
    private final Histogram runTime = histogram("radflow_job_run_seconds", "Time a job ran in its module (started to finished)");
    /** The module's own process() call: finer at the low end than the job histograms (a fast module takes milliseconds). */
    private final Histogram moduleRun = Histogram.builder().name("radflow_module_run_seconds")
            .help("Time a module's own process() call took per attempt (in its worker or in process); the rest of "
                    + "radflow_job_run_seconds is the platform's share (decoding, reports, journal)")
            .labelNames("module").classicOnly()
            .classicUpperBounds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)
            .register(registry);
    private final Histogram deliveryTime = histogram("radflow_job_delivery_seconds",
            "Time from an output object's queuing in the outbox to its delivery");

    public Metrics() {
        // JvmMetrics.builder() would add these and keep every registry it saw in a static set, with a GC listener each
        // (jvm_memory_pool_allocated_bytes_total): a leak when many servers come and go in one JVM (tests). The
        // collectors below only read MXBeans at scrape time.
        JvmMemoryMetrics.builder().register(registry);
        JvmGarbageCollectorMetrics.builder().register(registry);
        JvmThreadsMetrics.builder().register(registry);
        JvmClassLoadingMetrics.builder().register(registry);
        JvmBufferPoolMetrics.builder().register(registry);
        JvmCompilationMetrics.builder().register(registry);
        JvmRuntimeInfoMetric.builder().register(registry);
        ProcessMetrics.builder().register(registry);
    }

    private Histogram histogram(String name, String help) {
        return Histogram.builder().name(name).help(help).labelNames("module").classicOnly().classicUpperBounds(BUCKETS)
                .register(registry);
    }

    public void instanceReceived(long size) {
        instances.inc();
        bytes.inc(size);
    }

    public void associationEnded() {
        associations.inc();
    }

    public void queueWait(String module, double seconds) {
        queueWait.labelValues(module).observe(Math.max(0, seconds));
    }

    public void runTime(String module, double seconds) {
        runTime.labelValues(module).observe(Math.max(0, seconds));
    }

    public void moduleRun(String module, double seconds) {
        moduleRun.labelValues(module).observe(Math.max(0, seconds));
    }

    public void delivered(String module, String destination, double seconds) {
        deliveryTime.labelValues(module).observe(Math.max(0, seconds));
        delivered.labelValues(destination).inc();
    }

    public void deliveryFailed(String destination) {
        deliveryFailures.labelValues(destination).inc();
    }

    /** The exposition text. */
    public String render(Gauges gauges) throws Exception {
        Map<String, Map<String, Integer>> jobs = gauges.jobs();
        Map<String, int[]> outbox = gauges.outbox();
        Map<String, ModuleWorkers> workers = new TreeMap<>(gauges.workers());
        // every known destination has its counters, at 0 until something happens: a dashboard sees the series at once
        for (String d : outbox.keySet()) {
            deliveryFailures.labelValues(d);
            delivered.labelValues(d);
        }

        List<MetricSnapshot> all = new ArrayList<>();
        registry.scrape().forEach(all::add);

        GaugeSnapshot.Builder byState = GaugeSnapshot.builder().name("radflow_jobs").help("Jobs in the journal by module and state");
        GaugeSnapshot.Builder depth = GaugeSnapshot.builder().name("radflow_queue_depth").help("Queued jobs by module");
        new TreeMap<>(jobs).forEach((module, states) -> {
            new TreeMap<>(states).forEach((state, n) -> byState.dataPoint(gauge(n, "module", module, "state", state)));
            depth.dataPoint(gauge(states.getOrDefault("QUEUED", 0), "module", module));
        });
        all.add(byState.build());
        all.add(depth.build());

        GaugeSnapshot.Builder backlog = GaugeSnapshot.builder().name("radflow_outbox_backlog")
                .help("Objects waiting in the outbox to be sent, by destination");
        GaugeSnapshot.Builder dead = GaugeSnapshot.builder().name("radflow_outbox_dead")
                .help("Objects given up (dead letters) by destination, until retried");
        new TreeMap<>(outbox).forEach((d, c) -> {
            backlog.dataPoint(gauge(c[0], "destination", d));
            dead.dataPoint(gauge(c[1], "destination", d));
        });
        all.add(backlog.build());
        all.add(dead.build());

        GaugeSnapshot.Builder live = GaugeSnapshot.builder().name("radflow_module_workers")
                .help("Live worker processes by module");
        workers.forEach((module, w) -> live.dataPoint(gauge(w.live(), "module", module)));
        all.add(live.build());
        all.add(counter("radflow_module_worker_starts", "Worker processes started by module", workers, ModuleWorkers::starts));
        all.add(counter("radflow_module_worker_start_failures",
                "Worker processes that could not start (or load their module) by module", workers, ModuleWorkers::startFailures));
        all.add(counter("radflow_module_worker_crashes",
                "Worker processes lost during a job (died, or stopped by the host for a hang or a flood of output) or died while idle, by module",
                workers, ModuleWorkers::crashes));

        ByteArrayOutputStream out = new ByteArrayOutputStream(32 * 1024);
        writer.write(out, new MetricSnapshots(all));
        return out.toString(StandardCharsets.UTF_8);
    }

    private static GaugeDataPointSnapshot gauge(double value, String... labels) {
        return GaugeDataPointSnapshot.builder().value(value).labels(Labels.of(labels)).build();
    }

    private static CounterSnapshot counter(String name, String help, Map<String, ModuleWorkers> workers,
                                           ToDoubleFunction<ModuleWorkers> value) {
        CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
        workers.forEach((module, w) -> b.dataPoint(CounterDataPointSnapshot.builder().value(value.applyAsDouble(w))
                .labels(Labels.of("module", module)).build()));
        return b.build();
    }
}
