package org.radflow.moduletest;

import org.radflow.api.Concept;
import org.radflow.api.Finding;
import org.radflow.api.ModuleResult;

import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Assertions on a {@link ModuleResult}, failing as JUnit assertions do with the result's reason and findings
 * in the message. Concepts are named by code value or code meaning (ignoring case), whichever the test finds clearer.
 *
 * <pre>{@code
 * ModuleResults.assertCompleted(result);
 * ModuleResults.assertMeasurement(result, "Mean pixel value", 100.0, 0.001, "1");
 * ModuleResults.assertProbability(result, "COVID-19", 0.9, 0.05);
 * }</pre>
 */
public final class ModuleResults {

    private ModuleResults() {
    }

    /** The result completed; returns it for chaining. */
    public static ModuleResult assertCompleted(ModuleResult result) {
        return assertStatus(result, ModuleResult.Status.COMPLETED);
    }

    /** The result is not applicable and its reason contains {@code reasonPart}. */
    public static ModuleResult assertNotApplicable(ModuleResult result, String reasonPart) {
        assertStatus(result, ModuleResult.Status.NOT_APPLICABLE);
        assertTrue(result.reason().contains(reasonPart), () -> "reason '" + result.reason() + "' does not contain '" + reasonPart + "'");
        return result;
    }

    /** The result failed and its reason contains {@code reasonPart}. */
    public static ModuleResult assertFailed(ModuleResult result, String reasonPart) {
        assertStatus(result, ModuleResult.Status.FAILED);
        assertTrue(result.reason().contains(reasonPart), () -> "reason '" + result.reason() + "' does not contain '" + reasonPart + "'");
        return result;
    }

    public static ModuleResult assertStatus(ModuleResult result, ModuleResult.Status status) {
        assertEquals(status, result.status(), () -> "status of " + describe(result));
        return result;
    }

    /** The one measurement whose quantity (or finding) is {@code quantity}; fails when there is none or several. */
    public static Finding.Measurement measurement(ModuleResult result, String quantity) {
        List<Finding.Measurement> found = result.findings().stream().filter(Finding.Measurement.class::isInstance)
                .map(Finding.Measurement.class::cast)
                .filter(m -> names(m.quantity(), quantity) || names(m.finding(), quantity)).toList();
        if (found.size() != 1) {
            fail(found.size() + " measurements named '" + quantity + "' in " + describe(result));
        }
        return found.get(0);
    }

    /** A measurement's value within {@code tolerance}, in UCUM {@code unit} (e.g. {@code mm3}, {@code 1}). */
    public static Finding.Measurement assertMeasurement(ModuleResult result, String quantity, double expected, double tolerance,
                                                        String unit) {
        Finding.Measurement m = measurement(result, quantity);
        assertEquals(unit, m.unit().code(), () -> "unit of " + quantity);
        assertEquals(expected, m.value(), tolerance, () -> quantity + " in " + describe(result));
        return m;
    }

    /** The one classification (fails when there is none or several). */
    public static Finding.Classification classification(ModuleResult result) {
        List<Finding.Classification> found = result.findings().stream().filter(Finding.Classification.class::isInstance)
                .map(Finding.Classification.class::cast).toList();
        if (found.size() != 1) {
            fail(found.size() + " classifications in " + describe(result));
        }
        return found.get(0);
    }

    /** The probability the one classification gives {@code label}. */
    public static double probability(ModuleResult result, String label) {
        return classification(result).probabilities().stream().filter(p -> names(p.label(), label)).findFirst()
                .orElseGet(() -> fail("no class '" + label + "' in " + describe(result))).probability();
    }

    /** {@code label}'s probability within {@code tolerance}. */
    public static void assertProbability(ModuleResult result, String label, double expected, double tolerance) {
        assertEquals(expected, probability(result, label), tolerance, () -> "probability of " + label + " in " + describe(result));
    }

    /** The classification predicts {@code label}. */
    public static void assertPredicted(ModuleResult result, String label) {
        Concept predicted = classification(result).predicted();
        assertTrue(predicted != null && names(predicted, label), () -> "predicted " + predicted + ", not " + label);
    }

    private static boolean names(Concept c, String name) {
        return c != null && (c.code().equalsIgnoreCase(name) || c.meaning().equalsIgnoreCase(name));
    }

    /** Status, reason (or summary) and findings, for failure messages. */
    public static String describe(ModuleResult result) {
        String text = result.status() == ModuleResult.Status.COMPLETED ? result.summary() : result.reason();
        return result.status() + " '" + text + "' findings " + result.findings().stream().map(ModuleResults::describe)
                .collect(Collectors.joining(", ", "[", "]"));
    }

    private static String describe(Finding f) {
        if (f instanceof Finding.Measurement m) {
            return m.quantity().meaning() + " = " + m.value() + " " + m.unit().code();
        }
        if (f instanceof Finding.Classification c) {
            return c.finding().meaning() + " " + c.probabilities().stream().map(p -> p.label().meaning() + " " + p.probability())
                    .collect(Collectors.joining(", ", "{", "}"));
        }
        if (f instanceof Finding.Qualitative q) {
            return q.concept().meaning() + " = " + q.value().meaning();
        }
        return f.finding().meaning() + " (segmentation)";
    }
}
