package org.radflow.host;

import io.vertx.core.json.JsonObject;
import org.radflow.api.JobContext;
import org.radflow.api.ModuleException;
import org.radflow.api.ModuleResult;
import org.radflow.host.worker.Frames;
import org.radflow.host.worker.ResultCodec;
import org.radflow.host.worker.WorkerMain;
import org.radflow.jobs.Job;
import org.radflow.pipeline.Threads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import org.radflow.host.worker.ChannelStreams;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One worker JVM and the two threads that read it: a Unix domain socket it connects to carries {@link Frames}; its
 * stdout and stderr are its log, which goes to the server's log with the module id and the job id, capped per job
 * (nothing a module or the JVM prints can corrupt the frames). The worker says it is alive with a
 * heartbeat every second; whoever waits on it checks {@link #silentFor()}.
 */
final class WorkerProcess {

    private static final Logger LOG = LoggerFactory.getLogger(WorkerProcess.class);
    private static final long GRACE_MS = 2000;
    private static final int STDERR_LINES_KEPT = 40;
    static final int LINES_LOGGED_PER_JOB = 200;
    private static final Object EOF = new Object();
    private static final Pattern HS_ERR_SIGNAL = Pattern.compile("#\\s+(SIG[A-Z]+) \\(0x([0-9a-f]+)\\)");

    final ProcessModuleHost.WorkerSpec spec;
    final Process process;
    final String name;
    final Instant startedAt = Instant.now();
    /** The worker's own folder: its module registry's JAR snapshots and scratch space, removed when it ends. */
    final Path home;
    private final Path errorFile;
    private final long outputLimit;
    /** The frame channel: a Unix domain socket the worker connects to (its stdout and stderr are only its log). */
    private final ServerSocketChannel listening;
    private final Path socket;
    private volatile SocketChannel channel;
    private volatile DataOutputStream toWorker;
    private final BlockingQueue<Object> frames = new LinkedBlockingQueue<>();
    private final Deque<String> lastStderr = new ArrayDeque<>();
    private final Thread stderrReader;
    private final AtomicInteger linesThisJob = new AtomicInteger();
    private final AtomicLong bytesThisJob = new AtomicLong();
    private volatile long lastHeard = System.nanoTime();
    private volatile String jobId = "-";
    /** Why the host stopped this worker itself (output flood, no heartbeat, a broken channel), or null. */
    private volatile String stoppedFor;
    volatile long idleSince = System.nanoTime();
    /** What the worker said it runs when it was ready; null from a worker that did not say. */
    private volatile Ran identity;
    volatile boolean busy;
    final AtomicInteger jobsServed = new AtomicInteger();

    private WorkerProcess(ProcessModuleHost.WorkerSpec spec, Process process, Path home, Path errorFile, long outputLimit,
                          ServerSocketChannel listening, Path socket) {
        this.spec = spec;
        this.home = home;
        this.errorFile = errorFile;
        this.process = process;
        this.outputLimit = outputLimit;
        this.listening = listening;
        this.socket = socket;
        this.name = "worker " + spec.moduleId() + " (pid " + process.pid() + ")";
        Threads.start("worker-" + spec.moduleId() + "-frames", this::readFrames);
        stderrReader = Threads.start("worker-" + spec.moduleId() + "-log", () -> readLog(process.getInputStream()));
        // a worker that dies before it connects must not leave the frame reader waiting for it
        process.onExit().thenRun(() -> {
            if (channel == null) {
                closeQuietly(listening);
            }
        });
    }

    /** A socket path short enough for the kernel's limit (about 107 bytes): in the worker's folder, else a private temp folder. */
    private static Path socketPath(Path home) throws IOException {
        Path inHome = home.resolve("channel");
        if (inHome.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8).length < 100) {
            return inHome;
        }
        return Files.createTempDirectory("radflow-worker-").resolve("channel");
    }

    /** Starts a worker and waits until its module is loaded (READY) or it says why it cannot start. */
    static WorkerProcess start(ProcessModuleHost.WorkerSpec spec, long outputLimit) throws ModuleException {
        WorkerProcess w = null;
        try {
            Path dir = Files.createDirectories(spec.dataDir().resolve("workers"));
            // a folder of its own: a module registry clears its snapshot folder at start, and must never clear the server's
            Path home = Files.createTempDirectory(dir, spec.moduleId() + "-");
            Path config = home.resolve("config.json");
            Files.writeString(config, new JsonObject(spec.config()).encode());
            Path errorFile = dir.resolve("hs_err_" + spec.moduleId() + "_pid%p.log");
            Path socket = socketPath(home);
            ServerSocketChannel listening = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(socket), 1);
            WorkerClassData classData = WorkerClassData.forWorker(dir, System.getProperty("java.class.path"), System.getProperty("java.home"));
            Process p;
            try {
                p = new ProcessBuilder(WorkerCommand.build(spec, home, config, errorFile, socket, classData.options()))
                        .redirectErrorStream(true).start();
            } catch (IOException e) {
                closeQuietly(listening);
                throw e;
            }
            classData.started(p);
            w = new WorkerProcess(spec, p, home, errorFile, outputLimit, listening, socket);
            Object first = w.frames.poll(120, TimeUnit.SECONDS);
            if (first instanceof Frames.Frame f && f.type() == Frames.READY) {
                DataInputStream ready = new DataInputStream(new ByteArrayInputStream(f.payload()));
                LOG.info("Module {}: {} started ({})", spec.moduleId(), w.name, ready.readUTF());
                if (ready.available() > 0) {
                    w.identity = readRan(ready);
                }
                return w;
            }
            String why = first instanceof Frames.Frame f && f.type() == Frames.FAILURE ? readUtf(f.payload())
                    : first == null ? "it did not say it was ready within 120 s" : w.death();
            w.stop();
            throw new ModuleException("worker could not start: " + why, true, null);
        } catch (IOException e) {
            if (w != null) {
                w.stop();
            }
            throw new ModuleException("worker could not start: " + e.getMessage(), true, e);
        } catch (InterruptedException e) {
            if (w != null) {
                w.process.destroyForcibly();
                w.stop();
            }
            Thread.currentThread().interrupt();
            throw new ModuleException("worker start interrupted", true, null);
        }
    }

    private void readFrames() {
        try {
            SocketChannel ch = listening.accept();
            closeQuietly(listening); // one worker, one connection
            channel = ch;
            toWorker = new DataOutputStream(new BufferedOutputStream(ChannelStreams.out(ch)));
            DataInputStream fromWorker = new DataInputStream(new BufferedInputStream(ChannelStreams.in(ch)));
            Frames.Frame f;
            while ((f = Frames.read(fromWorker)) != null) {
                lastHeard = System.nanoTime();
                if (f.type() != Frames.HEARTBEAT) {
                    frames.add(f);
                }
            }
        } catch (IOException e) {
            // the worker died inside a frame, or the channel broke
            try {
                if (process.waitFor(500, TimeUnit.MILLISECONDS)) {
                    LOG.debug("{}: frame channel ended: {}", name, e.toString());
                } else {
                    kill("the worker's channel to RadFlow broke (" + e.getMessage() + ")");
                }
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        }
        frames.add(EOF);
    }

    private void readLog(InputStream stderr) {
        try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(stderr, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                String kept = line.length() > 2000 ? line.substring(0, 2000) + "…" : line;
                synchronized (lastStderr) {
                    lastStderr.addLast(kept);
                    if (lastStderr.size() > STDERR_LINES_KEPT) {
                        lastStderr.removeFirst();
                    }
                }
                // a flood of output is capped per job, never the server's log filled; past the byte limit the worker goes
                int n = linesThisJob.incrementAndGet();
                if (n <= LINES_LOGGED_PER_JOB) {
                    LOG.info("[{} job {}] {}", spec.moduleId(), jobId, kept);
                } else if (n == LINES_LOGGED_PER_JOB + 1) {
                    LOG.warn("[{} job {}] more output than {} lines: the rest of this job's output is not logged",
                            spec.moduleId(), jobId, LINES_LOGGED_PER_JOB);
                }
                if (bytesThisJob.addAndGet(line.length() + 1L) > outputLimit && stoppedFor == null) {
                    kill("the module wrote more than " + (outputLimit >> 20) + " MB of output (workers.outputLimitMb) "
                            + (busy ? "during the job" : "while idle") + "; the worker was stopped (the first "
                            + LINES_LOGGED_PER_JOB + " lines are in RadFlow's log)");
                }
            }
        } catch (IOException e) {
            LOG.debug("{}: stderr ended: {}", name, e.toString());
        }
    }

    boolean alive() {
        return process.isAlive() && stoppedFor == null;
    }

    /** Whether the host stopped (or began to stop) this worker, as opposed to the worker dying on its own. */
    boolean stoppedByHost() {
        return stoppedFor != null;
    }

    /** How long since the worker was last heard from (a frame or a heartbeat). */
    Duration silentFor() {
        return Duration.ofNanos(System.nanoTime() - lastHeard);
    }

    /**
     * Runs one job in the worker: sends it, relays progress, and returns its result or throws its failure.
     *
     * @param request the JOB frame's payload ({@link org.radflow.host.worker.JobRequest})
     * @param heartbeatTimeout the worker is killed when not heard from for this long
     */
    ModuleResult run(Job job, byte[] request, JobContext context, Duration heartbeatTimeout, RunRecorder recorder)
            throws Exception {
        jobId = job.id();
        linesThisJob.set(0);
        bytesThisJob.set(0);
        Ran started = identity;
        if (started != null) {
            // what this worker runs, recorded now: a job whose worker dies before it answers still says what ran it.
            // The host's generation number: the worker was started for it and is retired when it changes
            recorder.running(started.version(), spec.generation(), started.sha256(), started.model(), "process");
        }
        try {
            send(Frames.JOB, request);
        } catch (IOException e) {
            throw new ModuleException("worker " + name + " is gone: " + death(), true, null);
        }
        try {
            while (true) {
                Object o;
                try {
                    o = frames.poll(250, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    // timed out or cancelled by the scheduler: the worker stops, whatever the module does
                    cancelOrKill();
                    Thread.currentThread().interrupt();
                    throw new ModuleException("worker stopped: the job was timed out or cancelled", false, null);
                }
                if (o == null) {
                    if (silentFor().compareTo(heartbeatTimeout) > 0 && process.isAlive()) {
                        kill("the worker stopped answering: no heartbeat for " + silentFor().toSeconds() + " s (workers."
                                + "heartbeatTimeoutSeconds: " + heartbeatTimeout.toSeconds() + "; stopped, or stuck in garbage "
                                + "collection near its heap limit of " + spec.heapMb() + " MB); it was killed");
                    }
                    continue;
                }
                if (o == EOF) {
                    throw new ModuleException(death(), true, null);
                }
                Frames.Frame f = (Frames.Frame) o;
                switch (f.type()) {
                    case Frames.PROGRESS -> {
                        DataInputStream p = new DataInputStream(new ByteArrayInputStream(f.payload()));
                        context.progress(p.readDouble(), p.readUTF());
                    }
                    case Frames.RAN -> {
                        Ran ran = readRan(new DataInputStream(new ByteArrayInputStream(f.payload())));
                        recorder.running(ran.version(), spec.generation(), ran.sha256(), ran.model(), "process");
                        recorder.moduleTime(ran.nanos());
                    }
                    case Frames.RESULT -> {
                        return ResultCodec.read(new DataInputStream(new ByteArrayInputStream(f.payload())));
                    }
                    case Frames.FAILURE -> {
                        DataInputStream p = new DataInputStream(new ByteArrayInputStream(f.payload()));
                        String message = p.readUTF();
                        boolean transientFailure = p.readBoolean();
                        String stack = p.available() > 0 ? p.readUTF() : null;
                        throw new ModuleFailure(message, transientFailure, stack == null ? null : new ModuleFailure.WorkerStackTrace(stack));
                    }
                    default -> LOG.debug("{}: frame type {} ignored", name, f.type());
                }
            }
        } finally {
            jobId = "-";
            jobsServed.incrementAndGet();
        }
    }

    /** Why the worker ended, in words: the host's reason, exit status, signal, out of memory, the crash report. */
    String death() {
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                return stoppedFor != null ? stoppedFor : "worker " + name + " stopped answering";
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "worker " + name + " stopped answering";
        }
        if (stoppedFor != null) {
            return stoppedFor;
        }
        int code = process.exitValue();
        try {
            stderrReader.join(2000); // its last lines say why (an OutOfMemoryError, a crash)
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String stderr;
        synchronized (lastStderr) {
            stderr = String.join("\n", lastStderr);
        }
        if (stderr.contains("java.lang.OutOfMemoryError")) {
            return "worker ran out of memory (heap " + spec.heapMb() + " MB; modules." + spec.moduleId() + ".heapMb) during the job";
        }
        if (code == WorkerMain.EXIT_THREAD_LIMIT) {
            return "the module started more threads than its limit (modules." + spec.moduleId() + ".maxThreads: "
                    + spec.maxThreads() + "); the worker was stopped";
        }
        if (code > 128 || Files.isRegularFile(crashReport())) { // a JVM that crashed without dumping core exits with 1
            return crashed(code > 128 ? code - 128 : 0);
        }
        return "worker exited with status " + code + " during the job";
    }

    /** A crash in words; the JVM's crash report (hs_err) names the signal that really hit it and is kept. */
    private String crashed(int signal) {
        Path report = crashReport();
        if (Files.isRegularFile(report)) {
            String what = signal > 0 ? "signal " + signal : "a fatal error in the JVM";
            try (var lines = Files.lines(report, StandardCharsets.ISO_8859_1)) {
                for (String l : (Iterable<String>) lines.limit(40)::iterator) {
                    Matcher m = HS_ERR_SIGNAL.matcher(l);
                    if (m.find()) {
                        what = "signal " + Integer.parseInt(m.group(2), 16) + ", " + m.group(1);
                        break;
                    }
                }
            } catch (IOException | RuntimeException e) {
                LOG.debug("cannot read {}: {}", report, e.toString());
            }
            return "worker crashed (" + what + ") during the job; crash report " + report;
        }
        return "worker crashed (signal " + signal + (signal == 9 ? ": killed, e.g. by the kernel's out-of-memory killer" : "")
                + ") during the job";
    }

    /** Where the JVM writes its crash report (hs_err) if it crashes. */
    private Path crashReport() {
        return Path.of(errorFile.toString().replace("%p", Long.toString(process.pid())));
    }

    /** Stops the worker now for a reason the job will carry. */
    void kill(String why) {
        if (stoppedFor == null) {
            stoppedFor = why;
            LOG.warn("Module {}: {} stopped: {}", spec.moduleId(), name, why);
        }
        process.destroyForcibly();
    }

    private void cancelOrKill() {
        try {
            send(Frames.CANCEL, new byte[0]);
        } catch (IOException ignored) {
            // already gone
        }
        stop();
    }

    private void send(byte type, byte[] payload) throws IOException {
        DataOutputStream out = toWorker;
        if (out == null) {
            throw new IOException("the worker has not connected");
        }
        Frames.write(out, type, payload);
    }

    /** TERM, then KILL after a grace period; then its channel and folder go. */
    void stop() {
        try {
            terminate();
        } finally {
            closeQuietly(listening);
            closeQuietly(channel);
            if (!process.isAlive()) {
                deleteTree(home);
                if (!socket.startsWith(home)) {
                    deleteTree(socket.getParent());
                }
            }
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            if (c != null) {
                c.close();
            }
        } catch (IOException ignored) {
            // closing
        }
    }

    private void terminate() {
        if (!process.isAlive()) {
            return;
        }
        try {
            send(Frames.SHUTDOWN, new byte[0]);
        } catch (IOException ignored) {
            // already gone
        }
        process.destroy();
        try {
            if (!process.waitFor(GRACE_MS, TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(GRACE_MS, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static void deleteTree(Path root) {
        try (var files = Files.walk(root)) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            LOG.debug("cannot remove {}: {}", root, e.toString());
        }
    }

    /** What a worker runs (its READY frame's tail, a RAN frame): module version, JAR hash, model, process() time in ns. */
    record Ran(String version, String sha256, org.radflow.api.ModelIdentity model, long nanos) {
    }

    private static Ran readRan(DataInputStream p) throws IOException {
        String version = p.readUTF();
        String sha256 = p.readUTF();
        org.radflow.api.ModelIdentity model = new org.radflow.api.ModelIdentity(p.readUTF(), p.readUTF(), "", p.readBoolean());
        return new Ran(version, sha256, model, p.readLong());
    }

    private static String readUtf(byte[] payload) throws IOException {
        return new DataInputStream(new ByteArrayInputStream(payload)).readUTF();
    }

    /** For the API: pid, busy or idle, since when, jobs served. */
    JsonObject describe() {
        return new JsonObject().put("pid", process.pid()).put("state", busy ? "busy" : "idle")
                .put("startedAt", startedAt.toString()).put("jobs", jobsServed.get()).put("heapMb", spec.heapMb());
    }
}
