package org.radflow.routing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@link RuleTester} found: for each series, every rule's answer; the files it skipped and why.
 * Holds no patient names or IDs (UIDs, modality and series description only), so it may be shown
 * and returned by the API as is.
 *
 * @param rules          the names of the rules tested, in order
 * @param filesExamined  files looked at (DICOM or not)
 * @param basis          how units were formed and evaluated, one sentence for the reader
 * @param notes          general remarks (e.g. a file limit reached)
 */
public record RuleTestReport(List<String> rules, int filesExamined, String basis, List<SeriesResult> series,
                             List<SkippedFile> skipped, List<String> notes) {

    public RuleTestReport {
        rules = List.copyOf(rules);
        series = List.copyOf(series);
        skipped = List.copyOf(skipped);
        notes = List.copyOf(notes);
    }

    /**
     * One series and every rule's answer for it.
     *
     * @param instances      instances of the series among the files given
     * @param studyInstances instances of its study among the files given
     * @param firstInstance  the file whose tags were evaluated
     * @param notes          e.g. instances that would answer differently from the first
     */
    public record SeriesResult(String studyInstanceUid, String seriesInstanceUid, String modality, String seriesDescription,
                               String sopClassUid, int instances, int studyInstances, Path firstInstance,
                               List<RuleEvaluation> evaluations, List<String> notes) {
        public SeriesResult {
            evaluations = List.copyOf(evaluations);
            notes = List.copyOf(notes);
        }
    }

    public record SkippedFile(Path file, String reason) {
    }

    /** Series whose evaluation includes at least one job that will run. */
    public long seriesWithJobs() {
        return series.stream().filter(s -> s.evaluations().stream().anyMatch(RuleEvaluation::willRun)).count();
    }

    /** Plain text for the terminal: one block per series, one line per rule. */
    public String toText() {
        StringBuilder b = new StringBuilder();
        long studies = series.stream().map(SeriesResult::studyInstanceUid).distinct().count();
        b.append("RadFlow rule test: ").append(count(rules.size(), "rule")).append("; ")
                .append(count(filesExamined, "file")).append(" examined: ")
                .append(count(series.size(), "series", "series")).append(" in ").append(count((int) studies, "study", "studies"))
                .append(", ").append(count(skipped.size(), "file")).append(" skipped.\n");
        b.append(basis).append('\n');
        if (rules.isEmpty()) {
            b.append("No rules are configured: nothing would be routed.\n");
        }
        int width = rules.stream().mapToInt(String::length).max().orElse(0);
        for (SeriesResult s : series) {
            b.append('\n').append("Series ").append(s.seriesInstanceUid()).append(" (").append(orDash(s.modality()));
            if (s.seriesDescription() != null && !s.seriesDescription().isBlank()) {
                b.append(", \"").append(s.seriesDescription()).append('"');
            }
            b.append(", ").append(count(s.instances(), "instance")).append(")\n");
            b.append("  study ").append(orDash(s.studyInstanceUid())).append(" (").append(count(s.studyInstances(), "instance")).append(")\n");
            b.append("  SOP Class ").append(s.sopClassUid() == null ? "-" : Router.sopName(s.sopClassUid())).append('\n');
            b.append("  evaluated on ").append(s.firstInstance()).append('\n');
            for (RuleEvaluation e : s.evaluations()) {
                b.append("    ").append(pad(e.rule().name(), width)).append("  ").append(e.describe()).append('\n');
            }
            for (String n : s.notes()) {
                b.append("  note: ").append(n).append('\n');
            }
        }
        if (series.isEmpty()) {
            b.append("\nNo DICOM files found.\n");
        }
        if (!skipped.isEmpty()) {
            b.append("\nSkipped ").append(count(skipped.size(), "file")).append(":\n");
            for (SkippedFile f : skipped) {
                b.append("  ").append(f.file()).append(": ").append(f.reason()).append('\n');
            }
        }
        for (String n : notes) {
            b.append("\nNote: ").append(n).append('\n');
        }
        return b.toString();
    }

    /** For {@code POST /api/rules/test}. */
    public JsonObject toJson() {
        JsonArray seriesJson = new JsonArray();
        for (SeriesResult s : series) {
            JsonArray evaluations = new JsonArray();
            s.evaluations().forEach(e -> evaluations.add(e.toJson()));
            seriesJson.add(new JsonObject()
                    .put("studyInstanceUid", s.studyInstanceUid())
                    .put("seriesInstanceUid", s.seriesInstanceUid())
                    .put("modality", s.modality())
                    .put("seriesDescription", s.seriesDescription())
                    .put("sopClassUid", s.sopClassUid())
                    .put("instances", s.instances())
                    .put("studyInstances", s.studyInstances())
                    .put("evaluatedFile", s.firstInstance().toString())
                    .put("rules", evaluations)
                    .put("notes", new JsonArray(s.notes())));
        }
        JsonArray skippedJson = new JsonArray();
        skipped.forEach(f -> skippedJson.add(new JsonObject().put("file", f.file().toString()).put("reason", f.reason())));
        return new JsonObject()
                .put("rules", new JsonArray(rules))
                .put("filesExamined", filesExamined)
                .put("basis", basis)
                .put("series", seriesJson)
                .put("skipped", skippedJson)
                .put("notes", new JsonArray(notes));
    }

    private static String count(int n, String one) {
        return count(n, one, one + "s");
    }

    private static String count(int n, String one, String many) {
        return n + " " + (n == 1 ? one : many);
    }

    private static String orDash(String s) {
        return s == null || s.isBlank() ? "-" : s;
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(Math.max(0, width - s.length()));
    }
}
