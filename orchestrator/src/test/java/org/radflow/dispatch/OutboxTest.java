package org.radflow.dispatch;

import org.radflow.store.StoreSettings;

/** The outbox on the embedded H2 store (the default). */
class OutboxTest extends OutboxContract {

    @Override
    StoreSettings freshStore() {
        return StoreSettings.embedded(dir.resolve("journal"));
    }
}
