package org.radflow.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.Trigger;
import org.radflow.dispatch.Outbox;
import org.radflow.jobs.Job;
import org.radflow.jobs.JobJournal;
import org.radflow.jobs.JobQueries;
import org.radflow.jobs.JobState;
import org.radflow.routing.Priority;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The embedded store: a fresh schema, a data directory from before schema versions, and a database that is not RadFlow's. */
class StoreTest {

    @TempDir
    Path dir;

    /** The journal's and the outbox's DDL exactly as RadFlow ran it before schema versions (JobJournal.migrate, Outbox's constructor). */
    private static final List<String> LEGACY_DDL = List.of("""
            CREATE TABLE IF NOT EXISTS jobs (
              id VARCHAR(40) PRIMARY KEY,
              unit_key VARCHAR(300) NOT NULL,
              trigger_kind VARCHAR(16) NOT NULL,
              study_uid VARCHAR(64) NOT NULL,
              series_uid VARCHAR(64),
              sop_uid VARCHAR(64),
              module_id VARCHAR(64) NOT NULL,
              module_version VARCHAR(64),
              rule_name VARCHAR(128),
              priority VARCHAR(16) NOT NULL,
              destinations VARCHAR(2000) NOT NULL,
              input_files CLOB NOT NULL,
              input_hash VARCHAR(64) NOT NULL,
              revision INT NOT NULL,
              supersedes VARCHAR(40),
              state VARCHAR(20) NOT NULL,
              attempts INT NOT NULL,
              reason VARCHAR(4000),
              progress DOUBLE PRECISION NOT NULL,
              progress_message VARCHAR(300),
              sort_key BIGINT NOT NULL,
              created_at TIMESTAMP NOT NULL,
              updated_at TIMESTAMP NOT NULL,
              started_at TIMESTAMP,
              finished_at TIMESTAMP,
              next_attempt_at TIMESTAMP NOT NULL
            )""",
            "CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (module_id, state, sort_key)",
            "CREATE INDEX IF NOT EXISTS jobs_unit ON jobs (unit_key, module_id, revision)",
            "CREATE INDEX IF NOT EXISTS jobs_study ON jobs (study_uid)",
            """
            CREATE TABLE IF NOT EXISTS job_events (
              job_id VARCHAR(40) NOT NULL,
              seq BIGINT AUTO_INCREMENT PRIMARY KEY,
              at TIMESTAMP NOT NULL,
              state VARCHAR(20) NOT NULL,
              message VARCHAR(4000)
            )""",
            "CREATE INDEX IF NOT EXISTS job_events_job ON job_events (job_id, seq)",
            """
            CREATE TABLE IF NOT EXISTS outbox (
              destination VARCHAR(64) NOT NULL,
              sop_instance_uid VARCHAR(64) NOT NULL,
              job_id VARCHAR(40) NOT NULL,
              file_path VARCHAR(2000) NOT NULL,
              state VARCHAR(10) NOT NULL,
              attempts INT NOT NULL,
              last_error VARCHAR(2000),
              next_attempt_at TIMESTAMP NOT NULL,
              created_at TIMESTAMP NOT NULL,
              updated_at TIMESTAMP NOT NULL,
              sent_at TIMESTAMP,
              PRIMARY KEY (destination, sop_instance_uid)
            )""",
            "CREATE INDEX IF NOT EXISTS outbox_due ON outbox (destination, state, next_attempt_at)",
            "CREATE INDEX IF NOT EXISTS outbox_job ON outbox (job_id)");

    private Path journalDir() {
        return dir.resolve("data").resolve("journal");
    }

    /** The embedded database as the previous version opened it, for writing a legacy journal by hand. */
    private Connection legacyConnection() throws Exception {
        return DriverManager.getConnection(StoreSettings.embeddedUrl(journalDir()), "radflow", "");
    }

