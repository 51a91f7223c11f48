package org.radflow.e2e;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.StructuredReport;
import com.pixelmed.dicom.TagFromName;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.config.RadflowConfig;
import org.radflow.server.RadflowServer;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;
import org.radflow.testkit.Dcmtk;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's module walkthrough, as an author outside this repository meets it: docs/examples/module-template is
 * built by Maven OFFLINE against this build's module-api and module test kit (its test runs the module on a synthetic
 * MR and previews the report), the drop-in folder it leaves (JAR + models/) goes into modules.dir of a running
 * server, a series is sent, and the job SUCCEEDS with the template's findings and an SR: the same SR, UID for UID,
 * as the offline preview made.
 *
 * <p>`mvn verify` installs nothing before the ITs run, so this test makes its own local repository: this build's
 * RadFlow artifacts copied from the reactor's target/ folders, every other artifact seen through symbolic links into
 * the Maven local repository the build uses (read only; a stale RadFlow artifact there is never seen).
 */
class ModuleWalkthroughIT {

    static final String MODULE = "template-brightness";
    static final String COMPREHENSIVE_SR = "1.2.840.10008.5.1.4.1.1.88.33";

    @TempDir
    Path dir;

    /** The links into the shared local repository go before JUnit empties the temporary folder. */
    @AfterEach
    void unlinkRepository() throws IOException {
        for (Path folder : List.of(dir.resolve("repository"), dir.resolve("repository/org"))) {
            if (Files.isDirectory(folder)) {
                try (Stream<Path> entries = Files.list(folder)) {
                    for (Path p : entries.filter(Files::isSymbolicLink).toList()) {
                        Files.delete(p);
                    }
                }
            }
        }
    }

