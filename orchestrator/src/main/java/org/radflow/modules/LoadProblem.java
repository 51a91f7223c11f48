package org.radflow.modules;

import java.nio.file.Path;
import java.time.Instant;

/**
 * Why a module directory, a built-in module or a module's configuration was refused, or why a
 * module could not be created. The server keeps serving the other modules.
 *
 * @param directory the module directory; null for the class path and for configuration
 * @param moduleId  the module concerned, when known
 * @param reason    a sentence an operator can act on; never contains configuration values
 */
public record LoadProblem(Path directory, String moduleId, String reason, Instant time) {

    public String source() {
        return directory != null ? directory.toString() : moduleId != null ? "module " + moduleId : "class path";
    }

    @Override
    public String toString() {
        return source() + ": " + reason;
    }
}