    private static void writeLegacyJournal(Connection c, boolean withOutbox) throws Exception {
        try (Statement s = c.createStatement()) {
            for (String ddl : LEGACY_DDL) {
                if (withOutbox || !ddl.contains("outbox")) {
                    s.execute(ddl);
                }
            }
        }
        Timestamp t = Timestamp.from(Instant.parse("2026-11-30T10:00:00Z"));
        try (PreparedStatement ins = c.prepareStatement("""
                INSERT INTO jobs (id, unit_key, trigger_kind, study_uid, series_uid, sop_uid, module_id, module_version, rule_name,
                  priority, destinations, input_files, input_hash, revision, supersedes, state, attempts, reason, progress,
                  progress_message, sort_key, created_at, updated_at, started_at, finished_at, next_attempt_at)
                VALUES ('legacy-job', 'series:1.2.3', 'SERIES', '1.2', '1.2.3', NULL, 'sample', '1.0.0', 'r1', 'NORMAL', '["pacs"]',
                  '["/spool/a.dcm","/spool/b.dcm"]', 'h1', 1, NULL, 'QUEUED', 0, NULL, 0, NULL, ?, ?, ?, NULL, NULL, ?)""")) {
            ins.setLong(1, t.getTime());
            ins.setTimestamp(2, t);
            ins.setTimestamp(3, t);
            ins.setTimestamp(4, t);
            ins.executeUpdate();
        }
        try (PreparedStatement ins = c.prepareStatement("INSERT INTO job_events (job_id, at, state, message) VALUES ('legacy-job', ?, ?, ?)")) {
            ins.setTimestamp(1, t);
            ins.setString(2, "QUEUED");
            ins.setString(3, "queued by rule r1");
            ins.executeUpdate();
        }
        if (withOutbox) {
            try (PreparedStatement m = c.prepareStatement("""
                    MERGE INTO outbox (destination, sop_instance_uid, job_id, file_path, state, attempts, last_error, next_attempt_at,
                      created_at, updated_at, sent_at) KEY (destination, sop_instance_uid)
                    VALUES ('pacs', '1.2.3.4', 'legacy-job', '/results/sr.dcm', 'DEAD', 8, 'connection refused', ?, ?, ?, NULL)""")) {
                m.setTimestamp(1, t);
                m.setTimestamp(2, t);
                m.setTimestamp(3, t);
                m.executeUpdate();
            }
        }
    }

    private static JobJournal.NewJob unit(String hash) {
        return new JobJournal.NewJob("series:1.2.3", Trigger.SERIES, "1.2", "1.2.3", null, "sample", "1.0.0", "r1", Priority.NORMAL,
                List.of("pacs"), List.of(Path.of("/spool/a.dcm")), hash);
    }

