package org.radflow.host.worker;

import io.vertx.core.json.JsonObject;
import org.radflow.api.JobContext;
import org.radflow.api.ModuleException;
import org.radflow.api.ModuleResult;
import org.radflow.api.StudyInput;
import org.radflow.inference.HostInferenceEngine;
import org.radflow.modules.LoadProblem;
import org.radflow.modules.ModuleLease;
import org.radflow.modules.ModuleRegistry;
import org.radflow.modules.RegistrySettings;
import org.radflow.pixels.GeometryTolerance;
import org.radflow.pixels.InputOpener;
import org.radflow.pixels.InputSummary;
import org.radflow.pixels.SpoolStudyInput;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A module's worker process: loads one module (with the same class-loader rules as the server: built-ins from the
 * class path, a drop-in from its folder), its inference runtime and models once, then runs the jobs the host sends
 * over a Unix domain socket the host listens on, one at a time, answering in {@link Frames}. Its stdout and stderr are
 * its log, which the host logs with the module's id. Ends when the host says SHUTDOWN or the socket closes.
 *
 * <p>Arguments: module id, modules dir ("-" for none), models dir, the worker's own folder (its registry's JAR
 * snapshots and scratch space), the inference runtimes' native cache, inference threads, and a JSON file with the
 * module's configuration, the thread limit, the protocol version ({@link Frames#VERSION}) and the socket's path.
 */
public final class WorkerMain {

    /** Exit status when the module started more threads than the worker's limit. */
    public static final int EXIT_THREAD_LIMIT = 70;

    private WorkerMain() {
    }

