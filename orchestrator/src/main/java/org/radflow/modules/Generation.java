package org.radflow.modules;

import org.radflow.api.AiModule;
import org.radflow.api.AiModuleFactory;
import org.radflow.api.ModelIdentity;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One load of a module directory (or the built-in modules): its class loader, its factories and the
 * module instances made from them. Jobs hold it through leases; once it is retired (its directory was
 * replaced or removed) it closes when the last lease is released.
 */
final class Generation {

    private static final Logger LOG = LoggerFactory.getLogger(Generation.class);

    /** The class path pseudo-directory's key. */
    static final String BUILT_IN_KEY = "class-path";

    final Path directory;
    final int number;
    final String sha256;
    final Instant loadedAt = Instant.now();
    final ClassLoader loader;
    /** Unique among the generations of one registry: names the JAR snapshot and work directories. */
    final String key;
    /** The copied JARs the class loader reads; null for built-ins. */
    final Path snapshot;
    private final Map<String, Slot> slots = new LinkedHashMap<>();
    /** Names, sizes and modification times of the directory's JARs when this generation was checked last. */
    volatile String quickKey;

    /** Leases held; -1 once closed. */
    private final AtomicInteger leases = new AtomicInteger();
    private volatile boolean retired;
    private Consumer<Generation> onClosed = g -> { };

    Generation(Path directory, int number, String sha256, ClassLoader loader, Path snapshot, String quickKey) {
        this.directory = directory;
        this.number = number;
        this.sha256 = sha256;
        this.loader = loader;
        this.snapshot = snapshot;
        this.quickKey = quickKey;
        this.key = directory == null ? BUILT_IN_KEY : directory.getFileName() + "-" + number;
    }

    /** A factory of this generation and the instance made from it. */
    static final class Slot {
        final Generation generation;
        final AiModuleFactory factory;
        final ModuleDescriptor descriptor;
        /** Replaced once the instance says which model it runs ({@link AiModule#model()}). */
        volatile LoadedModule info;
        /** Null while the module's configuration is invalid: the module is then not offered. */
        volatile HostModuleContext context;
        private AiModule instance;
        private volatile LoadProblem createFailure;

        Slot(Generation generation, AiModuleFactory factory, ModuleDescriptor descriptor) {
            this.generation = generation;
            this.factory = factory;
            this.descriptor = descriptor;
            this.info = new LoadedModule(descriptor, generation.directory, generation.number, generation.sha256,
                    generation.loadedAt);
        }

        String id() {
            return descriptor.id();
        }

        /**
         * The module instance, made on first use on the calling thread (model loading belongs on a
         * worker, not on the watcher) with the module's class loader as context class loader.
         */
        synchronized AiModule instance(Consumer<Path> prepareWorkDirectory) throws ModuleException {
            if (instance != null) {
                return instance;
            }
            try {
                prepareWorkDirectory.accept(context.workDirectory());
                AiModule made = ContextClassLoader.call(generation.loader, () -> factory.create(context));
                if (made == null) {
                    throw new ModuleException(factory.getClass().getName() + ".create() returned null");
                }
                instance = made;
                createFailure = null;
                ModelIdentity running = made.model();
                if (running != null && !running.equals(descriptor.model())) {
                    info = new LoadedModule(descriptor.withModel(running), info.directory(), info.generation(),
                            info.sha256(), info.loadedAt());
                }
                LOG.info("Module {} {} started with model {} {}{} ({})", id(), descriptor.version(),
                        info.descriptor().model().name(), info.descriptor().model().version(),
                        info.descriptor().model().demo() ? " (DEMO MODEL)" : "", context.config());
                return made;
            } catch (ModuleException e) {
                throw createFailed(context.configScope().locateKeys(e.getMessage()), e.isTransient(), e);
            } catch (RuntimeException | LinkageError e) {
                throw createFailed(context.configScope().locateKeys(Problems.describe(e)), false, e);
            }
        }

        private ModuleException createFailed(String why, boolean transientFailure, Throwable cause) {
            String reason = "module " + id() + " could not be started: " + why;
            createFailure = new LoadProblem(generation.directory, id(), reason, Instant.now());
            String where = generation.directory == null ? "class path" : generation.directory.toString();
            if (cause instanceof ModuleException) {
                LOG.warn("{} ({})", reason, where); // the module's own words; its stack would add nothing
            } else {
                LOG.warn("{} ({})", reason, where, cause);
            }
            return new ModuleException(reason, transientFailure, cause);
        }

        /** A worker process created (null) or failed to create (the reason) this module: it shows as the load error. */
        void startedElsewhere(String failure) {
            createFailure = failure == null ? null : new LoadProblem(generation.directory, id(), failure, Instant.now());
        }

        LoadProblem createFailure() {
            return createFailure;
        }

        private synchronized AiModule takeInstance() {
            AiModule m = instance;
            instance = null;
            return m;
        }
    }

    Slot add(AiModuleFactory factory, ModuleDescriptor descriptor) {
        Slot slot = new Slot(this, factory, descriptor);
        slots.put(descriptor.id(), slot);
        return slot;
    }

    Collection<Slot> slots() {
        return slots.values();
    }

    void onClosed(Consumer<Generation> action) {
        onClosed = action;
    }

    /** False once the generation is closed: the caller looks up the current one again. */
    boolean tryAcquire() {
        for (;;) {
            int held = leases.get();
            if (held < 0) {
                return false;
            }
            if (leases.compareAndSet(held, held + 1)) {
                return true;
            }
        }
    }

    void release() {
        if (leases.decrementAndGet() == 0 && retired) {
            closeIfIdle();
        }
    }

    /** No new leases will be taken; closes now or when the last running job releases its lease. */
    void retire() {
        retired = true;
        closeIfIdle();
    }

    boolean isRetired() {
        return retired;
    }

    boolean isClosed() {
        return leases.get() < 0;
    }

    int leases() {
        return Math.max(0, leases.get());
    }

    private void closeIfIdle() {
        if (leases.compareAndSet(0, -1)) {
            close();
        }
    }

    private void close() {
        for (Slot slot : slots.values()) {
            AiModule instance = slot.takeInstance();
            if (instance == null) {
                continue;
            }
            try {
                ContextClassLoader.call(loader, () -> {
                    instance.close();
                    return null;
                });
            } catch (RuntimeException | LinkageError | AssertionError e) {
                LOG.warn("Module {} failed while closing: {}", slot.id(), Problems.describe(e), e);
            }
        }
        if (loader instanceof ModuleClassLoader own) {
            try {
                own.close();
            } catch (IOException e) {
                LOG.warn("Closing the class loader of {} failed: {}", this, e.toString());
            }
        }
        onClosed.accept(this);
        LOG.info("Unloaded {}", this);
    }

    @Override
    public String toString() {
        return directory == null ? "built-in modules" : "module directory " + directory + " generation " + number;
    }
}
