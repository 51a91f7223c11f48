package org.radflow.modules;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

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
}