    public static void main(String[] args) throws Exception {
        // frames go over the host's Unix domain socket; stdout and stderr are only the log, so nothing printed can corrupt them
        SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(Path.of(args[9])));
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(ChannelStreams.out(channel)));
        DataInputStream in = new DataInputStream(new BufferedInputStream(ChannelStreams.in(channel)));
        String moduleId = args[0];
        Path modulesDir = "-".equals(args[1]) ? null : Path.of(args[1]);
        Path modelsDir = Path.of(args[2]);
        Path dataDir = Path.of(args[3]);
        Path nativeCache = Path.of(args[4]);
        int threads = Integer.parseInt(args[5]);
        Map<String, Object> config = new JsonObject(Files.readString(Path.of(args[6]))).getMap();
        int maxThreads = Integer.parseInt(args[7]);
        if (!String.valueOf(Frames.VERSION).equals(args[8])) {
            Frames.write(out, Frames.FAILURE, failure(versionMismatch(args[8]), false));
            System.exit(2);
        }
        Watchdog.start(out, moduleId, maxThreads);

        HostInferenceEngine inference = new HostInferenceEngine(nativeCache);
        ModuleRegistry registry = new ModuleRegistry(new RegistrySettings(modulesDir, modelsDir, dataDir, Map.of(moduleId, config),
                Duration.ZERO, WorkerMain.class.getClassLoader()), (id, declared) -> inference.forModule(id, Math.min(declared, threads)));
        registry.start();
        String ready;
        byte[] identity;
        try (ModuleLease lease = registry.acquire(moduleId)) { // creates the module now: its model loads before the first job
            ready = lease.descriptor().version();
            identity = ran(lease, -1);
        } catch (Exception | LinkageError e) {
            // a module refused at load (its configuration, its JARs) is not offered: its load problem says why, not "no module"
            String why = registry.problems().stream().filter(lp -> moduleId.equals(lp.moduleId())).map(LoadProblem::reason)
                    .reduce((a, b) -> b).orElse(e.getMessage());
            Frames.write(out, Frames.FAILURE, failure("the module cannot start in its worker: " + why, false));
            System.exit(2);
            return;
        }
        // the text for the host's log, then what it runs (as in a RAN frame): the host records it for a job that never returns
        ByteArrayOutputStream readyPayload = new ByteArrayOutputStream();
        readyPayload.write(text(ready + " pid " + ProcessHandle.current().pid()));
        readyPayload.write(identity);
        Frames.write(out, Frames.READY, readyPayload.toByteArray());
        Worker w = new Worker(registry, moduleId, out);
        Frames.Frame f;
        while ((f = Frames.read(in)) != null) {
            if (f.type() == Frames.JOB) {
                w.start(f.payload());
            } else if (f.type() == Frames.CANCEL) {
                w.cancel();
            } else if (f.type() == Frames.SHUTDOWN) {
                break;
            }
        }
        w.cancel();
        registry.close();
        inference.close();
        out.flush();
        System.exit(0);
    }

    /** One job at a time, on the job thread, so that a CANCEL can be read while it runs. */
    private static final class Worker {
        private final ModuleRegistry registry;
        private final String moduleId;
        private final DataOutputStream out;
        private final JobThread jobThread = new JobThread("radflow-worker-job");
        private volatile boolean cancelled;

        Worker(ModuleRegistry registry, String moduleId, DataOutputStream out) {
            this.registry = registry;
            this.moduleId = moduleId;
            this.out = out;
        }

        void start(byte[] payload) throws IOException {
            JobRequest.Decoded request = JobRequest.decode(payload, InputOpener.FILES);
            String jobId = request.jobId();
            cancelled = false;
            try {
                jobThread.run(() -> run(jobId, request.studyUid(), request.inputs()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while handing job " + jobId + " to the job thread", e);
            }
        }

        void cancel() {
            cancelled = true;
            jobThread.interrupt();
        }

        private void run(String jobId, String studyUid, List<InputSummary> files) {
            JobContext context = new JobContext() {
                private long last;

                @Override
                public String jobId() {
                    return jobId;
                }

                @Override
                public void progress(double fraction, String message) {
                    long now = System.nanoTime();
                    if (now - last < 100_000_000L && fraction < 1) {
                        return;
                    }
                    last = now;
                    try {
                        ByteArrayOutputStream b = new ByteArrayOutputStream();
                        DataOutputStream d = new DataOutputStream(b);
                        d.writeDouble(fraction);
                        d.writeUTF(message == null ? "" : message.length() > 300 ? message.substring(0, 300) : message);
                        Frames.write(out, Frames.PROGRESS, b.toByteArray());
                    } catch (IOException e) {
                        throw new IllegalStateException("the host is gone", e);
                    }
                }

                @Override
                public boolean isCancelled() {
                    return cancelled || Thread.currentThread().isInterrupted();
                }
            };
            try {
                byte[] answer;
                byte type;
                byte[] ran = null;
                try (ModuleLease lease = registry.acquire(moduleId)) {
                    Thread.currentThread().setContextClassLoader(lease.classLoader());
                    StudyInput input;
                    try {
                        // placed by what the host sent: no input file is opened unless the module asks for its pixels
                        input = SpoolStudyInput.fromSummaries(studyUid, files, GeometryTolerance.DEFAULT, InputOpener.FILES);
                    } catch (IOException | IllegalArgumentException e) {
                        throw new ModuleException("cannot read the job's input files: " + e.getMessage(), e);
                    }
                    context.progress(0, "started");
                    ModuleResult result;
                    long t0 = System.nanoTime();
                    try {
                        result = lease.module().process(input, context);
                    } finally {
                        ran = ran(lease, System.nanoTime() - t0);
                    }
                    if (result == null) {
                        type = Frames.FAILURE;
                        answer = failure("the module returned no result (its process() returned null)", false);
                    } else {
                        ByteArrayOutputStream b = new ByteArrayOutputStream();
                        ResultCodec.write(result, new DataOutputStream(b));
                        type = Frames.RESULT;
                        answer = b.toByteArray();
                    }
                } catch (ModuleException e) {
                    type = Frames.FAILURE;
                    answer = failure(org.radflow.host.ModuleFailure.reason(e), e.isTransient(), stackTrace(e));
                } catch (Throwable e) {
                    if (e instanceof OutOfMemoryError oom) {
                        throw oom; // -XX:+ExitOnOutOfMemoryError ends the worker; the host says why
                    }
                    type = Frames.FAILURE;
                    answer = failure(org.radflow.host.ModuleFailure.reason(e), false, stackTrace(e));
                }
                if (ran != null) {
                    Frames.write(out, Frames.RAN, ran);
                }
                Frames.write(out, type, answer);
            } catch (IOException e) {
                System.err.println("worker: cannot answer the host: " + e);
                System.exit(4);
            }
        }
    }

    /** Why a worker refuses to start for a host of another protocol version. */
    static String versionMismatch(String hostVersion) {
        return "the host speaks protocol version " + hostVersion + ", this worker version " + Frames.VERSION + " (host and "
                + "worker always come from the same build: this installation mixes two builds of RadFlow; reinstall it)";
    }

    /** The RAN frame's payload: which generation of the module ran the job, and its process() time. */
    static byte[] ran(ModuleLease lease, long nanos) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        var descriptor = lease.descriptor();
        d.writeUTF(descriptor.version());
        d.writeUTF(lease.loaded().sha256());
        d.writeUTF(descriptor.model().name());
        d.writeUTF(descriptor.model().version());
        d.writeBoolean(descriptor.model().demo());
        d.writeLong(nanos);
        return b.toByteArray();
    }

    static byte[] failure(String message, boolean transientFailure) throws IOException {
        return failure(message, transientFailure, null);
    }

    /** A FAILURE frame's payload: message, transient flag, then (optional) the stack trace the host logs with the job. */
    static byte[] failure(String message, boolean transientFailure, String stackTrace) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.writeUTF(message == null ? "" : message.length() > 4000 ? message.substring(0, 4000) : message);
        d.writeBoolean(transientFailure);
        if (stackTrace != null) {
            d.writeUTF(stackTrace.length() > 12_000 ? stackTrace.substring(0, 12_000) + "\n\t..." : stackTrace);
        }
        return b.toByteArray();
    }

    private static String stackTrace(Throwable e) {
        java.io.StringWriter w = new java.io.StringWriter();
        e.printStackTrace(new java.io.PrintWriter(w));
        return w.toString();
    }

    static byte[] text(String s) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        new DataOutputStream(b).writeUTF(s);
        return b.toByteArray();
    }
}
