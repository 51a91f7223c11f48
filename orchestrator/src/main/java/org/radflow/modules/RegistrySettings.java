package org.radflow.modules;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Where the registry finds modules and keeps their files.
 *
 * @param modulesDir    drop-in modules, one directory per module: {@code <modulesDir>/<name>/*.jar}
 *                      (models in {@code <modulesDir>/<name>/models}); null for built-in modules only
 * @param modelsDir     model files of built-in modules, {@code <modelsDir>/<id>}
 * @param dataDir       the server's data directory; module scratch space goes to {@code <dataDir>/work}
 * @param moduleConfig  each module's configuration scope, {@code modules.<id>} (key to YAML value), by module id
 * @param scanInterval  how often the modules directory is checked for added, replaced and removed
 *                      modules; zero turns the watcher off ({@link ModuleRegistry#rescan()} still works)
 * @param builtInLoader where built-in modules are looked up with ServiceLoader; null for none
 */
public record RegistrySettings(Path modulesDir, Path modelsDir, Path dataDir, Map<String, Map<String, Object>> moduleConfig,
                               Duration scanInterval, ClassLoader builtInLoader) {

    public static final Duration DEFAULT_SCAN_INTERVAL = Duration.ofSeconds(5);

    public RegistrySettings {
        Objects.requireNonNull(dataDir, "dataDir");
        modelsDir = modelsDir != null ? modelsDir : dataDir.resolve("models");
        Map<String, Map<String, Object>> copy = new LinkedHashMap<>();
        (moduleConfig == null ? Map.<String, Map<String, Object>>of() : moduleConfig)
                .forEach((id, scope) -> copy.put(id, scope == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(scope))));
        moduleConfig = Map.copyOf(copy);
        scanInterval = scanInterval == null ? Duration.ZERO : scanInterval;
        if (scanInterval.isNegative()) {
            throw new IllegalArgumentException("scanInterval must not be negative");
        }
    }

    /**
     * Drop-ins from {@code modulesDir} checked every 5 s, built-ins from the server's class path,
     * models of built-ins in {@code <dataDir>/models}, no module configuration.
     */
    public static RegistrySettings of(Path modulesDir, Path dataDir) {
        return new RegistrySettings(modulesDir, null, dataDir, Map.of(), DEFAULT_SCAN_INTERVAL,
                ModuleRegistry.class.getClassLoader());
    }

    public RegistrySettings withModelsDir(Path dir) {
        return new RegistrySettings(modulesDir, dir, dataDir, moduleConfig, scanInterval, builtInLoader);
    }

    public RegistrySettings withModuleConfig(Map<String, Map<String, Object>> config) {
        return new RegistrySettings(modulesDir, modelsDir, dataDir, config, scanInterval, builtInLoader);
    }

    public RegistrySettings withScanInterval(Duration interval) {
        return new RegistrySettings(modulesDir, modelsDir, dataDir, moduleConfig, interval, builtInLoader);
    }

    public RegistrySettings withBuiltInLoader(ClassLoader loader) {
        return new RegistrySettings(modulesDir, modelsDir, dataDir, moduleConfig, scanInterval, loader);
    }

    /** The scope of one module, {@code modules.<id>}; empty when not configured. */
    public Map<String, Object> configOf(String id) {
        return moduleConfig.getOrDefault(id, Map.of());
    }
}
