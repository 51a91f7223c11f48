package org.radflow.store;

import org.radflow.pipeline.Threads;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * RadFlow's one database: the connection pool and the schema (Flyway migrations in
 * {@code db/migration}, portable SQL for H2 2.x and PostgreSQL 15). The job journal, its queries and
 * the outbox all work through one Store, so the database is opened once.
 *
 * <p>Each operation takes a connection from the pool and returns it; work that must be atomic runs
 * in {@link #transaction}.
 */
public final class Store implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Store.class);

    /** One unit of database work on a connection. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private final StoreSettings settings;
    private final HikariDataSource pool;

    private Store(StoreSettings settings, HikariDataSource pool) {
        this.settings = settings;
        this.pool = pool;
    }

    /** Opens the pool and brings the schema to the current version (see {@link SchemaMigration}). */
    public static Store open(StoreSettings settings) {
        HikariConfig hc = new HikariConfig();
        hc.setPoolName("radflow-store");
        hc.setJdbcUrl(settings.url());
        hc.setUsername(settings.user());
        hc.setPassword(settings.password());
        hc.setMaximumPoolSize(settings.maxConnections());
        hc.setMinimumIdle(Math.min(2, settings.maxConnections()));
        hc.setAutoCommit(true);
        hc.setConnectionTimeout(30_000);
        // fail at once with the database's own message when it is unreachable or refuses the login
        hc.setInitializationFailTimeout(1);
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(hc);
        } catch (RuntimeException e) {
            throw new StoreException("cannot open the store " + settings.safeUrl() + " as user '" + settings.user() + "': "
                    + rootMessage(e) + (settings.postgres()
                    ? ". Check that PostgreSQL runs there, that the database exists and that store.user and store.passwordFile "
                    + "(or store.passwordEnv) are right"
                    : ". Check that no other RadFlow uses this data directory and that RadFlow may write to it"), e);
        }
        try {
            new SchemaMigration(pool, settings).run();
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
        LOG.info("Store: {} (schema {})", settings.safeUrl(), schemaVersion(pool));
        return new Store(settings, pool);
    }

    private static String schemaVersion(DataSource ds) {
        try {
            var current = Flyway.configure().dataSource(ds).locations(SchemaMigration.LOCATION).load().info().current();
            return current == null ? "empty" : "version " + current.getVersion();
        } catch (FlywayException e) {
            return "unknown";
        }
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    /** True when {@code e} is a unique-key violation (SQLState 23505 on H2 and PostgreSQL alike). */
    public static boolean uniqueViolation(SQLException e) {
        for (SQLException x = e; x != null; x = x.getNextException()) {
            if ("23505".equals(x.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    public StoreSettings settings() {
        return settings;
    }

    /** True on PostgreSQL, false on H2. */
    public boolean postgres() {
        return settings.postgres();
    }

    public DataSource dataSource() {
        return pool;
    }

    /** A connection from the pool, in auto-commit mode; close it to give it back. Never on a Vert.x event loop. */
    public Connection connection() throws SQLException {
        Threads.requireBlockingAllowed("a database call");
        return pool.getConnection();
    }

    /** Runs {@code work} on one connection in auto-commit mode (each statement its own transaction). */
    public <T> T read(Work<T> work) throws SQLException {
        try (Connection c = connection()) {
            return work.run(c);
        }
    }

    /** Runs {@code work} in one transaction: committed when it returns, rolled back when it throws. */
    public <T> T transaction(Work<T> work) throws SQLException {
        return transaction(work, Connection::commit);
    }

    /** How a transaction is committed (e.g. under a lock that keeps commits and notifications in one order). */
    @FunctionalInterface
    public interface Committer {
        void commit(Connection c) throws SQLException;
    }

    /** Runs {@code work} in one transaction and commits it through {@code committer}; rolled back when anything throws. */
    public <T> T transaction(Work<T> work, Committer committer) throws SQLException {
        try (Connection c = connection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                committer.commit(c);
                return result;
            } catch (SQLException | RuntimeException | Error e) {
                try {
                    c.rollback();
                } catch (SQLException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
            // the pool puts auto-commit back when the connection returns
        }
    }

    @Override
    public void close() {
        pool.close();
    }

    @Override
    public String toString() {
        return "Store[" + settings.safeUrl() + "]";
    }
}
