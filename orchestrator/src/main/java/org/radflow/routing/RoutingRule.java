package org.radflow.routing;

import org.radflow.api.ModuleDescriptor;
import org.radflow.api.TagMatch;
import org.radflow.api.Trigger;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One routing rule: units whose tags pass every {@code match} condition become jobs for
 * {@code module}, run at {@code priority}, with the results sent to {@code destinations}.
 * See {@link RuleSet} for the YAML form.
 *
 * @param name         unique within the rule set; jobs, the API and the dashboard refer to it
 * @param module       the module id ({@link ModuleDescriptor#id()})
 * @param trigger      the unit the rule works on; empty: the module descriptor's trigger
 * @param priority     queue priority of the jobs
 * @param destinations names of configured destinations (empty: results stay in RadFlow)
 * @param enabled      a disabled rule is kept, shown and tested, but makes no jobs
 * @param match        every condition must pass; empty matches every unit (the module's own
 *                     selection still applies)
 */
public record RoutingRule(String name, String module, Optional<Trigger> trigger, Priority priority,
                          List<String> destinations, boolean enabled, List<TagMatch> match) {

    public RoutingRule {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a rule needs a name");
        }
        if (module == null || module.isBlank()) {
            throw new IllegalArgumentException("rule " + name + " needs a module");
        }
        trigger = Objects.requireNonNullElse(trigger, Optional.empty());
        priority = Objects.requireNonNullElse(priority, Priority.NORMAL);
        destinations = List.copyOf(destinations);
        match = List.copyOf(match);
    }

    /** The trigger jobs of this rule use with that module: the rule's own, else the module's. */
    public Trigger triggerFor(ModuleDescriptor descriptor) {
        return trigger.orElse(descriptor.trigger());
    }
}
