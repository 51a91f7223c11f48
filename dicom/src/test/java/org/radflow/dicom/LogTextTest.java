package org.radflow.dicom;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogTextTest {

    @Test
    void aForgedLineStaysOneVisibleLine() {
        assertEquals("X\\nERROR FORGED", LogText.escape("X\nERROR FORGED"));
        assertEquals("a\\r\\tb\\x00\\x1b[31m\\x7f\\x85", LogText.escape("a\r\tb\u0000\u001b[31m\u007f\u0085"));
        assertEquals("\\u2028\\u202e\\ufeff", LogText.escape("\u2028\u202e\ufeff"), "line separator, bidi override, BOM");
    }

    @Test
    void aBackslashTheOtherSideTypedCannotPassForAnEscape() {
        assertEquals("X\\\\nERROR", LogText.escape("X\\nERROR"));
        assertFalse(LogText.escape("X\\nERROR").equals(LogText.escape("X\nERROR")));
    }

    @Test
    void printableTextIsUnchangedIncludingNonAsciiNames() {
        String plain = "STORESCU 1.2.840.10008.1.1 Yamada^Tarou=山田^太郎";
        assertSame(plain, LogText.escape(plain));
        assertEquals("<none>", LogText.escape(null));
    }

    @Test
    void longValuesAreCutAndSaySo() {
        String cut = LogText.escape("9".repeat(500), 20);
        assertEquals("9".repeat(20) + "…(+480 chars)", cut);
        assertTrue(LogText.escape("\n".repeat(10_000)).length() < 2 * LogText.DEFAULT_MAX + 20);
    }
}
