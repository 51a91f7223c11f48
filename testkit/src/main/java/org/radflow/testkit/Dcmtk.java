package org.radflow.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Runners for the DCMTK command-line tools ({@code storescu}, {@code echoscu}, {@code storescp},
 * {@code dump2dcm}, {@code dcmdump}). Every tool runs with {@code TCP_NODELAY=1} in its environment
 * (without it each C-STORE stalls 40-55 ms, see PITFALLS.md) and with a timeout.
 *
 * <pre>{@code
 * Dcmtk.echoscu("127.0.0.1", orthanc.dicomPort(), orthanc.aeTitle()).assertOk();
 * Dcmtk.storescu().port(orthanc.dicomPort()).calledAe("ORTHANC").files(files).run().assertOk();
 * try (Dcmtk.StoreScp scp = Dcmtk.storescp().aeTitle("SINK").start()) { ... scp.awaitFiles(3, ...) }
 * }</pre>
 */
public final class Dcmtk {

    /** Default timeout of a tool run. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private Dcmtk() {
    }

    /** Transfer syntaxes {@code storescu} can propose (its {@code -x?} options). */
    public enum ProposedTransferSyntax {
        /** {@code -x=}: all uncompressed, explicit VR local byte order first (storescu's default). */
        UNCOMPRESSED("-x="),
        /** {@code -xe}: all uncompressed, explicit VR little endian first. */
        EXPLICIT_LITTLE_ENDIAN("-xe"),
        /** {@code -xb}: all uncompressed, explicit VR big endian first. */
        EXPLICIT_BIG_ENDIAN("-xb"),
        /** {@code -xi}: implicit VR little endian only. */
        IMPLICIT_LITTLE_ENDIAN("-xi"),
        /** {@code -xs}: JPEG lossless (process 14 SV1). */
        JPEG_LOSSLESS("-xs"),
        /** {@code -xy}: JPEG baseline (8 bit). */
        JPEG_BASELINE("-xy"),
        /** {@code -xx}: JPEG extended (12 bit). */
        JPEG_EXTENDED("-xx"),
        /** {@code -xv}: JPEG 2000 lossless. */
        JPEG2000_LOSSLESS("-xv"),
        /** {@code -xw}: JPEG 2000. */
        JPEG2000("-xw"),
        /** {@code -xt}: JPEG-LS lossless. */
        JPEG_LS_LOSSLESS("-xt"),
        /** {@code -xu}: JPEG-LS near-lossless. */
        JPEG_LS_LOSSY("-xu"),
        /** {@code -xr}: RLE lossless. */
        RLE("-xr"),
        /** {@code -xd}: deflated explicit VR little endian. */
        DEFLATED("-xd");

        private final String option;

        ProposedTransferSyntax(String option) {
            this.option = option;
        }

        public String option() {
            return option;
        }
    }

    // ---------------------------------------------------------------- echoscu

    /** {@code echoscu -aet ECHOSCU -aec calledAe host port} with the default timeout. */
    public static ToolResult echoscu(String host, int port, String calledAe) {
        return echoscu(host, port, calledAe, "ECHOSCU", DEFAULT_TIMEOUT);
    }

    /** {@code echoscu -aet callingAe -aec calledAe host port}. */
    public static ToolResult echoscu(String host, int port, String calledAe, String callingAe, Duration timeout) {
        return Processes.run(List.of("echoscu", "-aet", callingAe, "-aec", calledAe, host, Integer.toString(port)),
                timeout);
    }

    // ---------------------------------------------------------------- storescu

    /** A {@code storescu} command line; defaults: host 127.0.0.1, calling AE STORESCU, called AE ANY-SCP. */
    public static StoreScuBuilder storescu() {
        return new StoreScuBuilder();
    }

    /** Builds and runs a {@code storescu} command. */
    public static final class StoreScuBuilder {
        private String host = "127.0.0.1";
        private int port = -1;
        private String calledAe = "ANY-SCP";
        private String callingAe = "STORESCU";
        private final List<Path> inputs = new ArrayList<>();
        private boolean scanDirectories;
        private ProposedTransferSyntax transferSyntax;
        private boolean combine;
        private boolean noHalt;
        private boolean verbose;
        private final List<String> extra = new ArrayList<>();
        private Duration timeout = DEFAULT_TIMEOUT;
        private Path logFile;

