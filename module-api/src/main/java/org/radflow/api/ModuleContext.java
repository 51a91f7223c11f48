package org.radflow.api;

import java.nio.file.Path;

/** What the platform gives a module when it is created. */
public interface ModuleContext {

    ModuleDescriptor descriptor();

    ModuleConfig config();

    /**
     * Where the module's model files are: {@code <modules.dir>/<folder>/models/} for a drop-in, the {@code models/}
     * folder beside the module's JAR (RadFlow creates it when it loads the module; the folder is named after the module
     * id by convention), {@code <models.dir>/<id>/} for a built-in module. The README's "Where a module's files live"
     * is the one description of these folders.
     */
    Path modelDirectory();

    /** A private scratch directory, emptied at start. */
    Path workDirectory();

    /** Model loading and inference, owned by the host and sized to the module's inference threads. */
    InferenceEngine inference();

    /** A logger named after the module (JDK System.Logger: module-api has no other dependency). */
    System.Logger logger();
}
