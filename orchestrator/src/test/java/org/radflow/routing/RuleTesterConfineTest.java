package org.radflow.routing;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.config.RadflowConfig;
import org.radflow.server.RadflowServer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The rule tester behind the API reads received studies only: paths outside the spool's incoming folder, ".." out of
 * it and symbolic links out of it are refused (403 over HTTP, with the folder allowed named); paths inside are read.
 */
class RuleTesterConfineTest {

    @TempDir
    Path dir;

    private Path incoming() throws Exception {
        Path in = dir.resolve("spool").resolve("incoming");
        Files.createDirectories(in.resolve("1.2.3").resolve("1.2.3.4"));
        Files.write(in.resolve("1.2.3").resolve("1.2.3.4").resolve("1.2.3.4.5.dcm"), new byte[200]);
        return in;
    }

    @Test
    void insideIsReadOutsideDotDotAndSymlinksAreRefused() throws Exception {
        Path in = incoming();
        Path secret = Files.createDirectories(dir.resolve("secret"));
        Files.writeString(secret.resolve("key.txt"), "x");
        Files.createSymbolicLink(in.resolve("link-out"), secret);

        assertEquals(List.of(in.resolve("1.2.3").toRealPath()), RuleTester.confine(List.of(in.resolve("1.2.3").toString()), List.of(in)));
        assertEquals(List.of(in.resolve("1.2.3").toRealPath()), RuleTester.confine(List.of("1.2.3"), List.of(in)),
                "a relative path is taken inside the spool");

        RuleTester.Refused root = assertThrows(RuleTester.Refused.class, () -> RuleTester.confine(List.of("/root"), List.of(in)));
        assertFalse(root.missing());
        assertTrue(root.getMessage().contains("reads received studies only, under [" + in.toAbsolutePath().normalize() + "]"),
                root.getMessage());
        assertFalse(assertThrows(RuleTester.Refused.class, () -> RuleTester.confine(
                List.of(in.resolve("1.2.3").resolve("..").resolve("..").resolve("..").resolve("secret").toString()), List.of(in))).missing());
        assertFalse(assertThrows(RuleTester.Refused.class, () -> RuleTester.confine(List.of("../../secret"), List.of(in))).missing());
        RuleTester.Refused link = assertThrows(RuleTester.Refused.class, () -> RuleTester.confine(List.of("link-out"), List.of(in)));
        assertTrue(link.getMessage().contains("symbolic link"), link.getMessage());
        assertTrue(assertThrows(RuleTester.Refused.class, () -> RuleTester.confine(List.of("9.9.9"), List.of(in))).missing());
    }

    @Test
    void theApiAnswers403OutsideTheSpoolAndReadsInsideIt() throws Exception {
        Path config = dir.resolve("radflow.yaml");
        Path data = dir.resolve("data");
        Files.writeString(config, """
                server: {dataDir: %s}
                listener: {bindAddress: 127.0.0.1, port: 0, minFreeSpaceMb: 0, fsync: false, spoolDir: %s}
                api: {port: 0}
                """.formatted(data, dir.resolve("spool")));
        Path in = incoming();
        Files.createSymbolicLink(in.resolve("etc"), Path.of("/etc"));
        try (RadflowServer s = new RadflowServer(RadflowConfig.load(config), false, config)) {
            s.start().await(60, TimeUnit.SECONDS);
            HttpClient http = HttpClient.newHttpClient();
            for (String path : new String[] {"/root", "/etc", in + "/../../secret", "etc"}) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.httpPort()
                        + "/api/rules/test")).POST(HttpRequest.BodyPublishers.ofString(new JsonObject()
                        .put("paths", List.of(path)).encode())).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(403, r.statusCode(), path + ": " + r.body());
                assertTrue(new JsonObject(r.body()).getString("error").contains("received studies only"), r.body());
            }
            HttpResponse<String> ok = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.httpPort()
                    + "/api/rules/test")).POST(HttpRequest.BodyPublishers.ofString("{\"paths\": [\"1.2.3\"]}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ok.statusCode(), ok.body());
            assertTrue(ok.body().contains("not a DICOM file"), "the file inside was read: " + ok.body());
        }
    }

    @Test
    void configuredRuleTesterFoldersAreReadableAndNothingElse() throws Exception {
        Path samples = Files.createDirectories(dir.resolve("samples").resolve("chest"));
        Files.write(samples.resolve("a.dcm"), new byte[300]);
        Path other = Files.createDirectories(dir.resolve("other"));
        Path config = dir.resolve("radflow.yaml");
        Files.writeString(config, """
                server: {dataDir: %s}
                listener: {bindAddress: 127.0.0.1, port: 0, minFreeSpaceMb: 0, fsync: false, spoolDir: %s}
                api: {port: 0, ruleTesterFolders: [%s]}
                """.formatted(dir.resolve("data"), dir.resolve("spool"), dir.resolve("samples")));
        incoming();
        try (RadflowServer s = new RadflowServer(RadflowConfig.load(config), false, config)) {
            s.start().await(60, TimeUnit.SECONDS);
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> ok = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.httpPort()
                    + "/api/rules/test")).POST(HttpRequest.BodyPublishers.ofString(new JsonObject()
                    .put("paths", List.of(samples.toString())).encode())).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ok.statusCode(), ok.body());
            assertTrue(ok.body().contains("a.dcm"), "the configured folder was read: " + ok.body());
            HttpResponse<String> no = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.httpPort()
                    + "/api/rules/test")).POST(HttpRequest.BodyPublishers.ofString(new JsonObject()
                    .put("paths", List.of(other.toString())).encode())).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(403, no.statusCode(), no.body());
            assertTrue(no.body().contains("api.ruleTesterFolders") && no.body().contains(dir.resolve("samples").toString()), no.body());
        }
        for (String bad : List.of("[relative/samples]", "[/]")) {
            Files.writeString(config, "server: {dataDir: " + dir.resolve("data") + "}\napi: {ruleTesterFolders: " + bad + "}\n");
            org.radflow.config.ConfigException e = assertThrows(org.radflow.config.ConfigException.class, () -> RadflowConfig.load(config));
            assertTrue(e.getMessage().contains("api.ruleTesterFolders"), e.getMessage());
        }
    }
}
