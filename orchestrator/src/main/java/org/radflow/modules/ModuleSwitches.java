package org.radflow.modules;

import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * Operators' enable/disable switches for modules (through the API). They take precedence over
 * {@code modules.<id>.enabled} and survive a restart: they are kept in a small JSON file, written to a
 * temporary name and renamed. Deleting the file returns every module to its configured state. A module RadFlow
 * switched off itself (its workers kept dying) keeps the reason, also across a restart, until a switch replaces it.
 */
public final class ModuleSwitches {

    private static final Logger LOG = LoggerFactory.getLogger(ModuleSwitches.class);

    private final Path file;
    private final Predicate<String> configured;
    private final Map<String, Boolean> overrides = new TreeMap<>();
    private final Map<String, String> pausedReasons = new TreeMap<>();

    /**
     * @param configured whether the configuration enables a module (read at each call: it can be reloaded)
     */
    public ModuleSwitches(Path file, Predicate<String> configured) {
        this.file = file;
        this.configured = configured;
        if (Files.isRegularFile(file)) {
            try {
                JsonObject saved = new JsonObject(Files.readString(file));
                if (saved.getValue("switches") instanceof JsonObject) { // since pauses are kept: {switches: {}, paused: {}}
                    saved.getJsonObject("switches").forEach(e -> overrides.put(e.getKey(), Boolean.TRUE.equals(e.getValue())));
                    JsonObject paused = saved.getJsonObject("paused", new JsonObject());
                    paused.forEach(e -> pausedReasons.put(e.getKey(), String.valueOf(e.getValue())));
                } else {
                    saved.forEach(e -> overrides.put(e.getKey(), Boolean.TRUE.equals(e.getValue())));
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("Cannot read the module switches in {} ({}); using the configuration's enabled flags", file, e.toString());
            }
        }
    }

    public synchronized boolean enabled(String moduleId) {
        Boolean o = overrides.get(moduleId);
        return o != null ? o : configured.test(moduleId);
    }

    /** The operator's switch for this module, or null when the configuration decides. */
    public synchronized Boolean override(String moduleId) {
        return overrides.get(moduleId);
    }

    /** An operator's switch: it replaces a pause and its reason. */
    public synchronized void set(String moduleId, boolean on) throws IOException {
        overrides.put(moduleId, on);
        pausedReasons.remove(moduleId);
        save();
    }

    /** RadFlow switches the module off itself, for this reason. */
    public synchronized void pause(String moduleId, String reason) throws IOException {
        overrides.put(moduleId, false);
        pausedReasons.put(moduleId, reason);
        save();
    }

    /** Why RadFlow switched this module off, or null (on, or switched by an operator or the configuration). */
    public synchronized String pausedReason(String moduleId) {
        return pausedReasons.get(moduleId);
    }

    private void save() throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        JsonObject saved = new JsonObject().put("switches", new JsonObject(Map.copyOf(overrides)))
                .put("paused", new JsonObject(Map.copyOf(pausedReasons)));
        Files.writeString(tmp, saved.encodePrettily(), StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
