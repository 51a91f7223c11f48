package org.radflow.routing;

import com.pixelmed.dicom.SOPClassDescriptions;
import org.radflow.api.DicomTags;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.Selection;
import org.radflow.api.TagMatch;
import org.radflow.api.Trigger;
import org.radflow.routing.RuleEvaluation.Outcome;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Evaluates the rules on one unit's tags and says, for every rule, whether it matched and why
 * not. Immutable and thread-safe; module descriptors are looked up on every evaluation, so
 * modules loaded or removed later are seen.
 */
public final class Router {

    private final RuleSet rules;
    private final Function<String, Optional<ModuleDescriptor>> modules;
    private final Supplier<? extends Collection<String>> availableModules;

    /**
     * @param modules          the descriptor of a module id, empty when no such module is loaded
     * @param availableModules the ids of the loaded modules, for "No module 'x'. Available: ..." messages
     */
    public Router(RuleSet rules, Function<String, Optional<ModuleDescriptor>> modules,
                  Supplier<? extends Collection<String>> availableModules) {
        this.rules = Objects.requireNonNull(rules, "rules");
        this.modules = Objects.requireNonNull(modules, "modules");
        this.availableModules = availableModules;
    }

    /** When the lookup cannot list its modules: messages about a missing module then list none. */
    public Router(RuleSet rules, Function<String, Optional<ModuleDescriptor>> modules) {
        this(rules, modules, null);
    }

    /** Over a fixed set of modules. */
    public static Router of(RuleSet rules, Collection<ModuleDescriptor> modules) {
        Map<String, ModuleDescriptor> byId = new LinkedHashMap<>();
        modules.forEach(d -> byId.put(d.id(), d));
        Map<String, ModuleDescriptor> fixed = Map.copyOf(byId);
        List<String> ids = List.copyOf(byId.keySet());
        return new Router(rules, id -> Optional.ofNullable(fixed.get(id)), () -> ids);
    }

    public RuleSet rules() {
        return rules;
    }

