package org.radflow.routing;

import com.pixelmed.dicom.SOPClassDescriptions;
import org.radflow.api.Selection;
import org.radflow.api.TagCondition;
import org.radflow.api.TagCondition.Comparison.Op;
import org.radflow.api.TagMatch;
import org.radflow.config.ConfigException;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.PatternSyntaxException;

/**
 * Parses the match language of rules and selections from YAML values (see {@link RuleSet} for the
 * syntax with examples). Every error names the full key, e.g. {@code rules[2].match.Modallity}, and
 * says what to write instead.
 */
public final class MatchParser {

    /** Operators of a condition map, in the order the documentation lists them. */
    static final List<String> OPERATORS = List.of("is", "regex", "not", "lt", "le", "gt", "ge", "eq", "ne", "present", "absent",
            "orAbsent");

    private static final Map<String, String> MISTAKES = Map.ofEntries(
            Map.entry("in", "a list ([A, B]) or 'is: [A, B]'"),
            Map.entry("anyof", "a list ([A, B]) or 'is: [A, B]'"),
            Map.entry("oneof", "a list ([A, B]) or 'is: [A, B]'"),
            Map.entry("any", "a list ([A, B]) or 'is: [A, B]'"),
            Map.entry("equals", "a plain value or 'is: A'"),
            Map.entry("value", "a plain value or 'is: A'"),
            Map.entry("values", "a list ([A, B]) or 'is: [A, B]'"),
            Map.entry("match", "'regex'"),
            Map.entry("matches", "'regex'"),
            Map.entry("pattern", "'regex'"),
            Map.entry("re", "'regex'"),
            Map.entry("contains", "'regex: \".*TEXT.*\"'"),
            Map.entry("exists", "'present' (or the plain word present)"),
            Map.entry("missing", "'absent' (or the plain word absent)"),
            Map.entry("notin", "'not: [A, B]'"),
            Map.entry("nin", "'not: [A, B]'"),
            Map.entry("lte", "'le'"),
            Map.entry("gte", "'ge'"),
            Map.entry("neq", "'ne'"),
            Map.entry("<", "'lt'"),
            Map.entry("<=", "'le'"),
            Map.entry(">", "'gt'"),
            Map.entry(">=", "'ge'"),
            Map.entry("==", "'eq'"),
            Map.entry("!=", "'ne'"));

    private static final List<String> SELECTION_KEYS = List.of("match", "sopClasses", "minInstances");

    private MatchParser() {
    }

    /**
     * The conditions of a {@code match:} section, in file order; an absent (null) section gives none.
     *
     * @param key the section's full key, e.g. {@code rules[0].match}
     */
    public static List<TagMatch> parseMatch(Object raw, String key) {
        if (raw == null) {
            return List.of();
        }
        Map<String, Object> section = RawYaml.section(raw, key,
                "one condition per attribute, e.g. 'Modality: [CR, DX]' on its own line");
        List<TagMatch> out = new ArrayList<>();
        for (Map.Entry<String, Object> e : section.entrySet()) {
            String keyword = e.getKey().trim();
            String k = key + "." + keyword;
            if (!Keywords.isKnown(keyword)) {
                throw new ConfigException(k + ": '" + keyword + "' is not a DICOM attribute keyword"
                        + Keywords.suggest(keyword).map(s -> "; did you mean '" + s + "'?").orElse(".")
                        + " Use a keyword as spelt in DICOM PS3.6 (case matters, e.g. SeriesDescription)"
                        + " or a tag in quotes, e.g. \"(0018,0050)\".");
            }
            out.add(new TagMatch(keyword, condition(e.getValue(), k, keyword)));
        }
        return out;
    }

