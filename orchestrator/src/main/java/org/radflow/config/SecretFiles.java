package org.radflow.config;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/** Secrets read from files named by {@code …File} keys, so that no secret must live in the YAML. */
final class SecretFiles {

    private static final Logger LOG = LoggerFactory.getLogger(SecretFiles.class);

    private SecretFiles() {
    }

    /**
     * The file's text without its trailing line break(s) and spaces (an editor or {@code echo} adds one).
     *
     * @param key the configuration key that named the file, for messages
     */
    static String read(String key, String file) {
        Path p;
        try {
            p = Path.of(file);
        } catch (InvalidPathException e) {
            throw new ConfigException(key + ": '" + file + "' is not a file path");
        }
        String value;
        try {
            value = Files.readString(p, StandardCharsets.UTF_8).stripTrailing();
        } catch (NoSuchFileException e) {
            throw new ConfigException(key + ": the file '" + file + "' does not exist; write the secret into it "
                    + "(readable by the RadFlow user only: chmod 600) or correct the path");
        } catch (IOException e) {
            throw new ConfigException(key + ": cannot read '" + file + "' (" + e + "); the RadFlow user must be able to read it "
                    + "(chown it to that user, chmod 600)");
        }
        if (value.isEmpty()) {
            throw new ConfigException(key + ": the file '" + file + "' is empty; write the secret into it");
        }
        warnIfWorldReadable(key, p);
        return value;
    }

    /** A secret file every user of the machine may read is accepted, with a warning. */
    static void warnIfWorldReadable(String key, Path file) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.contains(PosixFilePermission.OTHERS_READ)) {
                LOG.warn("{}: the secret file {} is readable by every user of this machine; restrict it (chmod 600)", key, file);
            }
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            // not a POSIX file system, or not ours to inspect: nothing to check
        }
    }
}
