package org.radflow.dispatch;

import org.radflow.dicom.net.StorageCommitment;

import java.util.List;

/**
 * Per-instance outcomes of one send of a set of files to one destination, and the storage commitment results
 * the destination sent on the same association (most PACS, Orthanc among them, send them on a new one instead).
 */
public record DeliveryReport(String destination, List<InstanceOutcome> outcomes, List<StorageCommitment.Report> commitmentReports) {

    public DeliveryReport {
        outcomes = List.copyOf(outcomes);
        commitmentReports = List.copyOf(commitmentReports);
    }

    public DeliveryReport(String destination, List<InstanceOutcome> outcomes) {
        this(destination, outcomes, List.of());
    }

    public boolean allSucceeded() {
        return outcomes.stream().allMatch(InstanceOutcome::success);
    }

    public List<InstanceOutcome> failures() {
        return outcomes.stream().filter(o -> !o.success()).toList();
    }
}
