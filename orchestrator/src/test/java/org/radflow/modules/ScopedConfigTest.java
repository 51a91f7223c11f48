package org.radflow.modules;

import org.junit.jupiter.api.Test;
import org.radflow.api.ConfigProperty;
import org.radflow.api.ApiVersion;
import org.radflow.api.ModuleDescriptor;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ScopedConfigTest {

    private static final ModuleDescriptor DESCRIPTOR = ModuleDescriptor.builder("demo", "1.0", ApiVersion.MAJOR, ApiVersion.MINOR)
            .config(ConfigProperty.of("threshold", "Cut-off", "0.5"))
            .config(ConfigProperty.of("inference.threads", "Threads", "1"))
            .config(new ConfigProperty("apiKey", "Key of the model server", null, true))
            .build();

    @Test
    void values_defaults_and_nested_keys() throws Exception {
        ScopedConfig config = ScopedConfig.of(DESCRIPTOR, Map.of("apiKey", "s3cret", "inference", Map.of("threads", 4)));
        assertEquals(Optional.of("0.5"), config.get("threshold"));
        assertEquals(4, config.getInt("inference.threads", 1));
        assertEquals("s3cret", config.require("apiKey"));
        assertEquals(Optional.empty(), config.get("undeclared"));
    }

    @Test
    void secrets_are_masked() throws Exception {
        ScopedConfig config = ScopedConfig.of(DESCRIPTOR, Map.of("apiKey", "s3cret", "threshold", 0.7));
        assertEquals("modules.demo {threshold=0.7, inference.threads=1, apiKey=****}", config.toString());
        assertFalse(config.toString().contains("s3cret"));
    }

    @Test
    void every_problem_is_named_with_its_full_key() {
        ScopedConfig.InvalidConfigException e = assertThrows(ScopedConfig.InvalidConfigException.class,
                () -> ScopedConfig.of(DESCRIPTOR, Map.of("treshold", 1, "inference", Map.of("threads", List.of(1, 2)))));
        assertEquals("modules.demo.inference.threads must be a single value, not a list; "
                + "unknown key modules.demo.treshold; known keys: modules.demo.threshold, modules.demo.inference.threads, "
                + "modules.demo.apiKey; modules.demo.apiKey is required (Key of the model server) and has no default",
                e.getMessage());
    }

    @Test
    void a_module_without_keys_says_so() {
        ScopedConfig.InvalidConfigException e = assertThrows(ScopedConfig.InvalidConfigException.class,
                () -> ScopedConfig.of(ModuleDescriptor.builder("bare", "1.0", ApiVersion.MAJOR, ApiVersion.MINOR).build(), Map.of("x", 1)));
        assertEquals("unknown key modules.bare.x; module 'bare' takes no configuration", e.getMessage());
    }
}
