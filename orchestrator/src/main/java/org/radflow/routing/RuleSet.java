package org.radflow.routing;

import org.radflow.api.Selection;
import org.radflow.api.TagMatch;
import org.radflow.api.Trigger;
import org.radflow.config.ConfigException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The routing rules, in file order. Every rule is evaluated on its own; a unit that matches
 * several rules makes one job per rule.
 *
 * <h2>YAML</h2>
 * <pre>{@code
 * rules:
 *   - name: chest-xray                 # required, unique; letters, digits, '.', '_', '-'
 *     module: covidnet                 # required: the module id
 *     trigger: instance                # optional: instance, series or study; default: the module's
 *     priority: high                   # optional: stat, high, normal (default), low
 *     destinations: [pacs]             # optional: names under destinations:; default [] (results stay in RadFlow)
 *     enabled: true                    # optional: false keeps the rule (shown, testable) but makes no jobs
 *     match:                           # optional: every condition must pass; none = every unit
 *       Modality: [CR, DX]                           # list: any of these values (exact)
 *       BodyPartExamined: {regex: "chest|thorax"}    # regular expression, whole value, ignoring case
 *       ViewPosition: {not: [LL, RL, LATERAL]}       # not: a value, a list or an operator map
 *       SeriesDescription: HippoCrop                 # one value: exact
 *       SliceThickness: {lt: 2.5}                    # lt, le, gt, ge, eq, ne: numeric
 *       PatientAge: present                          # present / absent; also {present: true}, {absent: true}
 *       Laterality: {is: [L, R], orAbsent: true}     # orAbsent: the other operators pass, or no value at all
 *       ImageType: {regex: ".*ORIGINAL.*"}
 *       "(0018,0050)": {ge: 0.5, le: 1.5}            # a tag instead of a keyword; several operators: all of them
 * }</pre>
 *
 * <h2>Meaning</h2>
 * <ul>
 *   <li>Attributes are DICOM keywords exactly as in PS3.6 ({@code SeriesDescription}, case matters)
 *       or quoted tags {@code "(gggg,eeee)"}. Unknown keywords are refused with the nearest keyword.</li>
 *   <li>Exact values compare with leading and trailing spaces ignored, case sensitive. Code strings
 *       (Modality, ImageType, BodyPartExamined, ...) are upper case in DICOM, so a lower-case exact
 *       value for one is refused as a mistake. Use {@code regex} to ignore case.</li>
 *   <li>Multi-valued attributes ({@code ImageType ORIGINAL\PRIMARY\AXIAL}): a value test passes when
 *       <em>any</em> value passes, so {@code ImageType: AXIAL} matches, and
 *       {@code ImageType: {not: LOCALIZER}} means "no value is LOCALIZER". A regex sees one value at a time.</li>
 *   <li>An absent or empty attribute has no values: every value test and comparison fails, so its
 *       {@code not} passes ({@code {not: {lt: 2.5}}} matches when SliceThickness is absent; add
 *       {@code present: true} to the map to require it).</li>
 *   <li>Comparisons use the first value that reads as a number ({@code PixelSpacing: {lt: 0.5}} tests
 *       the row spacing); none numeric: the comparison fails.</li>
 *   <li>The plain words {@code present} and {@code absent} test presence; to match those words as
 *       text write {@code {is: present}}.</li>
 *   <li>YAML reads unquoted {@code 3} and {@code 2.5} as numbers: they are compared as the text
 *       {@code "3"} and {@code "2.5"} (a DICOM {@code "2.50"} would not match; use {@code {eq: 2.5}}).
 *       YAML reads {@code yes/no/on/off/true/false} as booleans and {@code 2024-01-02} as a date,
 *       losing the spelling: those are refused, quote them ({@code BurnedInAnnotation: "NO"}).</li>
 * </ul>
 * Errors name the key with zero-based rule indexes, e.g. {@code rules[2].match.Modallity}.
 */
public record RuleSet(List<RoutingRule> rules) {

    static final List<String> RULE_KEYS = List.of("name", "module", "trigger", "priority", "destinations", "enabled", "match");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final Pattern MODULE_ID = Pattern.compile("[a-z][a-z0-9-]{0,39}");

