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

    /**
     * The header of {@code file} already encoded as {@link InputHeader#encode() an Explicit VR Little Endian data set},
     * or null when it was not encoded ahead (the caller encodes it). Intake's cache encodes each header when it reads it,
     * off the job's path (issue 16: a worker job on 1,500 slices spent most of its extra time encoding headers).
     */
    default byte[] encoded(Path file) {
        return null;
    }

    /** Reads each header when asked, through {@code opener}. */
    static InputHeaders reading(InputOpener opener) {
        return file -> InputHeader.read(file, opener);
    }
}
