package org.radflow.inference;

import org.radflow.api.InferenceEngine;
import org.radflow.api.ModuleException;

import java.nio.file.Path;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * One module's view of the {@link HostInferenceEngine}: loads use the module's thread budget and the sessions
 * it received stay open until {@link #close()} (called by the host when the module is unloaded).
 */
public final class ModuleInference implements InferenceEngine, AutoCloseable {

    private final HostInferenceEngine engine;
    private final String moduleId;
    private final int threads;
    private final Set<LoadedModel> held = Collections.newSetFromMap(new IdentityHashMap<>());
    private boolean closed;

    ModuleInference(HostInferenceEngine engine, String moduleId, int threads) {
        this.engine = engine;
        this.moduleId = moduleId;
        this.threads = threads;
    }

    @Override
    public ModelSession load(Backend backend, Path model) throws ModuleException {
        synchronized (this) {
            if (closed) {
                throw ModuleException.transientFailure("Module " + moduleId + ": its inference view was closed (module"
                        + " unloaded); cannot load " + model, null);
            }
        }
        LoadedModel session = engine.acquire(backend, model, threads, this, moduleId);
        synchronized (this) {
            if (!closed) {
                held.add(session);
                return session;
            }
        }
        engine.release(session, this); // closed while loading
        throw ModuleException.transientFailure("Module " + moduleId + ": its inference view was closed while "
                + model + " was loading", null);
    }

    public String moduleId() {
        return moduleId;
    }

    /** Intra-op threads of every session this view loads. */
    public int threads() {
        return threads;
    }

    /** Lets go of this module's sessions: replaced ones close now, current ones stay cached. */
    @Override
    public void close() {
        List<LoadedModel> toRelease;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            toRelease = List.copyOf(held);
            held.clear();
        }
        for (LoadedModel m : toRelease) {
            engine.release(m, this);
        }
    }

    @Override
    public String toString() {
        return "inference for module " + moduleId + " (" + threads + " thread" + (threads == 1 ? "" : "s") + ")";
    }
}
