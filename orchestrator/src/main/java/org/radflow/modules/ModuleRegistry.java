package org.radflow.modules;

import org.radflow.api.AiModuleFactory;
import org.radflow.api.InferenceEngine;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * The modules this server can run: built-in ones from the class path, and drop-in ones from
 * {@code <modulesDir>/<name>/*.jar}, one class loader per directory (see {@link ModuleClassLoader} for
 * what a module shares with the server).
 *
 * <p>A directory that cannot be loaded (unreadable JAR, bundled module API, failing factory, invalid
 * descriptor, an id another module has, a newer API) is refused whole and reported in {@link #problems()};
 * the other modules keep running. {@link #rescan()}, and the watcher every {@link RegistrySettings#scanInterval()},
 * load added directories, load replaced JARs as a new generation, and unload removed directories. Jobs
 * {@link #acquire} a lease on the current generation; a replaced or removed generation closes (module
 * instances, then class loader) when its last lease is released. A replacement that fails to load is
 * reported and the previous generation stays in service.
 *
 * <p>Module instances are made on first {@link #acquire} on the calling (worker) thread, once per generation.
 */
public final class ModuleRegistry implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ModuleRegistry.class);

    /** Replaced (module configuration only) by {@link #applyConfig}. */
    private volatile RegistrySettings settings;
    private final BiFunction<String, Integer, InferenceEngine> inference;
    /** Holds the shared packages: the loader of module-api. */
    private final ClassLoader server = AiModuleFactory.class.getClassLoader();
    private final Path workRoot;
    private final Path snapshotRoot;

    /** The offered modules; replaced whole (copy on write) under {@link #scanLock}, read without locking. */
    private volatile Map<String, Offered> offered = Map.of();
    private volatile List<LoadProblem> problems = List.of();

    private final Object scanLock = new Object();
    // guarded by scanLock
    private Generation builtIns;
    private final List<LoadProblem> builtInProblems = new ArrayList<>();
    private final Map<String, Generation> byDirectory = new TreeMap<>();
    private final Map<String, Refusal> refused = new TreeMap<>();
    private final Map<String, Integer> lastGeneration = new HashMap<>();
    private final Map<String, LoadProblem> otherProblems = new TreeMap<>();
    private boolean started;
    private volatile boolean closed;

    /** Generations not yet closed (offered, or retired and still leased): their work directories are kept. */
    private final Set<Generation> open = ConcurrentHashMap.newKeySet();
    private ScheduledExecutorService watcher;

    private record Offered(Generation.Slot slot) {
    }

    /** A directory that was refused, and the state of its JARs then: it is retried only when they change. */
    private record Refusal(String quickKey, LoadProblem problem, boolean idTaken) {
    }

    /**
     * @param inference makes the inference engine of a module: (module id, inference threads); called on
     *                  the module's first use of {@code ModuleContext.inference()}
     */
    public ModuleRegistry(RegistrySettings settings, BiFunction<String, Integer, InferenceEngine> inference) {
        this.settings = settings;
        this.inference = inference;
        this.workRoot = settings.dataDir().resolve("work");
        this.snapshotRoot = workRoot.resolve(".jars");
    }

    /** Loads the built-in and drop-in modules and starts the watcher (when the scan interval is not zero). */
    public ModuleRegistry start() {
        synchronized (scanLock) {
            if (started) {
                return this;
            }
            started = true;
            try {
                Problems.deleteRecursively(snapshotRoot);
            } catch (IOException e) {
                LOG.warn("Cannot remove old module snapshots in {}: {}", snapshotRoot, e.toString());
            }
            loadBuiltIns();
            scan();
        }
        long every = settings.scanInterval().toMillis();
        if (every > 0 && settings.modulesDir() != null) {
            watcher = org.radflow.pipeline.Threads.scheduled("module-watcher");
            watcher.scheduleWithFixedDelay(this::scanQuietly, every, every, TimeUnit.MILLISECONDS);
        }
        LOG.info("Modules: {}{}", offered.isEmpty() ? "none" : String.join(", ", ids()),
                problems.isEmpty() ? "" : "; " + problems.size() + " refused (see problems)");
        return this;
    }

    // ------------------------------------------------------------------------------------------ lookups

    /** The offered modules, by id. */
    public List<LoadedModule> modules() {
        return offered.values().stream().map(o -> o.slot().info).sorted(Comparator.comparing(LoadedModule::id)).toList();
    }

    public Optional<LoadedModule> find(String id) {
        Offered o = offered.get(id);
        return o == null ? Optional.empty() : Optional.of(o.slot().info);
    }

    /** Like {@link #find}, but fails saying what exists: {@code No module 'covidnet2'. Available: covidnet, hippovolume}. */
    public LoadedModule require(String id) {
        return find(id).orElseThrow(() -> new UnknownModuleException(id, ids()));
    }

    /** What was refused and why, oldest first: directories, built-ins, configuration, modules that failed to start. */
    public List<LoadProblem> problems() {
        List<LoadProblem> all = new ArrayList<>(problems);
        for (Offered o : offered.values()) {
            LoadProblem p = o.slot().createFailure();
            if (p != null) {
                all.add(p);
            }
        }
        all.sort(Comparator.comparing(LoadProblem::time));
        return List.copyOf(all);
    }

    /** The ids of the offered modules, sorted. */
    public List<String> ids() {
        return offered.keySet().stream().sorted().toList();
    }

    /**
     * Holds the current generation of a module for one job, making its instance first if this is the
     * generation's first use (on this thread, with the module's context class loader).
     *
     * @throws UnknownModuleException when no module has the id
     * @throws ModuleException        when the module cannot be started ({@code factory.create} failed);
     *                                reported in {@link #problems()} too, and tried again on the next acquire
     */
    public ModuleLease acquire(String id) throws ModuleException {
        while (true) {
            if (closed) {
                throw new IllegalStateException("the module registry is closed");
            }
            Offered o = offered.get(id);
            if (o == null) {
                throw new UnknownModuleException(id, ids());
            }
            Generation generation = o.slot().generation;
            if (!generation.tryAcquire()) {
                Thread.onSpinWait();
                continue; // closed between the lookup and now: a newer generation is offered already
            }
            if (offered.get(id) != o) {
                generation.release(); // replaced meanwhile: new jobs take the new generation
                continue;
            }
            try {
                return new ModuleLease(o.slot(), o.slot().instance(this::prepareWorkDirectory));
            } catch (ModuleException | RuntimeException | Error e) {
                generation.release();
                throw e;
            }
        }
    }

    // ------------------------------------------------------------------------------------------ loading

    /**
     * Looks at the modules directory now: loads new directories, makes a new generation of directories
     * whose JARs changed (by content), unloads removed ones. Runs one at a time; the watcher calls it too.
     */
    public void rescan() {
        synchronized (scanLock) {
            if (closed) {
                return;
            }
            if (!started) {
                start();
                return;
            }
            scan();
        }
    }

    /**
     * Reloads one module for an operator: a drop-in module's directory is loaded again as a new
     * generation even if its JARs did not change (new jobs get a new instance; running jobs finish on
     * the old one), and the whole modules directory is rescanned. A built-in module cannot be loaded
     * again from the class path: only the rescan happens (a module whose instance failed to be created
     * is tried again at its next job anyway). Returns what was done, in a sentence.
     */
    public String reload(String id) {
        synchronized (scanLock) {
            if (closed) {
                throw new IllegalStateException("the module registry is closed");
            }
            String directory = null;
            for (Map.Entry<String, Generation> e : byDirectory.entrySet()) {
                if (e.getValue().slots().stream().anyMatch(sl -> sl.id().equals(id))) {
                    directory = e.getKey();
                }
            }
            if (directory == null) {
                for (Map.Entry<String, Refusal> e : refused.entrySet()) {
                    if (id.equals(e.getValue().problem().moduleId()) || id.equals(e.getKey())) {
                        directory = e.getKey();
                    }
                }
            }
            if (directory != null) {
                forced.add(directory);
            }
            try {
                scan();
            } finally {
                forced.clear();
            }
            if (directory != null) {
                Offered o = offered.get(id);
                return o == null ? "reloaded module directory " + directory + ", but module " + id + " is not offered: see its load error"
                        : "reloaded module directory " + directory + " as generation " + o.slot().generation.number
                        + "; new jobs use a new instance, running jobs finish on the previous one";
            }
            if (builtIns != null && builtIns.slots().stream().anyMatch(sl -> sl.id().equals(id))) {
                return "module " + id + " is built in (class path) and cannot be loaded again without a restart; the modules directory "
                        + "was rescanned, and an instance that failed to start is tried again at its next job";
            }
            throw new UnknownModuleException(id, ids());
        }
    }

    private final Set<String> forced = new HashSet<>();

    /** Told the id of each module a scan has just offered from a new or replaced drop-in generation; null for none. */
    private volatile Consumer<String> onOffered;
    /** Ids offered by the scan under way. Guarded by scanLock. */
    private final List<String> offeredThisScan = new ArrayList<>();

    /**
     * Called with the id of every drop-in module a scan offers as a new generation (a hot drop, a replaced JAR, a
     * reload, a changed configuration), after it is offered; the server creates it there so that a module that cannot
     * start says so at once instead of at its first job. Called under the registry's scan lock: hand the work to
     * another thread.
     */
    public void onOffered(Consumer<String> listener) {
        this.onOffered = listener;
    }

    /**
     * What a worker process said when it tried to create a module (isolation: process, where the server does not
     * create the module itself): a failure shows in {@link #problems()} as the module's load error until a worker of
     * the same generation starts; null clears it. Ignored when that generation is no longer offered.
     *
     * @param generation the generation the worker loaded ({@link LoadedModule#generation()})
     */
    public void workerStarted(String id, int generation, String failure) {
        Offered o = offered.get(id);
        if (o != null && o.slot().generation.number == generation) {
            o.slot().startedElsewhere(failure == null ? null : "module " + id + " could not be started in its worker: " + failure);
        }
    }

    /**
     * Creates the module once with {@code config} (its factory's {@code create}, as a job's first use does, with this
     * generation's class loader and a throw-away work directory), then closes that instance: whether a configuration
     * would start, before it is put in force. Runs the module's code in this JVM: for modules with
     * {@code isolation: in-process} (a worker-process module is tried in a worker). Returns null when it starts or no
     * such module is offered, else why not, naming {@code modules.<id>.config.<key>} where the key is known.
     */
    public String trial(String id, Map<String, Object> config) {
        Offered o = offered.get(id);
        if (o == null) {
            return null;
        }
        Generation.Slot slot = o.slot();
        Generation generation = slot.generation;
        if (!generation.tryAcquire()) {
            return null; // replaced meanwhile: the new generation is checked when it is offered
        }
        Path work = workRoot.resolve(".trial").resolve(id + "-" + java.util.UUID.randomUUID());
        try {
            ModuleDescriptor d = slot.descriptor;
            ScopedConfig scoped;
            try {
                scoped = ScopedConfig.of(d, config);
            } catch (ScopedConfig.InvalidConfigException e) {
                return e.getMessage();
            }
            Path models = generation.directory == null ? settings.modelsDir().resolve(id) : generation.directory.resolve("models");
            Files.createDirectories(work);
            HostModuleContext context = new HostModuleContext(d, scoped, models, work,
                    () -> inference.apply(d.id(), d.resources().inferenceThreads()));
            org.radflow.api.AiModule made = ContextClassLoader.call(generation.loader, () -> slot.factory.create(context));
            if (made == null) {
                return "module " + id + " cannot be started with this configuration: " + slot.factory.getClass().getName()
                        + ".create() returned null";
            }
            try {
                ContextClassLoader.call(generation.loader, () -> {
                    made.close();
                    return null;
                });
            } catch (RuntimeException | LinkageError e) {
                LOG.warn("Module {} failed while closing its trial instance: {}", id, Problems.describe(e));
            }
            return null;
        } catch (ModuleException e) {
            return "module " + id + " cannot be started with this configuration: " + located(slot, e.getMessage());
        } catch (IOException e) {
            return "module " + id + " cannot be tried: cannot make " + work + ": " + e.getMessage();
        } catch (RuntimeException | LinkageError e) {
            return "module " + id + " cannot be started with this configuration: " + located(slot, Problems.describe(e));
        } finally {
            generation.release();
            try {
                Problems.deleteRecursively(work);
            } catch (IOException ignored) {
                // removed with the work directory at the next start
            }
        }
    }

    /**
     * Checks a new configuration scope ({@code modules.<id>.config}) against the module's declared
     * properties (types, ranges, allowed values, unknown and required keys); null when it is valid or the
     * module is not loaded (checked when it loads), else the message naming each key at its place
     * ({@code modules.<id>.config.<key>}), its value and the fix.
     */
    public String checkConfig(String id, Map<String, Object> config) {
        Optional<LoadedModule> m = find(id);
        if (m.isEmpty()) {
            return null;
        }
        try {
            ScopedConfig.of(m.get().descriptor(), config);
            return null;
        } catch (ScopedConfig.InvalidConfigException e) {
            return e.getMessage();
        }
    }

    /**
     * A configuration reload changed a module's configuration: a drop-in module is loaded again with it
     * (a new generation: new jobs use a new instance made with the new configuration). Returns false
     * when it cannot take effect before a restart (a built-in module, whose instance stays as it is).
     * Check it with {@link #checkConfig} first.
     */
    public boolean applyConfig(String id, Map<String, Object> config) {
        synchronized (scanLock) {
            Map<String, Map<String, Object>> all = new HashMap<>(settings.moduleConfig());
            all.put(id, config);
            RegistrySettings s = settings;
            settings = new RegistrySettings(s.modulesDir(), s.modelsDir(), s.dataDir(), all, s.scanInterval(), s.builtInLoader());
            boolean builtIn = builtIns != null && builtIns.slots().stream().anyMatch(sl -> sl.id().equals(id));
            if (builtIn) {
                return false;
            }
            try {
                reload(id);
            } catch (java.util.NoSuchElementException notInstalled) {
                // applies when it is installed
            }
            return true;
        }
    }

    /** A module's message with its "configuration key 'x'" written as {@code modules.<id>.config.x}. */
    private static String located(Generation.Slot slot, String message) {
        HostModuleContext context = slot.context;
        return context == null ? message : context.configScope().locateKeys(message);
    }

    private void scanQuietly() {
        try {
            rescan();
        } catch (RuntimeException | LinkageError e) {
            LOG.error("Scanning the modules directory failed; trying again in {}", settings.scanInterval(), e);
        }
    }

    private void loadBuiltIns() {
        ClassLoader loader = settings.builtInLoader();
        if (loader == null) {
            return;
        }
        builtIns = new Generation(null, 0, "", loader, null, "");
        builtIns.onClosed(this::closed);
        open.add(builtIns);
        Map<String, Offered> next = new LinkedHashMap<>(offered);
        Iterator<AiModuleFactory> factories = ServiceLoader.load(AiModuleFactory.class, loader).iterator();
        for (int guard = 0; guard < 10_000; guard++) {
            AiModuleFactory factory;
            ModuleDescriptor descriptor;
            try {
                if (!factories.hasNext()) {
                    break;
                }
                factory = factories.next();
                descriptor = ContextClassLoader.call(loader, factory::descriptor);
            } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
                builtInProblems.add(problem(null, null, "a built-in module cannot be loaded: " + Problems.describe(e)));
                continue;
            }
            String invalid = ModuleDirectory.invalid(descriptor);
            if (invalid != null) {
                builtInProblems.add(problem(null, null, "built-in factory " + factory.getClass().getName() + ": " + invalid));
                continue;
            }
            if (next.containsKey(descriptor.id())) {
                builtInProblems.add(problem(null, descriptor.id(), "built-in factory " + factory.getClass().getName()
                        + " declares the module id '" + descriptor.id() + "', which another built-in module has"));
                continue;
            }
            Generation.Slot slot = builtIns.add(factory, descriptor);
            if (configure(slot, settings.modelsDir().resolve(descriptor.id()), builtInProblems)) {
                next.put(descriptor.id(), new Offered(slot));
            }
        }
        offered = Map.copyOf(next);
    }

    private void scan() {
        offeredThisScan.clear();
        try {
            scanOnce();
        } finally {
            Consumer<String> listener = onOffered;
            List<String> ids = List.copyOf(offeredThisScan);
            offeredThisScan.clear();
            if (listener != null) {
                for (String id : ids) {
                    if (offered.containsKey(id)) {
                        try {
                            listener.accept(id);
                        } catch (RuntimeException e) {
                            LOG.warn("Checking the newly loaded module {} failed: {}", id, e.toString(), e);
                        }
                    }
                }
            }
        }
    }

    private void scanOnce() {
        Path root = settings.modulesDir();
        Map<String, Offered> next = new LinkedHashMap<>(offered);
        Map<String, LoadProblem> previousRoot = new HashMap<>();
        for (Iterator<Map.Entry<String, LoadProblem>> it = otherProblems.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, LoadProblem> e = it.next();
            if (e.getKey().startsWith("root:")) {
                previousRoot.put(e.getKey(), e.getValue());
                it.remove();
            }
        }
        List<Generation> retired = new ArrayList<>();
        List<Path> directories = new ArrayList<>();
        if (root != null) {
            try {
                Files.createDirectories(root);
                try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
                    for (Path entry : entries) {
                        String name = entry.getFileName().toString();
                        if (name.startsWith(".")) {
                            continue; // hidden: a place to stage a copy before renaming it into place
                        }
                        if (Files.isDirectory(entry)) {
                            directories.add(entry);
                        } else if (name.toLowerCase(Locale.ROOT).endsWith(".jar")) {
                            otherProblems.put("root:" + name, problem(entry, null, "a module JAR must be in a directory of its own: move it to "
                                    + root.resolve(name.substring(0, name.length() - 4)).resolve(name)));
                        }
                    }
                }
            } catch (IOException e) {
                otherProblems.put("root:", problem(root, null, "cannot read the modules directory: " + Problems.describe(e)));
                publish(next, retired);
                return;
            } finally {
                // a problem seen before keeps the time it was first seen
                previousRoot.forEach((k, p) -> otherProblems.computeIfPresent(k, (key, now) ->
                        now.reason().equals(p.reason()) ? p : now));
            }
        }
        directories.sort(null);
        Set<String> present = new HashSet<>();
        directories.forEach(d -> present.add(d.getFileName().toString()));

        boolean idsFreed = false;
        for (Iterator<Map.Entry<String, Generation>> it = byDirectory.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Generation> e = it.next();
            if (!present.contains(e.getKey())) {
                it.remove();
                unoffer(e.getValue(), next);
                LOG.info("Module directory {} was removed: unloading {} when its running jobs end", e.getValue().directory,
                        idsOf(e.getValue()));
                retired.add(e.getValue());
                idsFreed = true;
            }
        }
        refused.keySet().retainAll(present);

        for (Path directory : directories) {
            idsFreed |= scanDirectory(directory, next, idsFreed, retired);
        }
        if (idsFreed) {
            // a directory refused for an id that was freed later in this pass gets its chance now
            for (Path directory : directories) {
                Refusal r = refused.get(directory.getFileName().toString());
                if (r != null && r.idTaken()) {
                    scanDirectory(directory, next, true, retired);
                }
            }
        }
        publish(next, retired);
    }

    /**
     * @param retired collects the generations this directory replaces; they are retired after the new
     *                state is published, so that a job never finds a closed generation still offered
     * @return true when module ids were freed (a refused directory may now load)
     */
    private boolean scanDirectory(Path directory, Map<String, Offered> next, boolean idsFreed, List<Generation> retired) {
        String name = directory.getFileName().toString();
        Generation active = byDirectory.get(name);
        Refusal refusal = refused.get(name);
        String quickKey;
        try {
            quickKey = ModuleDirectory.quickKey(directory);
        } catch (IOException e) {
            refuse(name, "", problem(directory, null, "cannot read the directory: " + Problems.describe(e)), false);
            return false;
        }
        boolean force = forced.contains(name);
        if (!force && refusal != null && refusal.quickKey().equals(quickKey) && !(refusal.idTaken() && idsFreed)) {
            return false;
        }
        if (!force && refusal == null && active != null && active.quickKey.equals(quickKey)) {
            return false;
        }

        int number = lastGeneration.getOrDefault(name, 0) + 1;
        ModuleDirectory.Snapshot snapshot;
        try {
            snapshot = ModuleDirectory.snapshot(directory, snapshotRoot.resolve(name + "-" + number));
        } catch (ModuleDirectory.RefusedException e) {
            refuse(name, quickKey, problem(directory, null, keptNote(e.getMessage(), active)), false);
            return false;
        }
        if (!force && active != null && active.sha256.equals(snapshot.sha256())) {
            snapshot.delete(); // touched or copied again, same content: nothing to do
            active.quickKey = quickKey;
            refused.remove(name);
            return false;
        }

        Generation loaded;
        try {
            loaded = ModuleDirectory.load(directory, number, snapshot, quickKey, server);
        } catch (ModuleDirectory.RefusedException e) {
            snapshot.delete();
            refuse(name, quickKey, problem(directory, null, keptNote(e.getMessage(), active)), false);
            return false;
        }
        for (Generation.Slot slot : loaded.slots()) {
            Generation owner = owner(slot.id(), active);
            if (owner != null) {
                discard(loaded);
                refuse(name, quickKey, problem(directory, slot.id(), keptNote("module id '" + slot.id()
                        + "' is already provided by " + (owner.directory == null ? "a built-in module" : owner.directory),
                        active)), true);
                return false;
            }
        }

        // offer the new generation; the old one is retired once that is published
        lastGeneration.put(name, number);
        List<LoadProblem> configProblems = new ArrayList<>();
        loaded.onClosed(this::closed);
        open.add(loaded);
        boolean freed = false;
        if (active != null) {
            Set<String> before = idsOf(active);
            unoffer(active, next);
            before.removeAll(idsOf(loaded));
            freed = !before.isEmpty();
        }
        Path models = directory.resolve("models");
        try {
            // the one place a drop-in's model files go: made here so the author does not learn it from a failed job
            Files.createDirectories(models);
        } catch (IOException e) {
            LOG.warn("Cannot create the model folder {} of module folder {}: {}", models, name, e.toString());
        }
        for (Generation.Slot slot : loaded.slots()) {
            if (configure(slot, models, configProblems)) {
                next.put(slot.id(), new Offered(slot));
                offeredThisScan.add(slot.id());
            }
        }
        byDirectory.put(name, loaded);
        refused.remove(name);
        configProblems.forEach(p -> otherProblems.put("config:" + name + ":" + p.moduleId(), p));
        if (active != null) {
            LOG.info("Loaded {} {} as generation {} (sha256 {}); generation {} is unloaded when its running jobs end",
                    directory, idsOf(loaded), number, loaded.sha256.substring(0, 12), active.number);
            retired.add(active);
        } else {
            LOG.info("Loaded {} {} (generation {}, sha256 {})", directory, idsOf(loaded), number, loaded.sha256.substring(0, 12));
        }
        return freed;
    }

    /** The generation (other than {@code except}) that has a module with this id, offered or not; null if none. */
    private Generation owner(String id, Generation except) {
        if (builtIns != null && builtIns.slots().stream().anyMatch(s -> s.id().equals(id))) {
            return builtIns;
        }
        for (Generation g : byDirectory.values()) {
            if (g != except && g.slots().stream().anyMatch(s -> s.id().equals(id))) {
                return g;
            }
        }
        return null;
    }

    private static String keptNote(String reason, Generation active) {
        return active == null ? reason : reason + "; generation " + active.number + " stays in service";
    }

    /** Validates the module's configuration scope; false (and a problem) when it is invalid. */
    private boolean configure(Generation.Slot slot, Path modelDirectory, List<LoadProblem> problemsOut) {
        ModuleDescriptor d = slot.descriptor;
        try {
            ScopedConfig config = ScopedConfig.of(d, settings.configOf(d.id()));
            Path work = workRoot.resolve(d.id()).resolve(slot.generation.key);
            slot.context = new HostModuleContext(d, config, modelDirectory, work,
                    () -> inference.apply(d.id(), d.resources().inferenceThreads()));
            return true;
        } catch (ScopedConfig.InvalidConfigException e) {
            LoadProblem p = problem(slot.generation.directory, d.id(), "module " + d.id() + " is not offered: " + e.getMessage());
            problemsOut.add(p);
            LOG.warn("{}", p);
            return false;
        }
    }

    private void refuse(String name, String quickKey, LoadProblem problem, boolean idTaken) {
        Refusal previous = refused.get(name);
        if (previous != null && previous.problem().reason().equals(problem.reason())) {
            problem = previous.problem(); // same problem: keep when it was first seen
        } else {
            LOG.warn("Refused {}", problem);
        }
        refused.put(name, new Refusal(quickKey, problem, idTaken));
    }

    private void discard(Generation loaded) {
        try {
            if (loaded.loader instanceof ModuleClassLoader own) {
                own.close();
            }
        } catch (IOException ignored) {
            // never offered
        }
        try {
            Problems.deleteRecursively(loaded.snapshot);
        } catch (IOException ignored) {
            // removed at the next start
        }
    }

    private void unoffer(Generation generation, Map<String, Offered> next) {
        next.values().removeIf(o -> o.slot().generation == generation);
        otherProblems.keySet().removeIf(k -> k.startsWith("config:" + generation.directory.getFileName() + ":"));
    }

    private static Set<String> idsOf(Generation g) {
        Set<String> ids = new TreeSet<>();
        g.slots().forEach(s -> ids.add(s.id()));
        return ids;
    }

    private void publish(Map<String, Offered> next, List<Generation> retired) {
        offered = Map.copyOf(next);
        retired.forEach(Generation::retire);
        // configuration for a module nobody provides is most likely a typo in the id
        Set<String> installed = new HashSet<>();
        if (builtIns != null) {
            builtIns.slots().forEach(s -> installed.add(s.id()));
        }
        byDirectory.values().forEach(g -> installed.addAll(idsOf(g)));
        for (String id : settings.moduleConfig().keySet()) {
            String key = "unknown:" + id;
            if (installed.contains(id)) {
                otherProblems.remove(key);
            } else if (!otherProblems.containsKey(key)) {
                otherProblems.put(key, problem(null, id, "modules." + id + " is configured, but no module '" + id
                        + "' is installed. Available: " + (offered.isEmpty() ? "none" : String.join(", ", ids()))));
            }
        }
        List<LoadProblem> all = new ArrayList<>(builtInProblems);
        refused.values().forEach(r -> all.add(r.problem()));
        all.addAll(otherProblems.values());
        problems = List.copyOf(all);
    }

    private static LoadProblem problem(Path directory, String moduleId, String reason) {
        return new LoadProblem(directory, moduleId, reason, Instant.now());
    }

    // ------------------------------------------------------------------------------------------ files

    /**
     * Empties a module's work directory before its instance is made, and removes the work directories
     * of generations that are gone (of this run or an earlier one).
     */
    private void prepareWorkDirectory(Path work) {
        try {
            Path idRoot = work.getParent();
            Set<String> keep = new HashSet<>();
            open.forEach(g -> keep.add(g.key));
            keep.remove(work.getFileName().toString());
            if (Files.isDirectory(idRoot)) {
                try (DirectoryStream<Path> children = Files.newDirectoryStream(idRoot)) {
                    for (Path child : children) {
                        if (!keep.contains(child.getFileName().toString())) {
                            Problems.deleteRecursively(child);
                        }
                    }
                }
            }
            Files.createDirectories(work);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the work directory " + work + ": " + e.getMessage(), e);
        }
    }

    /** A generation closed: its snapshot and work directories go. */
    private void closed(Generation g) {
        open.remove(g);
        try {
            if (g.snapshot != null) {
                Problems.deleteRecursively(g.snapshot);
            }
            for (Generation.Slot slot : g.slots()) {
                if (slot.context != null && g.directory != null) {
                    Problems.deleteRecursively(slot.context.workDirectory());
                }
            }
        } catch (IOException e) {
            LOG.warn("Cannot remove the files of {}: {}", g, e.toString());
        }
    }

    // ------------------------------------------------------------------------------------------ shutdown

    /**
     * Stops the watcher and unloads every module; a generation still leased by a running job closes
     * when the job releases it.
     */
    @Override
    public void close() {
        synchronized (scanLock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (watcher != null) {
            watcher.shutdownNow();
            try {
                watcher.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (scanLock) {
            offered = Map.of();
            byDirectory.values().forEach(Generation::retire);
            byDirectory.clear();
            if (builtIns != null) {
                builtIns.retire();
            }
        }
    }
}
