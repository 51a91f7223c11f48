package org.radflow.dicom;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UidsTest {

    @Test
    void acceptsWellFormedUids() {
        assertTrue(Uids.isValid("1.2.840.10008.5.1.4.1.1.2"));
        assertTrue(Uids.isValid("2.25.329800735698586629295641978511506172918"));
        assertTrue(Uids.isValid("0"));
        assertTrue(Uids.isValid("1.2.0.3"));
        assertNull(Uids.problem("1.2.3"));
    }

    @Test
    void refusesAnythingThatCouldEscapeThePathOrIsNotAUid() {
        for (String bad : new String[] {"", "..", "../../etc/passwd", "1.2/3", "1.2.3.", ".1.2", "1..2", "1.02.3", "1.2.a",
                "1.2.3 ", "1.2.3\0", "1\\2"}) {
            assertFalse(Uids.isValid(bad), bad);
        }
        assertFalse(Uids.isValid(null));
        assertFalse(Uids.isValid("1." + "2".repeat(63)));
        assertEquals("longer than 64 characters", Uids.problem("1." + "2".repeat(63)));
    }

    @Test
    void logFormIsPrintableAndBounded() {
        assertEquals("\"1.2\\n3\"", Uids.forLog("1.2\n3"), "escaped by LogText: one line, the newline still visible");
        assertTrue(Uids.forLog("9".repeat(500)).length() < 100);
    }
}