    /** True when some enabled rule makes jobs for units of this kind (so reading a unit's headers is worth it). */
    public boolean hasRulesFor(Trigger kind) {
        for (RoutingRule rule : rules.rules()) {
            if (rule.enabled() && rule.trigger().or(() -> modules.apply(rule.module()).map(ModuleDescriptor::trigger))
                    .map(kind::equals).orElse(false)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Every rule's answer for a unit, in rule order, without instance counts: a module's
     * {@link Selection#minInstances()} is then only checked for instance-triggered jobs (one instance).
     *
     * @param tags        the unit's tags (for a series or study, those of its first instance)
     * @param sopClassUid the unit's SOP Class UID; null: read from the tags ({@code SOPClassUID})
     */
    public List<RuleEvaluation> evaluate(DicomTags tags, String sopClassUid) {
        return evaluate(tags, sopClassUid, Map.of());
    }

    /**
     * As {@link #evaluate(DicomTags, String)}, checking modules' minimum instance counts against the
     * sizes of the units, e.g. {@code Map.of(Trigger.SERIES, 40, Trigger.STUDY, 120)}; a trigger
     * left out is not checked.
     */
    public List<RuleEvaluation> evaluate(DicomTags tags, String sopClassUid, Map<Trigger, Integer> instancesPerUnit) {
        String sop = sopClassUid != null ? sopClassUid : tags.get("SOPClassUID").orElse(null);
        List<RuleEvaluation> out = new ArrayList<>(rules.rules().size());
        for (RoutingRule rule : rules.rules()) {
            out.add(evaluate(rule, tags, sop, instancesPerUnit));
        }
        return out;
    }

    private RuleEvaluation evaluate(RoutingRule rule, DicomTags tags, String sop, Map<Trigger, Integer> counts) {
        Optional<String> miss = firstMismatch(rule.match(), tags);
        Optional<ModuleDescriptor> module = modules.apply(rule.module());
        if (!rule.enabled()) {
            String why = "enabled: false; " + miss.map(m -> "would not match anyway: " + m).orElse("would match")
                    + (module.isEmpty() ? "; " + noModule(rule.module()) : "");
            return new RuleEvaluation(rule, Outcome.DISABLED, Optional.of(why), module, Optional.empty());
        }
        if (module.isEmpty()) {
            return new RuleEvaluation(rule, Outcome.UNKNOWN_MODULE, Optional.of(noModule(rule.module())), module, Optional.empty());
        }
        if (miss.isPresent()) {
            return new RuleEvaluation(rule, Outcome.NOT_MATCHED, miss, module, Optional.empty());
        }
        ModuleDescriptor d = module.get();
        Optional<Refusal> refusal = refusal(d.selection(), rule.triggerFor(d), tags, sop, counts);
        return new RuleEvaluation(rule, Outcome.MATCHED, Optional.empty(), module,
                refusal.map(Refusal::sentence), refusal.map(Refusal::condition));
    }

    /** Why a module's selection refuses a unit: a sentence for people and the raw condition for the record. */
    record Refusal(String sentence, String condition) {
    }

    /**
     * Rules that name a module that is not loaded, one sentence each (for start-up warnings and
     * {@code config check}); disabled rules included, since enabling them would fail.
     */
    public List<String> problems() {
        List<String> out = new ArrayList<>();
        for (RoutingRule r : rules.rules()) {
            if (modules.apply(r.module()).isEmpty()) {
                out.add("rule '" + r.name() + "'" + (r.enabled() ? "" : " (disabled)") + ": " + noModule(r.module()));
            }
        }
        return out;
    }

    /**
     * Why the module's own selection refuses the unit; empty when it accepts it. Modality is checked first (a person
     * asks "which modality?" before "which SOP class?"), then the SOP classes, the other conditions in the module's
     * order, and the instance count.
     */
    static Optional<Refusal> refusal(Selection s, Trigger trigger, DicomTags tags, String sop, Map<Trigger, Integer> counts) {
        List<TagMatch> modality = s.conditions().stream().filter(m -> "Modality".equals(m.keyword())).toList();
        List<TagMatch> others = s.conditions().stream().filter(m -> !"Modality".equals(m.keyword())).toList();
        Optional<Refusal> miss = firstRefusal(modality, tags);
        if (miss.isPresent()) {
            return miss;
        }
        if (!s.sopClassUids().isEmpty() && (sop == null || !s.sopClassUids().contains(sop))) {
            String why = "SOP Class " + (sop == null ? "unknown" : sopName(sop)) + " is not one the module reads; it reads "
                    + s.sopClassUids().stream().sorted().map(Router::sopName).collect(Collectors.joining(", "));
            return Optional.of(new Refusal(why, why));
        }
        miss = firstRefusal(others, tags);
        if (miss.isPresent()) {
            return miss;
        }
        Integer n = trigger == Trigger.INSTANCE ? Integer.valueOf(1) : counts.get(trigger);
        if (n != null && n < s.minInstances()) {
            String why = (trigger == Trigger.INSTANCE ? "an instance-triggered job has 1 instance"
                    : "the " + trigger.name().toLowerCase(Locale.ROOT) + " has " + n + (n == 1 ? " instance" : " instances"))
                    + "; the module needs at least " + s.minInstances();
            return Optional.of(new Refusal(why, why));
        }
        return Optional.empty();
    }

    private static Optional<Refusal> firstRefusal(List<TagMatch> conditions, DicomTags tags) {
        for (TagMatch m : conditions) {
            Optional<String> raw = mismatch(m, tags);
            if (raw.isPresent()) {
                String sentence = m.sentence(tags, !Keywords.identifying(m.keyword())).orElse(raw.get());
                return Optional.of(new Refusal(sentence, raw.get()));
            }
        }
        return Optional.empty();
    }

    static Optional<String> firstMismatch(List<TagMatch> conditions, DicomTags tags) {
        for (TagMatch m : conditions) {
            Optional<String> why = mismatch(m, tags);
            if (why.isPresent()) {
                return why;
            }
        }
        return Optional.empty();
    }

    /**
     * {@link TagMatch#mismatch}, except that values of attributes identifying the patient (name,
     * IDs, birth date, accession number) are not repeated: these sentences reach logs and screens.
     */
    public static Optional<String> mismatch(TagMatch m, DicomTags tags) {
        Optional<String> why = m.mismatch(tags);
        if (why.isEmpty() || !Keywords.identifying(m.keyword())) {
            return why;
        }
        boolean absent = tags.values(m.keyword()).isEmpty();
        return Optional.of(m.keyword() + " " + m.condition().describe()
                + (absent ? " (was absent)" : " (value not shown: it identifies the patient)"));
    }

    private String noModule(String id) {
        if (availableModules == null) {
            return "No module '" + id + "' is loaded";
        }
        List<String> ids = availableModules.get().stream().sorted().toList();
        return "No module '" + id + "'. Available: " + (ids.isEmpty() ? "none" : String.join(", ", ids));
    }

    static String sopName(String uid) {
        String d = SOPClassDescriptions.getDescriptionFromUID(uid);
        return d == null || d.isBlank() ? uid : uid + " (" + d + ")";
    }
}
