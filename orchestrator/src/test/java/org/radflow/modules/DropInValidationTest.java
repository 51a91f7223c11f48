package org.radflow.modules;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.Main;
import org.radflow.config.ConfigException;
import org.radflow.config.RadflowConfig;
import org.radflow.server.RadflowServer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 18, drop-ins validated eagerly, on a real server with a module JAR built here: a hot-dropped module whose
 * configuration it rejects itself shows the reason in GET /api/modules before any job (in the server for in-process
 * modules, from a worker process for worker modules); a configuration reload with a value the module rejects is
 * refused with 400 naming {@code modules.<id>.config.<key>} and the running configuration stays; {@code config check}
 * reads the drop-ins of {@code modules.dir} and checks their keys with types and "did you mean".
 */
class DropInValidationTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    static {
        // Jackson's classes load on the first JSON a server writes; in a fresh test JVM on a busy machine that first
        // class loading alone can pass the event loop's 500 ms limit, which is not what these tests are about
        new JsonObject().put("warm", 1).encode();
    }

    @TempDir
    Path dir;

    /**
     * A CT fat module as the author wrote it: {@code fatLowHu} declared as text (the 0.2 way) and parsed by the
     * module itself in create(); {@code slices} declared as a typed integer the host checks.
     */
    static TestJars.Spec fatModule() {
        return new TestJars.Spec().source("fx.fat.Factory", """
                package fx.fat;

                import org.radflow.api.*;
                import java.util.List;
                import java.util.Map;

                public final class Factory implements AiModuleFactory {
                    public ModuleDescriptor descriptor() {
                        return ModuleDescriptor.builder("fat", "0.1.0", ApiVersion.MAJOR, ApiVersion.MINOR)
                                .displayName("CT fat fraction")
                                .config(ConfigProperty.of("fatLowHu", "Lowest HU counted as fat", "-190"))
                                .config(ConfigProperty.integer("slices", "Slices to read", 8).range(1, 512))
                                .build();
                    }

                    public AiModule create(ModuleContext context) throws ModuleException {
                        int low = context.config().getInt("fatLowHu", -190); // throws for 'fatty', naming the key
                        return new AiModule() {
                            public ModuleResult process(StudyInput input, JobContext job) {
                                return ModuleResult.completed(List.of(), List.of(), "low " + low, Map.of());
                            }
                        };
                    }
                }
                """).factory("fx.fat.Factory");
    }

    private Path fatJar() throws Exception {
        return TestJars.build(fatModule(), dir.resolve("build").resolve("fat-0.1.0.jar"));
    }

    /** Copies the JAR into a hidden folder, then renames the folder into place: how an operator drops a module in. */
    private static void hotDrop(Path jar, Path modules, String name) throws Exception {
        Path staging = modules.resolve(".incoming-" + name);
        TestJars.copyInto(jar, staging);
        Files.move(staging, modules.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }

    private Path writeConfig(Path modules, String moduleYaml) throws Exception {
        Path cfg = dir.resolve("radflow.yaml");
        Files.writeString(cfg, """
                server: {dataDir: %s}
                listener: {bindAddress: 127.0.0.1, port: 0, minFreeSpaceMb: 0, fsync: false}
                api: {port: 0}
                viewer: {enabled: false}
                modules:
                  dir: %s
                %s
                """.formatted(dir.resolve("data"), modules, moduleYaml.indent(2).stripTrailing()));
        return cfg;
    }

    private static HttpResponse<String> call(int port, String method, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Optional<JsonObject> module(int port, String id) throws Exception {
        HttpResponse<String> r = call(port, "GET", "/api/modules");
        assertEquals(200, r.statusCode(), r.body());
        String body = r.body().trim();
        JsonArray all = body.startsWith("[") ? new JsonArray(body) : new JsonObject(body).getJsonArray("modules");
        return all.stream().map(o -> (JsonObject) o).filter(m -> id.equals(m.getString("id"))).findFirst();
    }

    private static JsonObject awaitModule(int port, String id, Predicate<JsonObject> done, String what) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        Optional<JsonObject> last = Optional.empty();
        while (System.nanoTime() < end) {
            last = module(port, id);
            if (last.isPresent() && done.test(last.get())) {
                return last.get();
            }
            Thread.sleep(100);
        }
        throw new AssertionError("timed out waiting for " + what + "; module " + id + ": " + last.map(JsonObject::encode).orElse("absent"));
    }

    private static int jobCount(int port) throws Exception {
        HttpResponse<String> r = call(port, "GET", "/api/jobs?limit=1000");
        assertEquals(200, r.statusCode(), r.body());
        return new JsonObject(r.body()).getJsonArray("jobs").size();
    }

    @Test
    void aHotDroppedInProcessModuleThatRejectsItsConfigurationShowsWhyBeforeAnyJob() throws Exception {
        hotDropWithBadConfig("isolation: in-process", "could not be started");
    }

    @Test
    void aHotDroppedWorkerModuleThatRejectsItsConfigurationShowsWhyBeforeAnyJob() throws Exception {
        hotDropWithBadConfig("heapMb: 256", "could not be started in its worker");
    }

    private void hotDropWithBadConfig(String isolation, String expected) throws Exception {
        Path modules = Files.createDirectories(dir.resolve("modules"));
        Path cfg = writeConfig(modules, "watch: true\nfat: {" + isolation + ", config: {fatLowHu: fatty}}");
        Path jar = fatJar();
        try (RadflowServer s = new RadflowServer(RadflowConfig.load(cfg), false, cfg)) {
            s.start().await(60, TimeUnit.SECONDS);
            int port = s.httpPort();
            assertTrue(module(port, "fat").map(m -> m.getString("version") == null).orElse(true), "not installed yet");

            hotDrop(jar, modules, "fat");
            JsonObject fat = awaitModule(port, "fat", m -> m.getString("version") != null && m.getString("loadError") != null,
                    "the load error of the dropped module");
            assertEquals("failed", fat.getString("status"), fat.encodePrettily());
            assertEquals("0.1.0", fat.getString("version"), "loaded, but it cannot start: " + fat.encodePrettily());
            String error = fat.getString("loadError");
            assertTrue(error.contains(expected), error);
            assertTrue(error.contains("modules.fat.config.fatLowHu"), "names the key where the operator writes it: " + error);
            assertTrue(error.contains("'fatty'"), error);
            assertEquals(0, jobCount(port), "shown before any job");
            assertTrue(Files.isDirectory(modules.resolve("fat").resolve("models")), "RadFlow made the module's models/ folder");

            // the operator fixes the value: the reload tries it, applies it, and the error goes once the module starts
            writeConfig(modules, "watch: true\nfat: {" + isolation + ", config: {fatLowHu: -120}}");
            HttpResponse<String> fixed = call(port, "POST", "/api/config/reload");
            assertEquals(200, fixed.statusCode(), fixed.body());
            int generation = fat.getInteger("generation");
            // in a worker: a worker of the new generation is up (created it); in-process the reload's trial created it
            JsonObject started = awaitModule(port, "fat", m -> m.getInteger("generation") > generation && m.getString("loadError") == null
                    && (m.getJsonObject("workers") == null || "ok".equals(m.getJsonObject("workers").getString("health"))),
                    "the fixed module started");
            assertEquals("enabled", started.getString("status"), started.encode());
        }
    }

    @Test
    void aReloadWithAValueTheModuleRejectsIsRefusedInAWorkerAndInProcess() throws Exception {
        Path modules = Files.createDirectories(dir.resolve("modules"));
        TestJars.copyInto(fatJar(), modules.resolve("fat"));
        for (String isolation : new String[]{"heapMb: 256", "isolation: in-process"}) {
            Path cfg = writeConfig(modules, "watch: false\nfat: {" + isolation + ", config: {fatLowHu: -150}}");
            try (RadflowServer s = new RadflowServer(RadflowConfig.load(cfg), false, cfg)) {
                s.start().await(60, TimeUnit.SECONDS);
                int port = s.httpPort();
                int generation = awaitModule(port, "fat", m -> "enabled".equals(m.getString("status")), "fat enabled").getInteger("generation");

                // a value only the module itself rejects: tried before anything is applied
                writeConfig(modules, "watch: false\nfat: {" + isolation + ", config: {fatLowHu: fatty}}");
                HttpResponse<String> refused = call(port, "POST", "/api/config/reload");
                assertEquals(400, refused.statusCode(), isolation + ": " + refused.body());
                assertTrue(refused.body().contains("modules.fat.config.fatLowHu"), refused.body());
                assertTrue(refused.body().contains("'fatty'"), refused.body());
                assertTrue(refused.body().contains("running configuration is kept"), refused.body());
                JsonObject kept = module(port, "fat").orElseThrow();
                assertEquals(generation, kept.getInteger("generation"), "not loaded again: " + kept.encode());
                assertNull(kept.getString("loadError"), kept.encode());

                // a typed key with a typo: named with "did you mean"
                writeConfig(modules, "watch: false\nfat: {" + isolation + ", config: {fatLowHU: -120}}");
                HttpResponse<String> typo = call(port, "POST", "/api/config/reload");
                assertEquals(400, typo.statusCode(), typo.body());
                assertTrue(typo.body().contains("did you mean 'modules.fat.config.fatLowHu'"), typo.body());

                // a good value applies: the module is loaded again with it
                writeConfig(modules, "watch: false\nfat: {" + isolation + ", config: {fatLowHu: -120}}");
                HttpResponse<String> ok = call(port, "POST", "/api/config/reload");
                assertEquals(200, ok.statusCode(), ok.body());
                assertTrue(new JsonObject(ok.body()).getJsonArray("applied").contains("modules.fat.config"), ok.body());
                JsonObject reloaded = awaitModule(port, "fat", m -> m.getInteger("generation") == generation + 1, "the new generation");
                assertNull(reloaded.getString("loadError"), reloaded.encode());
            }
        }
    }

    @Test
    void configCheckLoadsTheDropInsAndChecksTheirKeys() throws Exception {
        Path modules = Files.createDirectories(dir.resolve("modules"));
        TestJars.copyInto(fatJar(), modules.resolve("fat"));

        Path cfg = writeConfig(modules, "fat: {config: {fatLowH: -120, slices: 4}}");
        ConfigException typo = assertThrows(ConfigException.class, () -> Main.checkConfig(cfg, Map.of()));
        assertTrue(typo.getMessage().contains("unknown key 'modules.fat.config.fatLowH'; did you mean 'modules.fat.config.fatLowHu'?"),
                typo.getMessage());

        writeConfig(modules, "fat: {fatLowHu: -120}");
        ConfigException tooHigh = assertThrows(ConfigException.class, () -> Main.checkConfig(cfg, Map.of()));
        assertTrue(tooHigh.getMessage().contains("unknown key 'modules.fat.fatLowHu'; if 'fatLowHu' is one of the module's own keys,"
                + " it belongs under modules.fat.config (modules.fat.config.fatLowHu)"), tooHigh.getMessage());

        writeConfig(modules, "fat: {config: {slices: many}}");
        ConfigException type = assertThrows(ConfigException.class, () -> Main.checkConfig(cfg, Map.of()));
        assertTrue(type.getMessage().contains("modules.fat.config.slices"), type.getMessage());
        assertTrue(type.getMessage().contains("whole number"), type.getMessage());

        writeConfig(modules, "fat: {config: {fatLowHu: -120, slices: 4}}\nfatt: {enabled: false}");
        String ok = Main.checkConfig(cfg, Map.of());
        assertTrue(ok.contains("module config checked: fat"), ok);
        assertTrue(ok.contains("warning: modules.fatt is configured, but no module 'fatt'"), ok);
        assertTrue(ok.contains("did you mean 'modules.fat'?"), ok);
        assertFalse(Files.exists(modules.resolve("fat").resolve("models")), "a check writes nothing into the modules directory");
        assertFalse(Files.exists(dir.resolve("data")), "nor into the data directory");
    }
}
