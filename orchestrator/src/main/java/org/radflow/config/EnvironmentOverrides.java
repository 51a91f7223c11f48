package org.radflow.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Configuration keys set from environment variables: {@code RADFLOW_<PATH_IN_UPPER_SNAKE>}, e.g.
 * {@code RADFLOW_LISTENER_PORT} for {@code listener.port}, {@code RADFLOW_API_AUTH_TOKENS_OPS_TOKEN_FILE} for the
 * {@code tokenFile} of the API token named {@code ops}. The names come from the keys the loader itself reads (collected
 * once by loading a probe configuration), so every scalar and list key has one; entries of user-named sections
 * ({@code destinations.<name>}, {@code modules.<id>}) and named list entries ({@code api.auth.tokens},
 * {@code notifications.webhooks}) have them when the entry exists in the YAML. Lists take comma-separated text.
 * A module's own keys: {@code RADFLOW_MODULES_<ID>_CONFIG_<KEY>} sets {@code modules.<id>.config.<key>} (the id's
 * {@code _} read as {@code -}, the key from upper snake to camel case: {@code RADFLOW_MODULES_SAMPLE_SLOW_CONFIG_DELAY_MS}
 * sets {@code modules.sample-slow.config.delayMs}; a key already in the file keeps its exact spelling), its value typed as
 * YAML would type it; the module then checks the key as it checks the file's. Not settable: {@code rules} (a list of
 * structured entries), whole sections. Any other {@code RADFLOW_} variable is an
 * error, except those RadFlow reads elsewhere ({@link #OTHER_USES}) and those named by {@code store.passwordEnv} and
 * {@code cluster.secretEnv}.
 */
final class EnvironmentOverrides {

    static final String PREFIX = "RADFLOW_";

    /** Variables read by the launcher, the logging set-up or tests, not configuration keys. */
    static final Set<String> OTHER_USES = Set.of("RADFLOW_HOME", "RADFLOW_JAVA_OPTS", "RADFLOW_LOG_LEVEL", "RADFLOW_HIPPO_KEEP",
            "RADFLOW_SEG_KEEP", "RADFLOW_CONFORMANCE_KEEP");

    private static final String PROBE_DESTINATION_DICOM = "probeDicom";
    private static final String PROBE_DESTINATION_WEB = "probeWeb";
    private static final String PROBE_MODULE = "probe-module";
    private static final String PROBE_ENTRY = "probe-entry";

    private static volatile Map<String, ConfigNode.Kind> templates;

    private EnvironmentOverrides() {
    }

    /** One key the environment can set, at its place in the YAML tree (map keys and list indexes). */
    record Target(List<Object> path, String key, ConfigNode.Kind kind) {
    }

    /** The keys and their kinds, with {@code *} for a user-chosen name and {@code []} for a named list entry. */
    static Map<String, ConfigNode.Kind> templates() {
        Map<String, ConfigNode.Kind> t = templates;
        if (t == null) {
            Map<String, ConfigNode.Kind> collected = new LinkedHashMap<>();
            RadflowConfig.collectSchema(probe(), collected);
            Map<String, ConfigNode.Kind> out = new LinkedHashMap<>();
            collected.forEach((k, kind) -> out.putIfAbsent(k.replace(PROBE_DESTINATION_DICOM, "*").replace(PROBE_DESTINATION_WEB, "*")
                    .replace(PROBE_MODULE, "*").replaceAll("\\[\\d+]", "[]"), kind));
            templates = t = Map.copyOf(out);
        }
        return t;
    }

    /** A configuration that makes the loader read every key there is (one of each kind of entry). */
    private static Map<String, Object> probe() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("destinations", Map.of(
                PROBE_DESTINATION_DICOM, Map.of("type", "dicom", "aeTitle", "PROBE", "host", "127.0.0.1"),
                PROBE_DESTINATION_WEB, Map.of("type", "dicomweb", "url", "http://127.0.0.1/dicom-web")));
        // keys read only when present (has(...) first) need a value here to be seen
        root.put("modules", Map.of(PROBE_MODULE, Map.of("maxConcurrentJobs", 1, "queueLimit", 1, "timeoutSeconds", 1, "heapMb", 512)));
        root.put("api", Map.of("auth", Map.of("tokens", List.of(Map.of("name", PROBE_ENTRY, "token", "probe-token-0123456789",
                "role", "viewer")))));
        root.put("notifications", Map.of("webhooks", List.of(Map.of("name", PROBE_ENTRY, "url", "http://127.0.0.1/hook"))));
        return root;
    }

    /** listener.maxPduLength -> LISTENER_MAX_PDU_LENGTH; a name such as pacs-web -> PACS_WEB. */
    static String upperSnake(String s) {
        String split = s.replaceAll("([a-z0-9])([A-Z])", "$1_$2").replaceAll("[^A-Za-z0-9]+", "_");
        return split.toUpperCase(Locale.ROOT);
    }

    private static final java.util.regex.Pattern MODULE_CONFIG = java.util.regex.Pattern.compile(
            "RADFLOW_MODULES_([A-Z0-9]+(?:_[A-Z0-9]+)*?)_CONFIG_([A-Z0-9]+(?:_[A-Z0-9]+)*)");

    /** FAT_LOW_HU -> fatLowHu. */
    static String camel(String upperSnake) {
        StringBuilder b = new StringBuilder();
        for (String part : upperSnake.toLowerCase(Locale.ROOT).split("_")) {
            if (part.isEmpty()) {
                continue;
            }
            b.append(b.length() == 0 ? part : Character.toUpperCase(part.charAt(0)) + part.substring(1));
        }
        return b.toString();
    }

    /** A module key's text typed as YAML would type the same scalar: integer, decimal, true/false, else text. */
    static Object yamlScalar(String text) {
        String t = text.trim();
        if (t.matches("[-+]?[0-9]+")) {
            try {
                return Integer.valueOf(t);
            } catch (NumberFormatException e) {
                return Long.valueOf(t);
            }
        }
        if (t.matches("[-+]?([0-9]+\\.[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?")) {
            return Double.valueOf(t);
        }
        if (t.equals("true") || t.equals("false")) {
            return Boolean.valueOf(t);
        }
        return text;
    }

    /**
     * A module's own key from {@code RADFLOW_MODULES_<ID>_CONFIG_<KEY>}: the module id is the one in the file whose
     * name gives that {@code <ID>}, else {@code <ID>} in lower case with {@code -} for {@code _}; the key is the
     * file's key with that name if there is one, else {@code <KEY>} in camel case. Null when the name is not of that
     * form.
     */
    @SuppressWarnings("unchecked")
    private static Target moduleConfig(String name, Map<String, Object> root) {
        java.util.regex.Matcher m = MODULE_CONFIG.matcher(name);
        if (!m.matches()) {
            return null;
        }
        Map<String, Object> modules = root.get("modules") instanceof Map<?, ?> mm ? (Map<String, Object>) mm : Map.of();
        String id = null;
        for (String known : modules.keySet()) {
            if (upperSnake(known).equals(m.group(1)) && modules.get(known) instanceof Map) {
                id = known;
            }
        }
        if (id == null) {
            id = m.group(1).toLowerCase(Locale.ROOT).replace('_', '-');
        }
        String key = camel(m.group(2));
        if (modules.get(id) instanceof Map<?, ?> module && module.get("config") instanceof Map<?, ?> config) {
            for (Object k : config.keySet()) {
                if (upperSnake(String.valueOf(k)).equals(m.group(2))) {
                    key = String.valueOf(k);
                }
            }
        }
        return new Target(List.of("modules", id, "config", key), "modules." + id + ".config." + key, null);
    }

    /** Every variable name the environment may use for this configuration, with what it sets. */
    static Map<String, Target> targets(Map<String, Object> root) {
        Map<String, Target> out = new TreeMap<>();
        Map<String, List<String>> clashes = new TreeMap<>();
        templates().forEach((template, kind) -> {
            if (kind == ConfigNode.Kind.SECTION) {
                return;
            }
            expand(Arrays.asList(template.split("\\.")), 0, root, new ArrayList<>(), "", PREFIX.substring(0, PREFIX.length() - 1),
                    kind, out, clashes);
        });
        if (!clashes.isEmpty()) {
            // two keys with one variable name (e.g. destinations pacs-web and pacs_web): the variable cannot choose
            clashes.forEach((name, keys) -> out.put(name, new Target(null, String.join(" and ", keys), null)));
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static void expand(List<String> segments, int i, Object node, List<Object> path, String key, String env,
                               ConfigNode.Kind kind, Map<String, Target> out, Map<String, List<String>> clashes) {
        if (i == segments.size()) {
            Target previous = out.get(env);
            if (previous != null && !previous.key().equals(key)) {
                clashes.computeIfAbsent(env, e -> new ArrayList<>(List.of(previous.key()))).add(key);
                return;
            }
            out.put(env, new Target(List.copyOf(path), key, kind));
            return;
        }
        String seg = segments.get(i);
        String dot = key.isEmpty() ? "" : ".";
        if (seg.equals("*")) {
            if (node instanceof Map<?, ?> m) {
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (e.getValue() instanceof Map) {
                        String name = String.valueOf(e.getKey());
                        path.add(name);
                        expand(segments, i + 1, e.getValue(), path, key + dot + name, env + "_" + upperSnake(name), kind, out, clashes);
                        path.remove(path.size() - 1);
                    }
                }
            }
        } else if (seg.endsWith("[]")) {
            String name = seg.substring(0, seg.length() - 2);
            Object list = node instanceof Map<?, ?> m ? m.get(name) : null;
            if (list instanceof List<?> l) {
                for (int j = 0; j < l.size(); j++) {
                    if (l.get(j) instanceof Map<?, ?> entry && entry.get("name") != null) {
                        path.add(name);
                        path.add(j);
                        expand(segments, i + 1, entry, path, key + dot + name + "[" + j + "]",
                                env + "_" + upperSnake(name) + "_" + upperSnake(String.valueOf(entry.get("name"))), kind, out, clashes);
                        path.remove(path.size() - 1);
                        path.remove(path.size() - 1);
                    }
                }
            }
        } else {
            path.add(seg);
            Object child = node instanceof Map<?, ?> m ? ((Map<String, Object>) m).get(seg) : null;
            expand(segments, i + 1, child, path, key + dot + seg, env + "_" + upperSnake(seg), kind, out, clashes);
            path.remove(path.size() - 1);
        }
    }

    /**
     * Applies the {@code RADFLOW_*} variables of {@code env} to a mutable copy of {@code root}.
     *
     * @param origins filled with configuration key -> the variable that set it (for error messages)
     */
    static Map<String, Object> apply(Map<String, Object> root, Map<String, String> env, Map<String, String> origins) {
        Map<String, Object> copy = deepCopy(root);
        Set<String> names = new TreeSet<>();
        env.keySet().stream().filter(n -> n.startsWith(PREFIX)).forEach(names::add);
        if (names.isEmpty()) {
            return copy;
        }
        Map<String, Target> targets = targets(copy);
        List<String> unknown = new ArrayList<>();
        for (String name : names) {
            Target t = targets.get(name);
            if (t == null) {
                Target own = moduleConfig(name, copy);
                if (own != null) {
                    set(copy, own, name, env.get(name));
                    origins.put(own.key(), name);
                    continue;
                }
                unknown.add(name);
                continue;
            }
            if (t.path() == null) {
                throw new ConfigException("environment variable " + name + ": it would set both " + t.key() + "; rename one of "
                        + "them in the configuration so that their variable names differ");
            }
            set(copy, t, name, env.get(name));
            origins.put(t.key(), name);
        }
        Set<String> allowed = new TreeSet<>(OTHER_USES);
        addNamed(copy, "store", "passwordEnv", allowed);
        addNamed(copy, "cluster", "secretEnv", allowed);
        for (String name : unknown) {
            if (allowed.contains(name)) {
                continue;
            }
            Set<String> candidates = new TreeSet<>(targets.keySet());
            candidates.addAll(OTHER_USES);
            String suggestion = Suggestions.closest(name, candidates).orElse(null);
            throw new ConfigException("environment variable " + name + " is not a RadFlow setting"
                    + (suggestion == null ? "" : "; did you mean " + suggestion + "?")
                    + " Variables RADFLOW_<KEY_IN_UPPER_SNAKE> set configuration keys (RADFLOW_LISTENER_PORT sets listener.port; "
                    + "entries of destinations, modules and named lists only when they are in the file; a module's own keys as "
                    + "RADFLOW_MODULES_<ID>_CONFIG_<KEY>). Unset it, or see "
                    + "README.md, 'Configuration from the environment'.");
        }
        return copy;
    }

    private static void addNamed(Map<String, Object> root, String section, String key, Set<String> allowed) {
        if (root.get(section) instanceof Map<?, ?> m && m.get(key) != null) {
            allowed.add(String.valueOf(m.get(key)));
        }
    }

    @SuppressWarnings("unchecked")
    private static void set(Map<String, Object> root, Target t, String name, String text) {
        Object value = t.kind() == null ? yamlScalar(text) : switch (t.kind()) {
            case BOOLEAN -> {
                String v = text.trim().toLowerCase(Locale.ROOT);
                if (!v.equals("true") && !v.equals("false")) {
                    throw new ConfigException("environment variable " + name + " (" + t.key() + "): expected true or false, got '" + text + "'");
                }
                yield Boolean.valueOf(v);
            }
            case LIST -> text.isBlank() ? List.of() : Arrays.stream(text.split(",")).map(String::trim).toList();
            default -> text;
        };
        Object node = root;
        List<Object> path = t.path();
        for (int i = 0; i < path.size() - 1; i++) {
            Object seg = path.get(i);
            if (seg instanceof Integer j) {
                node = ((List<Object>) node).get(j);
            } else {
                Map<String, Object> m = (Map<String, Object>) node;
                Object next = m.get((String) seg);
                if (!(next instanceof Map) && !(next instanceof List)) {
                    if (next != null) {
                        throw new ConfigException("environment variable " + name + " sets " + t.key() + ", but '" + seg
                                + "' in the configuration is a single value, not a section");
                    }
                    next = new LinkedHashMap<String, Object>();
                    m.put((String) seg, next);
                }
                node = next;
            }
        }
        ((Map<String, Object>) node).put((String) path.get(path.size() - 1), value);
    }

    @SuppressWarnings("unchecked")
    private static <T> T deepCopy(T value) {
        if (value instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(String.valueOf(k), deepCopy(v)));
            return (T) out;
        }
        if (value instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(v -> out.add(deepCopy(v)));
            return (T) out;
        }
        return value;
    }
}
