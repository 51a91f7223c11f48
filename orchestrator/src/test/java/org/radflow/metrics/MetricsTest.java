package org.radflow.metrics;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricsTest {

    @Test
    void exposesCountersGaugesAndCumulativeHistograms() throws Exception {
        Metrics m = new Metrics();
        m.instanceReceived(1000);
        m.instanceReceived(24);
        m.runTime("sample", 0.3);
        m.runTime("sample", 7);
        m.deliveryFailed("pacs");
        String text = m.render(new Metrics.Gauges() {
            @Override
            public Map<String, Map<String, Integer>> jobs() {
                return Map.of("sample", Map.of("QUEUED", 2, "SUCCEEDED", 5));
            }

            @Override
            public Map<String, int[]> outbox() {
                return Map.of("pacs", new int[]{3, 1});
            }
        });
        Map<String, Double> s = PrometheusText.parse(text);
        assertEquals(2, s.get("radflow_instances_received_total"));
        assertEquals(1024, s.get("radflow_bytes_received_total"));
        assertEquals(2, s.get("radflow_queue_depth{module=\"sample\"}"));
        assertEquals(5, s.get("radflow_jobs{module=\"sample\",state=\"SUCCEEDED\"}"));
        assertEquals(3, s.get("radflow_outbox_backlog{destination=\"pacs\"}"));
        assertEquals(1, s.get("radflow_delivery_failures_total{destination=\"pacs\"}"));
        assertEquals(1, s.get("radflow_job_run_seconds_bucket{module=\"sample\",le=\"0.5\"}"));
        assertEquals(2, s.get("radflow_job_run_seconds_bucket{module=\"sample\",le=\"10.0\"}"));
        assertEquals(2, s.get("radflow_job_run_seconds_bucket{module=\"sample\",le=\"+Inf\"}"));
        assertEquals(7.3, s.get("radflow_job_run_seconds_sum{module=\"sample\"}"), 1e-9);
        assertTrue(s.get("jvm_memory_used_bytes{area=\"heap\"}") > 0);
        assertTrue(text.contains("# TYPE radflow_job_run_seconds histogram"));
    }

    @Test
    void labelValuesAreEscaped() {
        assertEquals("a\\\"b\\\\c\\n", Metrics.esc("a\"b\\c\n"));
    }
}
