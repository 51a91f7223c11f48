package org.radflow.api;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigPropertyTest {

    @Test
    void values_are_checked_and_canonical() {
        ConfigProperty threshold = ConfigProperty.number("threshold", "Cut-off", 0.5).range(0, 1);
        assertEquals("0.25", threshold.check(0.25));
        assertEquals("1.0", threshold.check(1));
        assertEquals("'1.5' is above the maximum 1.0; give a number from 0 to 1",
                assertThrows(IllegalArgumentException.class, () -> threshold.check("1.5")).getMessage());
        assertEquals("'-1' is below the minimum 0.0; give a number from 0 to 1",
                assertThrows(IllegalArgumentException.class, () -> threshold.check(-1)).getMessage());

        ConfigProperty batch = ConfigProperty.integer("batchSize", "Planes per run", 16).range(1, 1024);
        assertEquals("16", batch.defaultValue());
        assertEquals("8", batch.check(" 8 "));
        assertEquals("'1.5' is not a whole number; give a whole number from 1 to 1024",
                assertThrows(IllegalArgumentException.class, () -> batch.check(1.5)).getMessage());
        assertEquals("'0' is below the minimum 1; give a whole number from 1 to 1024",
                assertThrows(IllegalArgumentException.class, () -> batch.check(0)).getMessage());

        ConfigProperty backend = ConfigProperty.choice("backend", "Format", "onnx", "onnx", "tensorflow-savedmodel");
        assertEquals("tensorflow-savedmodel", backend.check("TensorFlow-SavedModel"));
        assertEquals("'tf' is not allowed; give one of onnx, tensorflow-savedmodel",
                assertThrows(IllegalArgumentException.class, () -> backend.check("tf")).getMessage());

        ConfigProperty flag = ConfigProperty.bool("verbose", "More output", false);
        assertEquals("true", flag.check(true));
        assertEquals("false", flag.check("False"));
        assertEquals("'yes please' is not true or false; give true or false",
                assertThrows(IllegalArgumentException.class, () -> flag.check("yes please")).getMessage());

        assertEquals("is a list, not a single value; give a path",
                assertThrows(IllegalArgumentException.class,
                        () -> ConfigProperty.path("model", "File", "auto").check(List.of("a", "b"))).getMessage());
        assertTrue(ConfigProperty.secret("apiKey", "Key").secret());
        assertTrue(ConfigProperty.secret("apiKey", "Key").required());
    }

    @Test
    void a_declaration_that_contradicts_itself_is_refused() {
        assertEquals("configuration key 'batchSize': the default '0' is below the minimum 1; give a whole number from 1 to 4",
                assertThrows(IllegalArgumentException.class,
                        () -> ConfigProperty.integer("batchSize", "", 0).range(1, 4)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> ConfigProperty.string("name", "", "x").range(0, 1));
        assertThrows(IllegalArgumentException.class, () -> ConfigProperty.choice("mode", "", "a"));
        assertThrows(IllegalArgumentException.class, () -> ConfigProperty.choice("mode", "", "c", "a", "b"));
    }

    /** Modules compiled against 0.2 link to exactly these members; removing one breaks them at run time. */
    @Test
    void the_0_2_members_are_still_there() throws Exception {
        assertTrue(Modifier.isPublic(ConfigProperty.class.getConstructor(String.class, String.class, String.class,
                boolean.class).getModifiers()));
        assertTrue(Modifier.isStatic(ConfigProperty.class.getMethod("of", String.class, String.class, String.class).getModifiers()));
        for (String accessor : List.of("name", "description", "defaultValue", "secret")) {
            ConfigProperty.class.getMethod(accessor);
        }
        ModuleConfig.class.getMethod("get", String.class);
        ModuleConfig.class.getMethod("require", String.class);
        ModuleConfig.class.getMethod("getInt", String.class, int.class);

        ConfigProperty old = new ConfigProperty("threshold", "Cut-off", "mean", false);
        assertEquals(ConfigProperty.Type.STRING, old.type());
        assertEquals("anything at all", old.check("anything at all"));
        assertEquals(old, ConfigProperty.of("threshold", "Cut-off", "mean"));
    }

    @Test
    void typed_getters_read_the_checked_text() {
        Map<String, String> values = Map.of("n", "3", "x", "0.5", "b", "true", "e", "tensorflow-savedmodel", "p", "models/a.onnx");
        ModuleConfig config = name -> Optional.ofNullable(values.get(name));
        assertEquals(3, config.getInt("n"));
        assertEquals(0.5, config.getDouble("x"));
        assertTrue(config.getBoolean("b"));
        assertEquals(Backend.TENSORFLOW_SAVEDMODEL, config.getEnum("e", Backend.class));
        assertEquals(Path.of("models/a.onnx"), config.getPath("p"));
        assertEquals("configuration key 'missing' has no value: the module's descriptor does not declare it",
                assertThrows(IllegalArgumentException.class, () -> config.getString("missing")).getMessage());
        assertFalse(assertThrows(IllegalArgumentException.class, () -> config.getInt("x")).getMessage().isEmpty());
    }

    enum Backend { ONNX, TENSORFLOW_SAVEDMODEL }
}
