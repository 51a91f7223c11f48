package org.radflow.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Process plumbing shared by the tool runners (package-private). */
final class Processes {

    private Processes() {
    }

    /** A process builder for {@code command} with TCP_NODELAY=1 in its environment (see PITFALLS.md). */
    static ProcessBuilder builder(List<String> command) {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("TCP_NODELAY", "1");
        return builder;
    }

    /** Runs {@code command} to completion (killing it after {@code timeout}) with the output captured. */
    static ToolResult run(List<String> command, Duration timeout) {
        Path output = null;
        long start = System.nanoTime();
        try {
            output = Files.createTempFile("radflow-tool-", ".out");
            Process process = builder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(nullDevice()))
                    .start();
            boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                terminate(process, Duration.ofSeconds(2));
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            String text = Files.readString(output, StandardCharsets.ISO_8859_1);
            return new ToolResult(command, finished ? process.exitValue() : -1, text, elapsed, !finished);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", command), e);
        } finally {
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException ignored) {
                    // a leftover temp file is harmless
                }
            }
        }
    }

    static java.io.File nullDevice() {
        return new java.io.File("/dev/null");
    }

    /** SIGTERM (also to descendants), wait up to {@code grace}, then SIGKILL. Returns the exit code or -1. */
    static int terminate(Process process, Duration grace) {
        if (process == null) {
            return -1;
        }
        List<ProcessHandle> descendants = new ArrayList<>(process.descendants().toList());
        process.destroy();
        descendants.forEach(ProcessHandle::destroy);
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        return process.isAlive() ? -1 : process.exitValue();
    }

    static String lastLines(String text, int lines) {
        if (text == null || text.isEmpty()) {
            return "";
        }
        String[] all = text.split("\r?\n");
        int from = Math.max(0, all.length - lines);
        return String.join("\n", java.util.Arrays.asList(all).subList(from, all.length));
    }

    static String tail(Path file, int lines) {
        try {
            if (file == null || !Files.exists(file)) {
                return "(no log)";
            }
            return lastLines(Files.readString(file, StandardCharsets.ISO_8859_1), lines);
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }

    static void deleteRecursively(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root, e);
        }
    }

    /** target/ of the module whose tests run (Surefire/Failsafe set {@code basedir}), else ./target. */
    static Path targetDir() {
        String base = System.getProperty("basedir", System.getProperty("user.dir"));
        return Path.of(base).resolve("target");
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
