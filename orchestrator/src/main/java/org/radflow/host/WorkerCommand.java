package org.radflow.host;

import org.radflow.host.worker.Frames;
import org.radflow.host.worker.WorkerMain;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of a worker JVM: the server's own {@code java} and class path (no second installation), the
 * worker's heap and crash options, and where the host has them, {@code prlimit} (no core files, a file-descriptor
 * limit) and {@code taskset} (the module's CPUs). What the host cannot enforce is said once, at the first worker.
 */
final class WorkerCommand {

    private static final Logger LOG = LoggerFactory.getLogger(WorkerCommand.class);
    /** Open files a worker may have: enough for a study of thousands of files read at once, not a leak without end. */
    static final int MAX_OPEN_FILES = 16_384;

    private static final Path PRLIMIT = tool("prlimit");
    private static final Path TASKSET = tool("taskset");
    private static final Path NICE = tool("nice");
    /** Workers yield the CPU to the server (listener, API, reports) when both want it; alone they run at full speed. */
    static final int NICENESS = 5;
    private static volatile boolean described;

    private WorkerCommand() {
    }

    /**
     * @param classData the class data sharing options ({@link WorkerClassData}), placed before the class path
     */
    static List<String> build(ProcessModuleHost.WorkerSpec spec, Path home, Path config, Path errorFile, Path socket,
                              List<String> classData) {
        describeOnce();
        List<String> cmd = new ArrayList<>();
        if (PRLIMIT != null) {
            cmd.addAll(List.of(PRLIMIT.toString(), "--core=0", "--nofile=" + MAX_OPEN_FILES + ":" + MAX_OPEN_FILES, "--"));
        }
        if (NICE != null) {
            cmd.addAll(List.of(NICE.toString(), "-n", Integer.toString(NICENESS)));
        }
        if (spec.cpus() != null && TASKSET != null) {
            cmd.addAll(List.of(TASKSET.toString(), "-c", spec.cpus()));
        }
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + spec.heapMb() + "m", "-XX:+ExitOnOutOfMemoryError", "-XX:-CreateCoredumpOnCrash",
                // the JVM's own warnings (a thread it cannot start, class data notes) go to the logged stderr
                "-XX:+DisplayVMOutputToStderr", "-Xlog:disable", "-Xlog:all=warning:stderr", "-XX:ErrorFile=" + errorFile,
                "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/java.nio=ALL-UNNAMED",
                "-Dradflow.console.level=INFO"));
        cmd.addAll(classData);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), WorkerMain.class.getName(),
                spec.moduleId(), spec.modulesDir() == null ? "-" : spec.modulesDir().toString(), spec.modelsDir().toString(),
                home.toString(), spec.dataDir().resolve("native").toString(), Integer.toString(spec.inferenceThreads()),
                config.toString(), Integer.toString(spec.maxThreads()), Integer.toString(Frames.VERSION), socket.toString()));
        return cmd;
    }

    /** The limits in force, once: an operator should know which of them this host cannot apply. */
    private static void describeOnce() {
        if (described) {
            return;
        }
        described = true;
        LOG.info("Worker processes: heap (-Xmx) and thread limits are enforced; {}; {}; {}; reading the spool read-only is "
                        + "not enforced (workers run as the server's user and are trusted not to write outside their folders)",
                PRLIMIT != null ? "process limits via prlimit (no core files, " + MAX_OPEN_FILES + " open files)"
                        : "process limits NOT enforced (no prlimit on this host; install util-linux)",
                TASKSET != null ? "CPU affinity (modules.<id>.cpus) via taskset"
                        : "CPU affinity NOT enforced (no taskset on this host; install util-linux)",
                NICE != null ? "lower CPU priority than the server (nice " + NICENESS + ")" : "same CPU priority as the server (no nice)");
    }

    /** Whether a module's {@code cpus} can be applied here. */
    static boolean affinitySupported() {
        return TASKSET != null;
    }

    private static Path tool(String name) {
        for (String dir : List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin")) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }
}
