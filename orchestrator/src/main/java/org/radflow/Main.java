package org.radflow;

import org.radflow.config.ConfigException;
import org.radflow.config.RadflowConfig;
import org.radflow.server.Demo;
import org.radflow.server.RadflowServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Command line entry point behind {@code bin/radflow}. */
public final class Main {

    private static final String USAGE = """
            Usage: radflow <command> [options]

            Commands:
              serve [--config FILE] | --demo   run the server (no --config: embedded defaults);
                                               --demo: a demo PACS (Orthanc), a demo configuration
                                               and synthetic studies sent through them
              listen [--config FILE]           run only the DICOM listener, writing the same spool
              config check [--config] FILE     validate a configuration file, with the configuration
                                               of built-in modules and of the drop-ins in modules.dir
              rules test [--config FILE] PATH...
                                               show, for DICOM files or folders, which rules match and
                                               why the others do not (modules from modules.dir)
              version                          print the version

            RadFlow is for research use only. It is not a medical device and its outputs are not for diagnosis.
            """;

    private Main() {
    }

    public static void main(String[] args) {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        System.exit(run(args));
    }

    static int run(String[] args) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            System.out.print(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        List<String> rest = new ArrayList<>(Arrays.asList(args).subList(1, args.length));
        try {
            return switch (args[0]) {
                case "serve" -> serve(rest, false);
                case "listen" -> serve(rest, true);
                case "config" -> configCheck(rest);
                case "rules" -> rulesTest(rest);
                case "version" -> {
                    System.out.println("RadFlow " + version());
                    yield 0;
                }
                default -> {
                    System.err.println("radflow: unknown command '" + args[0] + "'\n\n" + USAGE);
                    yield 2;
                }
            };
        } catch (ConfigException e) {
            System.err.println("radflow: configuration error: " + e.getMessage());
            return 3;
        } catch (UsageException e) {
            System.err.println("radflow: " + e.getMessage() + "\n\n" + USAGE);
            return 2;
        }
    }

    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }

    private static Path option(List<String> args, String name) {
        int i = args.indexOf(name);
        if (i < 0) {
            return null;
        }
        if (i + 1 >= args.size()) {
            throw new UsageException(name + " needs a value");
        }
        Path p = Path.of(args.get(i + 1));
        args.remove(i + 1);
        args.remove(i);
        return p;
    }

    private static boolean flag(List<String> args, String name) {
        return args.remove(name);
    }

    private static RadflowConfig config(Path file) {
        return file == null ? RadflowConfig.defaults() : RadflowConfig.load(file);
    }

    private static int configCheck(List<String> args) {
        if (args.isEmpty() || !args.get(0).equals("check")) {
            throw new UsageException("expected 'config check [--config] FILE'");
        }
        args.remove(0);
        Path file = option(args, "--config");
        if (file == null && args.size() == 1 && !args.get(0).startsWith("-")) {
            file = Path.of(args.remove(0)); // 'config check FILE' reads as well as 'config check --config FILE'
        }
        if (file == null || !args.isEmpty()) {
            throw new UsageException("expected 'config check [--config] FILE'");
        }
        System.out.println(checkConfig(file));
        return 0;
    }

    /**
     * What {@code radflow config check} does: the file with the environment's RADFLOW_* overrides, whole, then each
     * configured module's {@code modules.<id>.config} against the keys and types the module declares, for built-in
     * modules and for the drop-ins in {@code modules.dir} (read in place, descriptors only: no module is created and
     * nothing is written). Every module's problems are reported together, each naming {@code modules.<id>.config.<key>}
     * with "did you mean" for a near miss. Returns the summary (with warning lines first: a refused drop-in directory,
     * configuration for a module that is not installed); throws {@link ConfigException} naming every key problem.
     */
    public static String checkConfig(Path file) {
        return checkConfig(file, System.getenv());
    }

    /** {@link #checkConfig(Path)} with {@code env} as the environment (RADFLOW_* overrides, passwordEnv, secretEnv). */
    public static String checkConfig(Path file, java.util.Map<String, String> env) {
        RadflowConfig c = RadflowConfig.load(file, env);
        List<String> warnings = new ArrayList<>();
        java.util.Map<String, org.radflow.api.ModuleDescriptor> installed = installedModules(c, warnings);
        List<String> checked = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (java.util.Map.Entry<String, RadflowConfig.ModuleSettings> e : new java.util.TreeMap<>(c.modules().settings()).entrySet()) {
            String id = e.getKey();
            org.radflow.api.ModuleDescriptor d = installed.get(id);
            if (d == null) {
                String near = org.radflow.config.Suggestions.closest(id, installed.keySet()).orElse(null);
                warnings.add("warning: modules." + id + " is configured, but no module '" + id + "' is built in or in "
                        + c.modules().dir() + (near == null ? "" : "; did you mean 'modules." + near + "'?")
                        + " Installed: " + (installed.isEmpty() ? "none" : String.join(", ", installed.keySet())));
                continue;
            }
            try {
                org.radflow.modules.ScopedConfig.of(d, e.getValue().config());
                checked.add(id);
            } catch (org.radflow.modules.ScopedConfig.InvalidConfigException invalid) {
                problems.add(invalid.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(file + ": " + String.join("; ", problems));
        }
        return (warnings.isEmpty() ? "" : String.join("\n", warnings) + "\n")
                + file + ": OK (listener " + c.listener().aeTitle() + " on port " + c.listener().port()
                + (c.listener().tls() == null ? "" : c.listener().tls().plainPort() ? " and DICOM TLS port " + c.listener().tls().port()
                : " (not opened: DICOM TLS only, on port " + c.listener().tls().port() + ")") + ", "
                + c.destinations().size() + " destination(s), " + c.notifications().webhooks().size() + " webhook(s), data in "
                + c.server().dataDir().toAbsolutePath() + (checked.isEmpty() ? "" : "; module config checked: " + String.join(", ", checked))
                + ")";
    }

    /**
     * The built-in modules and the drop-ins of {@code modules.dir} (read in place, descriptors only), by id; why a
     * drop-in directory was refused goes to {@code warnings}.
     */
    private static java.util.Map<String, org.radflow.api.ModuleDescriptor> installedModules(RadflowConfig c, List<String> warnings) {
        java.util.Map<String, org.radflow.api.ModuleDescriptor> installed = new java.util.TreeMap<>();
        for (org.radflow.api.AiModuleFactory f : java.util.ServiceLoader.load(org.radflow.api.AiModuleFactory.class,
                Main.class.getClassLoader())) {
            org.radflow.api.ModuleDescriptor d = f.descriptor();
            installed.putIfAbsent(d.id(), d);
        }
        org.radflow.modules.DropIns.Found dropIns = org.radflow.modules.DropIns.read(c.modules().dir());
        dropIns.problems().forEach(p -> warnings.add("warning: drop-in module refused, " + p));
        dropIns.modules().forEach((id, d) -> {
            if (installed.containsKey(id)) {
                warnings.add("warning: drop-in module '" + id + "' in " + c.modules().dir() + " has the id of a built-in module and is refused");
            } else {
                installed.put(id, d);
            }
        });
        return installed;
    }

    private static int rulesTest(List<String> args) {
        if (args.isEmpty() || !args.get(0).equals("test")) {
            throw new UsageException("expected 'rules test [--config FILE] PATH...'");
        }
        args.remove(0);
        Path file = option(args, "--config");
        if (args.isEmpty()) {
            throw new UsageException("give at least one DICOM file or folder to test");
        }
        RadflowConfig c = config(file);
        // descriptors only, read in place: a registry here would clear the JAR snapshots of a server running on the
        // same data directory (<dataDir>/work/.jars) and write into the modules directory
        java.util.Map<String, org.radflow.api.ModuleDescriptor> modules = installedModules(c, new ArrayList<>());
        org.radflow.routing.Router router = new org.radflow.routing.Router(c.rules(),
                id -> java.util.Optional.ofNullable(modules.get(id)), () -> List.copyOf(modules.keySet()));
        router.problems().forEach(p -> System.out.println("warning: " + p));
        System.out.print(org.radflow.routing.RuleTester.test(router, args.stream().map(Path::of).toList()).toText());
        return 0;
    }

    private static int serve(List<String> args, boolean listenerOnly) {
        Path file = option(args, "--config");
        boolean demo = !listenerOnly && flag(args, "--demo");
        if (!args.isEmpty()) {
            throw new UsageException("unexpected argument(s): " + String.join(" ", args));
        }
        Demo demoRun = null;
        if (demo) {
            if (file != null) {
                throw new UsageException("--demo writes and uses its own configuration; run it without --config");
            }
            RadflowConfig defaults = RadflowConfig.defaults();
            try {
                demoRun = Demo.prepare(defaults.server().dataDir(), defaults.listener().aeTitle(),
                        defaults.listener().port(), defaults.api().port());
            } catch (IOException e) {
                System.err.println("radflow: the demo could not start: " + e.getMessage());
                return 1;
            }
            file = demoRun.configFile();
        }
        RadflowConfig config = config(file);
        Logger log = LoggerFactory.getLogger(Main.class);
        log.info("RadFlow {} starting ({}); research use only, not for diagnosis", version(),
                file == null ? "embedded defaults" : "configuration " + file);
        RadflowServer server = new RadflowServer(config, listenerOnly, file);
        try {
            // joining a cluster may take a while; a single node fails in seconds (every failure completes the future)
            server.start().await(config.cluster().enabled() ? 120 : 60, TimeUnit.SECONDS);
        } catch (Exception e) {
            System.err.println("radflow: could not start: " + startFailure(e));
            server.close(); // stops what did start (ports first), so nothing is left accepting
            if (demoRun != null) {
                demoRun.close();
            }
            return 1;
        }
        Demo demoToClose = demoRun;
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("RadFlow stopping");
            server.close();
            if (demoToClose != null) {
                demoToClose.close();
            }
            stopped.countDown();
        }, "radflow-shutdown"));
        if (demoRun != null) {
            demoRun.run(server);
        }
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /** The message of an expected failure (it names what failed and the fix), else the root cause's. */
    static String startFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof RadflowServer.StartupException || t instanceof ConfigException
                    || t instanceof org.radflow.store.StoreException) {
                return t.getMessage();
            }
            if (t instanceof java.util.concurrent.TimeoutException) {
                return "start-up did not finish in time (" + t.getMessage() + "); see the log above for the stage that was starting";
            }
        }
        return rootMessage(e);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        if (t instanceof java.net.BindException) {
            return "cannot bind a port (" + m + "): another process uses it; change listener.port or api.port";
        }
        return m == null ? t.toString() : m;
    }

    /** The build's version, from the server jar's manifest (Implementation-Version); "unknown" when run from classes. */
    public static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null || v.isBlank() ? "unknown" : v;
    }
}
