package org.radflow.testkit;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A real Orthanc (the Debian {@code /usr/sbin/Orthanc} 1.10 binary with the DICOMweb plugin) on free
 * loopback ports, with its own temporary storage, for tests, benchmarks and demos.
 *
 * <p>As a JUnit 5 extension:
 * <pre>{@code
 * @RegisterExtension
 * static OrthancServer orthanc = new OrthancServer().withModality("RADFLOW", "RADFLOW", "127.0.0.1", port);
 * }</pre>
 * A static field starts one Orthanc for the test class (BeforeAll/AfterAll); an instance field starts
 * a fresh one for every test method (BeforeEach/AfterEach). Programmatically: {@link #start()},
 * {@link #stop()} or try-with-resources.
 *
 * <p><b>Network exposure.</b> Orthanc 1.10 has no bind-address option: its HTTP and DICOM servers
 * listen on all interfaces. {@code "RemoteAccessAllowed": false} makes the HTTP server refuse every
 * client that is not on loopback. The DICOM port accepts C-ECHO and C-STORE from any host while
 * the test runs ({@code DicomAlwaysAllowStore}); it accepts no C-FIND/C-MOVE/C-GET. Ports are
 * ephemeral and the server lives only for the test.
 *
 * <p><b>Logs.</b> Orthanc's output (preceded by the generated configuration) goes to
 * {@code target/orthanc-logs/<TestClass>[-<method>].log} of the module whose tests run (or
 * {@link #withLogDirectory(Path)}), and is kept after the server stops.
 *
 * <p>Every process is started with {@code TCP_NODELAY=1} (see PITFALLS.md) and
 * {@code "TcpNoDelay": true} for HTTP.
 */
public class OrthancServer implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
        AfterEachCallback, AutoCloseable {

    /** The Orthanc binary, overridable with {@code -Dradflow.orthanc.binary=...}. */
    public static final String DEFAULT_BINARY = "/usr/sbin/Orthanc";
    /** The DICOMweb plugin of Debian's {@code orthanc-dicomweb}, overridable with {@code -Dradflow.orthanc.dicomweb=...}. */
    public static final String DEFAULT_DICOMWEB_PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so";

    private static final Logger LOG = LoggerFactory.getLogger(OrthancServer.class);
    private static final Map<String, Integer> LOG_NAMES = new HashMap<>();
    private static final int START_ATTEMPTS = 3;

    /** A DICOM peer that Orthanc knows (its "DicomModalities" entry). */
    public record Modality(String id, String aeTitle, String host, int port) {
        public Modality {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(aeTitle, "aeTitle");
            Objects.requireNonNull(host, "host");
        }

        JsonObject toJson() {
            return new JsonObject().put("AET", aeTitle).put("Host", host).put("Port", port);
        }
    }

    /**
     * One instance stored in Orthanc.
     *
     * @param orthancId         Orthanc's identifier of the instance
     * @param sopInstanceUid    (0008,0018)
     * @param sopClassUid       (0008,0016), from Orthanc's metadata
     * @param seriesInstanceUid (0020,000E)
     * @param modality          (0008,0060) of the series
     * @param instanceNumber    (0020,0013) or null
     * @param transferSyntaxUid the transfer syntax the file is stored in, from Orthanc's metadata
     * @param remoteAet         the calling AE title for instances received by C-STORE, else null
     */
    public record StoredInstance(String orthancId, String sopInstanceUid, String sopClassUid,
                                 String seriesInstanceUid, String modality, String instanceNumber,
                                 String transferSyntaxUid, String remoteAet) {
    }

    /** Orthanc's answer to a synchronous {@code POST /modalities/{id}/store}. */
    public record StoreResult(int instancesCount, int failedInstancesCount, String localAet, String remoteAet,
                              JsonObject raw) {
    }

    /** A REST call that did not return 2xx. */
    public static final class OrthancRestException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int status;
        private final String body;

        public OrthancRestException(String method, String url, int status, String body) {
            super(method + " " + url + " -> HTTP " + status + ": " + abbreviate(body, 2000));
            this.status = status;
            this.body = body;
        }

        public int status() {
            return status;
        }

        public String body() {
            return body;
        }
    }

    // ---------------------------------------------------------------- configuration

    private String aeTitle = "ORTHANC";
    private Duration stableAge = Duration.ofSeconds(2);
    private boolean checkCalledAet = true;
    private boolean dicomWeb = true;
    private boolean verbose;
    private Duration startTimeout = Duration.ofSeconds(30);
    private String name;
    private Path logDirectory;
    private final Map<String, Modality> modalities = new LinkedHashMap<>();
    private final List<Path> luaScripts = new ArrayList<>();
    private final List<String> luaSources = new ArrayList<>();
    private final JsonObject overrides = new JsonObject();

    // ---------------------------------------------------------------- state

    private GuardedProcess process;
    private Path workDir;
    private Path logFile;
    private int httpPort;
    private int dicomPort;
    /** The unique id of the JUnit context whose before-callback started the server (it alone stops it). */
    private String startedByContext;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private Duration restTimeout = Duration.ofSeconds(60);
    private Duration stopGrace = Duration.ofSeconds(10);

    public OrthancServer() {
    }

    /** Orthanc's own AE title ("DicomAet"), default {@code ORTHANC}. */
    public OrthancServer withAeTitle(String aeTitle) {
        requireStopped("withAeTitle");
        this.aeTitle = Objects.requireNonNull(aeTitle);
        return this;
    }

    /**
     * Adds or replaces a DICOM modality Orthanc can send to ({@code "DicomModalities"}). When the server
     * is running, this is applied at once through {@code PUT /modalities/{id}}.
     */
    public synchronized OrthancServer withModality(String id, String aeTitle, String host, int port) {
        Modality modality = new Modality(id, aeTitle, host, port);
        modalities.put(id, modality);
        if (isRunning()) {
            send("PUT", "/modalities/" + encode(id), modality.toJson().encode().getBytes(StandardCharsets.UTF_8),
                    "application/json");
        }
        return this;
    }

    /** Removes a modality (through the REST API when running). */
    public synchronized OrthancServer removeModality(String id) {
        modalities.remove(id);
        if (isRunning()) {
            send("DELETE", "/modalities/" + encode(id), null, null);
        }
        return this;
    }

    /** Adds a Lua script file to {@code "LuaScripts"} (copied into the server's temporary folder at start). */
    public OrthancServer withLuaScript(Path script) {
        requireStopped("withLuaScript");
        if (!Files.isRegularFile(script)) {
            throw new IllegalArgumentException("Lua script not found: " + script);
        }
        luaScripts.add(script.toAbsolutePath());
        return this;
    }

    /** Adds a Lua script given as source text. */
    public OrthancServer withLuaScriptSource(String source) {
        requireStopped("withLuaScriptSource");
        luaSources.add(Objects.requireNonNull(source));
        return this;
    }

    /** {@code "StableAge"}: seconds without new instances before a study is stable (default 2 s, rounded up to whole seconds). */
    public OrthancServer withStableAge(Duration stableAge) {
        requireStopped("withStableAge");
        this.stableAge = Objects.requireNonNull(stableAge);
        return this;
    }

    /** {@code "DicomCheckCalledAet"} (default true: a C-STORE to the wrong called AE title is refused). */
    public OrthancServer withCheckCalledAet(boolean check) {
        requireStopped("withCheckCalledAet");
        this.checkCalledAet = check;
        return this;
    }

    /** Loads the DICOMweb plugin (default true). */
    public OrthancServer withDicomWeb(boolean enabled) {
        requireStopped("withDicomWeb");
        this.dicomWeb = enabled;
        return this;
    }

    /** Starts Orthanc with {@code --verbose}. */
    public OrthancServer withVerboseLog() {
        requireStopped("withVerboseLog");
        this.verbose = true;
        return this;
    }

    /**
     * Sets any top-level Orthanc configuration option, applied last (so it wins over the kit's
     * defaults). {@code value}: String, Number, Boolean, JsonObject, JsonArray, Map or List.
     */
    public OrthancServer withConfig(String key, Object value) {
        requireStopped("withConfig");
        overrides.put(key, value);
        return this;
    }

    /** How long to wait for {@code GET /system} to answer (default 30 s). */
    public OrthancServer withStartTimeout(Duration timeout) {
        this.startTimeout = Objects.requireNonNull(timeout);
        return this;
    }

    /** How long {@link #stop()} waits after SIGTERM before SIGKILL (default 10 s). */
    public OrthancServer withStopGrace(Duration grace) {
        this.stopGrace = Objects.requireNonNull(grace);
        return this;
    }

    /** Timeout of each REST call of the helpers (default 60 s). */
    public OrthancServer withRestTimeout(Duration timeout) {
        this.restTimeout = Objects.requireNonNull(timeout);
        return this;
    }

    /** Base name of the log file (default: test class and method, or "orthanc"). */
    public OrthancServer withName(String name) {
        this.name = Objects.requireNonNull(name);
        return this;
    }

    /** Where logs are kept (default {@code target/orthanc-logs} of the running module). */
    public OrthancServer withLogDirectory(Path directory) {
        this.logDirectory = Objects.requireNonNull(directory);
        return this;
    }

    // ---------------------------------------------------------------- JUnit 5

    @Override
    public void beforeAll(ExtensionContext context) {
        if (!isRunning()) {
            startNamed(context.getRequiredTestClass().getSimpleName());
            startedByContext = context.getUniqueId();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        stopIfStartedBy(context);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (!isRunning()) {
            startNamed(context.getRequiredTestClass().getSimpleName() + "-"
                    + context.getTestMethod().map(java.lang.reflect.Method::getName).orElse("test"));
            startedByContext = context.getUniqueId();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        stopIfStartedBy(context);
    }

    /** Nested classes see the callbacks of an outer class's extension too: only the starter stops. */
    private void stopIfStartedBy(ExtensionContext context) {
        if (startedByContext != null && startedByContext.equals(context.getUniqueId())) {
            startedByContext = null;
            stopInBackground();
        }
    }

    private void startNamed(String defaultName) {
        String previous = name;
        if (name == null) {
            name = defaultName;
        }
        try {
            start();
        } finally {
            name = previous;
        }
    }

    // ---------------------------------------------------------------- lifecycle

    /**
     * Starts Orthanc and waits until {@code GET /system} answers. Retries with new ports (up to 3 times)
     * when a port was taken in the meantime. Throws {@link IllegalStateException} with the tail of
     * Orthanc's log when it does not come up.
     */
    public synchronized OrthancServer start() {
        if (isRunning()) {
            return this;
        }
        String binary = System.getProperty("radflow.orthanc.binary", DEFAULT_BINARY);
        if (!Files.isExecutable(Path.of(binary))) {
            throw new IllegalStateException("Orthanc binary not found or not executable: " + binary
                    + " (install Debian's orthanc package or set -Dradflow.orthanc.binary)");
        }
        String plugin = System.getProperty("radflow.orthanc.dicomweb", DEFAULT_DICOMWEB_PLUGIN);
        if (dicomWeb && !Files.isRegularFile(Path.of(plugin))) {
            throw new IllegalStateException("Orthanc DICOMweb plugin not found: " + plugin
                    + " (install Debian's orthanc-dicomweb package or set -Dradflow.orthanc.dicomweb)");
        }
        logFile = newLogFile();
        IllegalStateException failure = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            String why = tryStart(binary, plugin, attempt);
            if (why == null) {
                LOG.info("Orthanc '{}' started: HTTP {} DICOM {} AET {} (log {})", logName(), httpPort, dicomPort,
                        aeTitle, logFile);
                return this;
            }
            String tail = Processes.tail(logFile, 40);
            cleanUpAfterFailedStart();
            failure = new IllegalStateException("Orthanc did not start (attempt " + attempt + "/" + START_ATTEMPTS
                    + ", HTTP port " + httpPort + ", DICOM port " + dicomPort + "): " + why
                    + "\nlog " + logFile + " ends with:\n" + tail, failure);
            boolean portClash = tail.contains("already in use") || tail.contains("Address already in use");
            if (!portClash) {
                break;
            }
            LOG.warn("Orthanc port clash, retrying with new ports");
        }
        throw failure;
    }

    private String tryStart(String binary, String plugin, int attempt) {
        httpPort = FreePorts.find();
        dicomPort = FreePorts.find();
        try {
            workDir = Files.createTempDirectory("radflow-orthanc-");
            Path config = workDir.resolve("orthanc.json");
            JsonObject json = configuration(plugin);
            Files.writeString(config, json.encodePrettily());
            Files.writeString(logFile, "# RadFlow testkit: Orthanc '" + logName() + "' attempt " + attempt + " at "
                            + Instant.now() + ", HTTP " + httpPort + ", DICOM " + dicomPort + ", config "
                            + config + ":\n" + json.encodePrettily() + "\n# ---- Orthanc output ----\n",
                    attempt == 1 ? new java.nio.file.OpenOption[0]
                            : new java.nio.file.OpenOption[]{java.nio.file.StandardOpenOption.APPEND});
            List<String> command = new ArrayList<>();
            command.add(binary);
            if (verbose) {
                command.add("--verbose");
            }
            command.add("--no-jobs");
            command.add(config.toString());
            process = GuardedProcess.start(command, workDir, logFile);
        } catch (IOException e) {
            return "cannot launch " + binary + ": " + e;
        }
        long deadline = System.nanoTime() + startTimeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                return "Orthanc exited with code " + process.exitValue();
            }
            try {
                HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(URI.create(httpUrl() + "/system"))
                        .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
                if (response.statusCode() == 200) {
                    return null;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted while waiting for Orthanc";
            }
            Processes.sleep(50);
        }
        return "GET /system did not answer within " + startTimeout.toMillis() + " ms";
    }

    private void cleanUpAfterFailedStart() {
        if (process != null) {
            process.stop(Duration.ofSeconds(5));
            process = null;
        }
        deleteWorkDir();
    }

    /** The configuration that {@link #start()} writes (useful to check what a test runs with). */
    JsonObject configuration(String plugin) throws IOException {
        JsonObject config = new JsonObject()
                .put("Name", "radflow-test-" + logName())
                .put("HttpServerEnabled", true)
                .put("HttpPort", httpPort)
                .put("RemoteAccessAllowed", false)
                .put("AuthenticationEnabled", false)
                .put("SslEnabled", false)
                .put("KeepAlive", true)
                .put("TcpNoDelay", true)
                .put("HttpTimeout", 30)
                .put("DicomServerEnabled", true)
                .put("DicomAet", aeTitle)
                .put("DicomPort", dicomPort)
                .put("DicomCheckCalledAet", checkCalledAet)
                .put("DicomAlwaysAllowEcho", true)
                .put("DicomAlwaysAllowStore", true)
                .put("DicomCheckModalityHost", false)
                .put("DicomScuTimeout", 10)
                .put("DicomScpTimeout", 30)
                .put("DicomAssociationCloseDelay", 0)
                .put("StorageDirectory", workDir.resolve("storage").toString())
                .put("IndexDirectory", workDir.resolve("storage").toString())
                .put("StorageCompression", false)
                .put("StableAge", Math.max(1, (stableAge.toMillis() + 999) / 1000))
                .put("SaveJobs", false)
                .put("ConcurrentJobs", 2)
                .put("DicomModalitiesInDatabase", false)
                .put("OrthancPeersInDatabase", false);
        JsonObject dicomModalities = new JsonObject();
        modalities.values().forEach(m -> dicomModalities.put(m.id(), m.toJson()));
        config.put("DicomModalities", dicomModalities);
        if (dicomWeb) {
            config.put("Plugins", new JsonArray().add(plugin));
            config.put("DicomWeb", new JsonObject().put("Enable", true).put("Root", "/dicom-web/")
                    .put("EnableWado", true).put("Ssl", false));
        } else {
            config.put("Plugins", new JsonArray());
        }
        JsonArray lua = new JsonArray();
        Path luaDir = workDir.resolve("lua");
        Files.createDirectories(luaDir);
        int index = 0;
        for (Path script : luaScripts) {
            Path copy = luaDir.resolve((index++) + "-" + script.getFileName());
            Files.copy(script, copy);
            lua.add(copy.toString());
        }
        for (String source : luaSources) {
            Path copy = luaDir.resolve((index++) + "-inline.lua");
            Files.writeString(copy, source);
            lua.add(copy.toString());
        }
        config.put("LuaScripts", lua);
        overrides.forEach(e -> config.put(e.getKey(), e.getValue()));
        return config;
    }

    /**
     * Stops Orthanc (SIGTERM, wait up to 10 s, then SIGKILL) and deletes its temporary folder. The log
     * is kept. Orthanc 1.10 needs 2.5-3.5 s to shut down cleanly.
     */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        int exit = process.stop(stopGrace);
        LOG.info("Orthanc '{}' stopped (exit {})", logName(), exit);
        process = null;
        deleteWorkDir();
    }

    /**
     * Sends SIGTERM and returns at once; waiting (then SIGKILL) and deleting the temporary folder
     * happen in the background (a JVM shutdown hook waits for them). The JUnit callbacks use this,
     * so a test class does not wait for Orthanc's 2.5-3.5 s shutdown. The object can be started again
     * at once (new ports, new folder, new log file).
     */
    public synchronized CompletableFuture<Integer> stopInBackground() {
        if (process == null) {
            return CompletableFuture.completedFuture(-1);
        }
        Path dir = workDir;
        String logName = logName();
        CompletableFuture<Integer> done = process.stopInBackground(stopGrace, () -> {
            try {
                Processes.deleteRecursively(dir);
            } catch (UncheckedIOException e) {
                LOG.warn("cannot delete {}: {}", dir, e.getMessage());
            }
        });
        done.thenAccept(exit -> LOG.info("Orthanc '{}' stopped (exit {})", logName, exit));
        process = null;
        workDir = null;
        return done;
    }

    @Override
    public void close() {
        stop();
    }

    private void deleteWorkDir() {
        try {
            Processes.deleteRecursively(workDir);
        } catch (UncheckedIOException e) {
            LOG.warn("cannot delete {}: {}", workDir, e.getMessage());
        }
        workDir = null;
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    private String logName() {
        return name != null ? name : "orthanc";
    }

    private Path newLogFile() {
        Path dir = logDirectory != null ? logDirectory : Processes.targetDir().resolve("orthanc-logs");
        String base = logName().replaceAll("[^A-Za-z0-9._-]", "_");
        int n;
        synchronized (LOG_NAMES) {
            n = LOG_NAMES.merge(base, 1, Integer::sum);
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
        return dir.resolve(n == 1 ? base + ".log" : base + "-" + n + ".log");
    }

    private void requireStopped(String what) {
        if (isRunning()) {
            throw new IllegalStateException(what + " must be called before the server starts");
        }
    }

    // ---------------------------------------------------------------- addresses

    /** {@code http://127.0.0.1:<port>} */
    public String httpUrl() {
        requireStarted();
        return "http://127.0.0.1:" + httpPort;
    }

    /** The DICOMweb root without trailing slash, e.g. {@code http://127.0.0.1:8042/dicom-web}. */
    public String dicomWebUrl() {
        return httpUrl() + "/dicom-web";
    }

    public int httpPort() {
        requireStarted();
        return httpPort;
    }

    public int dicomPort() {
        requireStarted();
        return dicomPort;
    }

    public String aeTitle() {
        return aeTitle;
    }

    /** Orthanc's log file (exists after the first start, kept after stop). */
    public Path logFile() {
        return logFile;
    }

    /** The last {@code lines} lines of Orthanc's log, for failure messages. */
    public String logTail(int lines) {
        return Processes.tail(logFile, lines);
    }

    private void requireStarted() {
        if (process == null) {
            throw new IllegalStateException("Orthanc is not started");
        }
    }

    // ---------------------------------------------------------------- REST helpers

    /** {@code GET /system} */
    public JsonObject system() {
        return getJsonObject("/system");
    }

    /** Orthanc identifiers of all stored instances. */
    public List<String> instanceIds() {
        return strings(getJsonArray("/instances"));
    }

    /** Study Instance UIDs of all stored studies. */
    public List<String> studyInstanceUids() {
        List<String> uids = new ArrayList<>();
        for (Object study : getJsonArray("/studies?expand")) {
            uids.add(((JsonObject) study).getJsonObject("MainDicomTags").getString("StudyInstanceUID"));
        }
        return uids;
    }

    /** Orthanc identifier of the instance with this SOP Instance UID, if stored ({@code POST /tools/lookup}). */
    public Optional<String> findInstanceBySopInstanceUid(String sopInstanceUid) {
        JsonArray matches = (JsonArray) postJson("/tools/lookup", sopInstanceUid.getBytes(StandardCharsets.US_ASCII),
                "text/plain");
        for (Object match : matches) {
            JsonObject m = (JsonObject) match;
            if ("Instance".equals(m.getString("Type"))) {
                return Optional.of(m.getString("ID"));
            }
        }
        return Optional.empty();
    }

    /** Orthanc identifiers of the instances of a study ({@code POST /tools/find}, no details). */
    public List<String> instanceIdsOfStudy(String studyInstanceUid) {
        JsonObject query = new JsonObject().put("Level", "Instance")
                .put("Query", new JsonObject().put("StudyInstanceUID", studyInstanceUid))
                .put("Expand", false);
        return strings((JsonArray) postJson("/tools/find", query.encode().getBytes(StandardCharsets.UTF_8),
                "application/json"));
    }

    /** SOP Instance UIDs of a study's stored instances. */
    public List<String> sopInstanceUidsOfStudy(String studyInstanceUid) {
        return instancesOfStudy(studyInstanceUid).stream().map(StoredInstance::sopInstanceUid).toList();
    }

    /**
     * The stored instances of a study with series, modality, SOP class and transfer syntax (one
     * {@code /tools/find}, one call per series and one per instance: fine for test-sized studies).
     */
    public List<StoredInstance> instancesOfStudy(String studyInstanceUid) {
        JsonObject query = new JsonObject().put("Level", "Instance")
                .put("Query", new JsonObject().put("StudyInstanceUID", studyInstanceUid))
                .put("Expand", true);
        JsonArray found = (JsonArray) postJson("/tools/find", query.encode().getBytes(StandardCharsets.UTF_8),
                "application/json");
        Map<String, JsonObject> seriesTags = new HashMap<>();
        List<StoredInstance> result = new ArrayList<>();
        for (Object o : found) {
            JsonObject instance = (JsonObject) o;
            String id = instance.getString("ID");
            JsonObject tags = instance.getJsonObject("MainDicomTags", new JsonObject());
            JsonObject series = seriesTags.computeIfAbsent(instance.getString("ParentSeries"),
                    s -> getJsonObject("/series/" + s).getJsonObject("MainDicomTags", new JsonObject()));
            JsonObject metadata = getJsonObject("/instances/" + id + "/metadata?expand");
            result.add(new StoredInstance(id, tags.getString("SOPInstanceUID"), metadata.getString("SopClassUid"),
                    series.getString("SeriesInstanceUID"), series.getString("Modality"),
                    tags.getString("InstanceNumber"), metadata.getString("TransferSyntax"),
                    metadata.getString("RemoteAET")));
        }
        return result;
    }

    /** The stored DICOM file ({@code GET /instances/{id}/file}). */
    public byte[] instanceFile(String orthancId) {
        return send("GET", "/instances/" + encode(orthancId) + "/file", null, null).body();
    }

    /** Stores a DICOM file through {@code POST /instances}; returns its Orthanc identifier. */
    public String upload(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        JsonObject answer = (JsonObject) postJson("/instances", bytes, "application/dicom");
        return answer.getString("ID");
    }

    /**
     * Sends instances (or series/studies/patients: any Orthanc identifiers) to a modality with C-STORE,
     * synchronously ({@code POST /modalities/{m}/store} with {@code "Synchronous": true}). Throws
     * {@link OrthancRestException} when Orthanc reports a failure.
     */
    public StoreResult storeToModality(String modality, List<String> orthancIds) {
        JsonObject body = new JsonObject().put("Resources", new JsonArray(new ArrayList<>(orthancIds)))
                .put("Synchronous", true);
        JsonObject answer = (JsonObject) postJson("/modalities/" + encode(modality) + "/store",
                body.encode().getBytes(StandardCharsets.UTF_8), "application/json");
        return new StoreResult(answer.getInteger("InstancesCount", 0), answer.getInteger("FailedInstancesCount", 0),
                answer.getString("LocalAet"), answer.getString("RemoteAet"), answer);
    }

    /** {@code GET /modalities?expand} */
    public JsonObject modalities() {
        return getJsonObject("/modalities?expand");
    }

    /** Deletes every stored patient (to reuse one server across tests). */
    public void deleteAll() {
        for (String patient : strings(getJsonArray("/patients"))) {
            send("DELETE", "/patients/" + patient, null, null);
        }
    }

    /**
     * Polls (every 100 ms) until the study has at least {@code count} instances, then returns them.
     * Throws {@link AssertionError} with the count reached and the log tail on timeout.
     */
    public List<StoredInstance> awaitInstanceCount(String studyInstanceUid, int count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int seen;
        while (true) {
            seen = instanceIdsOfStudy(studyInstanceUid).size();
            if (seen >= count) {
                return instancesOfStudy(studyInstanceUid);
            }
            if (System.nanoTime() > deadline) {
                break;
            }
            Processes.sleep(100);
        }
        throw new AssertionError("Orthanc holds " + seen + " instance(s) of study " + studyInstanceUid
                + " after " + timeout.toMillis() + " ms, expected " + count + "; log ends with:\n" + logTail(20));
    }

    /** {@code GET path}, answer parsed as a JSON object. */
    public JsonObject getJsonObject(String path) {
        return (JsonObject) parse("GET", path, send("GET", path, null, null).body());
    }

    /** {@code GET path}, answer parsed as a JSON array. */
    public JsonArray getJsonArray(String path) {
        return (JsonArray) parse("GET", path, send("GET", path, null, null).body());
    }

    /** {@code POST path} with a body; the answer parsed as JSON (a JsonObject or JsonArray). */
    public Object postJson(String path, byte[] body, String contentType) {
        return parse("POST", path, send("POST", path, body, contentType).body());
    }

    /**
     * A raw REST call: {@code method} on {@code path} (relative to {@link #httpUrl()}), optional body.
     * Throws {@link OrthancRestException} for non-2xx answers.
     */
    public HttpResponse<byte[]> send(String method, String path, byte[] body, String contentType) {
        HttpResponse<byte[]> response = request(method, path, body, contentType);
        if (response.statusCode() / 100 != 2) {
            throw new OrthancRestException(method, response.uri().toString(), response.statusCode(),
                    new String(response.body(), StandardCharsets.UTF_8));
        }
        return response;
    }

    /** Like {@link #send} but returns non-2xx answers instead of throwing. */
    public HttpResponse<byte[]> request(String method, String path, byte[] body, String contentType) {
        URI uri = URI.create(httpUrl() + path);
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri).timeout(restTimeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            builder.header("Content-Type", contentType);
        }
        try {
            try {
                return http.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException first) {
                // Orthanc's HTTP server may close a kept-alive connection just as the client reuses it ("header
                // parser received no bytes"): a read-only request is sent once more, on a new connection
                boolean readOnly = method.equals("GET") || method.equals("HEAD")
                        || path.startsWith("/tools/find") || path.startsWith("/tools/lookup");
                if (!readOnly || !isRunning()) {
                    throw first;
                }
                return http.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + uri + " failed"
                    + (isRunning() ? "" : " (Orthanc is not running)") + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during " + method + " " + uri, e);
        }
    }

    private static Object parse(String method, String path, byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8).trim();
        try {
            if (text.startsWith("[")) {
                return new JsonArray(text);
            }
            return new JsonObject(text);
        } catch (DecodeException e) {
            throw new IllegalStateException(method + " " + path + " did not answer JSON: " + abbreviate(text, 500), e);
        }
    }

    private static List<String> strings(JsonArray array) {
        List<String> list = new ArrayList<>(array.size());
        array.forEach(o -> list.add(String.valueOf(o)));
        return list;
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String abbreviate(String text, int max) {
        if (text == null) {
            return "";
        }
        return text.length() <= max ? text : text.substring(0, max) + "...";
    }

    @Override
    public String toString() {
        return "OrthancServer[" + logName() + (process != null ? ", HTTP " + httpPort + ", DICOM " + dicomPort : ", stopped")
                + ", AET " + aeTitle + "]";
    }
}
