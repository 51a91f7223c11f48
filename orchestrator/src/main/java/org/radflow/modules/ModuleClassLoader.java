package org.radflow.modules;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The class loader of one module directory: the module's own JARs first, then the JDK. Only a short
 * list of packages is shared with the server, and those always resolve to the server's classes:
 *
 * <ul>
 *   <li>{@code org.radflow.api.}: the contract itself; a second copy gives "X cannot be cast to X".</li>
 *   <li>{@code org.slf4j.}: the logging facade nearly every library calls. Shared, a module's libraries
 *       log into the server's log with its levels and format; private, they would log nowhere (no
 *       provider) or through a second logging back-end. Only the API is shared: the server's provider
 *       (Logback) stays invisible, and SLF4J's API has been binary compatible for callers since 1.x.</li>
 *   <li>{@code ai.onnxruntime.}, {@code org.tensorflow.}, {@code org.bytedeco.}: the inference runtimes
 *       load native libraries that cannot be loaded twice in one JVM, so a module never gets its own
 *       copy, even if it bundles one (modules are meant to use {@link org.radflow.api.InferenceEngine}).</li>
 * </ul>
 *
 * The parent is the JDK's platform class loader, not the server's: a module sees neither Vert.x nor
 * PixelMed nor anything else the server happens to ship, so nothing but the list above couples a module
 * to the server's class path. Packages of the JDK itself ({@code java.*}, {@code javax.xml}, {@code org.w3c.dom},
 * {@code jdk.*}, {@code sun.*}, {@code com.sun.*} ...) resolve parent-first, so a bundled copy of, say,
 * xml-apis cannot shadow the JDK's; a class the JDK lacks in such a package (a bundled {@code javax.inject})
 * comes from the module.
 */
final class ModuleClassLoader extends URLClassLoader {

    /** Package prefixes every module shares with the server. Each one is a coupling forever: keep it short. */
    static final List<String> SHARED_WITH_SERVER = List.of(
            "org.radflow.api.", "org.slf4j.", "ai.onnxruntime.", "org.tensorflow.", "org.bytedeco.");

    /** The packages of the JDK modules the platform class loader can see (boot and platform modules). */
    private static final Set<String> JDK_PACKAGES = ModuleLayer.boot().modules().stream()
            .filter(m -> m.getClassLoader() == null || m.getClassLoader() == ClassLoader.getPlatformClassLoader())
            .flatMap(m -> m.getPackages().stream())
            .collect(Collectors.toUnmodifiableSet());

    static {
        registerAsParallelCapable();
    }

    private final ClassLoader server;
    private volatile boolean closed;

    /**
     * @param name   for stack traces and heap dumps, e.g. {@code module sample#2}
     * @param jars   the module's JARs
     * @param server the class loader that holds the shared packages (the one that loaded module-api)
     */
    ModuleClassLoader(String name, URL[] jars, ClassLoader server) {
        super(name, jars, ClassLoader.getPlatformClassLoader());
        this.server = server;
    }

    static boolean sharedWithServer(String className) {
        for (String prefix : SHARED_WITH_SERVER) {
            if (className.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    static boolean jdk(String className) {
        int dot = className.lastIndexOf('.');
        return className.startsWith("java.") || dot > 0 && JDK_PACKAGES.contains(className.substring(0, dot));
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null) {
                if (sharedWithServer(name)) {
                    c = server.loadClass(name);
                } else if (jdk(name)) {
                    c = parentThenOwn(name);
                } else {
                    c = ownThenParent(name);
                }
            }
            if (resolve) {
                resolveClass(c);
            }
            return c;
        }
    }

    private Class<?> ownThenParent(String name) throws ClassNotFoundException {
        try {
            return findClass(name);
        } catch (ClassNotFoundException notOurs) {
            return getParent().loadClass(name);
        }
    }

    private Class<?> parentThenOwn(String name) throws ClassNotFoundException {
        try {
            return getParent().loadClass(name);
        } catch (ClassNotFoundException notInJdk) {
            return findClass(name);
        }
    }

    @Override
    public URL getResource(String name) {
        String asClassName = resourceAsClassName(name);
        if (sharedWithServer(asClassName)) {
            return server.getResource(name);
        }
        URL url;
        if (jdk(asClassName)) {
            url = getParent().getResource(name);
            return url != null ? url : findResource(name);
        }
        url = findResource(name);
        return url != null ? url : getParent().getResource(name);
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
        String asClassName = resourceAsClassName(name);
        if (sharedWithServer(asClassName)) {
            return server.getResources(name);
        }
        List<URL> all = new ArrayList<>();
        if (jdk(asClassName)) {
            all.addAll(Collections.list(getParent().getResources(name)));
            all.addAll(Collections.list(findResources(name)));
        } else {
            all.addAll(Collections.list(findResources(name)));
            all.addAll(Collections.list(getParent().getResources(name)));
        }
        return Collections.enumeration(all);
    }

    /** {@code org/radflow/api/x.txt} becomes {@code org.radflow.api.x.txt}, so resources follow their package's rule. */
    private static String resourceAsClassName(String resource) {
        String r = resource.startsWith("/") ? resource.substring(1) : resource;
        return r.replace('/', '.');
    }

    @Override
    public void close() throws IOException {
        closed = true;
        super.close();
    }

    boolean isClosed() {
        return closed;
    }
}