    @Test
    void theTemplateBuildsWithMavenOfflineAndItsJobSucceedsWhenDroppedIn() throws Exception {
        Path root = Path.of(System.getProperty("radflow.sourceRoot", "..")).toAbsolutePath().normalize();
        Path repository = seedRepository(root, dir.resolve("repository"));
        Path project = dir.resolve("template");
        copyTree(root.resolve("docs/examples/module-template"), project);

        String log = mvn(project, repository, "package");
        Path dropIn = project.resolve("target/dropin").resolve(MODULE);
        Path jar = dropIn.resolve(MODULE + "-0.1.0.jar");
        assertTrue(Files.isRegularFile(jar), "no " + jar + " after the build:\n" + log);
        assertTrue(log.contains("Tests run: 2, Failures: 0, Errors: 0, Skipped: 0"), "the template's tests ran:\n" + log);
        Path previewSr = project.resolve("target/radflow-preview/sr.dcm");
        assertTrue(Files.isRegularFile(previewSr) && Files.isRegularFile(previewSr.resolveSibling("page.png")),
                "the test's report preview is missing:\n" + log);

        Path modules = Files.createDirectories(dir.resolve("modules"));
        Path cfg = dir.resolve("radflow.yaml");
        Files.writeString(cfg, """
                server: {dataDir: %s}
                listener: {bindAddress: 127.0.0.1, port: 0, minFreeSpaceMb: 0, fsync: false}
                api: {port: 0}
                viewer: {enabled: false}
                tracking: {seriesQuietSeconds: 1, studyQuietSeconds: 2}
                modules: {dir: %s, watch: true}
                rules:
                  - {name: mr-brightness, module: %s, match: {Modality: MR}}
                """.formatted(dir.resolve("data"), modules, MODULE));
        try (RadflowServer s = new RadflowServer(RadflowConfig.load(cfg), false)) {
            s.start().await(60, TimeUnit.SECONDS);
            // dropped in while the server runs, as an operator would: the model first, then the JAR that triggers loading
            Path folder = Files.createDirectories(modules.resolve(MODULE));
            copyTree(dropIn.resolve("models"), folder.resolve("models"));
            // under another name first, then renamed: the watcher never sees half a JAR
            Path part = Files.copy(jar, folder.resolve(jar.getFileName() + ".part"));
            Files.move(part, folder.resolve(jar.getFileName()), StandardCopyOption.ATOMIC_MOVE);
            JsonObject module = awaitModule(s.httpPort(), 60_000);
            assertNull(module.getValue("loadError"), module.encode());

            // the same synthetic MR the template's test previewed (seed 1): same inputs, same output UIDs
            List<Path> mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withSeed(1)).files();
            Dcmtk.storescu().host("127.0.0.1").port(s.dicomPort()).calledAe("RADFLOW").files(mr).run().assertOk();
            List<JsonObject> jobs = Api.awaitJobs(s.httpPort(), "&module=" + MODULE,
                    l -> l.size() == 1 && Api.allTerminal(l), 90_000);
            assertEquals("SUCCEEDED", jobs.get(0).getString("state"), jobs.get(0).encode());

            JsonObject job = Api.get(s.httpPort(), "/api/jobs/" + jobs.get(0).getString("id"));
            JsonObject outputs = job.getJsonObject("outputs");
            assertTrue(outputs.getString("summary").startsWith("Mean intensity"), job.encode());
            Path sr = outputs.getJsonArray("objects").stream().map(o -> (JsonObject) o)
                    .filter(o -> COMPREHENSIVE_SR.equals(o.getString("sopClassUid"))).map(o -> Path.of(o.getString("file")))
                    .findFirst().orElseThrow(() -> new AssertionError("no SR among the job's outputs: " + job.encode()));
            AttributeList server = read(sr);
            assertTrue(new StructuredReport(server).toString().contains("Overall brightness"), "the template's finding in the SR");
            AttributeList preview = read(previewSr);
            assertEquals(Attribute.getSingleStringValueOrEmptyString(preview, TagFromName.SOPInstanceUID),
                    Attribute.getSingleStringValueOrEmptyString(server, TagFromName.SOPInstanceUID),
                    "the offline preview and the server make the same SR for the same series");
        }
    }

    /** The module's entry in /api/modules once it is enabled; fails with the last entry seen (e.g. its load error). */
    private static JsonObject awaitModule(int port, long millis) throws Exception {
        long end = System.currentTimeMillis() + millis;
        Optional<JsonObject> seen = Optional.empty();
        while (System.currentTimeMillis() < end) {
            seen = Api.getArray(port, "/api/modules").stream().filter(m -> MODULE.equals(m.getString("id"))).findFirst();
            if (seen.isPresent() && "enabled".equals(seen.get().getString("status"))) {
                return seen.get();
            }
            Thread.sleep(300);
        }
        throw new AssertionError("module " + MODULE + " was not enabled within " + millis + " ms; last seen: "
                + seen.map(JsonObject::encode).orElse("not listed"));
    }

    /**
     * Runs Maven offline on the project with its own local repository; returns the output, failing with it when the
     * build fails.
     */
    private static String mvn(Path project, Path repository, String... goals) throws Exception {
        String home = System.getProperty("radflow.maven.home", "");
        String mvn = home.isEmpty() ? "mvn" : Path.of(home, "bin", "mvn").toString();
        List<String> command = new ArrayList<>(List.of(mvn, "-B", "-o", "-Dmaven.repo.local=" + repository));
        command.addAll(List.of(goals));
        Path out = project.resolve("build.log");
        Process p = new ProcessBuilder(command).directory(project.toFile()).redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        if (!p.waitFor(4, TimeUnit.MINUTES)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("the template's Maven build took over 4 minutes:\n" + Files.readString(out));
        }
        String log = Files.readString(out);
        assertEquals(0, p.exitValue(), "the template's Maven build failed: " + command + "\n" + log);
        return log;
    }

    /**
     * A local repository for the offline build: this build's RadFlow artifacts (root POM, and each reactor module's POM
     * and packaged JAR with its sources/javadoc JARs) copied in, everything else linked from the build's own local
     * repository.
     */
    static Path seedRepository(Path root, Path repository) throws IOException {
        Path m2 = Path.of(System.getProperty("radflow.m2.repository",
                Path.of(System.getProperty("user.home"), ".m2", "repository").toString()));
        Files.createDirectories(repository.resolve("org"));
        try (Stream<Path> top = Files.list(m2)) {
            for (Path p : top.toList()) {
                if (!p.getFileName().toString().equals("org")) {
                    Files.createSymbolicLink(repository.resolve(p.getFileName().toString()), p);
                }
            }
        }
        try (Stream<Path> org = Files.list(m2.resolve("org"))) {
            for (Path p : org.toList()) {
                if (!p.getFileName().toString().equals("radflow")) {
                    Files.createSymbolicLink(repository.resolve("org").resolve(p.getFileName().toString()), p);
                }
            }
        }
        String rootPom = Files.readString(root.resolve("pom.xml"));
        String version = firstTag(rootPom.substring(rootPom.indexOf("</groupId>")), "version");
        install(repository, "radflow-parent", version, root.resolve("pom.xml"), null, List.of());
        Matcher modules = Pattern.compile("<module>([^<]+)</module>").matcher(rootPom);
        while (modules.find()) {
            Path module = root.resolve(modules.group(1));
            String pom = Files.readString(module.resolve("pom.xml"));
            String artifactId = firstTag(pom.substring(pom.indexOf("</parent>")), "artifactId");
            List<Path> jars = new ArrayList<>();
            List<Path> attached = new ArrayList<>();
            Path target = module.resolve("target");
            if (Files.isDirectory(target)) {
                try (Stream<Path> files = Files.list(target)) {
                    for (Path f : files.filter(f -> f.toString().endsWith(".jar")).sorted().toList()) {
                        String name = f.getFileName().toString();
                        if (name.endsWith("-sources.jar") || name.endsWith("-javadoc.jar")) {
                            attached.add(f);
                        } else if (!name.endsWith("-tests.jar")) {
                            jars.add(f);
                        }
                    }
                }
            }
            if (jars.size() == 1) { // not packaged by this build (or a POM-only module): not offered to the template
                install(repository, artifactId, version, module.resolve("pom.xml"), jars.get(0), attached);
            }
        }
        for (String published : List.of("radflow-module-api", "radflow-module-testkit")) {
            Path folder = repository.resolve("org/radflow").resolve(published).resolve(version);
            for (String kind : List.of("", "-sources", "-javadoc")) {
                Path jar = folder.resolve(published + "-" + version + kind + ".jar");
                assertTrue(Files.isRegularFile(jar), jar.getFileName() + " was not built (run the build to 'package' first)");
            }
        }
        return repository;
    }

    private static void install(Path repository, String artifactId, String version, Path pom, Path jar, List<Path> attached)
            throws IOException {
        Path folder = Files.createDirectories(repository.resolve("org/radflow").resolve(artifactId).resolve(version));
        String base = artifactId + "-" + version;
        Files.copy(pom, folder.resolve(base + ".pom"), StandardCopyOption.REPLACE_EXISTING);
        if (jar != null) {
            Files.copy(jar, folder.resolve(base + ".jar"), StandardCopyOption.REPLACE_EXISTING);
        }
        for (Path a : attached) {
            String name = a.getFileName().toString();
            String classifier = name.substring(name.lastIndexOf('-'));
            Files.copy(a, folder.resolve(base + classifier), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static String firstTag(String xml, String tag) {
        Matcher m = Pattern.compile("<" + tag + ">([^<]+)</" + tag + ">").matcher(xml);
        if (!m.find()) {
            throw new IllegalStateException("no <" + tag + "> in the POM");
        }
        return m.group(1).trim();
    }

    private static AttributeList read(Path file) throws Exception {
        AttributeList list = new AttributeList();
        list.read(file.toString());
        return list;
    }

    /** Copies a folder, leaving out build output (target/). */
    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path rel = from.relativize(f);
                if (rel.toString().equals("target") || rel.startsWith("target")) {
                    continue;
                }
                Path dest = to.resolve(rel.toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(f, dest, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
