package org.radflow.host;

import org.radflow.api.AiModule;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleException;
import org.radflow.scheduling.ModuleCatalog;
import org.radflow.modules.LoadedModule;
import org.radflow.modules.ModuleLease;
import org.radflow.modules.ModuleRegistry;

import java.util.List;
import java.util.Optional;

/** The scheduler's view of the module registry: descriptors, and a lease per job. */
public final class RegistryCatalog implements ModuleCatalog {

    private final ModuleRegistry registry;

    public RegistryCatalog(ModuleRegistry registry) {
        this.registry = registry;
    }

    @Override
    public Optional<ModuleDescriptor> descriptor(String moduleId) {
        return registry.find(moduleId).map(LoadedModule::descriptor);
    }

    @Override
    public List<ModuleDescriptor> descriptors() {
        return registry.modules().stream().map(LoadedModule::descriptor).toList();
    }

    @Override
    public Handle acquire(String moduleId) throws ModuleException {
        ModuleLease lease = registry.acquire(moduleId);
        return new Handle() {
            @Override
            public AiModule module() {
                return lease.module();
            }

            @Override
            public ModuleDescriptor descriptor() {
                return lease.descriptor();
            }

            @Override
            public int generation() {
                return lease.loaded().generation();
            }

            @Override
            public String sha256() {
                return lease.loaded().sha256();
            }

            @Override
            public ClassLoader classLoader() {
                return lease.classLoader();
            }

            @Override
            public void close() {
                lease.release();
            }
        };
    }
}
