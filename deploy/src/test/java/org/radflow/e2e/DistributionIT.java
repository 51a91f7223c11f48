package org.radflow.e2e;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The assembled distribution (target/radflow, what a site installs or a container image copies) as a hospital's IT
 * team checks it: the licence, the third-party notices and a CycloneDX SBOM of every library in lib/ are there, the
 * jars say their version, and the launcher prints the build's version.
 */
class DistributionIT {

    static final Path DIST = Path.of("target", "radflow");

    /** The project's version, as the build passed it to the tests (failsafe systemPropertyVariables). */
    static String pomVersion() {
        String v = System.getProperty("radflow.version");
        assertNotNull(v, "radflow.version is not set: run through Maven (deploy/pom.xml passes ${project.version})");
        return v;
    }

    @Test
    void theDistributionCarriesItsLicenceNoticesAndSbom() throws Exception {
        String licence = Files.readString(DIST.resolve("LICENSE"));
        assertTrue(licence.contains("Apache License") && licence.contains("Version 2.0, January 2004"), "LICENSE is the Apache-2.0 text");
        assertTrue(licence.contains("END OF TERMS AND CONDITIONS"), "the full licence text, not a pointer to it");
        String notice = Files.readString(DIST.resolve("NOTICE"));
        for (String party : List.of("PixelMed", "David A. Clunie", "ONNX Runtime", "TensorFlow", "Vert.x", "Hazelcast", "H2",
                "PostgreSQL", "Flyway", "OHIF", "Noto", "COVID-Net")) {
            assertTrue(notice.contains(party), "NOTICE names " + party);
        }

        JsonObject sbom = new JsonObject(Files.readString(DIST.resolve("radflow-sbom.json")));
        assertEquals("CycloneDX", sbom.getString("bomFormat"));
        assertEquals(pomVersion(), sbom.getJsonObject("metadata").getJsonObject("component").getString("version"));
        JsonArray components = sbom.getJsonArray("components");
        Set<String> inSbom = new HashSet<>();
        for (int i = 0; i < components.size(); i++) {
            JsonObject c = components.getJsonObject(i);
            inSbom.add(c.getString("name") + "-" + c.getString("version") + ".jar");
        }
        // every jar in lib/ is in the SBOM (TensorFlow's native jar carries a classifier, hence the prefix match)
        List<String> missing;
        try (Stream<Path> lib = Files.list(DIST.resolve("lib"))) {
            missing = lib.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jar"))
                    .filter(n -> inSbom.stream().noneMatch(s -> n.equals(s) || n.startsWith(s.substring(0, s.length() - 4) + "-")))
                    .sorted().collect(Collectors.toList());
        }
        assertTrue(missing.isEmpty(), "jars in lib/ missing from radflow-sbom.json: " + missing);
        assertTrue(inSbom.stream().anyMatch(n -> n.startsWith("radflow-orchestrator-")), inSbom.toString());
        assertFalse(inSbom.stream().anyMatch(n -> n.startsWith("junit-") || n.startsWith("selenium-")),
                "test libraries are not part of the product: " + inSbom);
        String xml = Files.readString(DIST.resolve("radflow-sbom.xml"));
        assertTrue(xml.contains("cyclonedx.org/schema/bom") && xml.contains("<name>vertx-core</name>"), "the XML SBOM too");
    }

    @Test
    void jarsCarryTheirVersionAndTheLauncherPrintsIt() throws Exception {
        File server;
        try (Stream<Path> lib = Files.list(DIST.resolve("lib"))) {
            server = lib.filter(p -> p.getFileName().toString().startsWith("radflow-orchestrator")).findFirst().orElseThrow().toFile();
        }
        try (JarFile jar = new JarFile(server)) {
            var main = jar.getManifest().getMainAttributes();
            assertEquals(pomVersion(), main.getValue("Implementation-Version"));
            assertEquals("RadFlow server", main.getValue("Implementation-Title"));
        }

        Path launcher = DIST.resolve("bin").resolve("radflow");
        assertTrue(Files.isExecutable(launcher), "bin/radflow is executable in the distribution");
        Process p = new ProcessBuilder(launcher.toString(), "version").redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "bin/radflow version answers");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, p.exitValue(), out);
        assertEquals("RadFlow " + pomVersion(), out.lines().reduce((a, b) -> b).orElse(""), out);
    }
}
