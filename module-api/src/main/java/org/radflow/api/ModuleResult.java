package org.radflow.api;

import java.util.List;
import java.util.Map;

/**
 * What a module returns. The platform turns a completed result into DICOM (SR, report page, SEG).
 *
 * @param reason     why, for NOT_APPLICABLE and FAILED
 * @param summary    one or two sentences for the report page and the dashboard
 * @param parameters algorithm parameters worth recording (e.g. model profile), shown in the SR in the order the
 *                   module gave them: pass a {@link java.util.LinkedHashMap} to choose it. {@code Map.of} has no
 *                   stable order (it changes from one JVM run to the next), so its entries are sorted by name, which
 *                   keeps the outputs of a re-run identical
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
        parameters = ordered(parameters);
        summary = summary == null ? "" : summary;
    }

    /** An unmodifiable copy that keeps the module's order ({@link Map#copyOf} would not); no null keys or values. */
    private static Map<String, String> ordered(Map<String, String> parameters) {
        boolean unstable = parameters.getClass().getName().startsWith("java.util.ImmutableCollections$");
        Map<String, String> copy = unstable ? new java.util.TreeMap<>() : new java.util.LinkedHashMap<>();
        parameters.forEach((k, v) -> copy.put(java.util.Objects.requireNonNull(k, "a parameter name is null"),
                java.util.Objects.requireNonNull(v, "the value of parameter " + k + " is null")));
        return java.util.Collections.unmodifiableMap(unstable ? new java.util.LinkedHashMap<>(copy) : copy);
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
