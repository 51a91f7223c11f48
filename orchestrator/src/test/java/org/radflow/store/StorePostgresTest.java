package org.radflow.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.radflow.testkit.PostgresServer;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The store's schema on a real PostgreSQL: created once, and a database that is not RadFlow's is refused. */
class StorePostgresTest {

    @RegisterExtension
    static final PostgresServer POSTGRES = new PostgresServer();

    private static List<String> history(Store store) throws Exception {
        return store.read(c -> {
            List<String> out = new ArrayList<>();
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT version FROM flyway_schema_history WHERE version IS NOT NULL ORDER BY installed_rank")) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
            return out;
        });
    }

    @Test
    void aNewDatabaseGetsTheCurrentSchemaOnce() throws Exception {
        StoreSettings settings = new StoreSettings(POSTGRES.createDatabase(), POSTGRES.user(), "", 2);
        try (Store store = Store.open(settings)) {
            assertTrue(store.postgres());
            assertEquals(List.of("1", "2", "3", "4", "5", "6", "7"), history(store));
        }
        try (Store store = Store.open(settings)) {
            assertEquals(List.of("1", "2", "3", "4", "5", "6", "7"), history(store));
        }
    }

    @Test
    void aDatabaseThatIsNotRadflowsIsRefusedAndLeftAsItWas() throws Exception {
        String url = POSTGRES.createDatabase();
        try (Connection c = DriverManager.getConnection(url, POSTGRES.user(), ""); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE orders (id INT PRIMARY KEY)");
            s.execute("INSERT INTO orders VALUES (7)");
        }
        StoreException e = assertThrows(StoreException.class, () -> Store.open(new StoreSettings(url, POSTGRES.user(), "", 2)));
        assertTrue(e.getMessage().contains("[orders]") && e.getMessage().contains("no jobs table"), e.getMessage());
        assertTrue(e.getMessage().contains("CREATE DATABASE radflow OWNER radflow"), e.getMessage());
        try (Connection c = DriverManager.getConnection(url, POSTGRES.user(), ""); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM orders")) {
            rs.next();
            assertEquals(1, rs.getInt(1));
        }
    }
}