        private StoreScuBuilder() {
        }

        public StoreScuBuilder host(String host) {
            this.host = Objects.requireNonNull(host);
            return this;
        }

        public StoreScuBuilder port(int port) {
            this.port = port;
            return this;
        }

        /** The SCP's AE title ({@code -aec}). */
        public StoreScuBuilder calledAe(String calledAe) {
            this.calledAe = Objects.requireNonNull(calledAe);
            return this;
        }

        /** Our AE title ({@code -aet}). */
        public StoreScuBuilder callingAe(String callingAe) {
            this.callingAe = Objects.requireNonNull(callingAe);
            return this;
        }

        /** Host, port and AE title of a running Orthanc. */
        public StoreScuBuilder to(OrthancServer orthanc) {
            return host("127.0.0.1").port(orthanc.dicomPort()).calledAe(orthanc.aeTitle());
        }

        public StoreScuBuilder file(Path file) {
            inputs.add(file);
            return this;
        }

        public StoreScuBuilder files(List<Path> files) {
            inputs.addAll(files);
            return this;
        }

        /** Sends every file under {@code directory}, recursively ({@code +sd +r}). */
        public StoreScuBuilder directory(Path directory) {
            inputs.add(directory);
            scanDirectories = true;
            return this;
        }

        /** Which transfer syntaxes to propose ({@code -xs}, {@code -xe}, {@code -xi}, ...). */
        public StoreScuBuilder propose(ProposedTransferSyntax syntax) {
            this.transferSyntax = syntax;
            return this;
        }

        /** {@code +C}: combine proposed transfer syntaxes into one presentation context per SOP class. */
        public StoreScuBuilder combineTransferSyntaxes() {
            this.combine = true;
            return this;
        }

        /** {@code -nh}: continue after an unsuccessful C-STORE. */
        public StoreScuBuilder noHalt() {
            this.noHalt = true;
            return this;
        }

        /** {@code -v} */
        public StoreScuBuilder verbose() {
            this.verbose = true;
            return this;
        }

        /** Further options, inserted before host and port (e.g. {@code "--repeat", "10"}, {@code "-R"}). */
        public StoreScuBuilder option(String... options) {
            extra.addAll(Arrays.asList(options));
            return this;
        }

        /** Timeout for {@link #run()} (default 60 s). */
        public StoreScuBuilder timeout(Duration timeout) {
            this.timeout = Objects.requireNonNull(timeout);
            return this;
        }

        /** Where {@link #start()} writes the tool's output (default: discarded). */
        public StoreScuBuilder logTo(Path file) {
            this.logFile = file;
            return this;
        }

        public List<String> command() {
            if (port <= 0) {
                throw new IllegalStateException("storescu needs a port");
            }
            if (inputs.isEmpty()) {
                throw new IllegalStateException("storescu needs files or a directory");
            }
            List<String> command = new ArrayList<>(List.of("storescu", "-aet", callingAe, "-aec", calledAe));
            if (verbose) {
                command.add("-v");
            }
            if (scanDirectories) {
                command.add("+sd");
                command.add("+r");
            }
            if (transferSyntax != null) {
                command.add(transferSyntax.option());
            }
            if (combine) {
                command.add("+C");
            }
            if (noHalt) {
                command.add("-nh");
            }
            command.addAll(extra);
            command.add(host);
            command.add(Integer.toString(port));
            inputs.forEach(p -> command.add(p.toString()));
            return command;
        }

        /** Runs storescu to completion. */
        public ToolResult run() {
            return Processes.run(command(), timeout);
        }

