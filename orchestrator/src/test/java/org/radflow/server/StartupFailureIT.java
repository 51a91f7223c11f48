package org.radflow.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.testkit.FreePorts;

import java.io.File;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real RadFlow process ({@code org.radflow.Main serve}) that cannot start: the API port taken, the DICOM port
 * taken, a spool folder that cannot be created, a store that cannot be reached. Each exits non-zero within 20 s,
 * says what failed and which key fixes it, prints no stack trace, and never accepts on the DICOM port meanwhile.
 */
class StartupFailureIT {

    @TempDir
    Path dir;

    record Outcome(int exitCode, String output, boolean dicomEverAccepted, long millis) {
    }

    private Outcome run(String yaml, int dicomPort) throws Exception {
        Path config = dir.resolve("radflow.yaml");
        Files.writeString(config, yaml);
        Path log = dir.resolve("out.log");
        Path target = Path.of("target");
        String cp = target.resolve("radflow-orchestrator.jar") + File.pathSeparator + target.resolve("lib") + File.separator + "*";
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(java.toString(), "-Xmx512m", "-cp", cp, "org.radflow.Main", "serve", "--config",
                config.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean accepted = false;
        long end = System.currentTimeMillis() + 20_000;
        while (p.isAlive() && System.currentTimeMillis() < end) {
            accepted |= dicomPort > 0 && FreePorts.isListening(dicomPort);
            Thread.sleep(50);
        }
        boolean exited = p.waitFor(1, TimeUnit.MILLISECONDS);
        if (!exited) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String out = Files.readString(log);
        assertTrue(exited, "still running after 20 s:\n" + out);
        return new Outcome(p.exitValue(), out, accepted, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    private String config(int apiPort, int dicomPort, String extra) {
        return """
                server: {dataDir: %s}
                listener: {bindAddress: 127.0.0.1, port: %d, minFreeSpaceMb: 0, fsync: false}
                api: {bindAddress: 127.0.0.1, port: %d}
                """.formatted(dir.resolve("data"), dicomPort, apiPort) + extra;
    }

    private static void assertClean(Outcome o, String expected) {
        assertNotEquals(0, o.exitCode(), o.output());
        assertTrue(o.output().contains("radflow: could not start: " + expected), "names what failed and the fix:\n" + o.output());
        assertFalse(o.output().contains("\tat "), "no stack trace for an expected failure:\n" + o.output());
        assertFalse(o.output().contains("Exception in thread"), o.output());
        assertTrue(o.millis() < 20_000, "took " + o.millis() + " ms");
    }

    private static ServerSocket hold(int port) throws Exception {
        ServerSocket s = new ServerSocket();
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5);
        return s;
    }

    @Test
    void apiPortTaken() throws Exception {
        int dicom = FreePorts.find();
        try (ServerSocket taken = hold(0)) {
            int api = taken.getLocalPort();
            Outcome o = run(config(api, dicom, ""), dicom);
            assertClean(o, "API port " + api + " on 127.0.0.1 is already in use: stop the other process or set api.port");
            assertFalse(o.dicomEverAccepted(), "the DICOM port must not accept while the API cannot start");
        }
    }

    @Test
    void dicomPortTaken() throws Exception {
        int api = FreePorts.find();
        try (ServerSocket taken = hold(0)) {
            int dicom = taken.getLocalPort();
            Outcome o = run(config(api, dicom, ""), 0);
            assertClean(o, "DICOM port " + dicom + " on 127.0.0.1 is already in use: stop the other process or set listener.port");
            assertFalse(FreePorts.isListening(api), "the API port is closed again");
        }
    }

    @Test
    void spoolNotWritable() throws Exception {
        int dicom = FreePorts.find();
        Path file = dir.resolve("a-file");
        Files.writeString(file, "not a folder"); // a folder under a file cannot be made, even by root
        Path spool = file.resolve("spool");
        Outcome o = run(config(FreePorts.find(), dicom, "") .replace("fsync: false}", "fsync: false, spoolDir: " + spool + "}"), dicom);
        assertClean(o, "the spool folder " + spool + " cannot be created or written");
        assertTrue(o.output().contains("listener.spoolDir"), o.output());
        assertFalse(o.dicomEverAccepted());
    }

    @Test
    void storeUnreachable() throws Exception {
        int dicom = FreePorts.find();
        int nothing = FreePorts.find();
        Outcome o = run(config(FreePorts.find(), dicom, "store: {url: 'jdbc:postgresql://127.0.0.1:%d/radflow'}\n"
                .formatted(nothing)), dicom);
        assertClean(o, "cannot open the store jdbc:postgresql://127.0.0.1:" + nothing + "/radflow");
        assertFalse(o.dicomEverAccepted());
        assertEquals(-1, o.output().indexOf("TimeoutException"), o.output());
    }
}
