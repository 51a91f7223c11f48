package org.radflow.dispatch;

import org.junit.jupiter.api.extension.RegisterExtension;
import org.radflow.store.StoreSettings;
import org.radflow.testkit.PostgresServer;

/** The outbox on a real PostgreSQL (one server for the class, a new database per test). */
class OutboxPostgresTest extends OutboxContract {

    @RegisterExtension
    static final PostgresServer POSTGRES = new PostgresServer();

    @Override
    StoreSettings freshStore() {
        return new StoreSettings(POSTGRES.createDatabase(), POSTGRES.user(), "", 4);
    }
}
