package org.radflow.host;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real JVMs write and then use the archive; nothing of it reaches their stdout (the worker's frame channel). */
class WorkerClassDataTest {

    private static final String JAVA_HOME = System.getProperty("java.home");

    @TempDir
    Path dir;

    @Test
    void aClassPathWithAFolderGetsNoArchive() throws IOException {
        Path jar = jar("a.jar");
        Path classes = Files.createDirectories(dir.resolve("classes"));
        String cp = jar + File.pathSeparator + classes;
        assertNull(WorkerClassData.archiveFor(dir.resolve("workers"), cp, JAVA_HOME));
        assertEquals(List.of(), WorkerClassData.forWorker(dir.resolve("workers"), cp, JAVA_HOME).options());
    }

    @Test
    void theFirstWorkerWritesTheArchiveAtExitAndLaterWorkersUseIt() throws Exception {
        Path workers = dir.resolve("workers");
        String cp = jar("a.jar").toString();
        WorkerClassData first = WorkerClassData.forWorker(workers, cp, JAVA_HOME);
        assertTrue(first.options().get(0).startsWith("-XX:ArchiveClassesAtExit="), first.options().toString());
        // only one worker writes it; the others start as before meanwhile
        assertEquals(List.of(), WorkerClassData.forWorker(workers, cp, JAVA_HOME).options());

        run(first, cp);
        Path archive = WorkerClassData.archiveFor(workers, cp, JAVA_HOME);
        long end = System.currentTimeMillis() + 10_000;
        while (!Files.isRegularFile(archive) && System.currentTimeMillis() < end) {
            Thread.sleep(20); // put in place when the worker's exit is noticed
        }
        assertTrue(Files.isRegularFile(archive), "archive " + archive);

        WorkerClassData later = WorkerClassData.forWorker(workers, cp, JAVA_HOME);
        assertEquals("-XX:SharedArchiveFile=" + archive, later.options().get(0));
        run(later, cp);
    }

    @Test
    void aReplacedJarMakesANewArchive() throws Exception {
        Path jar = jar("a.jar");
        Path before = WorkerClassData.archiveFor(dir, jar.toString(), JAVA_HOME);
        Files.write(jar, new byte[] {1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);
        Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
        assertNotEquals(before, WorkerClassData.archiveFor(dir, jar.toString(), JAVA_HOME));
    }

    /** A JVM with the options as the worker has them (its -Xlog options first): exit 0, nothing on stdout. */
    private void run(WorkerClassData data, String cp) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(JAVA_HOME, "bin", "java").toString(), "-Xlog:disable", "-Xlog:all=warning:stderr"));
        cmd.addAll(data.options());
        cmd.addAll(List.of("-cp", cp, "-version"));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        data.started(p);
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
        assertEquals("", new String(out), "the JVM wrote to stdout");
    }

    private Path jar(String name) throws IOException {
        Path jar = dir.resolve(name);
        Manifest m = new Manifest();
        m.getMainAttributes().putValue("Manifest-Version", "1.0");
        try (OutputStream o = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(o, m)) {
            j.flush();
        }
        return jar;
    }
}
