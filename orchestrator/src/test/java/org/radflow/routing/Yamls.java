package org.radflow.routing;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.util.Map;

/** YAML as the configuration loader reads it (SafeConstructor, duplicate keys refused). */
final class Yamls {

    private Yamls() {
    }

    static Object load(String yaml) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        return new Yaml(new SafeConstructor(options)).load(yaml);
    }

    /** The value of the top-level {@code rules:} key. */
    static Object rules(String yaml) {
        return ((Map<?, ?>) load(yaml)).get("rules");
    }

    static RuleSet ruleSet(String yaml) {
        return RuleSet.parse(rules(yaml), "rules");
    }
}
