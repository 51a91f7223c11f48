package org.radflow;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MainTest {

    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void aBadConfigurationStopsStartUpNamingTheKey() throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "listener:\n  port: 99999\n");
        Run r = run("serve", "--config", bad.toString());
        assertEquals(3, r.code());
        assertTrue(r.err().contains("listener.port"), r.err());
        assertEquals(3, run("listen", "--config", bad.toString()).code());
    }

    @Test
    void configCheckAcceptsTheShippedExample() {
        Run r = run("config", "check", "--config", "../deploy/radflow.example.yaml");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("OK"), r.out());
        Run positional = run("config", "check", "../deploy/radflow.example.yaml");
        assertEquals(0, positional.code(), "'config check FILE' reads as 'config check --config FILE': " + positional.err());
        assertTrue(positional.out().contains("OK"), positional.out());
        assertEquals(2, run("config", "check").code());
    }

    @Test
    void rulesTestSaysWhichRulesMatchAFolder() throws Exception {
        org.radflow.testdata.Synth.chestRadiograph(dir.resolve("in"), org.radflow.testdata.ChestOptions.defaults().withSize(64, 64));
        Path cfg = dir.resolve("r.yaml");
        Files.writeString(cfg, "server: {dataDir: " + dir.resolve("data") + "}\nrules:\n  - {name: ct-only, module: sample, match: {Modality: CT}}\n");
        // a server running on the same data directory keeps its module JAR snapshots: the tester only reads
        Path snapshot = Files.createDirectories(dir.resolve("data/work/.jars/sample-1")).resolve("sample.jar");
        Files.writeString(snapshot, "a running server's copy");
        Run r = run("rules", "test", "--config", cfg.toString(), dir.resolve("in").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.exists(snapshot), "rules test must not clear <dataDir>/work/.jars");
        assertTrue(r.out().contains("ct-only"), r.out());
        assertTrue(r.out().contains("No module 'sample'") || r.out().contains("no module"), r.out());
        assertEquals(2, run("rules", "test").code());
    }

    @Test
    void usageErrorsExplainThemselves() {
        assertEquals(2, run().code());
        Run r = run("serve", "--bogus");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unexpected argument"), r.err());
        assertTrue(run("frobnicate").err().contains("unknown command 'frobnicate'"));
        assertEquals(0, run("version").code());
    }
}
