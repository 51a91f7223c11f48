package org.radflow.scheduling;

import org.radflow.api.AiModule;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleException;

import java.util.List;
import java.util.Optional;

/** What the scheduler needs of the module registry. */
public interface ModuleCatalog {

    Optional<ModuleDescriptor> descriptor(String moduleId);

    List<ModuleDescriptor> descriptors();

    /**
     * The module's current generation for one job; the job keeps it even if the module is replaced
     * meanwhile, and must {@link Handle#close()} it when done.
     */
    Handle acquire(String moduleId) throws ModuleException;

    interface Handle extends AutoCloseable {
        AiModule module();

        ModuleDescriptor descriptor();

        /** The module's class loader: the thread context loader for every call into the module. */
        ClassLoader classLoader();

        /** The registry's generation of the module's directory this handle holds (0 for built-ins). */
        default int generation() {
            return 0;
        }

        /** Hash of that generation's JARs; empty for built-ins. */
        default String sha256() {
            return "";
        }

        @Override
        void close();
    }
}