    /**
     * A module selection written in configuration (to override a module descriptor's):
     * <pre>{@code
     * selection:
     *   match: {Modality: MR, MRAcquisitionType: 3D}
     *   sopClasses: [1.2.840.10008.5.1.4.1.1.4, EnhancedMRImageStorage]   # UIDs or PixelMed SOP class keywords; empty: any
     *   minInstances: 20                                                 # default 1
     * }</pre>
     * An absent (null) value gives {@link Selection#any()}.
     */
    public static Selection parseSelection(Object raw, String key) {
        if (raw == null) {
            return Selection.any();
        }
        Map<String, Object> section = RawYaml.section(raw, key, "a section with match, sopClasses and minInstances");
        RawYaml.refuseUnknown(section, SELECTION_KEYS, key);
        List<TagMatch> match = parseMatch(section.get("match"), key + ".match");
        Set<String> sopClasses = new LinkedHashSet<>();
        Object classes = section.get("sopClasses");
        if (classes != null) {
            if (!(classes instanceof List<?> list)) {
                throw new ConfigException(key + ".sopClasses: expected a list of SOP Class UIDs, e.g. [1.2.840.10008.5.1.4.1.1.4], got "
                        + RawYaml.describe(classes));
            }
            for (int i = 0; i < list.size(); i++) {
                sopClasses.add(sopClass(list.get(i), key + ".sopClasses[" + i + "]"));
            }
        }
        int minInstances = 1;
        Object min = section.get("minInstances");
        if (min != null) {
            if (!(min instanceof Integer n) || n < 1) {
                throw new ConfigException(key + ".minInstances: expected a whole number of at least 1, got " + RawYaml.describe(min));
            }
            minInstances = n;
        }
        return new Selection(match, sopClasses, minInstances);
    }

    private static String sopClass(Object raw, String key) {
        if (!(raw instanceof String s) || s.isBlank()) {
            throw new ConfigException(key + ": expected a SOP Class UID (quote it), got " + RawYaml.describe(raw));
        }
        String v = s.trim();
        if (v.matches("[0-2](\\.(0|[1-9][0-9]*))+") && v.length() <= 64) {
            return v;
        }
        String uid = SOPClassDescriptions.getUIDFromKeyword(v);
        if (uid != null && !uid.isEmpty()) {
            return uid;
        }
        throw new ConfigException(key + ": '" + v + "' is neither a UID (digits and dots, e.g. 1.2.840.10008.5.1.4.1.1.2) "
                + "nor a SOP class keyword (e.g. CTImageStorage)");
    }

    /**
     * One attribute's condition: a list (any of, exact), {@code present}/{@code absent}, a single
     * value (exact), or an operator map (all of its operators).
     */
    static TagCondition condition(Object v, String key, String keyword) {
        if (v == null) {
            throw new ConfigException(key + ": no condition; write a value (CT), a list ([CR, DX]), present, absent "
                    + "or an operator such as {regex: \"chest|thorax\"}");
        }
        if (v instanceof List<?> list) {
            return TagCondition.anyOf(values(list, key, keyword));
        }
        if (v instanceof Map<?, ?>) {
            return operators(RawYaml.section(v, key, "operators"), key, keyword);
        }
        if ("present".equals(v)) {
            return TagCondition.present();
        }
        if ("absent".equals(v)) {
            return TagCondition.absent();
        }
        return TagCondition.equalTo(exact(v, key, keyword));
    }

    private static TagCondition operators(Map<String, Object> ops, String key, String keyword) {
        if (ops.isEmpty()) {
            throw new ConfigException(key + ": an empty {} tests nothing; write an operator (" + String.join(", ", OPERATORS)
                    + ") or remove the line");
        }
        List<TagCondition> all = new ArrayList<>();
        boolean orAbsent = false;
        for (Map.Entry<String, Object> e : ops.entrySet()) {
            if ("orAbsent".equals(e.getKey())) {
                orAbsent = flag(e.getValue(), key + ".orAbsent");
                continue;
            }
            all.add(operator(e.getKey(), e.getValue(), key + "." + e.getKey(), keyword));
        }
        if (all.isEmpty()) {
            throw new ConfigException(key + ": orAbsent qualifies another operator, e.g. {regex: \"chest|thorax\", orAbsent: true}; "
                    + "alone it tests nothing");
        }
        TagCondition c = all.size() == 1 ? all.get(0) : new TagCondition.AllOf(all);
        return orAbsent ? TagCondition.orAbsent(c) : c;
    }

