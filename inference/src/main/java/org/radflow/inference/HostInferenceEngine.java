package org.radflow.inference;

import org.radflow.api.InferenceEngine.Backend;
import org.radflow.api.ModuleException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * The host's inference service: one per server JVM, shared by every module through {@link #forModule} views.
 *
 * <ul>
 *   <li>Native runtimes load lazily, once, on first use of one of their backends: a server without TensorFlow
 *       models never unpacks or loads TensorFlow. A runtime that cannot load (missing native jar, wrong
 *       platform) fails every load for its backends with a {@link ModuleException} naming it; the JVM and the
 *       other backend carry on.</li>
 *   <li>Sessions are cached per (backend, canonical model path, thread budget) and shared by every view with
 *       that budget. Each {@code load} compares the model files' fingerprint (newest modification time, total
 *       size, file count): a model replaced on disk is loaded again for later callers, while sessions already
 *       handed out keep their model until their holders are closed.</li>
 *   <li>{@link #close()} closes every session, waiting for runs in progress.</li>
 * </ul>
 *
 * <p>TensorFlow unpacks ~650 MB of native libraries into {@code org.bytedeco.javacpp.cachedir} (default
 * {@code ~/.javacpp/cache}): give the server's data directory through {@link #HostInferenceEngine(Path)} or the
 * system property. ONNX Runtime unpacks its ~25 MB library into {@code java.io.tmpdir} at each start unless
 * {@code onnxruntime.native.path} names a folder holding it.
 */
public final class HostInferenceEngine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HostInferenceEngine.class);
    /** The JavaCPP system property that decides where TensorFlow's native libraries are unpacked. */
    public static final String JAVACPP_CACHE_PROPERTY = "org.bytedeco.javacpp.cachedir";

    private record CacheKey(Backend backend, Path path, int threads) {
    }

    /** The current session for one key; its monitor serialises loads of that key. */
    private static final class Slot {
        LoadedModel current;
    }

    private enum RuntimeKind {
        ONNX("ONNX Runtime"),
        TENSORFLOW("TensorFlow");

        final String displayName;

        RuntimeKind(String displayName) {
            this.displayName = displayName;
        }

        static RuntimeKind of(Backend backend) {
            return backend == Backend.ONNX ? ONNX : TENSORFLOW;
        }
    }

    private final Map<CacheKey, Slot> cache = new ConcurrentHashMap<>();
    /** The canonical key each path as given last resolved to, to notice a symbolic link switched to a new version. */
    private final Map<CacheKey, CacheKey> aliases = new ConcurrentHashMap<>();
    private final Set<LoadedModel> open = ConcurrentHashMap.newKeySet();
    private final Map<RuntimeKind, NativeRuntime> runtimes = new EnumMap<>(RuntimeKind.class);
    private final Map<RuntimeKind, Throwable> runtimeFailures = new EnumMap<>(RuntimeKind.class);
    private final Map<RuntimeKind, Supplier<NativeRuntime>> factories = new EnumMap<>(RuntimeKind.class);
    /** Loads hold it shared; {@link #close()} takes it exclusively, so no session is opened after close. */
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private volatile boolean closed;

    /** Runtimes unpack their native libraries where the JVM's system properties say (see the class comment). */
    public HostInferenceEngine() {
        // lambdas, not constructor references: a backend's classes (and the runtime's jars) resolve on first use only
        this(() -> new OnnxBackend(), () -> new TensorFlowBackend());
    }

    /** For tests: runtimes from other factories (e.g. one that fails like a missing native library). */
    HostInferenceEngine(Supplier<NativeRuntime> onnx, Supplier<NativeRuntime> tensorFlow) {
        factories.put(RuntimeKind.ONNX, onnx);
        factories.put(RuntimeKind.TENSORFLOW, tensorFlow);
    }

    /**
     * Unpacks TensorFlow's native libraries under {@code nativeCacheDir} (e.g. {@code <data dir>/native}) unless
     * {@value #JAVACPP_CACHE_PROPERTY} is already set. Call before anything else in the JVM uses JavaCPP.
     */
    public HostInferenceEngine(Path nativeCacheDir) {
        this();
        Objects.requireNonNull(nativeCacheDir, "nativeCacheDir");
        if (System.getProperty(JAVACPP_CACHE_PROPERTY) == null) {
            System.setProperty(JAVACPP_CACHE_PROPERTY, nativeCacheDir.toAbsolutePath().toString());
        }
    }

    /**
     * The engine as one module sees it: every session it loads runs with {@code threads} intra-op threads.
     * Close the view when the module is unloaded; sessions it held that were since replaced on disk are then
     * closed (current ones stay cached for the next load).
     */
    public ModuleInference forModule(String moduleId, int threads) {
        Objects.requireNonNull(moduleId, "moduleId");
        if (threads < 1) {
            throw new IllegalArgumentException("Module " + moduleId + ": inference threads must be at least 1, got "
                    + threads);
        }
        return new ModuleInference(this, moduleId, threads);
    }

    /** Loads or returns the cached session; {@code holder} keeps it open until released. */
    LoadedModel acquire(Backend backend, Path model, int threads, Object holder, String moduleId)
            throws ModuleException {
        Objects.requireNonNull(backend, "backend");
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw ModuleException.transientFailure("The inference engine is shut down; cannot load " + model, null);
            }
            ModelFiles files = ModelFiles.resolve(backend, model);
            CacheKey key = new CacheKey(backend, files.key(), threads);
            CacheKey previous = aliases.put(new CacheKey(backend, model.toAbsolutePath().normalize(), threads), key);
            if (previous != null && !previous.equals(key)) {
                retire(previous, model, key);
            }
            Slot slot = cache.computeIfAbsent(key, k -> new Slot());
            synchronized (slot) {
                LoadedModel current = slot.current;
                if (current != null && !current.isClosed() && current.files.fingerprint().equals(files.fingerprint())) {
                    current.retain(holder);
                    return current;
                }
                NativeRuntime runtime = runtime(backend);
                long start = System.nanoTime();
                LoadedModel fresh = runtime.open(files, threads);
                open.add(fresh);
                fresh.retain(holder);
                slot.current = fresh;
                LOG.info("Module {}: loaded {} with {} thread(s) in {} ms; inputs {}, outputs {}{}", moduleId,
                        fresh.describe(), threads, (System.nanoTime() - start) / 1_000_000, fresh.inputNames(),
                        fresh.outputNames(), current == null ? "" : " (the files changed since the last load)");
                if (current != null) {
                    current.retire();
                    if (current.isClosed()) {
                        open.remove(current);
                    }
                }
                return fresh;
            }
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** {@code model} now resolves elsewhere (a link was switched): later loads of the old target start afresh. */
    private void retire(CacheKey stale, Path model, CacheKey now) {
        Slot slot = cache.get(stale);
        if (slot == null) {
            return;
        }
        synchronized (slot) {
            LoadedModel old = slot.current;
            if (old != null) {
                slot.current = null;
                LOG.info("{} now resolves to {}; the session of {} is retired", model, now.path(), stale.path());
                old.retire();
                if (old.isClosed()) {
                    open.remove(old);
                }
            }
        }
    }

    void release(LoadedModel model, Object holder) {
        model.release(holder);
        if (model.isClosed()) {
            open.remove(model);
        }
    }

    /** The runtime for {@code backend}, created on first use; a failure is remembered, since native loads do not heal. */
    private NativeRuntime runtime(Backend backend) throws ModuleException {
        RuntimeKind kind = RuntimeKind.of(backend);
        synchronized (runtimes) {
            NativeRuntime r = runtimes.get(kind);
            if (r != null) {
                return r;
            }
            Throwable failed = runtimeFailures.get(kind);
            if (failed == null) {
                long start = System.nanoTime();
                try {
                    r = factories.get(kind).get();
                    LOG.info("{} loaded in {} ms", r.description(), (System.nanoTime() - start) / 1_000_000);
                    runtimes.put(kind, r);
                    return r;
                } catch (LinkageError | RuntimeException e) {
                    failed = e;
                    runtimeFailures.put(kind, e);
                    LOG.error("Cannot load {}; {} models will fail", kind.displayName, kind.displayName, e);
                }
            }
            throw new ModuleException("Cannot load " + kind.displayName + ", needed for " + backend + " models, in this"
                    + " server: " + failed.getClass().getSimpleName() + ": " + RuntimeErrors.message(failed)
                    + (kind == RuntimeKind.TENSORFLOW ? " (is tensorflow-core-native with the linux-x86_64 classifier on"
                    + " the class path, and is " + JAVACPP_CACHE_PROPERTY + " writable?)" : ""), failed);
        }
    }

    /** The runtimes loaded so far, e.g. ["ONNX Runtime 1.23.2"]: TensorFlow appears only once a TF model was loaded. */
    public List<String> loadedRuntimes() {
        synchronized (runtimes) {
            return runtimes.values().stream().map(NativeRuntime::description).toList();
        }
    }

    /** Sessions currently open (cached or still held after a replacement), for metrics and tests. */
    public int openSessionCount() {
        return open.size();
    }

    /** Closes every session, waiting for runs in progress; later loads and runs fail with a transient error. */
    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            List<LoadedModel> all = new ArrayList<>(open);
            open.clear();
            cache.clear();
            for (LoadedModel m : all) {
                m.close();
            }
            LOG.info("Inference engine closed ({} session(s))", all.size());
        } finally {
            lifecycle.writeLock().unlock();
        }
    }
}
