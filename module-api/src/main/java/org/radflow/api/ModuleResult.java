package org.radflow.api;

import java.util.List;
import java.util.Map;

/**
 * What a module returns. The platform turns a completed result into DICOM (SR, report page, SEG).
 *
 * @param reason     why, for NOT_APPLICABLE and FAILED
 * @param summary    one or two sentences for the report page and the dashboard
 * @param parameters algorithm parameters worth recording (e.g. model profile), shown in the SR
 */
public record ModuleResult(Status status, String reason, List<Finding> findings, List<KeyImage> keyImages,
                           String summary, Map<String, String> parameters) {

    public enum Status { COMPLETED, NOT_APPLICABLE, FAILED }

    public ModuleResult {
        if (status == null) {
            throw new IllegalArgumentException("status is required");
        }
        if (status != Status.COMPLETED && (reason == null || reason.isBlank())) {
            throw new IllegalArgumentException(status + " needs a reason");
        }
        findings = List.copyOf(findings);
        keyImages = List.copyOf(keyImages);
        parameters = Map.copyOf(parameters);
        summary = summary == null ? "" : summary;
    }

    public static ModuleResult completed(List<Finding> findings, List<KeyImage> keyImages, String summary,
                                         Map<String, String> parameters) {
        return new ModuleResult(Status.COMPLETED, null, findings, keyImages, summary, parameters);
    }

    public static ModuleResult notApplicable(String reason) {
        return new ModuleResult(Status.NOT_APPLICABLE, reason, List.of(), List.of(), "", Map.of());
    }

    public static ModuleResult failed(String reason) {
        return new ModuleResult(Status.FAILED, reason, List.of(), List.of(), "", Map.of());
    }
}