    private static TagCondition operator(String op, Object v, String key, String keyword) {
        return switch (op) {
            case "is" -> v instanceof List<?> list ? TagCondition.anyOf(values(list, key, keyword))
                    : TagCondition.equalTo(exact(v, key, keyword));
            case "regex" -> regex(v, key);
            case "not" -> TagCondition.not(condition(v, key, keyword));
            case "lt" -> TagCondition.compare(Op.LT, number(v, key));
            case "le" -> TagCondition.compare(Op.LE, number(v, key));
            case "gt" -> TagCondition.compare(Op.GT, number(v, key));
            case "ge" -> TagCondition.compare(Op.GE, number(v, key));
            case "eq" -> TagCondition.compare(Op.EQ, number(v, key));
            case "ne" -> TagCondition.compare(Op.NE, number(v, key));
            case "present" -> flag(v, key) ? TagCondition.present() : TagCondition.absent();
            case "absent" -> flag(v, key) ? TagCondition.absent() : TagCondition.present();
            default -> throw unknownOperator(op, key);
        };
    }

    private static ConfigException unknownOperator(String op, String key) {
        String hint = MISTAKES.get(op.toLowerCase(Locale.ROOT));
        Optional<String> near = hint == null ? RawYaml.closest(op, OPERATORS).map(s -> "'" + s + "'") : Optional.of(hint);
        if (op.length() > 1 && Character.isUpperCase(op.charAt(0)) && Keywords.isKnown(op)) {
            near = Optional.of("a condition on " + op + " one level up, next to the other attributes");
        }
        return new ConfigException(key + ": unknown operator '" + op + "'" + near.map(s -> "; use " + s).orElse("")
                + ". Operators: " + String.join(", ", OPERATORS) + ".");
    }

    private static TagCondition regex(Object v, String key) {
        if (v instanceof List<?>) {
            throw new ConfigException(key + ": one pattern only; join alternatives with |, e.g. \"chest|thorax\"");
        }
        String pattern = value(v, key);
        try {
            return TagCondition.regex(pattern);
        } catch (PatternSyntaxException e) {
            throw new ConfigException(key + ": '" + pattern + "' is not a valid regular expression: " + e.getDescription()
                    + (e.getIndex() >= 0 ? " at position " + e.getIndex() : "")
                    + ". Java syntax; the pattern must match a whole value, ignoring case");
        }
    }

    private static double number(Object v, String key) {
        if (v instanceof Number n && !(v instanceof Double d && !Double.isFinite(d))) {
            return n.doubleValue();
        }
        if (v instanceof String s) {
            try {
                double d = Double.parseDouble(s.trim());
                if (Double.isFinite(d)) {
                    return d;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
        }
        throw new ConfigException(key + ": expected a number, e.g. 2.5, got " + RawYaml.describe(v)
                + "; lt, le, gt, ge, eq and ne compare numbers (use a plain value or regex for text)");
    }

    private static boolean flag(Object v, String key) {
        if (v instanceof Boolean b) {
            return b;
        }
        throw new ConfigException(key + ": expected true or false, got " + RawYaml.describe(v));
    }

    private static List<String> values(List<?> list, String key, String keyword) {
        if (list.isEmpty()) {
            throw new ConfigException(key + ": an empty list matches nothing; list the values, e.g. [CR, DX], or remove the line");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            out.add(exact(list.get(i), key + "[" + i + "]", keyword));
        }
        return out;
    }

    /**
     * A value to compare exactly. Lower case for a Code String attribute is refused: DICOM writes
     * those in upper case, so the rule could never match.
     */
    private static String exact(Object v, String key, String keyword) {
        String s = value(v, key);
        String upper = s.toUpperCase(Locale.ROOT);
        if (!s.equals(upper) && Keywords.isCodeString(keyword)) {
            throw new ConfigException(key + ": '" + s + "' can never match: " + keyword + " is a code string, upper case in DICOM; write '"
                    + upper + "', or use {regex: \"" + s + "\"}, which ignores case");
        }
        return s;
    }

    /** A value as text; empty text is refused since empty attributes count as absent. */
    private static String value(Object v, String key) {
        if (v instanceof List<?> || v instanceof Map<?, ?>) {
            throw new ConfigException(key + ": expected a single value, got " + RawYaml.describe(v));
        }
        if (v == null) {
            throw new ConfigException(key + ": missing value");
        }
        String s = RawYaml.text(v, key);
        if (s.isEmpty()) {
            throw new ConfigException(key + ": an empty value never matches (an empty attribute counts as absent); write absent instead");
        }
        return s;
    }
}
