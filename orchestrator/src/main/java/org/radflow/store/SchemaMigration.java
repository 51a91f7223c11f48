package org.radflow.store;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Brings the store's schema to the current version with Flyway. A database with RadFlow's tables but
 * no schema history (a data directory written before schema versions) is recognised by its tables
 * and columns, recorded as version 0 and migrated; any other non-empty database is refused with what
 * to do. Nothing here ever drops or empties a table.
 */
final class SchemaMigration {

    private static final Logger LOG = LoggerFactory.getLogger(SchemaMigration.class);
    static final String LOCATION = "classpath:db/migration";
    static final String HISTORY_TABLE = "flyway_schema_history";

    /** The tables and columns RadFlow created with CREATE TABLE IF NOT EXISTS before schema versions. */
    static final Map<String, Set<String>> LEGACY_TABLES = Map.of(
            "jobs", Set.of("id", "unit_key", "trigger_kind", "study_uid", "series_uid", "sop_uid", "module_id", "module_version",
                    "rule_name", "priority", "destinations", "input_files", "input_hash", "revision", "supersedes", "state",
                    "attempts", "reason", "progress", "progress_message", "sort_key", "created_at", "updated_at", "started_at",
                    "finished_at", "next_attempt_at"),
            "job_events", Set.of("job_id", "seq", "at", "state", "message"),
            "outbox", Set.of("destination", "sop_instance_uid", "job_id", "file_path", "state", "attempts", "last_error",
                    "next_attempt_at", "created_at", "updated_at", "sent_at"));

    private final DataSource dataSource;
    private final StoreSettings settings;

    SchemaMigration(DataSource dataSource, StoreSettings settings) {
        this.dataSource = dataSource;
        this.settings = settings;
    }

    void run() {
        Flyway flyway = Flyway.configure()
                .dataSource(dataSource)
                .locations(LOCATION)
                .table(HISTORY_TABLE)
                .baselineVersion("0")
                .baselineDescription("RadFlow journal from before schema versions")
                .cleanDisabled(true)
                .load();
        try {
            Map<String, Set<String>> tables = tables();
            if (!tables.isEmpty() && !tables.containsKey(HISTORY_TABLE)) {
                checkLegacy(tables);
                LOG.warn("Store {}: found RadFlow's tables {} from before schema versions; recording them as schema version 0 "
                        + "and migrating (no row is changed or removed)", settings.safeUrl(), tables.keySet());
                flyway.baseline();
            }
            var result = flyway.migrate();
            if (result.migrationsExecuted > 0) {
                LOG.info("Store {}: schema migrated from {} to {}", settings.safeUrl(),
                        result.initialSchemaVersion == null ? "empty" : result.initialSchemaVersion, result.targetSchemaVersion);
            }
        } catch (FlywayException e) {
            throw new StoreException("the store " + settings.safeUrl() + " could not be brought to RadFlow's schema: "
                    + e.getMessage() + ". Nothing was removed. If this database was changed by hand or by a newer RadFlow, "
                    + "start the RadFlow version that wrote it, or restore a backup", e);
        } catch (SQLException e) {
            throw new StoreException("cannot read the tables of the store " + settings.safeUrl() + ": " + e.getMessage(), e);
        }
    }

    /** Refuses anything but a subset of RadFlow's own tables, each with all its columns. */
    private void checkLegacy(Map<String, Set<String>> tables) {
        Set<String> foreign = new TreeSet<>(tables.keySet());
        foreign.removeAll(LEGACY_TABLES.keySet());
        StringBuilder problems = new StringBuilder();
        if (!foreign.isEmpty()) {
            problems.append("tables RadFlow did not create: ").append(foreign);
        }
        if (!tables.containsKey("jobs")) {
            problems.append(problems.isEmpty() ? "" : "; ").append("no jobs table");
        }
        for (Map.Entry<String, Set<String>> t : new TreeMap<>(LEGACY_TABLES).entrySet()) {
            Set<String> have = tables.get(t.getKey());
            if (have != null && !have.containsAll(t.getValue())) {
                Set<String> missing = new TreeSet<>(t.getValue());
                missing.removeAll(have);
                problems.append(problems.isEmpty() ? "" : "; ").append(t.getKey()).append(" lacks columns ").append(missing);
            }
        }
        if (!problems.isEmpty()) {
            throw new StoreException("the store " + settings.safeUrl() + " is not empty and has no schema history ("
                    + HISTORY_TABLE + "), and it is not a RadFlow journal either (" + problems + "). RadFlow changes only a "
                    + "database it recognises and never empties one: point store.url to an empty database of its own "
                    + "(PostgreSQL: CREATE DATABASE radflow OWNER radflow), or, for an embedded journal, move the "
                    + "journal folder aside and start again");
        }
    }

    /** Tables of the current schema, lower case, with their columns (lower case). */
    private Map<String, Set<String>> tables() throws SQLException {
        Map<String, Set<String>> out = new TreeMap<>();
        try (Connection c = dataSource.getConnection()) {
            DatabaseMetaData md = c.getMetaData();
            String schema = c.getSchema();
            try (ResultSet rs = md.getTables(c.getCatalog(), schema, "%", new String[] {"TABLE"})) {
                while (rs.next()) {
                    out.put(rs.getString("TABLE_NAME").toLowerCase(Locale.ROOT), new TreeSet<>());
                }
            }
            try (ResultSet rs = md.getColumns(c.getCatalog(), schema, "%", "%")) {
                while (rs.next()) {
                    Set<String> cols = out.get(rs.getString("TABLE_NAME").toLowerCase(Locale.ROOT));
                    if (cols != null) {
                        cols.add(rs.getString("COLUMN_NAME").toLowerCase(Locale.ROOT));
                    }
                }
            }
        }
        return out;
    }
}
