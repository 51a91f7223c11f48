package org.radflow.metrics;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricsTest {

    /** Gauges as the server reads them at scrape time. */
    private static Metrics.Gauges gauges(Map<String, Map<String, Integer>> jobs, Map<String, int[]> outbox,
                                         Map<String, Metrics.ModuleWorkers> workers) {
        return new Metrics.Gauges() {
            @Override
            public Map<String, Map<String, Integer>> jobs() {
                return jobs;
            }

            @Override
            public Map<String, int[]> outbox() {
                return outbox;
            }

            @Override
            public Map<String, Metrics.ModuleWorkers> workers() {
                return workers;
            }
        };
    }

    @Test
    void exposesCountersGaugesAndCumulativeHistograms() throws Exception {
        Metrics m = new Metrics();
        m.instanceReceived(1000);
        m.instanceReceived(24);
        m.associationEnded();
        m.runTime("sample", 0.3);
        m.runTime("sample", 7);
        m.queueWait("sample", -1); // clock skew: counted as 0
        m.deliveryFailed("pacs");
        m.delivered("sample", "pacs", 2);
        String text = m.render(gauges(Map.of("sample", Map.of("QUEUED", 2, "SUCCEEDED", 5)),
                Map.of("pacs", new int[]{3, 1}, "archive", new int[]{0, 0}), Map.of()));
        Map<String, Double> s = PrometheusText.parse(text);
        assertEquals(2, s.get("radflow_instances_received_total"));
        assertEquals(1024, s.get("radflow_bytes_received_total"));
        assertEquals(1, s.get("radflow_associations_total"));
        assertEquals(2, s.get("radflow_queue_depth{module=\"sample\"}"));
        assertEquals(5, s.get("radflow_jobs{module=\"sample\",state=\"SUCCEEDED\"}"));
        assertEquals(3, s.get("radflow_outbox_backlog{destination=\"pacs\"}"));
        assertEquals(1, s.get("radflow_outbox_dead{destination=\"pacs\"}"));
        assertEquals(1, s.get("radflow_delivery_failures_total{destination=\"pacs\"}"));
        assertEquals(1, s.get("radflow_objects_delivered_total{destination=\"pacs\"}"));
        // a destination known to the outbox has its counters from the start, at 0
        assertEquals(0, s.get("radflow_delivery_failures_total{destination=\"archive\"}"));
        assertEquals(0, s.get("radflow_objects_delivered_total{destination=\"archive\"}"));
        assertEquals(1, s.get("radflow_job_run_seconds_bucket{module=\"sample\",le=\"0.5\"}"));
        assertEquals(2, s.get("radflow_job_run_seconds_bucket{module=\"sample\",le=\"10.0\"}"));
        assertEquals(2, s.get("radflow_job_run_seconds_bucket{module=\"sample\",le=\"+Inf\"}"));
        assertEquals(2, s.get("radflow_job_run_seconds_count{module=\"sample\"}"));
        assertEquals(7.3, s.get("radflow_job_run_seconds_sum{module=\"sample\"}"), 1e-9);
        assertEquals(1, s.get("radflow_job_queue_wait_seconds_bucket{module=\"sample\",le=\"0.05\"}"));
        assertEquals(0, s.get("radflow_job_queue_wait_seconds_sum{module=\"sample\"}"));
        assertEquals(1, s.get("radflow_job_delivery_seconds_bucket{module=\"sample\",le=\"2.5\"}"));
        assertEquals(0, s.get("radflow_job_delivery_seconds_bucket{module=\"sample\",le=\"1.0\"}"));
        assertTrue(text.contains("# TYPE radflow_job_run_seconds histogram"), text);
        assertTrue(text.contains("# TYPE radflow_instances_received_total counter"), text);
        assertTrue(text.contains("# TYPE radflow_queue_depth gauge"), text);
        assertTrue(text.contains("# HELP radflow_jobs Jobs in the journal by module and state"), text);
    }

    /** Every metric the hand-written exposition had keeps its name, type and labels (dashboards and alerts use them). */
    @Test
    void keepsEveryEarlierMetricName() throws Exception {
        Metrics m = new Metrics();
        m.queueWait("sample", 1);
        m.runTime("sample", 1);
        m.delivered("sample", "pacs", 1);
        String text = m.render(gauges(Map.of("sample", Map.of("QUEUED", 0)), Map.of("pacs", new int[]{0, 0}), Map.of()));
        for (String type : List.of(
                "radflow_instances_received_total counter", "radflow_bytes_received_total counter",
                "radflow_associations_total counter", "radflow_jobs gauge", "radflow_queue_depth gauge",
                "radflow_job_queue_wait_seconds histogram", "radflow_job_run_seconds histogram",
                "radflow_job_delivery_seconds histogram", "radflow_outbox_backlog gauge", "radflow_outbox_dead gauge",
                "radflow_delivery_failures_total counter", "radflow_objects_delivered_total counter",
                "jvm_memory_used_bytes gauge", "jvm_memory_max_bytes gauge")) {
            assertTrue(text.contains("# TYPE " + type + "\n"), "# TYPE " + type + " missing in\n" + text);
        }
        Map<String, Double> s = PrometheusText.parse(text);
        assertTrue(s.get("jvm_memory_used_bytes{area=\"heap\"}") > 0);
        assertNotNull(s.get("jvm_memory_used_bytes{area=\"nonheap\"}"));
        assertNotNull(s.get("jvm_memory_max_bytes{area=\"heap\"}"));
    }

    /** The figures operators' JVM dashboards expect: memory pools, GC, threads, process CPU and file descriptors. */
    @Test
    void exposesTheJvmAndProcessFigures() throws Exception {
        System.gc(); // at least one collection, so the GC summary has a count
        Map<String, Double> s = PrometheusText.parse(new Metrics().render(gauges(Map.of(), Map.of(), Map.of())));
        assertTrue(s.keySet().stream().anyMatch(k -> k.startsWith("jvm_memory_pool_used_bytes{pool=")), s.keySet().toString());
        assertTrue(s.keySet().stream().anyMatch(k -> k.startsWith("jvm_gc_collection_seconds_count{gc=")), s.keySet().toString());
        assertTrue(s.get("jvm_threads_current") >= 1);
        assertTrue(s.get("process_cpu_seconds_total") > 0);
        assertTrue(s.get("process_open_fds") > 0);
        assertTrue(s.get("process_max_fds") >= s.get("process_open_fds"));
        assertTrue(s.get("process_start_time_seconds") > 1.6e9);
        assertTrue(s.keySet().stream().anyMatch(k -> k.startsWith("jvm_runtime_info{")), s.keySet().toString());
    }

    @Test
    void exposesWorkerProcessesByModule() throws Exception {
        String text = new Metrics().render(gauges(Map.of(), Map.of(),
                Map.of("covidnet", new Metrics.ModuleWorkers(2, 5, 1, 3), "hippovolume", new Metrics.ModuleWorkers(0, 0, 0, 0))));
        Map<String, Double> s = PrometheusText.parse(text);
        assertEquals(2, s.get("radflow_module_workers{module=\"covidnet\"}"));
        assertEquals(0, s.get("radflow_module_workers{module=\"hippovolume\"}"));
        assertEquals(5, s.get("radflow_module_worker_starts_total{module=\"covidnet\"}"));
        assertEquals(1, s.get("radflow_module_worker_start_failures_total{module=\"covidnet\"}"));
        assertEquals(3, s.get("radflow_module_worker_crashes_total{module=\"covidnet\"}"));
        assertTrue(text.contains("# TYPE radflow_module_workers gauge"), text);
        assertTrue(text.contains("# TYPE radflow_module_worker_starts_total counter"), text);
    }

    /** Two servers in one JVM (tests, a cluster on one machine): each has its own figures, and neither fails to start. */
    @Test
    void eachInstanceHasItsOwnRegistry() throws Exception {
        Metrics a = new Metrics();
        Metrics b = new Metrics();
        a.instanceReceived(10);
        Metrics.Gauges none = gauges(Map.of(), Map.of(), Map.of());
        assertEquals(1, PrometheusText.parse(a.render(none)).get("radflow_instances_received_total"));
        Map<String, Double> other = PrometheusText.parse(b.render(none));
        assertEquals(0, other.get("radflow_instances_received_total"));
        assertTrue(other.get("jvm_memory_used_bytes{area=\"heap\"}") > 0, "the second registry has the JVM figures too");
    }

    @Test
    void labelValuesAreEscaped() throws Exception {
        Metrics m = new Metrics();
        m.deliveryFailed("a\"b\\c\nd");
        String text = m.render(gauges(Map.of(), Map.of(), Map.of()));
        assertTrue(text.contains("radflow_delivery_failures_total{destination=\"a\\\"b\\\\c\\nd\"} 1"), text);
        assertFalse(text.contains("a\"b"), "a raw quote would end the label value");
        PrometheusText.parse(text);
    }
}
