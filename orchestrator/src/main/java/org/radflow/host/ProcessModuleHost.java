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
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Runs a module's jobs in worker JVMs ({@link WorkerMain}) that it starts and supervises: a worker loads the module
 * and its model once and serves jobs until it dies or is retired. Whatever the module does to its process — exits,
 * halts, runs out of memory, crashes in native code, spins past its timeout — costs that worker, never the server:
 * the job gets a reason a person can read and the next job gets a fresh worker. A timed-out or cancelled job's
 * worker is stopped (TERM, then KILL after a grace period), so no CPU keeps burning.
 *
 * <p>Workers per module are bounded by the scheduler's lane (one job per worker at a time); idle workers are kept
 * for the next job. The worker's class path is the server's own, so there is no second installation.
 */
public final class ProcessModuleHost implements ModuleHost, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessModuleHost.class);
    private static final long GRACE_MS = 2000;
    private static final int STDERR_LINES_KEPT = 40;
    private static final int STDERR_LINES_LOGGED_PER_JOB = 200;

    /** What a worker is started with. */
    public record WorkerSpec(String moduleId, Path modulesDir, Path modelsDir, Path dataDir, Map<String, Object> config,
                             int heapMb, int inferenceThreads, int generation, int maxWorkerCrashes) {
    }

    private final Function<String, WorkerSpec> specs;
    private final BiConsumer<String, String> crashLimit;
    private final Map<String, Deque<Worker>> idle = new ConcurrentHashMap<>();
    /** Workers of a module that died during a job (or could not start) in a row; a finished job resets it. */
    private final Map<String, AtomicInteger> crashesInARow = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * @param specs      what a module's worker is started with now (its current generation, configuration, heap)
     * @param crashLimit told (module id, reason) when a module's workers died {@code maxWorkerCrashes} times in a row
     */
    public ProcessModuleHost(Function<String, WorkerSpec> specs, BiConsumer<String, String> crashLimit) {
        this.specs = specs;
        this.crashLimit = crashLimit;
    }

    @Override
    public ModuleResult run(Job job, JobContext context) throws Exception {
        WorkerSpec spec = specs.apply(job.moduleId());
        Worker w;
        try {
            w = borrow(spec);
        } catch (ModuleException cannotStart) {
            crashed(spec, cannotStart.getMessage());
            throw cannotStart;
        }
        boolean reusable = false;
        try {
            ModuleResult result = w.run(job, context);
            reusable = true;
            crashesInARow.remove(spec.moduleId());
            return result;
        } catch (ModuleException e) {
            reusable = w.alive(); // the module's own failure: the worker carries on
            if (reusable) {
                crashesInARow.remove(spec.moduleId());
            } else if (!Thread.currentThread().isInterrupted()) { // a timeout or cancel stops the worker on purpose
                crashed(spec, e.getMessage());
            }
            throw e;
        } finally {
            if (reusable && !closed) {
                idle.computeIfAbsent(job.moduleId(), k -> new ArrayDeque<>());
                synchronized (idle.get(job.moduleId())) {
                    idle.get(job.moduleId()).push(w);
                }
            } else {
                w.stop();
            }
        }
    }

    private void crashed(WorkerSpec spec, String why) {
        int n = crashesInARow.computeIfAbsent(spec.moduleId(), k -> new AtomicInteger()).incrementAndGet();
        if (n >= spec.maxWorkerCrashes()) {
            crashesInARow.remove(spec.moduleId());
            String reason = n + " worker(s) in a row died during jobs or could not start (modules." + spec.moduleId()
                    + ".maxWorkerCrashes: " + spec.maxWorkerCrashes() + "); the last: " + why;
            LOG.error("Module {} paused: {}. Fix or replace the module, then enable it (POST /api/modules/{}/enable)",
                    spec.moduleId(), reason, spec.moduleId());
            crashLimit.accept(spec.moduleId(), reason);
        }
    }

    private Worker borrow(WorkerSpec spec) throws ModuleException {
        Deque<Worker> q = idle.computeIfAbsent(spec.moduleId(), k -> new ArrayDeque<>());
        while (true) {
            Worker w;
            synchronized (q) {
                w = q.poll();
            }
            if (w == null) {
                return Worker.start(spec);
            }
            if (w.alive() && w.spec.equals(spec)) {
                return w;
            }
            w.stop(); // died while idle, or a new generation or configuration: retired
        }
    }

    /** Starts a worker for the module now and keeps it for the module's next job, which then does not wait for the start. */
    public void prestart(String moduleId) throws ModuleException {
        Worker w = Worker.start(specs.apply(moduleId));
        Deque<Worker> q = idle.computeIfAbsent(moduleId, k -> new ArrayDeque<>());
        synchronized (q) {
            q.push(w);
        }
    }

    /** Stops every idle worker of a module (disabled, replaced); running jobs finish on theirs. */
    public void retire(String moduleId) {
        Deque<Worker> q = idle.get(moduleId);
        if (q != null) {
            synchronized (q) {
                q.forEach(Worker::stop);
                q.clear();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        idle.keySet().forEach(this::retire);
    }

    /** One worker process and the threads that read its stdout (frames) and stderr (its log). */
    static final class Worker {
        final WorkerSpec spec;
        final Process process;
        final DataOutputStream toWorker;
        final BlockingQueue<Object> frames = new LinkedBlockingQueue<>();
        final Deque<String> lastStderr = new ArrayDeque<>();
        final String name;
        volatile int loggedThisJob;
        volatile String jobId = "-";
        private final Thread stderrReader;

        private static final Object EOF = new Object();

        /** The worker's own folder: its module registry's JAR snapshots and scratch space, removed when it ends. */
        final Path home;

        private Worker(WorkerSpec spec, Process process, Path home) {
            this.spec = spec;
            this.home = home;
            this.process = process;
            this.name = "worker " + spec.moduleId() + " (pid " + process.pid() + ")";
            this.toWorker = new DataOutputStream(new BufferedOutputStream(process.getOutputStream()));
            DataInputStream fromWorker = new DataInputStream(new BufferedInputStream(process.getInputStream()));
            Threads.start("worker-" + spec.moduleId() + "-frames", () -> {
                try {
                    Frames.Frame f;
                    while ((f = Frames.read(fromWorker)) != null) {
                        frames.add(f);
                    }
                } catch (IOException e) {
                    LOG.debug("{}: frame channel ended: {}", name, e.toString());
                }
                frames.add(EOF);
            });
            stderrReader = Threads.start("worker-" + spec.moduleId() + "-log", () -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        String kept = line.length() > 2000 ? line.substring(0, 2000) + "…" : line;
                        synchronized (lastStderr) {
                            lastStderr.addLast(kept);
                            if (lastStderr.size() > STDERR_LINES_KEPT) {
                                lastStderr.removeFirst();
                            }
                        }
                        // a flood of output is capped per job, never the server's log filled
                        if (loggedThisJob++ < STDERR_LINES_LOGGED_PER_JOB) {
                            LOG.info("[{} job {}] {}", spec.moduleId(), jobId, kept);
                        } else if (loggedThisJob == STDERR_LINES_LOGGED_PER_JOB + 1) {
                            LOG.warn("[{} job {}] more output than {} lines: the rest of this job's output is not logged",
                                    spec.moduleId(), jobId, STDERR_LINES_LOGGED_PER_JOB);
                        }
                    }
                } catch (IOException e) {
                    LOG.debug("{}: stderr ended: {}", name, e.toString());
                }
            });
        }

        static Worker start(WorkerSpec spec) throws ModuleException {
            try {
                Path dir = Files.createDirectories(spec.dataDir().resolve("workers"));
                // a folder of its own: a module registry clears its snapshot folder at start, and must never clear the server's
                Path home = Files.createTempDirectory(dir, spec.moduleId() + "-");
                Path config = home.resolve("config.json");
                Files.writeString(config, new JsonObject(spec.config()).encode());
                List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx" + spec.heapMb() + "m", "-XX:+ExitOnOutOfMemoryError", "-XX:+DisplayVMOutputToStderr", "-Xlog:disable", "-Xlog:all=warning:stderr", "-XX:ErrorFile=" + dir.resolve("hs_err_" + spec.moduleId() + "_pid%p.log"),
                        "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/java.nio=ALL-UNNAMED",
                        "-Dradflow.console.level=INFO", "-cp", System.getProperty("java.class.path"), WorkerMain.class.getName(),
                        spec.moduleId(), spec.modulesDir() == null ? "-" : spec.modulesDir().toString(), spec.modelsDir().toString(),
                        home.toString(), spec.dataDir().resolve("native").toString(), Integer.toString(spec.inferenceThreads()),
                        config.toString()));
                WorkerClassData classData = WorkerClassData.forWorker(dir, System.getProperty("java.class.path"), System.getProperty("java.home"));
                cmd.addAll(cmd.indexOf("-cp"), classData.options());
                Process p = new ProcessBuilder(cmd).start();
                classData.started(p);
                Worker w = new Worker(spec, p, home);
                Object first = w.frames.poll(120, TimeUnit.SECONDS);
                if (first instanceof Frames.Frame f && f.type() == Frames.READY) {
                    LOG.info("Module {}: {} started ({})", spec.moduleId(), w.name, readUtf(f.payload()));
                    return w;
                }
                String why = first instanceof Frames.Frame f && f.type() == Frames.FAILURE ? readUtf(f.payload()) : w.death();
                w.stop();
                throw new ModuleException("worker could not start: " + why, true, null);
            } catch (IOException e) {
                throw new ModuleException("worker could not start: " + e.getMessage(), true, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ModuleException("worker start interrupted", true, null);
            }
        }

        boolean alive() {
            return process.isAlive();
        }

        ModuleResult run(Job job, JobContext context) throws Exception {
            jobId = job.id();
            loggedThisJob = 0;
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            DataOutputStream d = new DataOutputStream(b);
            d.writeUTF(job.id());
            d.writeUTF(job.studyUid());
            d.writeInt(job.inputFiles().size());
            for (Path f : job.inputFiles()) {
                d.writeUTF(f.toString());
            }
            try {
                Frames.write(toWorker, Frames.JOB, b.toByteArray());
            } catch (IOException e) {
                throw new ModuleException("worker " + name + " is gone: " + death(), true, null);
            }
            while (true) {
                Object o;
                try {
                    o = frames.take();
                } catch (InterruptedException e) {
                    // timed out or cancelled by the scheduler: the worker stops, whatever the module does
                    cancelOrKill();
                    Thread.currentThread().interrupt();
                    throw new ModuleException("worker stopped: the job was timed out or cancelled", false, null);
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
                    case Frames.RESULT -> {
                        jobId = "-";
                        return ResultCodec.read(new DataInputStream(new ByteArrayInputStream(f.payload())));
                    }
                    case Frames.FAILURE -> {
                        jobId = "-";
                        DataInputStream p = new DataInputStream(new ByteArrayInputStream(f.payload()));
                        String message = p.readUTF();
                        throw new ModuleException(message, p.readBoolean(), null);
                    }
                    default -> LOG.debug("{}: frame type {} ignored", name, f.type());
                }
            }
        }

        /** Why the worker ended, in words: exit status, signal, out of memory, the hs_err file. */
        String death() {
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    return "worker " + name + " stopped answering";
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "worker " + name + " stopped answering";
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
            if (code > 128) {
                Path hsErr = spec.dataDir().resolve("workers").resolve("hs_err_" + spec.moduleId() + "_pid" + process.pid() + ".log");
                return "worker crashed (signal " + (code - 128) + ") during the job"
                        + (Files.exists(hsErr) ? "; crash report " + hsErr : "");
            }
            return "worker exited with status " + code + " during the job";
        }

        private void cancelOrKill() {
            try {
                Frames.write(toWorker, Frames.CANCEL, new byte[0]);
            } catch (IOException ignored) {
                // already gone
            }
            stop();
        }

        /** TERM, then KILL after a grace period; then its folder goes. */
        void stop() {
            try {
                terminate();
            } finally {
                if (!process.isAlive()) {
                    deleteTree(home);
                }
            }
        }

        private void terminate() {
            if (!process.isAlive()) {
                return;
            }
            try {
                Frames.write(toWorker, Frames.SHUTDOWN, new byte[0]);
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

        private static String readUtf(byte[] payload) throws IOException {
            return new DataInputStream(new ByteArrayInputStream(payload)).readUTF();
        }
    }
}
