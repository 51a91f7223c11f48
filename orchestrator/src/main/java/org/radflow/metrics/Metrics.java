package org.radflow.metrics;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;

/**
 * RadFlow's metrics in the Prometheus text exposition format (version 0.0.4). Written by hand rather
 * than with a client library: the format is a few lines of text, a dozen metrics need no registry,
 * and the server keeps one dependency fewer (and no class-path clash with a module's own).
 *
 * <p>Counters and histograms are kept here, fed by the listener, the journal and the outbox; gauges
 * that live elsewhere (job counts, queue depth, outbox backlog) are read at scrape time through
 * {@link Gauges}.
 */
public final class Metrics {

    /** Bucket upper bounds (seconds) of the latency histograms: 50 ms to 1 h. */
    static final double[] BUCKETS = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600};

    /** Values read at scrape time. */
    public interface Gauges {
        /** Jobs by module and state. */
        Map<String, Map<String, Integer>> jobs() throws Exception;

        /** Outbox backlog by destination: pending and dead objects. */
        Map<String, int[]> outbox() throws Exception;
    }

    private final AtomicLong instances = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong associations = new AtomicLong();
    private final Map<String, AtomicLong> deliveryFailures = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> delivered = new ConcurrentHashMap<>();
    private final Map<String, Histogram> queueWait = new ConcurrentHashMap<>();
    private final Map<String, Histogram> runTime = new ConcurrentHashMap<>();
    private final Map<String, Histogram> deliveryTime = new ConcurrentHashMap<>();

    /** A cumulative histogram. */
    static final class Histogram {
        final AtomicLong[] counts = new AtomicLong[BUCKETS.length];
        final AtomicLong count = new AtomicLong();
        final DoubleAdder sum = new DoubleAdder();

        Histogram() {
            for (int i = 0; i < counts.length; i++) {
                counts[i] = new AtomicLong();
            }
        }

        void observe(double seconds) {
            for (int i = 0; i < BUCKETS.length; i++) {
                if (seconds <= BUCKETS[i]) {
                    counts[i].incrementAndGet();
                }
            }
            count.incrementAndGet();
            sum.add(seconds);
        }
    }

    public void instanceReceived(long size) {
        instances.incrementAndGet();
        bytes.addAndGet(size);
    }

    public void associationEnded() {
        associations.incrementAndGet();
    }

    public void queueWait(String module, double seconds) {
        queueWait.computeIfAbsent(module, k -> new Histogram()).observe(Math.max(0, seconds));
    }

    public void runTime(String module, double seconds) {
        runTime.computeIfAbsent(module, k -> new Histogram()).observe(Math.max(0, seconds));
    }

    public void delivered(String module, String destination, double seconds) {
        deliveryTime.computeIfAbsent(module, k -> new Histogram()).observe(Math.max(0, seconds));
        delivered.computeIfAbsent(destination, k -> new AtomicLong()).incrementAndGet();
    }

    public void deliveryFailed(String destination) {
        deliveryFailures.computeIfAbsent(destination, k -> new AtomicLong()).incrementAndGet();
    }

    /** The exposition text. */
    public String render(Gauges gauges) throws Exception {
        StringBuilder b = new StringBuilder(8192);
        header(b, "radflow_instances_received_total", "counter", "DICOM instances received and stored in the spool");
        b.append("radflow_instances_received_total ").append(instances.get()).append('\n');
        header(b, "radflow_bytes_received_total", "counter", "Bytes of DICOM instances received");
        b.append("radflow_bytes_received_total ").append(bytes.get()).append('\n');
        header(b, "radflow_associations_total", "counter", "Inbound DICOM associations that ended");
        b.append("radflow_associations_total ").append(associations.get()).append('\n');

        Map<String, Map<String, Integer>> jobs = gauges.jobs();
        header(b, "radflow_jobs", "gauge", "Jobs in the journal by module and state");
        jobs.forEach((module, byState) -> byState.forEach((state, n) ->
                b.append("radflow_jobs{module=\"").append(esc(module)).append("\",state=\"").append(state).append("\"} ")
                        .append(n).append('\n')));
        header(b, "radflow_queue_depth", "gauge", "Queued jobs by module");
        jobs.forEach((module, byState) -> b.append("radflow_queue_depth{module=\"").append(esc(module)).append("\"} ")
                .append(byState.getOrDefault("QUEUED", 0)).append('\n'));

        histograms(b, "radflow_job_queue_wait_seconds", "Time a job waited in the queue (from when it could start until it started)",
                queueWait);
        histograms(b, "radflow_job_run_seconds", "Time a job ran in its module (started to finished)", runTime);
        histograms(b, "radflow_job_delivery_seconds", "Time from an output object's queuing in the outbox to its delivery",
                deliveryTime);

        Map<String, int[]> outbox = gauges.outbox();
        header(b, "radflow_outbox_backlog", "gauge", "Objects waiting in the outbox to be sent, by destination");
        outbox.forEach((d, c) -> b.append("radflow_outbox_backlog{destination=\"").append(esc(d)).append("\"} ").append(c[0]).append('\n'));
        header(b, "radflow_outbox_dead", "gauge", "Objects given up (dead letters) by destination, until retried");
        outbox.forEach((d, c) -> b.append("radflow_outbox_dead{destination=\"").append(esc(d)).append("\"} ").append(c[1]).append('\n'));
        header(b, "radflow_delivery_failures_total", "counter", "Failed delivery attempts by destination");
        Map<String, Long> failures = new TreeMap<>();
        outbox.keySet().forEach(d -> failures.put(d, 0L));
        deliveryFailures.forEach((d, n) -> failures.put(d, n.get()));
        failures.forEach((d, n) -> b.append("radflow_delivery_failures_total{destination=\"").append(esc(d)).append("\"} ").append(n).append('\n'));
        header(b, "radflow_objects_delivered_total", "counter", "Objects delivered by destination");
        Map<String, Long> sent = new TreeMap<>();
        outbox.keySet().forEach(d -> sent.put(d, 0L));
        delivered.forEach((d, n) -> sent.put(d, n.get()));
        sent.forEach((d, n) -> b.append("radflow_objects_delivered_total{destination=\"").append(esc(d)).append("\"} ").append(n).append('\n'));

        var mem = ManagementFactory.getMemoryMXBean();
        MemoryUsage heap = mem.getHeapMemoryUsage();
        MemoryUsage nonHeap = mem.getNonHeapMemoryUsage();
        header(b, "jvm_memory_used_bytes", "gauge", "JVM memory in use");
        b.append("jvm_memory_used_bytes{area=\"heap\"} ").append(heap.getUsed()).append('\n');
        b.append("jvm_memory_used_bytes{area=\"nonheap\"} ").append(nonHeap.getUsed()).append('\n');
        header(b, "jvm_memory_max_bytes", "gauge", "JVM memory limit (-1: none)");
        b.append("jvm_memory_max_bytes{area=\"heap\"} ").append(heap.getMax()).append('\n');
        b.append("jvm_memory_max_bytes{area=\"nonheap\"} ").append(nonHeap.getMax()).append('\n');
        return b.toString();
    }

    private static void histograms(StringBuilder b, String name, String help, Map<String, Histogram> byModule) {
        header(b, name, "histogram", help);
        new TreeMap<>(byModule).forEach((module, h) -> {
            String m = esc(module);
            // read count first: a concurrent observation can only make buckets larger than count, never the +Inf line smaller
            long count = h.count.get();
            double sum = h.sum.sum();
            for (int i = 0; i < BUCKETS.length; i++) {
                b.append(name).append("_bucket{module=\"").append(m).append("\",le=\"").append(number(BUCKETS[i])).append("\"} ")
                        .append(Math.min(count, h.counts[i].get())).append('\n');
            }
            b.append(name).append("_bucket{module=\"").append(m).append("\",le=\"+Inf\"} ").append(count).append('\n');
            b.append(name).append("_sum{module=\"").append(m).append("\"} ").append(number(sum)).append('\n');
            b.append(name).append("_count{module=\"").append(m).append("\"} ").append(count).append('\n');
        });
    }

    private static void header(StringBuilder b, String name, String type, String help) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    static String number(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            return String.format(Locale.ROOT, "%.1f", d);
        }
        return Double.toString(d);
    }

    /** Label value escaping: backslash, double quote and line feed. */
    static String esc(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
