package org.radflow.api;

import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One test on the values of a DICOM attribute; the language of both routing rules and module
 * selections. A value test passes when any value of a multi-valued attribute passes.
 */
public sealed interface TagCondition {

    /** True when the attribute's values (empty when absent) satisfy the condition. */
    boolean test(List<String> values);

    /** Human-readable, for "why not" answers. */
    String describe();

    static TagCondition equalTo(String value) {
        return new AnyOf(List.of(value));
    }

    static TagCondition anyOf(List<String> values) {
        return new AnyOf(values);
    }

    static TagCondition regex(String pattern) {
        return new Regex(pattern);
    }

    static TagCondition not(TagCondition inner) {
        return new Not(inner);
    }

    static TagCondition present() {
        return new Presence(true);
    }

    static TagCondition absent() {
        return new Presence(false);
    }

    /** The condition holds, or the attribute is absent (e.g. "Body Part Examined is CHEST, or not given"). */
    static TagCondition orAbsent(TagCondition inner) {
        return new OrAbsent(inner);
    }

    /** Any of several conditions holds (OR). */
    static TagCondition either(List<TagCondition> conditions) {
        return new Either(conditions);
    }

    static TagCondition compare(Comparison.Op op, double value) {
        return new Comparison(op, value);
    }

    /** Exact match (trailing and leading spaces ignored, case sensitive) against any of the listed values. */
    record AnyOf(List<String> expected) implements TagCondition {
        public AnyOf {
            expected = List.copyOf(expected);
        }

        @Override
        public boolean test(List<String> values) {
            return values.stream().map(String::trim).anyMatch(expected::contains);
        }

        @Override
        public String describe() {
            return expected.size() == 1 ? "is " + expected.get(0) : "is one of " + expected;
        }
    }

    /** Case-insensitive regular expression that must match a whole value. */
    record Regex(String pattern, Pattern compiled) implements TagCondition {
        public Regex(String pattern) {
            this(pattern, Pattern.compile(pattern, Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE));
        }

        @Override
        public boolean test(List<String> values) {
            return values.stream().anyMatch(v -> compiled.matcher(v.trim()).matches());
        }

        @Override
        public String describe() {
            return "matches /" + pattern + "/i";
        }
    }

    record Not(TagCondition inner) implements TagCondition {
        @Override
        public boolean test(List<String> values) {
            return !inner.test(values);
        }

        @Override
        public String describe() {
            return "not (" + inner.describe() + ")";
        }
    }

    record Presence(boolean present) implements TagCondition {
        @Override
        public boolean test(List<String> values) {
            return values.isEmpty() != present;
        }

        @Override
        public String describe() {
            return present ? "is present" : "is absent";
        }
    }

    /** Numeric comparison of the first numeric value; an absent or non-numeric value fails. */
    record Comparison(Op op, double value) implements TagCondition {
        public enum Op {
            LT("<"), LE("<="), GT(">"), GE(">="), EQ("=="), NE("!=");

            private final String symbol;

            Op(String symbol) {
                this.symbol = symbol;
            }

            public String symbol() {
                return symbol;
            }
        }

        @Override
        public boolean test(List<String> values) {
            for (String v : values) {
                double d;
                try {
                    d = Double.parseDouble(v.trim());
                } catch (NumberFormatException e) {
                    continue;
                }
                return switch (op) {
                    case LT -> d < value;
                    case LE -> d <= value;
                    case GT -> d > value;
                    case GE -> d >= value;
                    case EQ -> d == value;
                    case NE -> d != value;
                };
            }
            return false;
        }

        @Override
        public String describe() {
            return op.symbol() + " " + (value == Math.rint(value) ? String.valueOf((long) value) : String.valueOf(value));
        }
    }

    /** The inner condition, or no value at all. */
    record OrAbsent(TagCondition inner) implements TagCondition {
        public OrAbsent {
            if (inner == null) {
                throw new IllegalArgumentException("orAbsent needs a condition");
            }
        }

        @Override
        public boolean test(List<String> values) {
            return values.isEmpty() || inner.test(values);
        }

        @Override
        public String describe() {
            return inner.describe() + " or is absent";
        }
    }

    /** Any of several conditions on the same attribute (OR). */
    record Either(List<TagCondition> conditions) implements TagCondition {
        public Either {
            conditions = List.copyOf(conditions);
            if (conditions.isEmpty()) {
                throw new IllegalArgumentException("either needs at least one condition");
            }
        }

        @Override
        public boolean test(List<String> values) {
            return conditions.stream().anyMatch(c -> c.test(values));
        }

        @Override
        public String describe() {
            return conditions.stream().map(TagCondition::describe).collect(Collectors.joining(" or ", "(", ")"));
        }
    }

    /** All of several conditions on the same attribute. */
    record AllOf(List<TagCondition> conditions) implements TagCondition {
        public AllOf {
            conditions = List.copyOf(conditions);
        }

        @Override
        public boolean test(List<String> values) {
            return conditions.stream().allMatch(c -> c.test(values));
        }

        @Override
        public String describe() {
            return conditions.stream().map(TagCondition::describe).collect(Collectors.joining(" and "));
        }
    }
}
