package org.radflow.store;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the store is and how to log in: {@code store.*} in the configuration.
 *
 * @param url            a JDBC URL: {@code jdbc:h2:...} (embedded, one node) or {@code jdbc:postgresql://...} (shared)
 * @param user           the database user
 * @param password       read from {@code store.passwordFile} or {@code store.passwordEnv}, never from the YAML; "" for none
 * @param maxConnections the connection pool's size
 */
public record StoreSettings(String url, String user, String password, int maxConnections) {

    /** Pool size when the configuration does not say. */
    public static final int DEFAULT_MAX_CONNECTIONS = 10;

    public StoreSettings {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(user, "user");
        password = password == null ? "" : password;
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections must be at least 1, not " + maxConnections);
        }
    }

    /**
     * The embedded H2 database {@code <dir>/journal} (the file {@code journal.mv.db}), where RadFlow
     * has always kept its journal: the default is {@code <dataDir>/journal/journal}.
     */
    public static StoreSettings embedded(Path dir) {
        return new StoreSettings(embeddedUrl(dir), "radflow", "", DEFAULT_MAX_CONNECTIONS);
    }

    /**
     * The JDBC URL of the embedded database in {@code dir}. H2's {@code async:} file system (the same file, through an
     * AsynchronousFileChannel): with plain file channels a thread interrupted while it writes — a module's lane thread
     * whose job is cancelled or timed out — closes H2's file and breaks the store for every later statement.
     */
    public static String embeddedUrl(Path dir) {
        return "jdbc:h2:async:" + dir.toAbsolutePath().normalize().resolve("journal") + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0";
    }

    public boolean postgres() {
        return url.startsWith("jdbc:postgresql:");
    }

    /** The URL without anything that could be a secret (a password in the URL's parameters), for messages. */
    public String safeUrl() {
        return url.replaceAll("(?i)(password=)[^;&]*", "$1***");
    }

    @Override
    public String toString() {
        return "StoreSettings[" + safeUrl() + ", user " + user + ", " + (password.isEmpty() ? "no password" : "password set")
                + ", " + maxConnections + " connections]";
    }
}
