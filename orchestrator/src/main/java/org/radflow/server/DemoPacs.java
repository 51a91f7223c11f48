package org.radflow.server;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The demo's PACS: a real Orthanc (Debian's {@code orthanc}) started on free loopback ports with RadFlow's
 * auto-routing Lua script ({@code deploy/orthanc/autorouting.lua}), so {@code make run} shows the flow a site
 * has: modality -> PACS -> RadFlow -> results back in the PACS. Its storage lives under the demo's data
 * directory; {@link #close()} stops it.
 */
public final class DemoPacs implements AutoCloseable {

    public static final String AE_TITLE = "DEMO_PACS";
    static final String DICOMWEB_PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so";
    private static final String LUA_RESOURCE = "/org/radflow/demo/autorouting.lua";

    private final Process process;
    private final int dicomPort;
    private final int httpPort;
    private final boolean dicomWeb;
    private final Path log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private DemoPacs(Process process, int dicomPort, int httpPort, boolean dicomWeb, Path log) {
        this.process = process;
        this.dicomPort = dicomPort;
        this.httpPort = httpPort;
        this.dicomWeb = dicomWeb;
        this.log = log;
    }

    /** The Orthanc executable, if installed. */
    public static Optional<Path> executable() {
        for (String p : List.of("/usr/sbin/Orthanc", "/usr/bin/Orthanc", "/usr/local/bin/Orthanc", "/usr/local/sbin/Orthanc")) {
            Path path = Path.of(p);
            if (Files.isExecutable(path)) {
                return Optional.of(path);
            }
        }
        return Optional.empty();
    }

    /**
     * Starts Orthanc in {@code dir} (storage, configuration, log), knowing RadFlow's listener as modality
     * {@code RADFLOW}, and waits until its REST API answers.
     */
    public static DemoPacs start(Path orthanc, Path dir, String radflowAe, int radflowPort) throws IOException {
        Files.createDirectories(dir.resolve("storage"));
        Path lua = dir.resolve("autorouting.lua");
        try (InputStream in = DemoPacs.class.getResourceAsStream(LUA_RESOURCE)) {
            if (in == null) {
                throw new IOException(LUA_RESOURCE + " is missing from the server JAR");
            }
            Files.copy(in, lua, StandardCopyOption.REPLACE_EXISTING);
        }
        int dicomPort = freePort();
        int httpPort = freePort();
        boolean dicomWeb = Files.isRegularFile(Path.of(DICOMWEB_PLUGIN));
        JsonObject config = new JsonObject()
                .put("Name", "RadFlow demo PACS")
                .put("HttpServerEnabled", true)
                .put("HttpPort", httpPort)
                .put("RemoteAccessAllowed", false) // only this machine may use its HTTP API
                .put("AuthenticationEnabled", false)
                .put("KeepAlive", true)
                .put("TcpNoDelay", true)
                .put("DicomServerEnabled", true)
                .put("DicomAet", AE_TITLE)
                .put("DicomPort", dicomPort)
                .put("DicomCheckCalledAet", true)
                .put("DicomAlwaysAllowStore", true)
                .put("DicomAlwaysAllowEcho", true)
                .put("DicomCheckModalityHost", false)
                .put("DicomScuTimeout", 10)
                .put("DicomAssociationCloseDelay", 0)
                .put("StorageDirectory", dir.resolve("storage").toString())
                .put("IndexDirectory", dir.resolve("storage").toString())
                .put("StableAge", 2)
                .put("SaveJobs", false)
                .put("DicomModalitiesInDatabase", false)
                .put("DicomModalities", new JsonObject().put("RADFLOW",
                        new JsonObject().put("AET", radflowAe).put("Host", "127.0.0.1").put("Port", radflowPort)))
                .put("LuaScripts", new JsonArray().add(lua.toString()))
                .put("Plugins", dicomWeb ? new JsonArray().add(DICOMWEB_PLUGIN) : new JsonArray());
        if (dicomWeb) {
            config.put("DicomWeb", new JsonObject().put("Enable", true).put("Root", "/dicom-web/")
                    .put("EnableWado", true).put("Ssl", false));
        }
        Path json = dir.resolve("orthanc.json");
        Files.writeString(json, config.encodePrettily());
        Path log = dir.resolve("orthanc.log");
        ProcessBuilder pb = new ProcessBuilder(orthanc.toString(), json.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
        pb.environment().put("TCP_NODELAY", "1"); // DCMTK inside Orthanc: without it every C-STORE stalls (PITFALLS)
        Process process = pb.start();
        DemoPacs pacs = new DemoPacs(process, dicomPort, httpPort, dicomWeb, log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("Orthanc stopped at start (exit " + process.exitValue() + "); see " + log);
            }
            try {
                if (pacs.get("/system").isPresent()) {
                    return pacs;
                }
            } catch (IOException e) {
                // not listening yet
            }
            sleep(200);
        }
        pacs.close();
        throw new IOException("Orthanc did not answer within 30 s; see " + log);
    }

    public int dicomPort() {
        return dicomPort;
    }

    public int httpPort() {
        return httpPort;
    }

    public String explorerUrl() {
        return "http://127.0.0.1:" + httpPort + "/app/explorer.html";
    }

    /** Orthanc's DICOMweb root, or empty without the plugin. */
    public Optional<String> dicomWebUrl() {
        return dicomWeb ? Optional.of("http://127.0.0.1:" + httpPort + "/dicom-web") : Optional.empty();
    }

    public Path log() {
        return log;
    }

    /** Orthanc's own id of a study (its REST resources are named by these), if it has the study. */
    public Optional<String> studyId(String studyInstanceUid) throws IOException {
        HttpRequest req = HttpRequest.newBuilder(uri("/tools/lookup"))
                .POST(HttpRequest.BodyPublishers.ofString(studyInstanceUid)).timeout(Duration.ofSeconds(10)).build();
        String body = send(req);
        if (body == null) {
            return Optional.empty();
        }
        for (Object o : new JsonArray(body)) {
            JsonObject r = (JsonObject) o;
            if ("Study".equals(r.getString("Type"))) {
                return Optional.of(r.getString("ID"));
            }
        }
        return Optional.empty();
    }

    /** The series of a study as (Modality, SeriesDescription, instance count). */
    public List<SeriesInfo> series(String studyInstanceUid) throws IOException {
        List<SeriesInfo> out = new ArrayList<>();
        Optional<String> id = studyId(studyInstanceUid);
        if (id.isEmpty()) {
            return out;
        }
        Optional<String> body = get("/studies/" + id.get() + "/series");
        if (body.isEmpty()) {
            return out;
        }
        for (Object o : new JsonArray(body.get())) {
            JsonObject s = (JsonObject) o;
            JsonObject tags = s.getJsonObject("MainDicomTags", new JsonObject());
            out.add(new SeriesInfo(tags.getString("Modality", ""), tags.getString("SeriesDescription", ""),
                    s.getJsonArray("Instances", new JsonArray()).size()));
        }
        return out;
    }

    public record SeriesInfo(String modality, String description, int instances) {
    }

    private Optional<String> get(String path) throws IOException {
        return Optional.ofNullable(send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10)).GET().build()));
    }

    private String send(HttpRequest req) throws IOException {
        try {
            HttpResponse<String> r;
            try {
                r = http.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            } catch (IOException first) {
                // Orthanc may close a kept-alive connection just as it is reused ("header parser received no bytes",
                // seen in DemoIT): a read-only request (a GET, or the lookup POST) is sent once more, on a new connection
                boolean readOnly = "GET".equals(req.method()) || req.uri().getPath().startsWith("/tools/lookup");
                if (!readOnly || !process.isAlive()) {
                    throw first;
                }
                r = http.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            }
            return r.statusCode() == 200 ? r.body() : null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + httpPort + path);
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