    private static List<String> history(Store store) throws Exception {
        return store.read(c -> {
            List<String> out = new ArrayList<>();
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT \"version\" FROM \"flyway_schema_history\" WHERE \"version\" IS NOT NULL ORDER BY \"installed_rank\"")) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
            return out;
        });
    }

    @Test
    void aDataDirectoryFromBeforeSchemaVersionsIsMigratedWithItsRows() throws Exception {
        try (Connection c = legacyConnection()) {
            writeLegacyJournal(c, true);
        }
        try (Store store = Store.open(StoreSettings.embedded(journalDir()));
             JobJournal journal = new JobJournal(store);
             Outbox outbox = new Outbox(store, Map.of(), Outbox.Settings.defaults())) {
            assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7"), history(store), "recorded as version 0, then migrated");
            JobQueries queries = new JobQueries(store);
            Job old = queries.find("legacy-job").orElseThrow();
            assertEquals(JobState.QUEUED, old.state());
            assertEquals(List.of(Path.of("/spool/a.dcm"), Path.of("/spool/b.dcm")), old.inputFiles());
            assertEquals(List.of("pacs"), old.destinations());
            assertEquals(1, queries.countsByStudy(List.of("1.2")).get("1.2").get(JobState.QUEUED));

            // usable: claimed, finished, its timeline continues after the old event, a new revision follows it
            assertEquals(List.of("legacy-job"), journal.claim("sample", 5).stream().map(Job::id).toList());
            assertTrue(journal.finish("legacy-job", JobState.SUCCEEDED, null));
            assertEquals(List.of(JobState.QUEUED, JobState.RUNNING, JobState.SUCCEEDED),
                    queries.timeline("legacy-job").stream().map(Job.Event::state).toList());
            assertTrue(journal.enqueue(unit("h1"), JobState.QUEUED, null).isEmpty(), "the same inputs are not journaled twice");
            Job next = journal.enqueue(unit("h2"), JobState.QUEUED, null).orElseThrow();
            assertEquals(2, next.revision());
            assertEquals("legacy-job", next.supersedes());

            List<Outbox.Item> items = outbox.items("legacy-job");
            assertEquals(1, items.size());
            assertEquals(Outbox.State.DEAD, items.get(0).state());
            assertEquals("connection refused", items.get(0).lastError());
            assertEquals(1, outbox.retryDead("pacs", null));
            assertEquals(Outbox.State.PENDING, outbox.items("legacy-job").get(0).state());
        }
        // and the next start finds the schema current
        try (Store store = Store.open(StoreSettings.embedded(journalDir()))) {
            assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7"), history(store));
            assertEquals(2, new JobQueries(store).search(null, "sample", null, 10).size());
        }
    }

    @Test
    void aJournalOpenedWithoutItsOutboxGetsTheOutboxTable() throws Exception {
        try (Connection c = legacyConnection()) {
            writeLegacyJournal(c, false);
        }
        try (Store store = Store.open(StoreSettings.embedded(journalDir()))) {
            assertEquals(JobState.QUEUED, new JobQueries(store).find("legacy-job").orElseThrow().state());
            assertEquals(0, new Outbox(store, Map.of(), Outbox.Settings.defaults()).items("legacy-job").size());
        }
    }

    @Test
    void aDatabaseThatIsNotRadflowsIsRefusedAndLeftAsItWas() throws Exception {
        try (Connection c = legacyConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE patients (id INT PRIMARY KEY, name VARCHAR(100))");
            s.execute("INSERT INTO patients VALUES (1, 'Doe^Jane')");
            s.execute("CREATE TABLE jobs (id VARCHAR(40) PRIMARY KEY, what VARCHAR(100))");
        }
        StoreException e = assertThrows(StoreException.class, () -> Store.open(StoreSettings.embedded(journalDir())));
        assertTrue(e.getMessage().contains("[patients]"), e.getMessage());
        assertTrue(e.getMessage().contains("jobs lacks columns"), e.getMessage());
        assertTrue(e.getMessage().contains("point store.url to an empty database"), e.getMessage());
        try (Connection c = legacyConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM patients")) {
            rs.next();
            assertEquals(1, rs.getInt(1));
        }
    }

    @Test
    void aNewStoreGetsTheCurrentSchemaOnce() throws Exception {
        try (Store store = Store.open(StoreSettings.embedded(journalDir()))) {
            assertEquals(List.of("1", "2", "3", "4", "5", "6", "7"), history(store));
        }
        try (Store store = Store.open(StoreSettings.embedded(journalDir()))) {
            assertEquals(List.of("1", "2", "3", "4", "5", "6", "7"), history(store));
        }
    }

    @Test
    void anUnreachableDatabaseSaysWhatToCheck() {
        StoreSettings nowhere = new StoreSettings("jdbc:postgresql://127.0.0.1:1/radflow", "radflow", "secret", 2);
        StoreException e = assertThrows(StoreException.class, () -> Store.open(nowhere));
        assertTrue(e.getMessage().contains("cannot open the store jdbc:postgresql://127.0.0.1:1/radflow"), e.getMessage());
        assertTrue(e.getMessage().contains("store.passwordFile"), e.getMessage());
        assertTrue(!e.getMessage().contains("secret"), e.getMessage());
    }

    /**
     * A thread interrupted while it writes (a module's lane thread when its job is cancelled or timed out, which may be
     * relaying progress into the journal) must not break the embedded store for everyone: with plain file channels
     * the interrupt closes H2's file and every later statement fails ("MVStoreException: Writing ... failed").
     */
    @Test
    void interruptingAThreadThatWritesLeavesTheEmbeddedStoreWorking() throws Exception {
        try (Store store = Store.open(StoreSettings.embedded(dir))) {
            try (Connection c = store.connection(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE probe (id INT PRIMARY KEY, v VARCHAR(2000))");
            }
            java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
            for (int round = 0; round < 20; round++) {
                Thread writer = new Thread(() -> {
                    while (!Thread.currentThread().isInterrupted()) {
                        try (Connection c = store.connection();
                             PreparedStatement ins = c.prepareStatement("INSERT INTO probe VALUES (?, ?)")) {
                            ins.setInt(1, next.incrementAndGet());
                            ins.setString(2, "x".repeat(1500));
                            ins.executeUpdate();
                        } catch (java.sql.SQLException e) {
                            return; // the interrupted statement may fail; the store must not
                        }
                    }
                });
                writer.start();
                Thread.sleep(15);
                writer.interrupt();
                writer.join(5000);
            }
            try (Connection c = store.connection(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO probe VALUES (-1, 'after the interrupts')");
                try (ResultSet rs = s.executeQuery("SELECT v FROM probe WHERE id = -1")) {
                    assertTrue(rs.next());
                    assertEquals("after the interrupts", rs.getString(1));
                }
            }
        }
    }
}
