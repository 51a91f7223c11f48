package org.radflow.api;

/**
 * The entry point of a module, found by {@link java.util.ServiceLoader}: list the implementing class
 * in {@code META-INF/services/org.radflow.api.AiModuleFactory}. Created once per module; it describes
 * the module without loading models, and {@link #create} makes the working instance.
 */
public interface AiModuleFactory {

    ModuleDescriptor descriptor();

    /** Loads models and prepares the module; called once per module version, off the event loop. */
    AiModule create(ModuleContext context) throws ModuleException;
}
