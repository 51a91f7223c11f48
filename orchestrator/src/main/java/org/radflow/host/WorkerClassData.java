package org.radflow.host;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Class data sharing (AppCDS) for worker JVMs: the first worker started with a class path writes the classes it
 * loaded into an archive when it exits ({@code -XX:ArchiveClassesAtExit}); later workers map that archive instead of
 * loading and verifying the same classes from the JARs again ({@code -XX:SharedArchiveFile}). Measured on the
 * installed layout: a worker's start fell from about 0.9 s to 0.55 s (docs/benchmarks.md, "Process isolation").
 *
 * <p>The archive's name carries a hash of the JVM and of every class path entry's path, size and modification time,
 * so an upgrade or a replaced JAR makes a new one. The JVM also checks the class path itself and, should the archive
 * not fit, starts without it. Class paths with folders (a build's {@code target/classes}) cannot be archived: there
 * no option is added.
 */
final class WorkerClassData {

    private static final Logger LOG = LoggerFactory.getLogger(WorkerClassData.class);
    /** Archives being written by a worker of this server now, so only one worker writes each. */
    private static final Set<Path> WRITING = ConcurrentHashMap.newKeySet();

    private final Path archive;
    private final Path partial;
    private final boolean write;

    private WorkerClassData(Path archive, boolean write) {
        this.archive = archive;
        this.partial = archive == null ? null : archive.resolveSibling(archive.getFileName() + ".partial");
        this.write = write;
    }

    /** What the next worker started with this class path and JVM does about class data sharing. */
    static WorkerClassData forWorker(Path workersDir, String classPath, String javaHome) {
        Path archive;
        try {
            archive = archiveFor(workersDir, classPath, javaHome);
        } catch (IOException e) {
            LOG.debug("no class data sharing for workers: {}", e.toString());
            return new WorkerClassData(null, false);
        }
        if (archive == null || Files.isRegularFile(archive)) {
            return new WorkerClassData(archive, false);
        }
        return new WorkerClassData(archive, WRITING.add(archive));
    }

    /** The JVM options: use the archive, or write it at exit; none when there is neither. */
    List<String> options() {
        if (archive == null) {
            return List.of();
        }
        // the JVM's notes on classes it skips, or on an archive it refuses (it then starts without), are not worth lines
        // in the module's log: placed after the worker's -Xlog options, this silences them
        if (write) {
            return List.of("-XX:ArchiveClassesAtExit=" + partial, "-Xlog:cds*=off:stderr");
        }
        return Files.isRegularFile(archive) ? List.of("-XX:SharedArchiveFile=" + archive, "-Xlog:cds*=off:stderr") : List.of();
    }

    /** Called with the started worker: when the worker that writes the archive ends, the archive is put in place. */
    void started(Process worker) {
        if (!write) {
            return;
        }
        worker.onExit().whenComplete((p, e) -> {
            try {
                // the JVM writes the archive while it exits (SHUTDOWN: 0, TERM: 143); a worker killed or crashed may have
                // left half an archive: none is put in place, and a later worker writes it again
                int status = p == null ? -1 : p.exitValue();
                if ((status == 0 || status == 143) && Files.isRegularFile(partial) && Files.size(partial) > 0) {
                    Files.move(partial, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    removeOthers();
                    LOG.info("Worker class data archive written: {} ({} KB); workers started from now on load their classes from it",
                            archive, Files.size(archive) / 1024);
                } else {
                    Files.deleteIfExists(partial);
                }
            } catch (IOException io) {
                LOG.warn("Cannot put the worker class data archive {} in place: {}", archive, io.toString());
            } finally {
                WRITING.remove(archive);
            }
        });
    }

    /** Archives of earlier class paths (before an upgrade) are of no use any more. */
    private void removeOthers() throws IOException {
        try (var files = Files.list(archive.getParent())) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (!f.equals(archive) && name.startsWith("worker-") && name.endsWith(".jsa")) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    /** null when the class path holds a folder (it cannot be archived) or nothing. */
    static Path archiveFor(Path workersDir, String classPath, String javaHome) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IOException(e);
        }
        sha.update((javaHome + '\n' + System.getProperty("java.vm.version") + '\n').getBytes(StandardCharsets.UTF_8));
        int jars = 0;
        for (String entry : classPath.split(File.pathSeparator)) {
            if (entry.isEmpty()) {
                continue;
            }
            Path p = Path.of(entry);
            if (Files.isDirectory(p)) {
                return null;
            }
            if (Files.isRegularFile(p)) {
                jars++;
                sha.update((p.toAbsolutePath() + "|" + Files.size(p) + "|" + Files.getLastModifiedTime(p).toMillis() + '\n')
                        .getBytes(StandardCharsets.UTF_8));
            }
        }
        if (jars == 0) {
            return null;
        }
        Path dir = Files.createDirectories(workersDir.resolve("class-data"));
        return dir.resolve("worker-" + HexFormat.of().formatHex(sha.digest()).substring(0, 16) + ".jsa");
    }
}
