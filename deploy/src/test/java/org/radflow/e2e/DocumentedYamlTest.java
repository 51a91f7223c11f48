package org.radflow.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.Main;
import org.radflow.config.ConfigException;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every {@code ```yaml} block in README.md, deploy/**&#47;*.md, modules/*&#47;README.md and docs/*.md goes through the same
 * checks as {@code bin/radflow config check} (including the built-in modules' own keys): on its own, or, for a fragment
 * that needs the rest (a rule naming destination pacs), merged over deploy/radflow.example.yaml. A block after a
 * {@code <!-- not-a-config -->} line is skipped. Secret files and environment variables the blocks name are supplied
 * (files with a dummy secret, variables with a dummy value; a DICOM TLS section's certificate, key and CA files with real
 * PEM files made by openssl), since a reader's own files are not here.
 */
class DocumentedYamlTest {

    private static final Path ROOT = Path.of("..");
    private static final Pattern FENCE = Pattern.compile("(?m)^( *)```yaml[ \\t]*\\n(.*?)^\\1```", Pattern.DOTALL);
    private static final String SKIP = "<!-- not-a-config -->";

    @TempDir
    Path dir;

    record Block(Path file, int line, String text) {
        @Override
        public String toString() {
            return file + ":" + line;
        }
    }

    static List<Path> documents() throws IOException {
        List<Path> out = new ArrayList<>();
        out.add(ROOT.resolve("README.md"));
        try (Stream<Path> s = Files.walk(ROOT.resolve("deploy"))) {
            s.filter(p -> p.toString().endsWith(".md") && !p.toString().contains("/target/") && !p.toString().contains("node_modules"))
                    .sorted().forEach(out::add);
        }
        try (Stream<Path> s = Files.list(ROOT.resolve("modules"))) {
            s.map(m -> m.resolve("README.md")).filter(Files::isRegularFile).sorted().forEach(out::add);
        }
        try (Stream<Path> s = Files.list(ROOT.resolve("docs"))) {
            s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(out::add);
        }
        return out;
    }

    static List<Block> blocks(Path file) throws IOException {
        String text = Files.readString(file);
        List<Block> out = new ArrayList<>();
        Matcher m = FENCE.matcher(text);
        while (m.find()) {
            String before = text.substring(0, m.start()).stripTrailing();
            if (before.endsWith(SKIP)) {
                continue;
            }
            int line = (int) text.substring(0, m.start()).chars().filter(c -> c == '\n').count() + 1;
            String indent = m.group(1);
            String body = m.group(2).lines().map(l -> l.startsWith(indent) ? l.substring(indent.length()) : l)
                    .reduce("", (a, b) -> a + b + "\n");
            out.add(new Block(file, line, body));
        }
        return out;
    }

    @Test
    void everyDocumentedYamlBlockPassesConfigCheck() throws Exception {
        Map<String, Object> example = parse(Files.readString(ROOT.resolve("deploy").resolve("radflow.example.yaml")));
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (Path doc : documents()) {
            for (Block b : blocks(doc)) {
                checked++;
                String problem = check(b, example);
                if (problem != null) {
                    problems.add(problem);
                }
            }
        }
        assertTrue(checked >= 4, "found only " + checked + " yaml blocks: is the extraction broken?");
        if (!problems.isEmpty()) {
            fail(problems.size() + " documented YAML block(s) fail `radflow config check` (fix them, or put " + SKIP
                    + " before a block that is not RadFlow configuration):\n" + String.join("\n", problems));
        }
    }

    @Test
    void aBrokenBlockIsFoundAndTheMarkerSkipsOne() throws Exception {
        Path md = dir.resolve("doc.md");
        Files.writeString(md, """
                Text.

                ```yaml
                models:
                  dir: /var/lib/radflow/models
                ```

                <!-- not-a-config -->
                ```yaml
                services: {orthanc: {image: orthanc}}
                ```

                  ```yaml
                  listener: {port: 104}
                  ```
                """);
        List<Block> blocks = blocks(md);
        assertTrue(blocks.size() == 2, blocks.toString());
        Map<String, Object> example = parse(Files.readString(ROOT.resolve("deploy").resolve("radflow.example.yaml")));
        String problem = check(blocks.get(0), example);
        assertTrue(problem != null && problem.contains("unknown key 'models'"), problem);
        assertTrue(check(blocks.get(1), example) == null);
    }

    /** Null when the block passes on its own or merged over the example; else both messages. */
    private String check(Block b, Map<String, Object> example) throws IOException {
        Object parsed;
        try {
            parsed = new Yaml(new SafeConstructor(new LoaderOptions())).load(b.text());
        } catch (RuntimeException e) {
            return b + ": not valid YAML: " + e.getMessage();
        }
        if (!(parsed instanceof Map<?, ?> map)) {
            return b + ": not a configuration (a YAML map at the top); mark it " + SKIP + " if it is not one";
        }
        Map<String, String> env = new TreeMap<>();
        Map<String, Object> alone = withSecrets(asMap(map), env);
        String aloneProblem = run(alone, env);
        if (aloneProblem == null) {
            return null;
        }
        Map<String, Object> merged = asMap(example);
        merge(merged, asMap(map));
        merged = withSecrets(merged, env);
        String mergedProblem = run(merged, env);
        if (mergedProblem == null) {
            return null;
        }
        return b + ": on its own: " + aloneProblem + "\n    merged into deploy/radflow.example.yaml: " + mergedProblem;
    }

    private String run(Map<String, Object> config, Map<String, String> env) throws IOException {
        Path f = Files.createTempFile(dir, "block", ".yaml");
        Files.writeString(f, new Yaml().dump(config));
        try {
            Main.checkConfig(f, env);
            return null;
        } catch (ConfigException e) {
            return e.getMessage().replace(f.toString() + ": ", "");
        }
    }

    /** Keys ending in File that name a missing file get a file with a dummy secret; *Env names get a dummy value. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> withSecrets(Map<String, Object> m, Map<String, String> env) throws IOException {
        for (Map.Entry<String, Object> e : m.entrySet()) {
            Object v = e.getValue();
            if (v instanceof Map<?, ?> child) {
                withSecrets((Map<String, Object>) child, env);
            } else if (v instanceof List<?> list) {
                for (Object o : list) {
                    if (o instanceof Map<?, ?> child) {
                        withSecrets((Map<String, Object>) child, env);
                    }
                }
            } else if (v instanceof String s && DICOM_TLS_FILES.contains(e.getKey()) && !Files.exists(Path.of(s))) {
                e.setValue(dicomTlsFile(e.getKey()).toString());
            } else if (v instanceof String s && e.getKey().endsWith("File") && !e.getKey().equals("tlsFile") && !Files.exists(Path.of(s))) {
                Path secret = Files.createTempFile(dir, "secret", ".txt");
                Files.writeString(secret, "documented-secret-0123456789abcdef\n");
                e.setValue(secret.toString());
            } else if (v instanceof String s && e.getKey().endsWith("Env")) {
                env.put(s, "documented-secret-0123456789abcdef");
            }
        }
        return m;
    }

    /** The PEM files of a DICOM TLS section (listener.tls, destinations.*.tls): real ones, made by openssl when first named. */
    private static final java.util.Set<String> DICOM_TLS_FILES = java.util.Set.of("certificateFile", "privateKeyFile",
            "trustedCertificatesFile");
    private org.radflow.testkit.TestCertificates.Authority ca;
    private org.radflow.testkit.TestCertificates.Issued leaf;

    private Path dicomTlsFile(String key) {
        if (ca == null) {
            ca = org.radflow.testkit.TestCertificates.authority(dir, "Documented CA");
            leaf = ca.issue("radflow", "127.0.0.1", "localhost");
        }
        return switch (key) {
            case "certificateFile" -> leaf.certificate();
            case "privateKeyFile" -> leaf.privateKey();
            default -> ca.certificate();
        };
    }

    @SuppressWarnings("unchecked")
    private static void merge(Map<String, Object> base, Map<String, Object> over) {
        over.forEach((k, v) -> {
            if (v instanceof Map<?, ?> vm && base.get(k) instanceof Map<?, ?> bm) {
                merge((Map<String, Object>) bm, (Map<String, Object>) vm);
            } else {
                base.put(k, v);
            }
        });
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object map) {
        return (Map<String, Object>) copy(map);
    }

    @SuppressWarnings("unchecked")
    private static <T> T copy(T v) {
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(String.valueOf(k), copy(x)));
            return (T) out;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(x -> out.add(copy(x)));
            return (T) out;
        }
        return v;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> parse(String yaml) {
        Object o = new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
        return o == null ? new LinkedHashMap<>() : asMap(o);
    }
}
