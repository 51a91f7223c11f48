package org.radflow.testkit;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A long-running tool (Orthanc, storescp) that cannot outlive the JVM (package-private).
 *
 * <p>The tool runs under a small {@code /bin/sh} wrapper whose standard input is a pipe from this
 * JVM: when the pipe closes (on {@link #stop}, or because the JVM died, even by SIGKILL), the
 * wrapper sends SIGTERM to the tool. So a killed test run leaves no Orthanc behind.
 */
final class GuardedProcess {

    private static final String WRAPPER = String.join("\n",
            "exec 3<&0",
            "\"$@\" </dev/null 3<&- &",
            "pid=$!",
            "( cat <&3 >/dev/null 2>&1; kill -TERM \"$pid\" 2>/dev/null ) &",
            "exec 3<&-",
            "wait \"$pid\"",
            "status=$?",
            "exit $status");

    private static final Set<CompletableFuture<Integer>> PENDING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(GuardedProcess::awaitPendingStops, "testkit-process-reaper"));
    }

    private final Process shell;
    private final String toolName;

    private GuardedProcess(Process shell, String toolName) {
        this.shell = shell;
        this.toolName = toolName;
    }

    /** Starts {@code command} with TCP_NODELAY=1, output appended to {@code log}. */
    static GuardedProcess start(List<String> command, Path workDir, Path log) throws IOException {
        List<String> wrapped = new ArrayList<>(List.of("/bin/sh", "-c", WRAPPER, "radflow-guard"));
        wrapped.addAll(command);
        ProcessBuilder builder = Processes.builder(wrapped)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        if (workDir != null) {
            builder.directory(workDir.toFile());
        }
        String tool = new File(command.get(0)).getName();
        return new GuardedProcess(builder.start(), tool);
    }

    boolean isAlive() {
        return shell.isAlive();
    }

    /** The tool's exit code (the wrapper passes it on); only when not alive. */
    int exitValue() {
        return shell.exitValue();
    }

    /** The tool's own process (a child of the wrapper), if it is running. */
    Optional<ProcessHandle> tool() {
        return shell.children()
                .filter(h -> h.info().command().map(c -> new File(c).getName().equals(toolName)).orElse(false))
                .findFirst();
    }

    /** SIGKILL to the tool (e.g. to break an association mid-transfer); the wrapper then exits. */
    void kill() {
        tool().ifPresent(ProcessHandle::destroyForcibly);
    }

    /** SIGTERM to the tool, wait up to {@code grace}, then SIGKILL. Returns the exit code (-1 if killed). */
    int stop(Duration grace) {
        try {
            shell.getOutputStream().close();
        } catch (IOException ignored) {
            // the wrapper is gone already
        }
        try {
            if (!shell.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                shell.descendants().forEach(ProcessHandle::destroyForcibly);
                shell.destroyForcibly();
                shell.waitFor(5, TimeUnit.SECONDS);
                return -1;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            shell.descendants().forEach(ProcessHandle::destroyForcibly);
            shell.destroyForcibly();
            return -1;
        }
        // the stdin watcher (a subshell and its cat) ends with the closed pipe; make sure
        shell.descendants().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroy);
        return shell.exitValue();
    }

    /**
     * Like {@link #stop} without waiting: SIGTERM now, the rest (wait, SIGKILL, {@code cleanup}) in the
     * background. A JVM shutdown hook waits for pending stops.
     */
    CompletableFuture<Integer> stopInBackground(Duration grace, Runnable cleanup) {
        try {
            shell.getOutputStream().close();
        } catch (IOException ignored) {
            // gone already
        }
        CompletableFuture<Integer> done = new CompletableFuture<>();
        PENDING.add(done);
        Thread reaper = new Thread(() -> {
            int exit = -1;
            try {
                exit = stop(grace);
                cleanup.run();
            } finally {
                done.complete(exit);
                PENDING.remove(done);
            }
        }, "testkit-stop-" + toolName);
        reaper.setDaemon(true);
        reaper.start();
        return done;
    }

    private static void awaitPendingStops() {
        for (CompletableFuture<Integer> stop : List.copyOf(PENDING)) {
            try {
                stop.get(15, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // best effort at JVM exit
            }
        }
    }
}
