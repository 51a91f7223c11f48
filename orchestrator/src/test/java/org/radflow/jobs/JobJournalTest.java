package org.radflow.jobs;

import org.radflow.store.StoreSettings;

/** The journal on the embedded H2 store (the default). */
class JobJournalTest extends JobJournalContract {

    @Override
    StoreSettings freshStore() {
        return StoreSettings.embedded(dir.resolve("journal"));
    }
}