        /**
         * Starts storescu and returns at once: kill the process (e.g. {@code destroyForcibly()}) to
         * break an association mid-transfer. Output goes to {@link #logTo(Path)} or is discarded.
         */
        public Process start() {
            ProcessBuilder builder = Processes.builder(command()).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(Processes.nullDevice()));
            builder.redirectOutput(logFile != null ? ProcessBuilder.Redirect.appendTo(logFile.toFile())
                    : ProcessBuilder.Redirect.DISCARD);
            try {
                return builder.start();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start storescu", e);
            }
        }
    }

    // ---------------------------------------------------------------- storescp

    /**
     * A {@code storescp} to be started; defaults: free port, AE STORESCP, a new temporary output folder.
     * DCMTK 3.6.7's storescp has no bind-address option: it listens on all interfaces while it runs.
     */
    public static StoreScpBuilder storescp() {
        return new StoreScpBuilder();
    }

    /** Builds and starts a {@code storescp}. */
    public static final class StoreScpBuilder {
        private int port = -1;
        private String aeTitle = "STORESCP";
        private Path outputDir;
        private boolean ignore;
        private boolean acceptAll;
        private boolean promiscuous;
        private String filenameExtension = ".dcm";
        private final List<String> extra = new ArrayList<>();
        private Duration startTimeout = Duration.ofSeconds(10);
        private Path logFile;

        private StoreScpBuilder() {
        }

        /** The port (default: a free one, chosen again if taken at start). */
        public StoreScpBuilder port(int port) {
            this.port = port;
            return this;
        }

        public StoreScpBuilder aeTitle(String aeTitle) {
            this.aeTitle = Objects.requireNonNull(aeTitle);
            return this;
        }

        /** Where received files go (default: a new temporary folder, deleted on close). */
        public StoreScpBuilder outputDir(Path outputDir) {
            this.outputDir = outputDir;
            return this;
        }

        /** {@code --ignore}: receive but do not store (for measuring the sender). */
        public StoreScpBuilder ignore() {
            this.ignore = true;
            return this;
        }

        /** {@code +xa}: accept all supported transfer syntaxes, compressed ones too. */
        public StoreScpBuilder acceptAllTransferSyntaxes() {
            this.acceptAll = true;
            return this;
        }

        /** {@code -pm}: accept unknown SOP classes. */
        public StoreScpBuilder promiscuous() {
            this.promiscuous = true;
            return this;
        }

        /** {@code -fe}: extension of received files (default ".dcm"; null for none). */
        public StoreScpBuilder filenameExtension(String extension) {
            this.filenameExtension = extension;
            return this;
        }

        /** Further options (e.g. {@code "--sleep-during", "2"}, {@code "--abort-after"}). */
        public StoreScpBuilder option(String... options) {
            extra.addAll(Arrays.asList(options));
            return this;
        }

        /** Where the tool's output goes (default: {@code target/dcmtk-logs/storescp-<port>.log}). */
        public StoreScpBuilder logTo(Path file) {
            this.logFile = file;
            return this;
        }

        public StoreScpBuilder startTimeout(Duration timeout) {
            this.startTimeout = Objects.requireNonNull(timeout);
            return this;
        }

        /** Starts storescp and waits until it answers C-ECHO. */
        public StoreScp start() {
            boolean tempDir = false;
            Path dir = outputDir;
            try {
                if (dir == null) {
                    dir = Files.createTempDirectory("radflow-storescp-");
                    tempDir = true;
                } else {
                    Files.createDirectories(dir);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the storescp output folder", e);
            }
            IllegalStateException failure = null;
            int attempts = port > 0 ? 1 : 3;
            for (int attempt = 1; attempt <= attempts; attempt++) {
                int p = port > 0 ? port : FreePorts.find();
                Path log = logFile != null ? logFile
                        : Processes.targetDir().resolve("dcmtk-logs").resolve("storescp-" + p + ".log");
                List<String> command = new ArrayList<>(List.of("storescp", "-aet", aeTitle, "-od", dir.toString(),
                        "-dhl"));
                if (ignore) {
                    command.add("--ignore");
                }
                if (acceptAll) {
                    command.add("+xa");
                }
                if (promiscuous) {
                    command.add("-pm");
                }
                if (filenameExtension != null && !filenameExtension.isEmpty()) {
                    command.add("-fe");
                    command.add(filenameExtension);
                }
                command.addAll(extra);
                command.add(Integer.toString(p));
                GuardedProcess process;
                try {
                    Files.createDirectories(log.getParent());
                    process = GuardedProcess.start(command, null, log);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot start storescp", e);
                }
                StoreScp scp = new StoreScp(process, p, aeTitle, dir, tempDir, log);
                long deadline = System.nanoTime() + startTimeout.toNanos();
                while (System.nanoTime() < deadline && process.isAlive()) {
                    if (echoscu("127.0.0.1", p, aeTitle, "READYCHECK", Duration.ofSeconds(5)).ok()) {
                        return scp;
                    }
                    Processes.sleep(30);
                }
                String why = process.isAlive() ? "did not answer C-ECHO within " + startTimeout.toMillis() + " ms"
                        : "exited with code " + process.exitValue();
                scp.stopProcess();
                failure = new IllegalStateException("storescp on port " + p + " " + why + "; "
                        + String.join(" ", command) + "\nlog " + log + " ends with:\n" + Processes.tail(log, 20), failure);
            }
            if (tempDir) {
                Processes.deleteRecursively(dir);
            }
            throw failure;
        }
    }

    /** A running {@code storescp}; {@link #close()} stops it and deletes a temporary output folder. */
    public static final class StoreScp implements AutoCloseable {
        private final GuardedProcess process;
        private final int port;
        private final String aeTitle;
        private final Path outputDir;
        private final boolean deleteOutputDir;
        private final Path logFile;

        private StoreScp(GuardedProcess process, int port, String aeTitle, Path outputDir, boolean deleteOutputDir,
                         Path logFile) {
            this.process = process;
            this.port = port;
            this.aeTitle = aeTitle;
            this.outputDir = outputDir;
            this.deleteOutputDir = deleteOutputDir;
            this.logFile = logFile;
        }

        /** storescp's own process, while it runs. */
        public Optional<ProcessHandle> process() {
            return process.tool();
        }

        /** SIGKILL to storescp (e.g. to break an association from the SCP side). */
        public void kill() {
            process.kill();
        }

        public int port() {
            return port;
        }

        public String aeTitle() {
            return aeTitle;
        }

        public Path outputDir() {
            return outputDir;
        }

        public Path logFile() {
            return logFile;
        }

        /** storescp's output so far. */
        public String output() {
            return Processes.tail(logFile, Integer.MAX_VALUE);
        }

        public boolean isAlive() {
            return process.isAlive();
        }

        /** Files received so far (regular files under the output folder, sorted). */
        public List<Path> receivedFiles() {
            if (!Files.isDirectory(outputDir)) {
                return List.of();
            }
            try (Stream<Path> files = Files.walk(outputDir)) {
                return files.filter(Files::isRegularFile).sorted().toList();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + outputDir, e);
            }
        }

        /** Waits until at least {@code count} files were received; throws {@link AssertionError} on timeout. */
        public List<Path> awaitFiles(int count, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            List<Path> files = receivedFiles();
            while (files.size() < count) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("storescp received " + files.size() + " file(s) in "
                            + timeout.toMillis() + " ms, expected " + count + "; output ends with:\n"
                            + Processes.tail(logFile, 20));
                }
                Processes.sleep(50);
                files = receivedFiles();
            }
            return files;
        }

        private int stopProcess() {
            return process.stop(Duration.ofSeconds(5));
        }

        /** Stops storescp (SIGTERM, then SIGKILL) and deletes the output folder if it was temporary. */
        @Override
        public void close() {
            stopProcess();
            if (deleteOutputDir) {
                Processes.deleteRecursively(outputDir);
            }
        }
    }

    // ---------------------------------------------------------------- dump2dcm / dcmdump

    /** {@code dump2dcm dumpFile out} (+ options, e.g. {@code "+te"}). */
    public static ToolResult dump2dcm(Path dumpFile, Path out, String... options) {
        List<String> command = new ArrayList<>(List.of("dump2dcm"));
        command.addAll(Arrays.asList(options));
        command.add(dumpFile.toString());
        command.add(out.toString());
        return Processes.run(command, DEFAULT_TIMEOUT);
    }

    /** {@code dcmdump file} (+ options). */
    public static ToolResult dcmdump(Path file, String... options) {
        List<String> command = new ArrayList<>(List.of("dcmdump"));
        command.addAll(Arrays.asList(options));
        command.add(file.toString());
        return Processes.run(command, DEFAULT_TIMEOUT);
    }

    /** Runs any tool with TCP_NODELAY=1 and a timeout. */
    public static ToolResult run(Duration timeout, String... command) {
        return Processes.run(List.of(command), timeout);
    }
}
