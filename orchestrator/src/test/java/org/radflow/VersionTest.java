package org.radflow;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The version comes from the server jar's manifest; run from classes (here) there is none, and it says so. */
class VersionTest {

    @Test
    void runFromClassesTheVersionIsUnknownNotMadeUp() {
        assertEquals(null, Main.class.getPackage().getImplementationVersion(), "the tests run from target/classes");
        assertEquals("unknown", Main.version());
    }
}
