package org.radflow.modules;

import org.junit.jupiter.api.Test;
import org.radflow.api.ConfigProperty;
import org.radflow.api.ApiVersion;
import org.radflow.api.ModuleDescriptor;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScopedConfigTest {

    private static final ModuleDescriptor DESCRIPTOR = ModuleDescriptor.builder("demo", "1.0", ApiVersion.MAJOR, ApiVersion.MINOR)
            .config(ConfigProperty.of("threshold", "Cut-off", "0.5"))
            .config(ConfigProperty.of("inference.threads", "Threads", "1"))
            .config(new ConfigProperty("apiKey", "Key of the model server", null, true))
            .build();

    /** The same keys with API 0.3 types. */
    private static final ModuleDescriptor TYPED = ModuleDescriptor.builder("covidnet", "1.0", ApiVersion.MAJOR, ApiVersion.MINOR)
            .config(ConfigProperty.number("threshold", "Probability above which a finding is reported", 0.5).range(0, 1))
            .config(ConfigProperty.integer("batchSize", "Planes per model run", 16).range(1, 1024))
            .config(ConfigProperty.bool("keyImages", "Whether to return key images", true))
            .config(ConfigProperty.choice("backend", "Model format", "onnx", "onnx", "tensorflow-savedmodel"))
            .config(ConfigProperty.path("model", "Model file in the model directory", "covidnet.onnx"))
            .config(ConfigProperty.secret("apiKey", "Key of the model server"))
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
        assertEquals("modules.demo.config.inference.threads is a list, not a single value; give a single value; "
                + "unknown key 'modules.demo.config.treshold'; did you mean 'modules.demo.config.threshold'? "
                + "Known keys in 'modules.demo.config': threshold, inference.threads, apiKey; "
                + "modules.demo.config.apiKey is required (Key of the model server) and has no default; give a single value",
                e.getMessage());
    }

    @Test
    void a_module_without_keys_says_so() {
        ScopedConfig.InvalidConfigException e = assertThrows(ScopedConfig.InvalidConfigException.class,
                () -> ScopedConfig.of(ModuleDescriptor.builder("bare", "1.0", ApiVersion.MAJOR, ApiVersion.MINOR).build(), Map.of("x", 1)));
        assertEquals("unknown key 'modules.bare.config.x'; module 'bare' takes no configuration", e.getMessage());
    }

    @Test
    void typed_values_are_checked_by_the_host_with_key_value_and_fix() throws Exception {
        ScopedConfig.InvalidConfigException e = assertThrows(ScopedConfig.InvalidConfigException.class,
                () -> ScopedConfig.of(TYPED, Map.of("threshold", "1.5", "batchSize", "many", "keyImages", "sometimes",
                        "backend", "tensorflow", "apiKey", List.of("hunter2"))));
        assertEquals("modules.covidnet.config.apiKey is a list, not a single value; give a single value; "
                + "modules.covidnet.config.backend: 'tensorflow' is not allowed; give one of onnx, tensorflow-savedmodel; "
                + "modules.covidnet.config.batchSize: 'many' is not a whole number; give a whole number from 1 to 1024; "
                + "modules.covidnet.config.keyImages: 'sometimes' is not true or false; give true or false; "
                + "modules.covidnet.config.threshold: '1.5' is above the maximum 1.0; give a number from 0 to 1",
                e.getMessage());
        assertFalse(e.getMessage().contains("hunter2"));

        ScopedConfig config = ScopedConfig.of(TYPED, Map.of("threshold", 0.25, "batchSize", 8, "keyImages", false,
                "backend", "TensorFlow-SavedModel", "apiKey", "s3cret"));
        assertEquals(0.25, config.getDouble("threshold"));
        assertEquals(8, config.getInt("batchSize"));
        assertFalse(config.getBoolean("keyImages"));
        assertEquals("tensorflow-savedmodel", config.getChoice("backend"), "the declared spelling");
        assertEquals(Path.of("covidnet.onnx"), config.getPath("model"));
        assertEquals("s3cret", config.getString("apiKey"));
        assertTrue(config.toString().contains("apiKey=****"));
    }

    @Test
    void a_secret_value_never_appears_in_a_message() {
        ModuleDescriptor d = ModuleDescriptor.builder("vault", "1.0", ApiVersion.MAJOR, ApiVersion.MINOR)
                .config(new ConfigProperty("pin", "PIN", null, true, ConfigProperty.Type.INTEGER, List.of(), 1000.0, 9999.0))
                .build();
        ScopedConfig.InvalidConfigException e = assertThrows(ScopedConfig.InvalidConfigException.class,
                () -> ScopedConfig.of(d, Map.of("pin", 12345)));
        assertEquals("modules.vault.config.pin is not valid; give a whole number from 1000 to 9999", e.getMessage());
    }

    @Test
    void a_module_parsing_its_own_text_names_the_key_where_the_operator_writes_it() throws Exception {
        ScopedConfig config = ScopedConfig.of(DESCRIPTOR, Map.of("threshold", "fatty", "apiKey", "s3cret"));
        org.radflow.api.ModuleException e = assertThrows(org.radflow.api.ModuleException.class, () -> config.getInt("threshold", 1));
        assertEquals("modules.demo.config.threshold must be a whole number, not 'fatty' (Cut-off)", e.getMessage());
        IllegalArgumentException typed = assertThrows(IllegalArgumentException.class, () -> config.getDouble("threshold"));
        assertTrue(typed.getMessage().startsWith("modules.demo.config.threshold is 'fatty', not a number"), typed.getMessage());
        IllegalArgumentException undeclared = assertThrows(IllegalArgumentException.class, () -> config.getInt("slices"));
        assertTrue(undeclared.getMessage().startsWith("modules.demo.config.slices has no value"), undeclared.getMessage());
        IllegalArgumentException secret = assertThrows(IllegalArgumentException.class, () -> config.getInt("apiKey"));
        assertFalse(secret.getMessage().contains("s3cret"), "a secret's value is never repeated: " + secret.getMessage());
        assertTrue(secret.getMessage().contains("modules.demo.config.apiKey"), secret.getMessage());
    }

    @Test
    void a_modules_own_message_gets_the_real_key_path_of_declared_keys_only() throws Exception {
        ScopedConfig config = ScopedConfig.of(DESCRIPTOR, Map.of("apiKey", "k"));
        assertEquals("Module demo: modules.demo.config.threshold ('x') is not a path; configuration key 'other' stays",
                config.locateKeys("Module demo: configuration key 'threshold' ('x') is not a path; configuration key 'other' stays"));
    }
}
