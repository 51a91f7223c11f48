package org.radflow.pixels;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Where a job's stages get the headers of its input files: the server passes intake's cache (each header read once,
 * when the instance arrived), so neither the module's input nor the report stage opens the file again for it.
 */
@FunctionalInterface
public interface InputHeaders {

    /** Reads every header from its file (no cache). */
    InputHeaders FILES = reading(InputOpener.FILES);

    InputHeader header(Path file) throws IOException;

    /** Reads each header when asked, through {@code opener}. */
    static InputHeaders reading(InputOpener opener) {
        return file -> InputHeader.read(file, opener);
    }
}
