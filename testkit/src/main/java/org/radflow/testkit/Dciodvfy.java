package org.radflow.testkit;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs David Clunie's {@code dciodvfy} (Debian {@code dicom3tools}) on a file: checks it against
 * the IOD its SOP class defines. {@code dciodvfy} writes its findings to stderr, one per line,
 * starting with "Error" or "Warning"; the first stdout line names the IOD it checked.
 */
public final class Dciodvfy {

    private Dciodvfy() {
    }

    /**
     * @param file     the file checked
     * @param exitCode dciodvfy's exit code (not a reliable verdict: use {@link #errors()})
     * @param errors   lines starting with "Error"
     * @param warnings lines starting with "Warning"
     * @param output   everything it printed
     */
    public record Result(Path file, int exitCode, List<String> errors, List<String> warnings, String output) {

        public Result {
            errors = List.copyOf(errors);
            warnings = List.copyOf(warnings);
        }

        public boolean hasErrors() {
            return !errors.isEmpty();
        }

        /** Errors whose text contains none of {@code ignored} (for known, accepted findings). */
        public List<String> errorsIgnoring(String... ignored) {
            return errors.stream().filter(e -> {
                for (String i : ignored) {
                    if (e.contains(i)) {
                        return false;
                    }
                }
                return true;
            }).toList();
        }

        /** Throws {@link AssertionError} listing the errors if there are any. */
        public Result assertNoErrors() {
            if (hasErrors()) {
                throw new AssertionError("dciodvfy found " + errors.size() + " error(s) in " + file + ":\n"
                        + String.join("\n", errors));
            }
            return this;
        }
    }

    /** {@code dciodvfy file} (60 s timeout). */
    public static Result check(Path file) {
        ToolResult run = Processes.run(List.of("dciodvfy", file.toString()), Duration.ofSeconds(60));
        if (run.timedOut()) {
            throw new IllegalStateException("dciodvfy timed out on " + file);
        }
        if (run.output().contains("dciodvfy: not found") || run.exitCode() == 127) {
            throw new IllegalStateException("dciodvfy is not installed (Debian package dicom3tools)");
        }
        List<String> errors = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        for (String line : run.output().split("\r?\n")) {
            String trimmed = line.strip();
            if (trimmed.startsWith("Error")) {
                errors.add(trimmed);
            } else if (trimmed.startsWith("Warning")) {
                warnings.add(trimmed);
            }
        }
        return new Result(file, run.exitCode(), errors, warnings, run.output());
    }
}
