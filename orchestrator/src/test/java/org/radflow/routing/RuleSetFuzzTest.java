package org.radflow.routing;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Test;
import org.radflow.config.ConfigException;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Fuzzing the routing rules parser ({@link RuleSet#parse}, {@link MatchParser}) with YAML as the configuration
 * loader reads it: any document either parses or is refused with a {@link ConfigException} naming the key;
 * any other exception is a bug (a start-up that dies with a stack trace instead of a message). Seeds in
 * {@code src/test/resources/org/radflow/routing/RuleSetFuzzTestInputs/rules/}; {@code JAZZER_FUZZ=1} fuzzes (README).
 */
class RuleSetFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void rules(byte[] input) {
        Object doc;
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            doc = new Yaml(new SafeConstructor(options)).load(new String(input, StandardCharsets.UTF_8));
        } catch (YAMLException notYaml) {
            return; // the configuration loader reports these itself
        }
        try {
            if (doc instanceof Map<?, ?> m && m.containsKey("selection")) {
                RuleSet.parseSelection(m.get("selection"), "selection");
            } else {
                RuleSet.parse(doc instanceof Map<?, ?> m ? m.get("rules") : doc, "rules");
            }
        } catch (ConfigException expected) {
            // refused with the key named
        }
    }

    @Test
    void theDocumentedExampleSeedParses() throws IOException {
        try (InputStream in = RuleSetFuzzTest.class.getResourceAsStream("RuleSetFuzzTestInputs/rules/documented-example.yaml")) {
            Map<?, ?> doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
            assertEquals(2, RuleSet.parse(doc.get("rules"), "rules").rules().size());
        }
    }
}
