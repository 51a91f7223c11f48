package org.radflow.testkit;

import java.time.Duration;
import java.util.List;

/**
 * The outcome of running a command-line tool to completion.
 *
 * @param command  the command line that was run
 * @param exitCode the exit code, or -1 when the tool was killed after {@code timedOut}
 * @param output   standard output and standard error, interleaved as the tool wrote them
 * @param elapsed  wall-clock time from start to exit
 * @param timedOut whether the tool had to be killed because it ran past its timeout
 */
public record ToolResult(List<String> command, int exitCode, String output, Duration elapsed, boolean timedOut) {

    public ToolResult {
        command = List.copyOf(command);
    }

    /** Exit code 0 and not timed out. */
    public boolean ok() {
        return exitCode == 0 && !timedOut;
    }

    /** Returns this result if {@link #ok()}, otherwise throws an {@link AssertionError} with the command and its output. */
    public ToolResult assertOk() {
        if (!ok()) {
            throw new AssertionError(describe());
        }
        return this;
    }

    /** The last {@code lines} lines of the output. */
    public String outputTail(int lines) {
        return Processes.lastLines(output, lines);
    }

    /** A one-paragraph description for failure messages: command, exit code or timeout, output tail. */
    public String describe() {
        return String.join(" ", command)
                + (timedOut ? " timed out after " + elapsed.toMillis() + " ms" : " exited with " + exitCode
                + " after " + elapsed.toMillis() + " ms")
                + "; output:\n" + outputTail(40);
    }
}
