package org.radflow.modules;

import org.radflow.api.ModuleDescriptor;

import java.nio.file.Path;
import java.time.Instant;

/**
 * A module the registry offers, as data: safe to keep, show and log (it holds no class loader).
 *
 * @param directory  the drop-in directory it came from; null for a built-in module (class path)
 * @param generation 1 for the first load of a directory, +1 for each replacement of its JARs; 0 for built-ins
 * @param sha256     hash of the directory's JARs (name and content, in name order); empty for built-ins
 */
public record LoadedModule(ModuleDescriptor descriptor, Path directory, int generation, String sha256, Instant loadedAt) {

    public String id() {
        return descriptor.id();
    }

    public boolean builtIn() {
        return directory == null;
    }

    /** Where it came from, for people: the directory, or "class path". */
    public String source() {
        return builtIn() ? "class path" : directory.toString();
    }

    @Override
    public String toString() {
        return descriptor.id() + " " + descriptor.version() + " (" + source()
                + (builtIn() ? "" : ", generation " + generation + ", sha256 " + sha256.substring(0, Math.min(12, sha256.length())))
                + ")";
    }
}
