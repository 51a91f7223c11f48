package org.radflow.routing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.Trigger;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * What one rule says about one unit.
 *
 * @param reason        why not, for every outcome but {@link Outcome#MATCHED}: the first condition
 *                      that failed, "disabled", or the missing module
 * @param module        the module's descriptor, when the module exists
 * @param moduleRefusal for a match: why the module's own selection does not accept the unit, as a sentence
 *                      ("View Position is LAT; COVID-Net reads frontal (PA/AP) chest radiographs"); the
 *                      job is then recorded {@code NOT_APPLICABLE} with this reason instead of run
 * @param refusalCondition the raw condition behind {@code moduleRefusal}
 *                      ({@code ViewPosition matches /PA|AP/i or is absent (was 'LAT')}), kept in the job's timeline
 */
public record RuleEvaluation(RoutingRule rule, Outcome outcome, Optional<String> reason,
                             Optional<ModuleDescriptor> module, Optional<String> moduleRefusal,
                             Optional<String> refusalCondition) {

    public enum Outcome {
        /** Every condition passed and the module exists: a job is made. */
        MATCHED,
        /** A condition failed; {@code reason} says which. */
        NOT_MATCHED,
        /** {@code enabled: false}; {@code reason} says whether it would match. */
        DISABLED,
        /** The rule names a module that is not installed (a configuration error; no job). */
        UNKNOWN_MODULE
    }

    public RuleEvaluation {
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(outcome, "outcome");
        reason = Objects.requireNonNullElse(reason, Optional.empty());
        module = Objects.requireNonNullElse(module, Optional.empty());
        moduleRefusal = Objects.requireNonNullElse(moduleRefusal, Optional.empty());
        refusalCondition = Objects.requireNonNullElse(refusalCondition, Optional.empty());
        if (outcome != Outcome.MATCHED && reason.isEmpty()) {
            throw new IllegalArgumentException(outcome + " needs a reason");
        }
        if (outcome == Outcome.MATCHED && module.isEmpty()) {
            throw new IllegalArgumentException("a match needs the module");
        }
    }

    /** An evaluation whose refusal (if any) has no separate raw condition. */
    public RuleEvaluation(RoutingRule rule, Outcome outcome, Optional<String> reason, Optional<ModuleDescriptor> module,
                          Optional<String> moduleRefusal) {
        this(rule, outcome, reason, module, moduleRefusal, Optional.empty());
    }

    /** The rule matched: a job is made (run, or recorded not applicable when the module refuses). */
    public boolean matched() {
        return outcome == Outcome.MATCHED;
    }

    /** The rule matched and the module accepts the unit: the job will run. */
    public boolean willRun() {
        return matched() && moduleRefusal.isEmpty();
    }

    /** The job's trigger: the rule's, else the module's; empty when neither is known. */
    public Optional<Trigger> trigger() {
        return rule.trigger().or(() -> module.map(ModuleDescriptor::trigger));
    }

    /**
     * One line: {@code MATCH -> module covidnet (trigger instance, priority high, destinations: pacs)},
     * {@code no: Modality is one of [CR, DX] (was 'MR')}, {@code disabled: ...}, {@code error: No module ...}.
     */
    public String describe() {
        return switch (outcome) {
            case MATCHED -> "MATCH -> module " + rule.module() + " (" + jobSummary() + ")"
                    + moduleRefusal.map(r -> "; but the module does not accept it: " + r + " (the job is recorded NOT_APPLICABLE)").orElse("");
            case NOT_MATCHED -> "no: " + reason.orElseThrow();
            case DISABLED -> "disabled: " + reason.orElseThrow();
            case UNKNOWN_MODULE -> "error: " + reason.orElseThrow();
        };
    }

    private String jobSummary() {
        String trig = trigger().map(t -> t.name().toLowerCase(Locale.ROOT)).orElse("?")
                + (rule.trigger().isEmpty() ? " (module default)" : "");
        return "trigger " + trig + ", priority " + rule.priority().configName() + ", destinations: "
                + (rule.destinations().isEmpty() ? "none" : String.join(", ", rule.destinations()));
    }

    /** For the API: outcome in lower case, the job's settings, and the one-line {@code text}. */
    public JsonObject toJson() {
        JsonObject j = new JsonObject()
                .put("rule", rule.name())
                .put("module", rule.module())
                .put("outcome", outcome.name().toLowerCase(Locale.ROOT))
                .put("willRun", willRun())
                .put("trigger", trigger().map(t -> t.name().toLowerCase(Locale.ROOT)).orElse(null))
                .put("priority", rule.priority().configName())
                .put("destinations", new JsonArray(rule.destinations()))
                .put("text", describe());
        reason.ifPresent(r -> j.put("reason", r));
        moduleRefusal.ifPresent(r -> j.put("moduleRefusal", r));
        module.ifPresent(m -> j.put("moduleVersion", m.version()));
        return j;
    }
}