    public RuleSet {
        rules = List.copyOf(rules);
        Set<String> seen = new LinkedHashSet<>();
        for (RoutingRule r : rules) {
            if (!seen.add(r.name().toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException("two rules are named " + r.name());
            }
        }
    }

    public static RuleSet empty() {
        return new RuleSet(List.of());
    }

    /**
     * Parses the value of the {@code rules:} key as SnakeYAML's SafeConstructor gives it.
     *
     * @param raw       a list of rule sections; null (no {@code rules:} key) gives no rules
     * @param keyPrefix the key of that value for messages, normally {@code rules}
     * @throws ConfigException naming the offending key and what to write instead
     */
    public static RuleSet parse(Object raw, String keyPrefix) {
        if (raw == null) {
            return empty();
        }
        if (!(raw instanceof List<?> list)) {
            throw new ConfigException(keyPrefix + ": expected a list of rules, each starting with '- name: ...', got "
                    + RawYaml.describe(raw));
        }
        List<RoutingRule> rules = new ArrayList<>();
        Map<String, String> names = new HashMap<>();
        for (int i = 0; i < list.size(); i++) {
            String key = keyPrefix + "[" + i + "]";
            RoutingRule rule = rule(list.get(i), key);
            String previous = names.putIfAbsent(rule.name().toLowerCase(Locale.ROOT), key);
            if (previous != null) {
                throw new ConfigException(key + ".name: '" + rule.name() + "' is already the name of " + previous
                        + "; rule names must be unique (ignoring case)");
            }
            rules.add(rule);
        }
        return new RuleSet(rules);
    }

    /** Same as {@link MatchParser#parseSelection}: a module selection override in configuration. */
    public static Selection parseSelection(Object raw, String keyPrefix) {
        return MatchParser.parseSelection(raw, keyPrefix);
    }

    private static RoutingRule rule(Object raw, String key) {
        Map<String, Object> r = RawYaml.section(raw, key, "a rule with name, module and match (start each rule with '- name: ...')");
        RawYaml.refuseUnknown(r, RULE_KEYS, key);
        String name = RawYaml.requiredText(r, "name", key, "give the rule a unique name, e.g. 'name: chest-xray'");
        if (!NAME.matcher(name).matches()) {
            throw new ConfigException(key + ".name: '" + name + "' must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        String where = " (rule '" + name + "')";
        try {
            String module = RawYaml.requiredText(r, "module", key, "name the module the rule runs, e.g. 'module: covidnet'");
            if (!MODULE_ID.matcher(module).matches()) {
                throw new ConfigException(key + ".module: '" + module + "' is not a module id: lower case letters, digits and '-', starting with a letter");
            }
            Optional<Trigger> trigger = Optional.empty();
            if (r.get("trigger") != null) {
                String t = RawYaml.text(r.get("trigger"), key + ".trigger").toUpperCase(Locale.ROOT);
                trigger = Optional.of(Arrays.stream(Trigger.values()).filter(v -> v.name().equals(t)).findFirst()
                        .orElseThrow(() -> new ConfigException(key + ".trigger: '" + r.get("trigger") + "' is not a trigger; use "
                                + Arrays.stream(Trigger.values()).map(v -> v.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "))
                                + ", or leave it out for the module's own")));
            }
            Priority priority = Priority.NORMAL;
            if (r.get("priority") != null) {
                String p = RawYaml.text(r.get("priority"), key + ".priority");
                priority = Priority.fromConfig(p).orElseThrow(() -> new ConfigException(key + ".priority: '" + p
                        + "' is not a priority; use " + Priority.choices()));
            }
            List<String> destinations = destinations(r.get("destinations"), key + ".destinations");
            boolean enabled = true;
            if (r.containsKey("enabled")) {
                if (!(r.get("enabled") instanceof Boolean b)) {
                    throw new ConfigException(key + ".enabled: expected true or false, got " + RawYaml.describe(r.get("enabled")));
                }
                enabled = b;
            }
            List<TagMatch> match = MatchParser.parseMatch(r.get("match"), key + ".match");
            return new RoutingRule(name, module, trigger, priority, destinations, enabled, match);
        } catch (ConfigException e) {
            throw new ConfigException(e.getMessage() + where, e);
        }
    }

    private static List<String> destinations(Object raw, String key) {
        if (raw == null) {
            return List.of();
        }
        if (!(raw instanceof List<?> list)) {
            throw new ConfigException(key + ": expected a list of destination names, e.g. [" + (raw instanceof String s ? s : "pacs")
                    + "], got " + RawYaml.describe(raw));
        }
        Set<String> out = new LinkedHashSet<>();
        for (int i = 0; i < list.size(); i++) {
            String k = key + "[" + i + "]";
            Object o = list.get(i);
            if (!(o instanceof String s) || !NAME.matcher(s.trim()).matches()) {
                throw new ConfigException(k + ": expected the name of a destination under 'destinations:', got " + RawYaml.describe(o));
            }
            if (!out.add(s.trim())) {
                throw new ConfigException(k + ": '" + s.trim() + "' is listed twice");
            }
        }
        return List.copyOf(out);
    }

    /** The rule of that name (ignoring case). */
    public Optional<RoutingRule> rule(String name) {
        return rules.stream().filter(r -> r.name().equalsIgnoreCase(name)).findFirst();
    }

    /** Every module id the rules refer to, enabled or not, in rule order. */
    public Set<String> moduleIds() {
        return rules.stream().map(RoutingRule::module).collect(Collectors.toCollection(LinkedHashSet::new));
    }

    /**
     * Refuses a destination no {@code destinations:} entry defines, for start-up and
     * {@code config check}; called by the configuration loader once both sections are read.
     *
     * @param keyPrefix the rules' key, as given to {@link #parse}
     */
    public void requireDestinations(Collection<String> configured, String keyPrefix) {
        for (int i = 0; i < rules.size(); i++) {
            RoutingRule r = rules.get(i);
            for (int j = 0; j < r.destinations().size(); j++) {
                String d = r.destinations().get(j);
                if (!configured.contains(d)) {
                    Optional<String> near = RawYaml.closest(d, configured);
                    throw new ConfigException(keyPrefix + "[" + i + "].destinations[" + j + "]: no destination '" + d + "'"
                            + near.map(n -> "; did you mean '" + n + "'?").orElse(".")
                            + " Defined under destinations: " + (configured.isEmpty() ? "none" : configured.stream().sorted().collect(Collectors.joining(", ")))
                            + " (rule '" + r.name() + "')");
                }
            }
        }
    }
}
