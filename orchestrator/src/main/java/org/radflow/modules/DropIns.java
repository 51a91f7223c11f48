package org.radflow.modules;

import org.radflow.api.AiModuleFactory;
import org.radflow.api.ModuleDescriptor;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The drop-in modules of a modules directory as {@code radflow config check} sees them: each directory is loaded with
 * the same checks as the server's (module API not bundled, factories, descriptor, API version, one id per module) but
 * read where it is, without the server's JAR snapshots or folders, so that a check never touches a running server's
 * files. Only descriptors are read: no module is created.
 */
public final class DropIns {

    /**
     * @param modules  the descriptors found, by module id (first directory wins, in name order)
     * @param problems why a directory was refused, one sentence each naming the directory
     */
    public record Found(Map<String, ModuleDescriptor> modules, List<String> problems) {
    }

    private DropIns() {
    }

    /** Reads every module directory under {@code modulesDir}; a missing directory has no modules. */
    public static Found read(Path modulesDir) {
        Map<String, ModuleDescriptor> modules = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        if (modulesDir == null || !Files.isDirectory(modulesDir)) {
            return new Found(modules, problems);
        }
        List<Path> directories = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(modulesDir)) {
            for (Path entry : entries) {
                if (!entry.getFileName().toString().startsWith(".") && Files.isDirectory(entry)) {
                    directories.add(entry);
                }
            }
        } catch (IOException e) {
            problems.add(modulesDir + ": cannot read the modules directory: " + Problems.describe(e));
            return new Found(modules, problems);
        }
        directories.sort(null);
        ClassLoader server = AiModuleFactory.class.getClassLoader();
        for (Path directory : directories) {
            List<Path> jars;
            try {
                jars = ModuleDirectory.jars(directory);
            } catch (IOException e) {
                problems.add(directory + ": cannot list the directory: " + Problems.describe(e));
                continue;
            }
            if (jars.isEmpty()) {
                problems.add(directory + ": no .jar file in the directory");
                continue;
            }
            Generation g;
            try {
                g = ModuleDirectory.load(directory, 0, new ModuleDirectory.Snapshot(directory, jars, ""), "", server);
            } catch (ModuleDirectory.RefusedException e) {
                problems.add(directory + ": " + e.getMessage());
                continue;
            }
            for (Generation.Slot slot : g.slots()) {
                if (modules.containsKey(slot.id())) {
                    problems.add(directory + ": module id '" + slot.id() + "' is provided by another directory too");
                } else {
                    modules.put(slot.id(), slot.descriptor);
                }
            }
            if (g.loader instanceof ModuleClassLoader own) {
                try {
                    own.close(); // the descriptors are plain data: the classes are not needed any more
                } catch (IOException ignored) {
                    // a check run ends soon anyway
                }
            }
        }
        return new Found(modules, problems);
    }
}
