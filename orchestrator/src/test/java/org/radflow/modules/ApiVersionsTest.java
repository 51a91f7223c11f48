package org.radflow.modules;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.ApiVersion;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.radflow.modules.ModuleRegistryTest.NO_INFERENCE;
import static org.radflow.modules.ModuleRegistryTest.emptyStudy;
import static org.radflow.modules.ModuleRegistryTest.job;

/** Which module API versions a server takes: older minor versions of its major load; newer ones are refused saying what to do. */
class ApiVersionsTest {

    @TempDir
    Path tmp;
    ModuleRegistry registry;

    @AfterEach
    void close() {
        if (registry != null) {
            registry.close();
        }
    }

    /** A module written against API 0.2: declares 0.2, text properties made the 0.2 way, parses its own values. */
    private static TestJars.Spec built02() {
        return new TestJars.Spec().source("fx.old.Factory", """
                package fx.old;

                import org.radflow.api.*;
                import java.util.List;
                import java.util.Map;

                public final class Factory implements AiModuleFactory {
                    public ModuleDescriptor descriptor() {
                        return ModuleDescriptor.builder("old", "0.2.0", 0, 2)
                                .config(ConfigProperty.of("threshold", "A number, parsed by the module", "0.5"))
                                .config(new ConfigProperty("slices", "A whole number", "3", false))
                                .build();
                    }

                    public AiModule create(ModuleContext context) throws ModuleException {
                        String threshold = context.config().require("threshold");
                        int slices = context.config().getInt("slices", 1);
                        return (input, job) -> ModuleResult.completed(List.of(), List.of(), threshold + "|" + slices, Map.of());
                    }
                }
                """).factory("fx.old.Factory");
    }

    private void start(Map<String, Map<String, Object>> config) {
        registry = new ModuleRegistry(new RegistrySettings(tmp.resolve("modules"), null, tmp.resolve("data"), config,
                Duration.ZERO, null), NO_INFERENCE).start();
    }

    @Test
    void a_module_built_against_0_2_loads_and_its_properties_are_text() throws Exception {
        assertEquals("0.6", ApiVersion.string());
        Fixtures.build(built02(), tmp.resolve("modules"), "old");
        start(Map.of("old", Map.of("threshold", "high", "slices", 12)));
        assertTrue(registry.problems().isEmpty(), registry.problems().toString());
        try (ModuleLease lease = registry.acquire("old")) {
            assertEquals("high|12", lease.process(emptyStudy("1.2.3"), job("j")).summary(), "text as in 0.2: any value");
        }
        assertEquals("unknown key 'modules.old.config.treshold'; did you mean 'modules.old.config.threshold'? "
                + "Known keys in 'modules.old.config': threshold, slices", registry.checkConfig("old", Map.of("treshold", 1)));
    }

    @Test
    void a_module_needing_a_newer_minor_version_is_refused_naming_both_versions_and_the_fix() throws Exception {
        Fixtures.build(Fixtures.descriptorIs("future", "ModuleDescriptor.builder(\"future\", \"1.0\", ApiVersion.MAJOR, "
                + "ApiVersion.MINOR + 1).build()"), tmp.resolve("modules"), "future");
        start(Map.of());
        assertTrue(registry.find("future").isEmpty());
        String next = ApiVersion.MAJOR + "." + (ApiVersion.MINOR + 1);
        assertEquals("factory fx.future.Factory: module future needs module API " + next + ", this server has "
                + ApiVersion.string() + ": upgrade RadFlow, or rebuild the module against radflow-module-api "
                + ApiVersion.string() + " (without what " + next + " added)", registry.problems().get(0).reason());
    }
}
