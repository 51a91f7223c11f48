package org.radflow.modules;

import org.radflow.api.AiModuleFactory;
import org.radflow.api.ApiVersion;
import org.radflow.api.ConfigProperty;
import org.radflow.api.ModuleDescriptor;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;

/**
 * Loading one module directory, all or nothing: its JARs are copied to a private snapshot (so a JAR
 * replaced in place never changes under a running generation), checked, and their factories loaded
 * in a fresh {@link ModuleClassLoader}. Any problem refuses the whole directory with one reason.
 */
final class ModuleDirectory {

    private static final Pattern API_CLASS = Pattern.compile("(META-INF/versions/\\d+/)?org/radflow/api/.*\\.class");
    private static final String SERVICE_FILE = "META-INF/services/" + AiModuleFactory.class.getName();

    private ModuleDirectory() {
    }

    /** Why a directory was refused; the message is the reason shown to the operator. */
    static final class RefusedException extends Exception {
        RefusedException(String reason) {
            super(reason);
        }
    }

    /** The JARs of a directory in name order. */
    static List<Path> jars(Path directory) throws IOException {
        List<Path> jars = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(directory, "*.{jar,JAR}")) {
            for (Path p : s) {
                if (Files.isRegularFile(p)) {
                    jars.add(p);
                }
            }
        }
        jars.sort(null);
        return jars;
    }

    /** Names, sizes and modification times: cheap to compute every few seconds; a change triggers hashing. */
    static String quickKey(Path directory) throws IOException {
        StringBuilder s = new StringBuilder();
        for (Path jar : jars(directory)) {
            BasicFileAttributes a = Files.readAttributes(jar, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            s.append(jar.getFileName()).append(':').append(a.size()).append(':').append(a.lastModifiedTime().toMillis())
                    .append(':').append(a.lastModifiedTime().toInstant().getNano()).append('/');
        }
        return s.toString();
    }

    /** A private copy of a directory's JARs and the SHA-256 of their names and contents. */
    record Snapshot(Path directory, List<Path> jars, String sha256) {
        void delete() {
            try {
                Problems.deleteRecursively(directory);
            } catch (IOException ignored) {
                // a leftover snapshot is removed at the next start
            }
        }
    }

    static Snapshot snapshot(Path source, Path target) throws RefusedException {
        List<Path> jars;
        try {
            jars = jars(source);
        } catch (IOException e) {
            throw new RefusedException("cannot list the directory: " + Problems.describe(e));
        }
        if (jars.isEmpty()) {
            throw new RefusedException("no .jar file in the directory");
        }
        MessageDigest all = sha256();
        List<Path> copies = new ArrayList<>();
        try {
            Problems.deleteRecursively(target);
            Files.createDirectories(target);
            for (Path jar : jars) {
                Path copy = target.resolve(jar.getFileName().toString());
                MessageDigest one = sha256();
                try (InputStream in = new DigestInputStream(Files.newInputStream(jar), one);
                     OutputStream out = Files.newOutputStream(copy)) {
                    in.transferTo(out);
                }
                all.update(jar.getFileName().toString().getBytes(StandardCharsets.UTF_8));
                all.update((byte) 0);
                all.update(one.digest());
                copies.add(copy);
            }
        } catch (IOException e) {
            new Snapshot(target, copies, "").delete();
            throw new RefusedException("cannot copy its JARs to " + target + ": " + Problems.describe(e));
        }
        return new Snapshot(target, copies, HexFormat.of().formatHex(all.digest()));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /**
     * Checks the snapshot's JARs and loads their factories into a new generation (not yet offered).
     *
     * @param server the class loader holding the shared packages
     */
    static Generation load(Path directory, int number, Snapshot snapshot, String quickKey, ClassLoader server)
            throws RefusedException {
        List<URL> urls = new ArrayList<>();
        for (Path jar : snapshot.jars()) {
            inspect(jar, directory.resolve(jar.getFileName()));
            try {
                urls.add(jar.toUri().toURL());
            } catch (MalformedURLException e) {
                throw new RefusedException("cannot address " + jar + ": " + e.getMessage());
            }
        }
        ModuleClassLoader loader = new ModuleClassLoader("module " + directory.getFileName() + "#" + number,
                urls.toArray(URL[]::new), server);
        Generation generation = new Generation(directory, number, snapshot.sha256(), loader, snapshot.directory(), quickKey);
        try {
            ContextClassLoader.call(loader, () -> {
                loadFactories(generation, loader);
                return null;
            });
            return generation;
        } catch (RefusedException | RuntimeException | LinkageError e) {
            try {
                loader.close();
            } catch (IOException ignored) {
                // nothing was handed out
            }
            if (e instanceof RefusedException r) {
                throw r;
            }
            throw new RefusedException("failed while loading its modules: " + Problems.describe(e));
        }
    }

    /** Refuses a JAR that cannot be read or that carries its own copy of the module API. */
    private static void inspect(Path jar, Path shownAs) throws RefusedException {
        String name = shownAs.getFileName().toString();
        try (JarFile file = new JarFile(jar.toFile(), false)) {
            for (Enumeration<JarEntry> e = file.entries(); e.hasMoreElements(); ) {
                String entry = e.nextElement().getName();
                if (API_CLASS.matcher(entry).matches()) {
                    throw new RefusedException(name + " bundles the module API (" + entry + "); build the module with "
                            + "radflow-module-api in 'provided' scope, or its classes clash with the server's "
                            + "(\"X cannot be cast to X\")");
                }
            }
        } catch (IOException | SecurityException e) {
            throw new RefusedException(name + " is not a readable JAR: " + Problems.describe(e));
        }
    }

    private static void loadFactories(Generation generation, ModuleClassLoader loader) throws RefusedException {
        Iterator<AiModuleFactory> factories = ServiceLoader.load(AiModuleFactory.class, loader).iterator();
        Set<String> ids = new HashSet<>();
        while (true) {
            AiModuleFactory factory;
            try {
                if (!factories.hasNext()) {
                    break;
                }
                factory = factories.next();
            } catch (ServiceConfigurationError e) {
                throw new RefusedException("cannot load a module factory listed in " + SERVICE_FILE + ": "
                        + Problems.describe(e));
            }
            String type = factory.getClass().getName();
            if (factory.getClass().getClassLoader() != loader) {
                throw new RefusedException("factory " + type + " is not in the directory's JARs");
            }
            ModuleDescriptor descriptor;
            try {
                descriptor = factory.descriptor();
            } catch (RuntimeException | LinkageError e) {
                throw new RefusedException("factory " + type + " failed in descriptor(): " + Problems.describe(e));
            }
            String invalid = invalid(descriptor);
            if (invalid != null) {
                throw new RefusedException("factory " + type + ": " + invalid);
            }
            if (!ids.add(descriptor.id())) {
                throw new RefusedException("two factories declare the module id '" + descriptor.id() + "'");
            }
            generation.add(factory, descriptor);
        }
        if (ids.isEmpty()) {
            throw new RefusedException("no module factory: no JAR lists one in " + SERVICE_FILE);
        }
    }

    /**
     * What the descriptor's own constructor cannot check: the API version, duplicate configuration keys.
     *
     * @return why it is refused, or null
     */
    static String invalid(ModuleDescriptor d) {
        if (d == null) {
            return "descriptor() returned null";
        }
        String server = ApiVersion.string();
        if (d.apiMajor() < 0 || d.apiMinor() < 0) {
            return "module " + d.id() + " declares an invalid module API version " + d.apiMajor() + "." + d.apiMinor();
        }
        // an older minor version of the same major loads: minor versions only add (a 0.2 module's
        // configuration properties are text properties); anything else is refused naming both versions
        if (d.apiMajor() > ApiVersion.MAJOR) {
            return "module " + d.id() + " needs module API " + d.apiMajor() + ".x, this server has " + server
                    + ": run it on a RadFlow with module API " + d.apiMajor() + ".x, or rebuild it against radflow-module-api " + server;
        }
        if (d.apiMajor() < ApiVersion.MAJOR) {
            return "module " + d.id() + " was built for module API " + d.apiMajor() + ".x, this server has " + server
                    + ": rebuild it against " + server;
        }
        if (d.apiMinor() > ApiVersion.MINOR) {
            return "module " + d.id() + " needs module API " + d.apiMajor() + "." + d.apiMinor() + ", this server has "
                    + server + ": upgrade RadFlow, or rebuild the module against radflow-module-api " + server
                    + " (without what " + d.apiMajor() + "." + d.apiMinor() + " added)";
        }
        Set<String> keys = new HashSet<>();
        for (ConfigProperty p : d.configProperties()) {
            if (!keys.add(p.name())) {
                return "module " + d.id() + " declares the configuration key '" + p.name() + "' twice";
            }
        }
        return null;
    }
}
