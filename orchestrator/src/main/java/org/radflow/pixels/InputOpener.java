package org.radflow.pixels;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens an input file of a job for reading. Every read of a spool file along a job (its header at intake or for the
 * job, its pixel data when a module asks) goes through one of these, so a test can count the opens per file.
 */
@FunctionalInterface
public interface InputOpener {

    /** Buffered file streams (buffered streams support the mark/reset PixelMed needs to find the preamble). */
    InputOpener FILES = file -> new BufferedInputStream(Files.newInputStream(file), 16 * 1024);

    InputStream open(Path file) throws IOException;
}
