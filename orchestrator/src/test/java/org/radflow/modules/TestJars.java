package org.radflow.modules;

import org.radflow.api.AiModuleFactory;

import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * Builds module JARs at test time: compiles small factory sources against module-api with the JDK's
 * compiler and packs them with a service file, as a module author's build would.
 */
final class TestJars {

    private TestJars() {
    }

    /** A JAR to build: its classes (by package directory), its factories, and whether it bundles module-api. */
    static final class Spec {
        final Map<String, String> sources = new LinkedHashMap<>();
        final List<String> factories = new ArrayList<>();
        boolean bundleApi;

        Spec source(String className, String source) {
            sources.put(className, source);
            return this;
        }

        Spec factory(String className) {
            factories.add(className);
            return this;
        }

        Spec bundleApi() {
            bundleApi = true;
            return this;
        }
    }

    /** Compiled classes by their sources: several tests use the same fixtures, and javac takes a while. */
    private static final Map<Map<String, String>, Path> COMPILED = new ConcurrentHashMap<>();

    /** Compiles the spec's sources (once per JVM) and writes the JAR. */
    static Path build(Spec spec, Path jar) throws IOException {
        Path classes = compiled(spec.sources);
        Files.createDirectories(jar.getParent());
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().putValue("Manifest-Version", "1.0");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest);
             Stream<Path> files = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                put(out, classes.relativize(f).toString().replace('\\', '/'), Files.readAllBytes(f));
            }
            if (!spec.factories.isEmpty()) {
                put(out, "META-INF/services/" + AiModuleFactory.class.getName(),
                        (String.join("\n", spec.factories) + "\n").getBytes(StandardCharsets.UTF_8));
            }
            if (spec.bundleApi) {
                copyApiClasses(out);
            }
        }
        return jar;
    }

    private static synchronized Path compiled(Map<String, String> sources) throws IOException {
        Path classes = COMPILED.get(sources);
        if (classes == null) {
            classes = Files.createTempDirectory("radflow-test-classes");
            Path dir = classes;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    Problems.deleteRecursively(dir);
                } catch (IOException ignored) {
                    // temporary files
                }
            }));
            if (!sources.isEmpty()) {
                compile(sources, classes);
            }
            COMPILED.put(Map.copyOf(sources), classes);
        }
        return classes;
    }

    /** Writes a file with a .jar name that is no JAR at all. */
    static Path corrupt(Path jar) throws IOException {
        Files.createDirectories(jar.getParent());
        return Files.write(jar, "PK\u0003\u0004 this is not really a zip file".getBytes(StandardCharsets.ISO_8859_1));
    }

    static Path copyInto(Path jar, Path directory) throws IOException {
        Files.createDirectories(directory);
        return Files.copy(jar, directory.resolve(jar.getFileName()), StandardCopyOption.REPLACE_EXISTING);
    }

    private static void put(JarOutputStream out, String name, byte[] bytes) throws IOException {
        out.putNextEntry(new JarEntry(name));
        out.write(bytes);
        out.closeEntry();
    }

    static Path apiLocation() {
        try {
            return Path.of(AiModuleFactory.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void copyApiClasses(JarOutputStream out) throws IOException {
        Path api = apiLocation();
        if (Files.isDirectory(api)) {
            try (Stream<Path> files = Files.walk(api.resolve("org/radflow/api"))) {
                for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".class"))::iterator) {
                    put(out, api.relativize(f).toString().replace('\\', '/'), Files.readAllBytes(f));
                }
            }
        } else {
            try (JarFile jar = new JarFile(api.toFile())) {
                for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
                    JarEntry entry = e.nextElement();
                    if (entry.getName().startsWith("org/radflow/api/") && entry.getName().endsWith(".class")) {
                        try (InputStream in = jar.getInputStream(entry)) {
                            put(out, entry.getName(), in.readAllBytes());
                        }
                    }
                }
            }
        }
    }

    private static void compile(Map<String, String> sources, Path out) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new IllegalStateException("these tests need a JDK (javax.tools.JavaCompiler), not a JRE");
        }
        List<JavaFileObject> units = new ArrayList<>();
        sources.forEach((name, code) -> units.add(new Source(name, code)));
        StringWriter errors = new StringWriter();
        try (StandardJavaFileManager files = javac.getStandardFileManager(null, null, StandardCharsets.UTF_8)) {
            List<String> options = List.of("--release", "17", "-classpath", apiLocation().toString(), "-d", out.toString(),
                    "-proc:none", "-nowarn");
            Boolean ok = javac.getTask(errors, files, null, options, null, units).call();
            if (!ok) {
                throw new IllegalStateException("test module sources do not compile:\n" + errors);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static final class Source extends SimpleJavaFileObject {
        private final String code;

        Source(String className, String code) {
            super(URI.create("string:///" + className.replace('.', '/') + Kind.SOURCE.extension), Kind.SOURCE);
            this.code = code;
        }

        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return code;
        }
    }
}
