package org.radflow.modules;

import org.radflow.api.InferenceEngine;
import org.radflow.api.ModuleConfig;
import org.radflow.api.ModuleContext;
import org.radflow.api.ModuleDescriptor;

import java.nio.file.Path;
import java.util.function.Supplier;

/** What the registry hands {@code AiModuleFactory.create}; the inference engine is made on first use. */
final class HostModuleContext implements ModuleContext {

    private final ModuleDescriptor descriptor;
    private final ScopedConfig config;
    private final Path modelDirectory;
    private final Path workDirectory;
    private final Supplier<InferenceEngine> inferenceSupplier;
    private final System.Logger logger;
    private InferenceEngine inference;

    HostModuleContext(ModuleDescriptor descriptor, ScopedConfig config, Path modelDirectory, Path workDirectory,
                      Supplier<InferenceEngine> inference) {
        this.descriptor = descriptor;
        this.config = config;
        this.modelDirectory = modelDirectory;
        this.workDirectory = workDirectory;
        this.inferenceSupplier = inference;
        this.logger = System.getLogger("radflow.module." + descriptor.id());
    }

    @Override
    public ModuleDescriptor descriptor() {
        return descriptor;
    }

    @Override
    public ModuleConfig config() {
        return config;
    }

    /** The checked configuration scope itself (for messages naming {@code modules.<id>.config.<key>}). */
    ScopedConfig configScope() {
        return config;
    }

    @Override
    public Path modelDirectory() {
        return modelDirectory;
    }

    @Override
    public Path workDirectory() {
        return workDirectory;
    }

    @Override
    public synchronized InferenceEngine inference() {
        if (inference == null) {
            inference = inferenceSupplier.get();
        }
        return inference;
    }

    @Override
    public System.Logger logger() {
        return logger;
    }

    @Override
    public String toString() {
        return "ModuleContext[" + descriptor.id() + " " + descriptor.version() + ", " + config + ", models "
                + modelDirectory + ", work " + workDirectory + "]";
    }
}
