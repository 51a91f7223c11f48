package org.radflow.modules;

import org.radflow.api.AiModule;
import org.radflow.api.JobContext;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleException;
import org.radflow.api.ModuleResult;
import org.radflow.api.StudyInput;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.ref.Cleaner;

/**
 * A job's hold on one generation of a module: while it is held, that generation's class loader and
 * instance stay open even if the module is replaced or removed. Release it when the job ends
 * (try-with-resources); a lease dropped without release is released by the garbage collector, with a warning.
 */
public final class ModuleLease implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ModuleLease.class);
    private static final Cleaner CLEANER = Cleaner.create();

    private final Generation.Slot slot;
    private final AiModule instance;
    private final AiModule guarded = new Guarded();
    private final Releaser releaser;
    private final Cleaner.Cleanable cleanable;

    ModuleLease(Generation.Slot slot, AiModule instance) {
        this.slot = slot;
        this.instance = instance;
        this.releaser = new Releaser(slot.generation, slot.id());
        this.cleanable = CLEANER.register(this, releaser);
    }

    /** Releases a generation once; knows nothing of the lease, so the lease can be collected. */
    private static final class Releaser implements Runnable {
        private final Generation generation;
        private final String id;
        private volatile boolean released;
        private volatile boolean explicit;

        Releaser(Generation generation, String id) {
            this.generation = generation;
            this.id = id;
        }

        @Override
        public void run() {
            released = true;
            if (explicit) {
                generation.release();
                return;
            }
            LOG.warn("A lease of module {} ({}) was never released; the garbage collector released it", id, generation);
            // not on the Cleaner's own thread: it may not set a context class loader, which closing a module needs
            org.radflow.pipeline.Threads.start("module-lease-cleaner", generation::release);
        }
    }

    /** The module, generation and source this lease holds. */
    public LoadedModule loaded() {
        return slot.info;
    }

    public String id() {
        return slot.id();
    }

    public ModuleDescriptor descriptor() {
        return slot.info.descriptor();
    }

    /**
     * The module instance of the leased generation. Calls through it run with the module's class loader
     * as context class loader; its {@code close()} does nothing (the registry closes the instance when
     * the generation is unloaded).
     */
    public AiModule module() {
        checkHeld();
        return guarded;
    }

    /** Shorthand for {@code module().process(input, job)}. */
    public ModuleResult process(StudyInput input, JobContext job) throws ModuleException {
        return module().process(input, job);
    }

    /** Runs other code that calls into the module (e.g. reading a result's lazy parts) with its context class loader. */
    public <T, E extends Exception> T call(ContextClassLoader.Call<T, E> call) throws E {
        checkHeld();
        return ContextClassLoader.call(slot.generation.loader, call);
    }

    public ClassLoader classLoader() {
        return slot.generation.loader;
    }

    public boolean isReleased() {
        return releaser.released;
    }

    /** Gives the generation back; idempotent. The last release of a replaced generation closes it. */
    public void release() {
        releaser.explicit = true;
        cleanable.clean();
    }

    @Override
    public void close() {
        release();
    }

    private void checkHeld() {
        if (releaser.released) {
            throw new IllegalStateException("the lease of module " + slot.id() + " was released");
        }
    }

    @Override
    public String toString() {
        return "lease of " + slot.info + (releaser.released ? " (released)" : "");
    }

    private final class Guarded implements AiModule {
        @Override
        public ModuleResult process(StudyInput input, JobContext job) throws ModuleException {
            checkHeld();
            return ContextClassLoader.call(slot.generation.loader, () -> instance.process(input, job));
        }

        @Override
        public void close() {
            // the registry closes the instance with its generation
        }

        @Override
        public String toString() {
            return "module " + slot.info;
        }
    }
}
