package org.radflow.intake;

import org.junit.jupiter.api.extension.RegisterExtension;
import org.radflow.store.StoreSettings;
import org.radflow.testkit.PostgresServer;

/** {@link StudyIndexTest} on a real PostgreSQL (a cluster's shared store): the same SQL, the same answers. */
class StudyIndexPostgresTest extends StudyIndexTest {

    @RegisterExtension
    static final PostgresServer POSTGRES = new PostgresServer();

    @Override
    StoreSettings settings() throws Exception {
        return new StoreSettings(POSTGRES.createDatabase(), POSTGRES.user(), "", 4);
    }
}
