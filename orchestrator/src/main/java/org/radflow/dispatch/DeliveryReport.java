package org.radflow.dispatch;

import java.util.List;

/** Per-instance outcomes of one send of a set of files to one destination. */
public record DeliveryReport(String destination, List<InstanceOutcome> outcomes) {

    public DeliveryReport {
        outcomes = List.copyOf(outcomes);
    }

    public boolean allSucceeded() {
        return outcomes.stream().allMatch(InstanceOutcome::success);
    }

    public List<InstanceOutcome> failures() {
        return outcomes.stream().filter(o -> !o.success()).toList();
    }
}
