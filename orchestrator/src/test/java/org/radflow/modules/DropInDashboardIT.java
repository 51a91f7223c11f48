package org.radflow.modules;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.config.RadflowConfig;
import org.radflow.server.RadflowServer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dashboard's Modules page, rendered by Debian's headless {@code chromium} against a real server, shows a loaded
 * drop-in that cannot start as failed with its reason (issue 18): not "enabled" until its first job fails.
 */
class DropInDashboardIT {

    private static final Path CHROMIUM = Path.of(System.getProperty("radflow.chromium", "/usr/bin/chromium"));

    @TempDir
    Path dir;

    @Test
    void theModulesPageShowsWhyALoadedModuleCannotStart() throws Exception {
        assertTrue(Files.isExecutable(CHROMIUM), "this test needs Debian's chromium (" + CHROMIUM + "): run scripts/setup.sh");
        Path modules = dir.resolve("modules");
        TestJars.copyInto(TestJars.build(DropInValidationTest.fatModule(), dir.resolve("build").resolve("fat-0.1.0.jar")),
                modules.resolve("fat"));
        Path cfg = dir.resolve("radflow.yaml");
        Files.writeString(cfg, """
                server: {dataDir: %s}
                listener: {bindAddress: 127.0.0.1, port: 0, minFreeSpaceMb: 0, fsync: false}
                api: {port: 0}
                viewer: {enabled: false}
                modules:
                  dir: %s
                  watch: false
                  fat: {isolation: in-process, config: {fatLowHu: fatty}}
                """.formatted(dir.resolve("data"), modules));
        try (RadflowServer s = new RadflowServer(RadflowConfig.load(cfg), false)) {
            s.start().await(60, TimeUnit.SECONDS);
            int port = s.httpPort();
            awaitLoadError(port);

            Process chromium = new ProcessBuilder(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                    "--user-data-dir=" + dir.resolve("chromium-profile"), "--virtual-time-budget=15000", "--dump-dom",
                    "http://127.0.0.1:" + port + "/ui/#/modules")
                    .redirectError(dir.resolve("chromium.log").toFile()).start();
            String dom = new String(chromium.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(chromium.waitFor(90, TimeUnit.SECONDS), "chromium did not finish");

            int card = dom.indexOf("data-module=\"fat\"");
            assertTrue(card >= 0, "the Modules page lists module fat: " + dom);
            String fat = dom.substring(card, Math.min(dom.length(), dom.indexOf("</article>", card) + 1));
            assertTrue(fat.contains("Cannot start: module fat could not be started: modules.fat.config.fatLowHu must be a whole number,"
                    + " not 'fatty'"), fat);
            assertTrue(fat.contains("failed"), "its badge says failed, not enabled: " + fat);
            assertTrue(fat.contains("0.1.0"), "a loaded module keeps its card (version, actions), with the reason: " + fat);
        }
    }

    private static void awaitLoadError(int port) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String last = "";
        while (System.nanoTime() < end) {
            last = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/modules")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            JsonArray all = last.trim().startsWith("[") ? new JsonArray(last) : new JsonObject(last).getJsonArray("modules");
            if (all.stream().map(o -> (JsonObject) o).anyMatch(m -> "fat".equals(m.getString("id")) && m.getString("version") != null
                    && m.getString("loadError") != null)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("module fat shows no load error: " + last);
    }
}
