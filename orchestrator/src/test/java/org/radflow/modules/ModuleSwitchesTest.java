package org.radflow.modules;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModuleSwitchesTest {

    @TempDir
    Path dir;

    @Test
    void anOperatorsSwitchOverridesTheConfigurationAndSurvivesARestart() throws Exception {
        Path file = dir.resolve("state").resolve("module-switches.json");
        ModuleSwitches s = new ModuleSwitches(file, id -> !id.equals("off-in-config"));
        assertTrue(s.enabled("covidnet"));
        assertFalse(s.enabled("off-in-config"));
        assertNull(s.override("covidnet"));
        s.set("covidnet", false);
        s.set("off-in-config", true);
        assertFalse(s.enabled("covidnet"));

        ModuleSwitches again = new ModuleSwitches(file, id -> !id.equals("off-in-config"));
        assertFalse(again.enabled("covidnet"), "kept across a restart");
        assertTrue(again.enabled("off-in-config"));
        assertTrue(again.enabled("hippovolume"), "others follow the configuration");

        Files.writeString(file, "not json");
        assertTrue(new ModuleSwitches(file, id -> true).enabled("covidnet"), "an unreadable file falls back to the configuration");
    }

    @Test
    void aPauseKeepsItsReasonAcrossARestartUntilAnOperatorSwitches() throws Exception {
        Path file = dir.resolve("module-switches.json");
        ModuleSwitches s = new ModuleSwitches(file, id -> true);
        s.pause("fault", "5 worker(s) in a row died");
        assertFalse(s.enabled("fault"));

        ModuleSwitches again = new ModuleSwitches(file, id -> true);
        assertFalse(again.enabled("fault"), "still off after a restart");
        assertEquals("5 worker(s) in a row died", again.pausedReason("fault"), "and the reason is kept");
        again.set("fault", true);
        assertTrue(again.enabled("fault"));
        assertNull(new ModuleSwitches(file, id -> true).pausedReason("fault"), "an operator's switch clears the reason");
    }

    @Test
    void readsTheFormatWrittenBeforePausesWereKept() throws Exception {
        Path file = dir.resolve("module-switches.json");
        Files.writeString(file, "{\"covidnet\": false, \"hippovolume\": true}");
        ModuleSwitches s = new ModuleSwitches(file, id -> id.equals("covidnet"));
        assertFalse(s.enabled("covidnet"));
        assertTrue(s.enabled("hippovolume"));
        assertNull(s.pausedReason("covidnet"));
    }
}
