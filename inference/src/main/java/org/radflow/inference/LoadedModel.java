package org.radflow.inference;

import org.radflow.api.InferenceEngine.ModelSession;
import org.radflow.api.InferenceEngine.Tensor;
import org.radflow.api.ModuleException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One loaded model in one runtime, shared by every module view that loaded the same files with the same
 * thread budget. Runs may be concurrent; {@link #close()} waits for the runs in progress and later runs fail
 * with a transient error.
 *
 * <p>A model that was replaced on disk is <em>retired</em>: new loads get a fresh session, while views that
 * still hold this one keep using it (their results stay consistent with the model identity they report)
 * until the last of them is closed.
 */
abstract class LoadedModel implements ModelSession, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LoadedModel.class);

    final ModelFiles files;
    final int threads;
    private final ReentrantReadWriteLock runLock = new ReentrantReadWriteLock();
    private final Set<Object> holders = Collections.newSetFromMap(new IdentityHashMap<>());
    private boolean retired;
    private volatile boolean closed;

    LoadedModel(ModelFiles files, int threads) {
        this.files = files;
        this.threads = threads;
    }

    /** Declared inputs by the names callers use. */
    abstract Map<String, TensorSpec> inputSpecs();

    /**
     * Finds what {@code name} refers to as an input, or {@code null}. Backends that accept more names than
     * {@link #inputNames()} lists (TensorFlow tensor names) override this.
     */
    TensorSpec inputSpec(String name) throws ModuleException {
        return inputSpecs().get(name);
    }

    /** Runs with names already known to exist and inputs already checked. */
    abstract Map<String, Tensor> runChecked(Map<String, Tensor> inputs, List<String> outputNames) throws Exception;

    /** Checks an output name before running, so an unknown name fails without running the model. */
    abstract void checkOutputName(String name) throws ModuleException;

    /** Releases native memory; called once, with no run in progress. */
    abstract void release() throws Exception;

    /** Runs the model. An empty {@code outputNames} means every output in {@link #outputNames()}. */
    @Override
    public final Map<String, Tensor> run(Map<String, Tensor> inputs, List<String> outputNames) throws ModuleException {
        if (inputs == null || inputs.isEmpty()) {
            throw new ModuleException("No input tensors given for " + describe() + "; its inputs are " + inputNames());
        }
        List<String> wanted = outputNames == null || outputNames.isEmpty() ? outputNames() : outputNames;
        runLock.readLock().lock();
        try {
            if (closed) {
                throw ModuleException.transientFailure(describe() + " was closed (the inference engine is shutting"
                        + " down or the module was unloaded); load it again", null);
            }
            for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
                if (e.getValue() == null) {
                    throw new ModuleException("Input '" + e.getKey() + "' of " + describe() + " is null");
                }
                TensorSpec spec = inputSpec(e.getKey());
                if (spec == null) {
                    throw new ModuleException("Unknown input '" + e.getKey() + "' for " + describe() + "; known inputs: "
                            + inputNames() + inputNameHint());
                }
                spec.checkInput(e.getValue().shape(), describe());
            }
            for (String name : wanted) {
                checkOutputName(name);
            }
            Map<String, Tensor> result = runChecked(inputs, wanted);
            return Collections.unmodifiableMap(result);
        } catch (ModuleException e) {
            throw e;
        } catch (Exception e) {
            throw new ModuleException("Running " + describe() + " failed: " + RuntimeErrors.message(e), e);
        } finally {
            runLock.readLock().unlock();
        }
    }

    /** Extra words after the list of known inputs (TensorFlow also takes tensor names). */
    String inputNameHint() {
        return "";
    }

    /** "ONNX model /models/x.onnx" */
    final String describe() {
        return switch (files.backend()) {
            case ONNX -> "ONNX model " + files.key();
            case TENSORFLOW_SAVED_MODEL -> "TensorFlow SavedModel " + files.key();
            case TENSORFLOW_CHECKPOINT -> "TensorFlow checkpoint " + files.key();
        };
    }

    @Override
    public String toString() {
        return describe() + " (" + threads + " thread" + (threads == 1 ? "" : "s") + ")";
    }

    boolean isClosed() {
        return closed;
    }

    synchronized void retain(Object holder) {
        holders.add(holder);
    }

    /** A holder is done with this model; a retired model closes with its last holder. */
    void release(Object holder) {
        boolean closeNow;
        synchronized (this) {
            closeNow = holders.remove(holder) && retired && holders.isEmpty();
        }
        if (closeNow) {
            close();
        }
    }

    /** The files changed and a newer session replaced this one in the cache. */
    void retire() {
        int holding;
        synchronized (this) {
            retired = true;
            holding = holders.size();
        }
        if (holding == 0) {
            close();
        } else {
            LOG.info("{} was replaced on disk; the previous session stays open for the {} module(s) still holding it",
                    describe(), holding);
        }
    }

    /** Waits for the runs in progress, then frees the runtime's memory. Idempotent. */
    @Override
    public final void close() {
        runLock.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            release();
            LOG.debug("Closed {}", this);
        } catch (Exception e) {
            LOG.warn("Closing {} failed: {}", this, e.toString());
        } finally {
            runLock.writeLock().unlock();
        }
    }

    static List<String> sortedCopy(Iterable<String> names) {
        List<String> list = new ArrayList<>();
        names.forEach(list::add);
        Collections.sort(list);
        return List.copyOf(list);
    }
}
