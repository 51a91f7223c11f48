package org.radflow.config;

import org.radflow.dicom.LogText;
import org.radflow.dicom.TransferSyntaxes;
import org.radflow.dicom.net.DicomTls;
import org.radflow.dispatch.CStoreSender;
import org.radflow.dispatch.StowRsSender;
import org.radflow.scheduling.SchedulerSettings;
import org.radflow.listener.ListenerSettings;
import org.radflow.routing.RuleSet;
import org.radflow.store.StoreSettings;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The whole server configuration: one YAML file (or the embedded defaults), validated at start-up.
 * Every key is described in {@code deploy/radflow.example.yaml}.
 */
public record RadflowConfig(Server server, ListenerSettings listener, Api api, Map<String, Destination> destinations,
                            Tracking tracking, Modules modules, SchedulerSettings scheduler, RuleSet rules,
                            org.radflow.dispatch.Outbox.Settings delivery, Audit audit, Viewer viewer, StoreSettings store,
                            Cluster cluster, Notifications notifications) {

    /** Without a notifications section: what callers written before webhooks existed build. */
    public RadflowConfig(Server server, ListenerSettings listener, Api api, Map<String, Destination> destinations,
                         Tracking tracking, Modules modules, SchedulerSettings scheduler, RuleSet rules,
                         org.radflow.dispatch.Outbox.Settings delivery, Audit audit, Viewer viewer, StoreSettings store,
                         Cluster cluster) {
        this(server, listener, api, destinations, tracking, modules, scheduler, rules, delivery, audit, viewer, store, cluster,
                Notifications.NONE);
    }

    /**
     * Webhooks told of events (job.failed, result.available, delivery.dead-letter, module.paused). Deliveries are
     * retried with exponential back-off in memory only: a restart forgets the ones still waiting.
     *
     * @param queueLimit     deliveries waiting at most (sending or retrying); past it new ones are dropped and counted
     * @param maxAttempts    attempts per delivery (the first included)
     * @param initialBackoff wait before the second attempt; doubled each time up to maxBackoff
     * @param timeout        one attempt's limit (connect and answer)
     */
    public record Notifications(List<Webhook> webhooks, int queueLimit, int maxAttempts, Duration initialBackoff, Duration maxBackoff,
                                Duration timeout) {
        public static final Notifications NONE = new Notifications(List.of(), 1000, 6, Duration.ofSeconds(2), Duration.ofMinutes(5),
                Duration.ofSeconds(10));

        public Notifications {
            webhooks = List.copyOf(webhooks);
        }
    }

    /** The events a webhook can ask for. */
    public static final List<String> NOTIFICATION_EVENTS = List.of("job.failed", "result.available", "delivery.dead-letter",
            "module.paused");

    /**
     * One receiver of notifications.
     *
     * @param events  the events it is sent
     * @param secret  HMAC-SHA256 key for the X-RadFlow-Signature header; NONE: no signature
     * @param modules only events of these modules (empty: all)
     * @param rules   only events of jobs planned by these rules (empty: all)
     */
    public record Webhook(String name, String url, Set<String> events, Secret secret, Set<String> modules, Set<String> rules) {
        public Webhook {
            events = Set.copyOf(events);
            modules = Set.copyOf(modules);
            rules = Set.copyOf(rules);
        }
    }

    /** Without a cluster section (one node): what callers written before clustering existed build. */
    public RadflowConfig(Server server, ListenerSettings listener, Api api, Map<String, Destination> destinations,
                         Tracking tracking, Modules modules, SchedulerSettings scheduler, RuleSet rules,
                         org.radflow.dispatch.Outbox.Settings delivery, Audit audit, Viewer viewer, StoreSettings store) {
        this(server, listener, api, destinations, tracking, modules, scheduler, rules, delivery, audit, viewer, store, Cluster.DISABLED);
    }

    /**
     * Cluster membership over Hazelcast (TCP-IP join with a member list; multicast and phone-home always off), and how
     * members share received instances.
     *
     * @param name              the Hazelcast cluster name: nodes with another name never join
     * @param bindAddress       this node's address on the cluster network (Hazelcast, the event bus and the peer endpoint)
     * @param port              this node's Hazelcast port (no auto-increment: a taken port fails the start)
     * @param members           "host:port" of the nodes to join through (this one may be listed too)
     * @param minSize           the smallest cluster that may claim work (split-brain protection)
     * @param replicationFactor on how many nodes a received instance is durable before it is acknowledged (1 or 2)
     * @param peerPort          this node's peer endpoint (instance copies and fetches between members), on bindAddress
     * @param secret            shared by all members; every peer request carries it
     * @param stealAfter        a queued job planned on another live node that runs its module may be taken after this
     * @param failureDetection  a member not heard from for this long is removed (Hazelcast's heartbeat timeout)
     * @param eventBusPort      the Vert.x clustered event bus's port on bindAddress; 0: any free port
     */
    public record Cluster(boolean enabled, String name, String bindAddress, int port, List<String> members, int minSize,
                          int replicationFactor, int peerPort, Secret secret, Duration stealAfter, Duration failureDetection,
                          int eventBusPort) {
        public static final Cluster DISABLED = new Cluster(false, "radflow", "127.0.0.1", 5701, List.of(), 1);

        public Cluster {
            members = List.copyOf(members);
        }

        /** Membership only, with the defaults for the rest (tests of membership). */
        public Cluster(boolean enabled, String name, String bindAddress, int port, List<String> members, int minSize) {
            this(enabled, name, bindAddress, port, members, minSize, enabled ? 2 : 1, port + 100, Secret.NONE, Duration.ofSeconds(30),
                    Duration.ofSeconds(15), 0);
        }
    }

    /** A secret read from a file or the environment; never printed. */
    public record Secret(String value) {
        public static final Secret NONE = new Secret("");

        @Override
        public String toString() {
            return value.isEmpty() ? "(none)" : "(secret)";
        }
    }

    /** When series and studies count as complete: this long after their last instance. */
    /**
     * @param retention received studies older than this whose jobs are finished are removed from the spool
     *                  ({@code tracking.retentionDays}; zero: kept for ever)
     * @param resultsRetention the report objects, label maps and key images of jobs finished and delivered longer ago
     *                  than this are removed, their findings kept ({@code tracking.resultsRetentionDays}; zero: kept for ever)
     */
    public record Tracking(Duration seriesQuiet, Duration studyQuiet, Duration forgetAfter, Duration retention,
                           Duration resultsRetention) {
        public Tracking(Duration seriesQuiet, Duration studyQuiet, Duration forgetAfter) {
            this(seriesQuiet, studyQuiet, forgetAfter, Duration.ZERO, Duration.ZERO);
        }
    }

    /**
     * Where modules come from and per-module settings.
     *
     * @param dir       drop-in modules: one folder per module with its JAR(s) ({@code <dir>/<id>/*.jar})
     * @param modelsDir built-in modules' model files: {@code <modelsDir>/<id>/}
     * @param watch     load added or replaced module folders while running
     */
    public record Modules(Path dir, Path modelsDir, boolean watch, Map<String, ModuleSettings> settings, Workers workers) {
        public ModuleSettings settingsFor(String id) {
            return settings.getOrDefault(id, new ModuleSettings(true, null, null, null, Map.of()));
        }
    }

    /**
     * How worker processes are supervised (every module with {@code isolation: process}).
     *
     * @param idleTimeout      an idle worker is stopped after this (its module's next job starts a new one); zero: never
     * @param heartbeatTimeout a worker not heard from for this long (stopped, stuck in garbage collection) is killed
     * @param outputLimitBytes output (stdout + stderr) a worker may write during one job before it is stopped
     */
    public record Workers(Duration idleTimeout, Duration heartbeatTimeout, long outputLimitBytes) {
        public static final Workers DEFAULTS = new Workers(Duration.ofMinutes(30), Duration.ofSeconds(15), 16L << 20);
    }

    /** Operator overrides for one module (null: the descriptor's value) and the module's own configuration. */
    /**
     * @param isolation where the module's jobs run: {@code in-process} (the server's JVM) or {@code process} (supervised
     *                  worker JVMs)
     * @param heapMb    a worker's heap (-Xmx) in MB; null: 1024
     * @param maxWorkerCrashes workers of this module that may die during jobs in a row before it is paused
     * @param maxThreads a worker's thread limit (all of its threads, the JVM's own included); past it the worker is stopped
     * @param cpus      the CPUs a worker may run on ({@code taskset -c} list, e.g. "2-3"); null: any
     */
    public record ModuleSettings(boolean enabled, Integer maxConcurrentJobs, Integer queueLimit, Duration timeout,
                                 Map<String, Object> config, Isolation isolation, Integer heapMb, int maxWorkerCrashes,
                                 int maxThreads, String cpus) {

        public static final int DEFAULT_MAX_WORKER_CRASHES = 5;
        public static final int DEFAULT_MAX_THREADS = 1024;

        public ModuleSettings(boolean enabled, Integer maxConcurrentJobs, Integer queueLimit, Duration timeout, Map<String, Object> config) {
            this(enabled, maxConcurrentJobs, queueLimit, timeout, config, Isolation.PROCESS, null, DEFAULT_MAX_WORKER_CRASHES,
                    DEFAULT_MAX_THREADS, null);
        }
    }

    /** Where a module's jobs run. */
    public enum Isolation {
        IN_PROCESS("in-process"), PROCESS("process");

        private final String configName;

        Isolation(String configName) {
            this.configName = configName;
        }

        public String configName() {
            return configName;
        }
    }


    public record Server(Path dataDir, String nodeName) {
    }

    /**
     * The HTTP API.
     *
     * @param auth bearer tokens and the paths open without one
     * @param tls  HTTPS certificate and key (PEM); null: plain HTTP
     */
    /**
     * @param ruleTesterFolders folders whose files {@code POST /api/rules/test} may read besides the received studies
     *                          (e.g. where a site keeps sample studies to try new rules on); absolute, empty by default
     */
    public record Api(boolean enabled, String bindAddress, int port, Auth auth, Tls tls, List<Path> ruleTesterFolders) {
        public Api {
            ruleTesterFolders = List.copyOf(ruleTesterFolders);
        }

        public Api(boolean enabled, String bindAddress, int port, Auth auth, Tls tls) {
            this(enabled, bindAddress, port, auth, tls, List.of());
        }
    }

    /** Who may call the API. No tokens: authentication is off (allowed only on a loopback bind address). */
    public record Auth(List<ApiToken> tokens, List<String> open) {
        public Auth {
            tokens = List.copyOf(tokens);
            open = List.copyOf(open);
        }

        public boolean enabled() {
            return !tokens.isEmpty();
        }
    }

    /** A role, each including the ones before it. */
    public enum Role { VIEWER, OPERATOR, ADMIN }

    /**
     * One API token: only its SHA-256 is kept in memory.
     *
     * @param sha256 SHA-256 of the token's UTF-8 bytes (32 bytes)
     */
    public record ApiToken(String name, byte[] sha256, Role role) {
        @Override
        public boolean equals(Object o) {
            return o instanceof ApiToken t && t.name.equals(name) && java.util.Arrays.equals(t.sha256, sha256) && t.role == role;
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + java.util.Arrays.hashCode(sha256);
        }

        @Override
        public String toString() {
            return "ApiToken[" + name + ", " + role + "]";
        }
    }

    public record Tls(Path certificate, Path key) {
    }

    /**
     * The audit trail: {@code <dir>/audit-YYYY-MM-DD.jsonl}, a new file each day and when one reaches
     * {@code maxFileBytes}; files older than {@code retentionDays} are deleted (0: kept for ever).
     */
    public record Audit(boolean enabled, Path dir, long maxFileBytes, int retentionDays) {
    }

    /**
     * The OHIF viewer on its own HTTP listener (OHIF must sit at the root of an origin), with a read-only
     * same-origin DICOMweb proxy to the PACS.
     *
     * @param port        default: api.port + 1 (0, a free port, when api.port is 0)
     * @param dicomWebUrl the PACS's DICOMweb root that {@code /dicom-web/*} forwards to
     * @param ohifDir     the unpacked {@code @ohif/app} dist folder; null: {@code ohif/} next to RadFlow's jar
     */
    public record Viewer(boolean enabled, String bindAddress, int port, String dicomWebUrl, Path ohifDir) {
    }

    /** A place RadFlow sends results to: a DICOM node (C-STORE) or a DICOMweb service (STOW-RS). */
    public sealed interface Destination permits DicomDestination, DicomWebDestination {
        String name();
    }

    public record DicomDestination(String name, CStoreSender.Settings settings) implements Destination {
    }

    public record DicomWebDestination(String name, StowRsSender.Settings settings) implements Destination {
    }

    private static final Pattern AE_TITLE = Pattern.compile("[\\x20-\\x5b\\x5d-\\x7e]{1,16}");

    /** The embedded defaults, with the environment's RADFLOW_* overrides. */
    public static RadflowConfig defaults() {
        return fromMap(Map.of(), "embedded defaults", System.getenv());
    }

    /** The file, with the environment's RADFLOW_* overrides (see {@link EnvironmentOverrides}). */
    public static RadflowConfig load(Path file) {
        return load(file, System.getenv());
    }

    /** The file, with {@code env}'s RADFLOW_* variables applied over it. */
    public static RadflowConfig load(Path file, Map<String, String> env) {
        Map<String, Object> map;
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            Object parsed = new Yaml(new SafeConstructor(options)).load(r);
            if (parsed == null) {
                map = Map.of();
            } else if (parsed instanceof Map<?, ?> m) {
                map = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    map.put(String.valueOf(e.getKey()), e.getValue());
                }
            } else {
                throw new ConfigException(file + ": the top level must be a set of sections (server:, listener:, ...), not '" + parsed + "'");
            }
        } catch (NoSuchFileException e) {
            throw new ConfigException("configuration file " + file + " does not exist; pass an existing file to --config "
                    + "(deploy/radflow.example.yaml is a starting point) or leave --config out for the embedded defaults");
        } catch (MarkedYAMLException e) {
            throw new ConfigException(file + ": not valid YAML at line " + (e.getProblemMark().getLine() + 1) + ", column "
                    + (e.getProblemMark().getColumn() + 1) + ": " + e.getProblem());
        } catch (YAMLException e) {
            throw new ConfigException(file + ": not valid YAML: " + e.getMessage());
        } catch (IOException e) {
            throw new ConfigException("cannot read configuration file " + file + ": " + e.getMessage(), e);
        }
        try {
            return fromMap(map, file.toString(), env);
        } catch (ConfigException e) {
            throw new ConfigException(file + ": " + e.getMessage(), e);
        }
    }

    /** {@code map} with {@code env}'s overrides; a problem in a value the environment set names the variable. */
    static RadflowConfig fromMap(Map<String, Object> map, String source, Map<String, String> env) {
        Map<String, String> origins = new LinkedHashMap<>();
        Map<String, Object> merged = EnvironmentOverrides.apply(map, env, origins);
        try {
            return parse(merged, null, env);
        } catch (ConfigException e) {
            for (Map.Entry<String, String> o : origins.entrySet()) {
                if (e.getMessage().startsWith(o.getKey() + ":") || e.getMessage().contains("'" + o.getKey() + "'")) {
                    throw new ConfigException(e.getMessage() + " (" + o.getKey() + " was set by the environment variable "
                            + o.getValue() + ")", e);
                }
            }
            throw e;
        }
    }

    /** Loads {@code map}, noting every key the loader reads and its kind (the key schema behind the environment's names). */
    static void collectSchema(Map<String, Object> map, Map<String, ConfigNode.Kind> schema) {
        parse(map, schema, Map.of());
    }

    static RadflowConfig fromMap(Map<String, Object> map, String source) {
        return parse(map, null, System.getenv());
    }

    /** @param env where store.passwordEnv and cluster.secretEnv are looked up */
    private static RadflowConfig parse(Map<String, Object> map, Map<String, ConfigNode.Kind> schema, Map<String, String> env) {
        ConfigNode root = new ConfigNode("", map, schema);

        ConfigNode s = root.child("server");
        Path dataDir = Path.of(s.string("dataDir", "data"));
        String nodeName = s.string("nodeName", defaultNodeName());
        s.finish();

        ConfigNode l = root.child("listener");
        String aeTitle = aeTitle(l, "aeTitle", "RADFLOW");
        String bind = l.string("bindAddress", "0.0.0.0");
        int port = l.integer("port", 11112, 0, 65535);
        int maxAssociations = l.integer("maxAssociations", 32, 1, 1000);
        Set<String> allowed = new HashSet<>();
        for (String ae : l.strings("allowedCallingAeTitles", List.of())) {
            if (!AE_TITLE.matcher(ae).matches() || ae.isBlank()) {
                throw new ConfigException(l.key("allowedCallingAeTitles") + ": '" + ae + "' is not an AE title (1-16 printable characters, no backslash)");
            }
            allowed.add(ae.trim());
        }
        boolean checkCalled = l.bool("checkCalledAeTitle", true);
        int maxPdu = l.integer("maxPduLength", 131072, 4096, 1 << 20);
        int idle = l.integer("idleTimeoutSeconds", 60, 1, 3600);
        List<String> ts = l.strings("transferSyntaxes", TransferSyntaxes.LISTENER_DEFAULT);
        for (String t : ts) {
            if (!org.radflow.dicom.Uids.isValid(t)) {
                throw new ConfigException(l.key("transferSyntaxes") + ": '" + t + "' is not a transfer syntax UID");
            }
        }
        String spoolDir = l.string("spoolDir", null);
        boolean fsync = l.bool("fsync", true);
        long minFreeMb = l.longValue("minFreeSpaceMb", 1024, 0, Long.MAX_VALUE / (1024 * 1024));
        // connection guards: idle TCP connections must not crowd out associations (PS3.8 ARTIM, per-address and global caps)
        int artim = l.integer("artimSeconds", (int) ListenerSettings.DEFAULT_ARTIM_TIMEOUT.toSeconds(), 1, 600);
        int perAddress = l.integer("maxConnectionsPerAddress", ListenerSettings.DEFAULT_MAX_CONNECTIONS_PER_ADDRESS, 1, 1000);
        int pending = l.integer("maxPendingConnections", ListenerSettings.DEFAULT_MAX_PENDING_CONNECTIONS, 1, 10_000);
        ListenerSettings.Tls listenerTls = listenerTls(l.child("tls"), l, port);
        l.finish();
        ListenerSettings listener = new ListenerSettings(aeTitle, bind, port, maxAssociations, allowed, checkCalled, maxPdu,
                Duration.ofSeconds(idle), ts, spoolDir == null ? dataDir.resolve("spool") : Path.of(spoolDir), fsync,
                minFreeMb * 1024 * 1024, Duration.ofSeconds(artim), perAddress, pending, listenerTls);

        Api api = api(root.child("api"));

        ConfigNode au = root.child("audit");
        boolean auditEnabled = au.bool("enabled", true);
        String auditDir = au.string("dir", null);
        long auditMaxMb = au.longValue("maxFileMb", 100, 1, 100_000);
        int auditRetention = au.integer("retentionDays", 365, 0, 36_500);
        au.finish();
        Audit audit = new Audit(auditEnabled, auditDir == null ? dataDir.resolve("audit") : Path.of(auditDir),
                auditMaxMb * 1024 * 1024, auditRetention);

        Map<String, Destination> destinations = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigNode> e : root.namedChildren("destinations").entrySet()) {
            destinations.put(e.getKey(), destination(e.getKey(), e.getValue(), aeTitle));
        }

        ConfigNode t = root.child("tracking");
        Tracking tracking = new Tracking(Duration.ofSeconds(t.integer("seriesQuietSeconds", 10, 0, 86_400)),
                Duration.ofSeconds(t.integer("studyQuietSeconds", 30, 0, 86_400)),
                Duration.ofHours(t.integer("forgetAfterHours", 24, 1, 24 * 365)),
                Duration.ofDays(t.integer("retentionDays", 30, 0, 36_500)),
                Duration.ofDays(t.integer("resultsRetentionDays", 90, 0, 36_500)));
        t.finish();

        Modules modules = modules(root.child("modules"), dataDir, workers(root.child("workers")));
        ConfigNode dl = root.child("delivery");
        int dAttempts = dl.integer("maxAttempts", 8, 1, 1000);
        int dInitial = dl.integer("initialBackoffSeconds", 5, 1, 86_400);
        int dMax = dl.integer("maxBackoffSeconds", 600, dInitial, 86_400);
        dl.finish();
        org.radflow.dispatch.Outbox.Settings delivery = new org.radflow.dispatch.Outbox.Settings(dAttempts,
                Duration.ofSeconds(dInitial), Duration.ofSeconds(dMax), 50, Duration.ofMillis(300));
        root.has("rules");
        RuleSet rules = RuleSet.parse(map.get("rules"), "rules");
        rules.requireDestinations(destinations.keySet(), "rules");

        ConfigNode sc = root.child("scheduler");
        int maxAttempts = sc.integer("maxAttempts", 3, 1, 100);
        int initialBackoff = sc.integer("initialBackoffSeconds", 5, 1, 86_400);
        int maxBackoff = sc.integer("maxBackoffSeconds", 300, initialBackoff, 86_400);
        int stuck = sc.integer("stuckThreadLimit", 4, 0, 1000);
        // a running job is re-queued elsewhere this long after its node stopped renewing it (every third of it)
        int leaseSeconds = sc.integer("leaseSeconds", 30, 5, 3600);
        // above this many QUEUED jobs the listener answers A700 "retry later" (0: never); accepts again at the low mark
        int highWater = sc.integer("intakeHighWaterMark", 0, 0, 10_000_000);
        int lowWater = sc.integer("intakeLowWaterMark", -1, 0, 10_000_000);
        if (lowWater < 0) {
            lowWater = highWater * 3 / 4; // a quarter of the mark drains before intake opens again
        } else if (highWater == 0) {
            throw new ConfigException(sc.key("intakeLowWaterMark") + ": set, but " + sc.key("intakeHighWaterMark")
                    + " is 0 (no throttling); set the high-water mark too, or remove the low one");
        } else if (lowWater >= highWater) {
            throw new ConfigException(sc.key("intakeLowWaterMark") + ": " + lowWater + " must be below "
                    + sc.key("intakeHighWaterMark") + " (" + highWater + "), or intake would never open again");
        }
        sc.finish();
        Map<String, SchedulerSettings.Lane> lanes = new LinkedHashMap<>();
        modules.settings().forEach((id, m) -> lanes.put(id, new SchedulerSettings.Lane(m.maxConcurrentJobs(), m.queueLimit(),
                m.timeout(), m.enabled())));
        SchedulerSettings scheduler = new SchedulerSettings(Duration.ofMillis(500), maxAttempts, Duration.ofSeconds(initialBackoff),
                Duration.ofSeconds(maxBackoff), stuck, lanes, Duration.ofSeconds(leaseSeconds), highWater, lowWater);

        Viewer viewer = viewer(root.child("viewer"), api);
        StoreSettings store = store(root.child("store"), dataDir, env);
        Cluster cluster = cluster(root.child("cluster"), store, env);
        Notifications notifications = notifications(root.child("notifications"));

        root.finish();
        return new RadflowConfig(new Server(dataDir, nodeName), listener, api, Map.copyOf(destinations), tracking, modules,
                scheduler, rules, delivery, audit, viewer, store, cluster, notifications);
    }

    /**
     * {@code listener.tls}: DICOM TLS on a port of its own (see {@link ListenerSettings.Tls} for why). The files are read and
     * checked now, so a wrong path, password or key stops the start and {@code config check} with the key named.
     */
    private static ListenerSettings.Tls listenerTls(ConfigNode t, ConfigNode listener, int plainPortNumber) {
        boolean enabled = t.bool("enabled", false);
        int port = t.integer("port", ListenerSettings.Tls.DEFAULT_PORT, 0, 65535);
        boolean plainPort = t.bool("plainPort", true);
        boolean requireClient = t.bool("requireClientCertificate", false);
        DicomTls.Files files = tlsFiles(t);
        List<String> protocols = t.strings("protocols", DicomTls.PROTOCOLS);
        Map<String, String> aeTitleCertificates = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : t.rawMap("aeTitleCertificates").entrySet()) {
            String ae = e.getKey();
            if (ae.isBlank() || ae.length() > 16 || ae.chars().anyMatch(c -> c < 0x20 || c == '\\' || c > 0x7e)) {
                throw new ConfigException(t.key("aeTitleCertificates") + ": '" + LogText.escape(ae) + "' is no AE title "
                        + "(1 to 16 printable ASCII characters, no backslash)");
            }
            if (!(e.getValue() instanceof String name) || name.isBlank()) {
                throw new ConfigException(t.key("aeTitleCertificates") + "." + ae + ": give the name the peer's client certificate "
                        + "carries (its subject CN or a DNS subject alternative name), e.g. " + ae + ": pacs.hospital.example");
            }
            aeTitleCertificates.put(ae.strip(), name.strip());
        }
        t.finish();
        if (!enabled) {
            return null;
        }
        if (!aeTitleCertificates.isEmpty() && files.trustedCertificatesFile() == null) {
            throw new ConfigException(t.key("aeTitleCertificates") + ": needs " + t.key("trustedCertificatesFile") + " (client "
                    + "certificates are only asked for and verified against trusted CAs)");
        }
        if (plainPort && port == plainPortNumber && port != 0) {
            throw new ConfigException(t.key("port") + ": " + port + " is also " + listener.key("port") + "; give TLS a port of its own "
                    + "(2762 is DICOM TLS's), or set " + t.key("plainPort") + ": false to accept only TLS");
        }
        try {
            return new ListenerSettings.Tls(DicomTls.server(files, requireClient, protocols), port, plainPort, aeTitleCertificates);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage(), e);
        }
    }

    /**
     * The PEM files of a {@code tls} section; the key's password only from a file ({@code privateKeyPasswordFile}), never
     * in the YAML.
     */
    private static DicomTls.Files tlsFiles(ConfigNode t) {
        if (t.has("privateKeyPassword")) {
            throw new ConfigException(t.key("privateKeyPassword") + ": the password is never written in the configuration; put it "
                    + "in a file only RadFlow can read (chmod 600) and set " + t.key("privateKeyPasswordFile"));
        }
        String cert = t.string("certificateFile", null);
        String key = t.string("privateKeyFile", null);
        String passwordFile = t.string("privateKeyPasswordFile", null);
        String trusted = t.string("trustedCertificatesFile", null);
        String crl = t.string("crlFile", null);
        boolean enabled = t.bool("enabled", false);
        char[] password = enabled && passwordFile != null
                ? SecretFiles.read(t.key("privateKeyPasswordFile"), passwordFile).toCharArray() : null;
        if (enabled && key != null) {
            SecretFiles.warnIfWorldReadable(t.key("privateKeyFile"), tlsPath(t, "privateKeyFile", key));
        }
        String prefix = t.key("");
        return new DicomTls.Files(prefix, cert == null ? null : tlsPath(t, "certificateFile", cert),
                key == null ? null : tlsPath(t, "privateKeyFile", key), password,
                trusted == null ? null : tlsPath(t, "trustedCertificatesFile", trusted),
                crl == null ? null : tlsPath(t, "crlFile", crl));
    }

    private static Path tlsPath(ConfigNode t, String name, String value) {
        try {
            return Path.of(value);
        } catch (java.nio.file.InvalidPathException e) {
            throw new ConfigException(t.key(name) + ": '" + value + "' is not a file path");
        }
    }

    /** {@code destinations.<name>.tls}: DICOM TLS to this destination; null when not enabled. */
    private static DicomTls destinationTls(ConfigNode t) {
        boolean enabled = t.bool("enabled", false);
        boolean verifyHostname = t.bool("verifyHostname", true);
        DicomTls.Files files = tlsFiles(t);
        List<String> protocols = t.strings("protocols", DicomTls.PROTOCOLS);
        t.finish();
        if (!enabled) {
            return null;
        }
        try {
            return DicomTls.client(files, verifyHostname, protocols);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage(), e);
        }
    }

    private static final Pattern WEBHOOK_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    /** The notifications section: webhooks and how their deliveries are retried. */
    private static Notifications notifications(ConfigNode n) {
        Notifications d = Notifications.NONE;
        int queue = n.integer("queueLimit", d.queueLimit(), 1, 1_000_000);
        int attempts = n.integer("maxAttempts", d.maxAttempts(), 1, 100);
        int initial = n.integer("initialBackoffSeconds", (int) d.initialBackoff().toSeconds(), 1, 86_400);
        int max = n.integer("maxBackoffSeconds", (int) d.maxBackoff().toSeconds(), initial, 86_400);
        int timeout = n.integer("timeoutSeconds", (int) d.timeout().toSeconds(), 1, 600);
        List<Webhook> hooks = new java.util.ArrayList<>();
        Set<String> names = new HashSet<>();
        List<Object> raw = n.list("webhooks");
        for (int i = 0; i < raw.size(); i++) {
            String key = n.key("webhooks") + "[" + i + "]";
            if (!(raw.get(i) instanceof Map<?, ?> m)) {
                throw new ConfigException(key + ": expected {name: ..., url: ..., events: [...], secretFile: ...}");
            }
            Map<String, Object> wm = new LinkedHashMap<>();
            m.forEach((k, v) -> wm.put(String.valueOf(k), v));
            ConfigNode w = n.entry(key, wm);
            String name = w.requiredString("name", "a name for this webhook (shown in GET /api/notifications)");
            if (!WEBHOOK_NAME.matcher(name).matches() || !names.add(name)) {
                throw new ConfigException(w.key("name") + ": '" + name + "' must be unique and use letters, digits, '.', '_' and '-'");
            }
            String url = w.requiredString("url", "the receiver's http(s) URL, e.g. https://chat.example.org/hooks/radflow");
            try {
                URI u = new URI(url);
                if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null) {
                    throw new URISyntaxException(url, "not an http(s) URL with a host");
                }
            } catch (URISyntaxException e) {
                throw new ConfigException(w.key("url") + ": '" + url + "' is not an http(s) URL with a host");
            }
            List<String> events = w.strings("events", NOTIFICATION_EVENTS);
            for (String e : events) {
                if (!NOTIFICATION_EVENTS.contains(e)) {
                    String s = Suggestions.closest(e, NOTIFICATION_EVENTS).orElse(null);
                    throw new ConfigException(w.key("events") + ": '" + e + "' is not an event" + (s == null ? "" : "; did you mean '" + s + "'?")
                            + " Events: " + String.join(", ", NOTIFICATION_EVENTS));
                }
            }
            String secret = w.secret("secret");
            if (secret != null && secret.length() < 16) {
                throw new ConfigException(w.key("secret") + ": the secret has " + secret.length() + " characters; use at least 16 "
                        + "(e.g. `openssl rand -hex 32`)");
            }
            Set<String> modules = new java.util.TreeSet<>(w.strings("modules", List.of()));
            Set<String> rules = new java.util.TreeSet<>(w.strings("rules", List.of()));
            w.finish();
            hooks.add(new Webhook(name, url, new java.util.LinkedHashSet<>(events), secret == null ? Secret.NONE : new Secret(secret),
                    modules, rules));
        }
        n.finish();
        return new Notifications(hooks, queue, attempts, Duration.ofSeconds(initial), Duration.ofSeconds(max), Duration.ofSeconds(timeout));
    }

    private static final Pattern CLUSTER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final Pattern HOST_PORT = Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9][A-Za-z0-9.-]*):(\\d{1,5})");

    /** The cluster section: checked even when disabled, so that turning it on later does not meet old mistakes. */
    private static Cluster cluster(ConfigNode c, StoreSettings store, Map<String, String> env) {
        boolean enabled = c.bool("enabled", false);
        String name = c.string("name", Cluster.DISABLED.name());
        String bind = c.string("bindAddress", Cluster.DISABLED.bindAddress()).trim();
        int port = c.integer("port", Cluster.DISABLED.port(), 1, 65535);
        List<String> members = c.strings("members", List.of());
        int minSize = c.integer("minSize", 1, 1, 1000);
        int replication = c.integer("replicationFactor", enabled ? 2 : 1, 1, 2);
        int peerPort = c.integer("peerPort", Math.min(65535, port + 100), 1, 65535);
        Duration stealAfter = Duration.ofSeconds(c.integer("stealAfterSeconds", 30, 1, 86_400));
        Duration failureDetection = Duration.ofSeconds(c.integer("failureDetectionSeconds", 15, 3, 600));
        int eventBusPort = c.integer("eventBusPort", 0, 0, 65535);
        if (c.has("secret")) {
            throw new ConfigException(c.key("secret") + ": the secret is never written in the configuration; put it in a file only "
                    + "RadFlow can read and set " + c.key("secretFile") + ", or name an environment variable in " + c.key("secretEnv"));
        }
        String secretFile = c.string("secretFile", null);
        String secretEnv = c.string("secretEnv", null);
        c.finish();
        if (!CLUSTER_NAME.matcher(name).matches()) {
            throw new ConfigException(c.key("name") + ": '" + name + "' is not a cluster name; use letters, digits, '.', '_' and '-' "
                    + "(at most 64), the same on every node");
        }
        if (bind.isEmpty() || bind.equals("0.0.0.0") || bind.equals("::") || bind.equals("[::]")) {
            throw new ConfigException(c.key("bindAddress") + ": '" + bind + "' is not one address; give this node's IP address on the "
                    + "cluster network (the other members connect to it), e.g. 10.0.0.11");
        }
        List<String> normalized = new java.util.ArrayList<>();
        for (String m : members) {
            String member = m.trim();
            java.util.regex.Matcher hp = HOST_PORT.matcher(member);
            if (!hp.matches() || Integer.parseInt(hp.group(2)) < 1 || Integer.parseInt(hp.group(2)) > 65535) {
                throw new ConfigException(c.key("members") + ": '" + m + "' is not \"host:port\"; list each node's cluster address "
                        + "and port, e.g. \"10.0.0.12:5701\"");
            }
            normalized.add(member);
        }
        if (enabled && normalized.isEmpty()) {
            throw new ConfigException(c.key("members") + ": empty while " + c.key("enabled") + " is true; list the nodes to join "
                    + "as \"host:port\" (every node's " + c.key("bindAddress") + ":" + c.key("port") + "; multicast is never used)");
        }
        if (enabled && !store.postgres()) {
            throw new ConfigException(c.key("enabled") + " needs store.url on PostgreSQL shared by all nodes "
                    + "(jdbc:postgresql://HOST:5432/DATABASE); the embedded H2 store is this node's alone");
        }
        if (peerPort == port) {
            throw new ConfigException(c.key("peerPort") + ": " + peerPort + " is also " + c.key("port") + " (Hazelcast's); give the "
                    + "peer endpoint a port of its own (default: cluster.port + 100)");
        }
        if (eventBusPort != 0 && (eventBusPort == port || eventBusPort == peerPort)) {
            throw new ConfigException(c.key("eventBusPort") + ": " + eventBusPort + " is also " + c.key(eventBusPort == port ? "port" : "peerPort")
                    + "; give the event bus a port of its own, or 0 for any free port");
        }
        if (enabled && replication > 1 && minSize < replication) {
            throw new ConfigException(c.key("minSize") + ": " + minSize + " is below " + c.key("replicationFactor") + " (" + replication
                    + "); a node alone cannot keep two copies, so it would refuse every instance: set minSize to at least "
                    + replication + " or replicationFactor to 1");
        }
        Secret secret = secret(c, enabled, secretFile, secretEnv == null ? null : env.get(secretEnv), secretEnv);
        return new Cluster(enabled, name, bind, port, normalized, minSize, replication, peerPort, secret, stealAfter, failureDetection, eventBusPort);
    }

    /** The members' shared secret: from a file or an environment variable, as the store's password; required in a cluster. */
    private static Secret secret(ConfigNode c, boolean enabled, String file, String envValue, String env) {
        if (file != null && env != null) {
            throw new ConfigException(c.key("secretFile") + "/" + c.key("secretEnv") + ": give one of them, not both");
        }
        String value = null;
        if (file != null) {
            try {
                value = Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
                SecretFiles.warnIfWorldReadable(c.key("secretFile"), Path.of(file));
            } catch (IOException | java.nio.file.InvalidPathException e) {
                throw new ConfigException(c.key("secretFile") + ": cannot read '" + file + "' (" + e.getMessage() + "); give a file "
                        + "that holds the cluster's shared secret and that the RadFlow user may read (chmod 600)");
            }
        } else if (env != null) {
            value = envValue;
            if (value == null) {
                throw new ConfigException(c.key("secretEnv") + ": the environment variable '" + env + "' is not set; set it to the "
                        + "cluster's shared secret in RadFlow's environment, or use " + c.key("secretFile"));
            }
        }
        if (value == null) {
            if (enabled) {
                throw new ConfigException(c.key("secretFile") + ": missing while " + c.key("enabled") + " is true; members copy "
                        + "instances to each other only with a shared secret: write one (e.g. `openssl rand -hex 32`) into a file "
                        + "on every node and set " + c.key("secretFile") + " (or " + c.key("secretEnv") + ")");
            }
            return Secret.NONE;
        }
        if (value.length() < 16) {
            throw new ConfigException((file != null ? c.key("secretFile") : c.key("secretEnv")) + ": the secret has " + value.length()
                    + " characters; use at least 16 (e.g. `openssl rand -hex 32`)");
        }
        return new Secret(value);
    }

    /**
     * The store: embedded H2 in {@code <dataDir>/journal} unless {@code store.url} names another database.
     * The password comes from a file or an environment variable, never from the YAML itself.
     */
    private static StoreSettings store(ConfigNode st, Path dataDir, Map<String, String> env) {
        if (st.has("password")) {
            throw new ConfigException(st.key("password") + ": the password is never written in the configuration; put it in a "
                    + "file only RadFlow can read and set " + st.key("passwordFile") + ", or name an environment variable in "
                    + st.key("passwordEnv"));
        }
        StoreSettings embedded = StoreSettings.embedded(dataDir.resolve("journal"));
        String url = st.string("url", embedded.url());
        if (!url.startsWith("jdbc:h2:") && !url.startsWith("jdbc:postgresql://")) {
            throw new ConfigException(st.key("url") + ": '" + url + "' is not a database RadFlow supports; use "
                    + "jdbc:postgresql://HOST:5432/DATABASE (a cluster's shared store) or jdbc:h2:async:/PATH (embedded), "
                    + "or leave it out for the embedded store in <dataDir>/journal");
        }
        String user = st.string("user", "radflow");
        if (user.isBlank()) {
            throw new ConfigException(st.key("user") + ": empty; give the database user (default radflow)");
        }
        String passwordFile = st.string("passwordFile", null);
        String passwordEnv = st.string("passwordEnv", null);
        int maxConnections = st.integer("maxConnections", StoreSettings.DEFAULT_MAX_CONNECTIONS, 1, 1000);
        st.finish();
        if (passwordFile != null && passwordEnv != null) {
            throw new ConfigException(st.key("passwordFile") + "/" + st.key("passwordEnv") + ": give one of them, not both");
        }
        String password = "";
        if (passwordFile != null) {
            try {
                password = Files.readString(Path.of(passwordFile), StandardCharsets.UTF_8).strip();
                SecretFiles.warnIfWorldReadable(st.key("passwordFile"), Path.of(passwordFile));
            } catch (IOException | java.nio.file.InvalidPathException e) {
                throw new ConfigException(st.key("passwordFile") + ": cannot read '" + passwordFile + "' (" + e.getMessage()
                        + "); give a file that holds the database password and that the RadFlow user may read (chmod 600)");
            }
            if (password.isEmpty()) {
                throw new ConfigException(st.key("passwordFile") + ": '" + passwordFile + "' is empty; write the database password into it");
            }
        } else if (passwordEnv != null) {
            String v = env.get(passwordEnv);
            if (v == null || v.isEmpty()) {
                throw new ConfigException(st.key("passwordEnv") + ": the environment variable '" + passwordEnv + "' is not set; "
                        + "set it to the database password in RadFlow's environment (e.g. the systemd unit's EnvironmentFile), "
                        + "or use " + st.key("passwordFile"));
            }
            password = v;
        }
        return new StoreSettings(url, user, password, maxConnections);
    }

    static final List<String> DEFAULT_OPEN_PATHS = List.of("/api/health", "/metrics");
    private static final Pattern HEX64 = Pattern.compile("[0-9a-fA-F]{64}");

    private static Api api(ConfigNode a) {
        boolean enabled = a.bool("enabled", true);
        String bind = a.string("bindAddress", "127.0.0.1");
        int port = a.integer("port", 8080, 0, 65535);
        ConfigNode au = a.child("auth");
        List<ApiToken> tokens = new java.util.ArrayList<>();
        Set<String> names = new HashSet<>();
        List<Object> rawTokens = au.list("tokens");
        for (int i = 0; i < rawTokens.size(); i++) {
            String key = au.key("tokens") + "[" + i + "]";
            if (!(rawTokens.get(i) instanceof Map<?, ?> m)) {
                throw new ConfigException(key + ": expected {name: ..., token: ... (or sha256: ...), role: viewer|operator|admin}");
            }
            Map<String, Object> tm = new LinkedHashMap<>();
            m.forEach((k, v) -> tm.put(String.valueOf(k), v));
            ConfigNode t = au.entry(key, tm);
            String name = t.requiredString("name", "a name for whoever uses this token (shown in the audit trail)");
            if (!names.add(name)) {
                throw new ConfigException(t.key("name") + ": '" + name + "' is used by another token; names must be unique");
            }
            String token = t.secret("token");
            String sha = t.string("sha256", null);
            byte[] hash;
            if ((token == null) == (sha == null)) {
                throw new ConfigException(key + ": give either token (the secret itself), tokenFile (a file holding it) or sha256 "
                        + "(its SHA-256 in hex, e.g. from `printf %s TOKEN | sha256sum`)");
            }
            if (token != null) {
                if (token.length() < 16 || token.isBlank()) {
                    throw new ConfigException(t.key("token") + ": too short; use at least 16 random characters "
                            + "(e.g. `openssl rand -hex 24`)");
                }
                hash = sha256(token);
            } else {
                if (!HEX64.matcher(sha).matches()) {
                    throw new ConfigException(t.key("sha256") + ": expected 64 hexadecimal digits (the SHA-256 of the token)");
                }
                hash = java.util.HexFormat.of().parseHex(sha.toLowerCase(java.util.Locale.ROOT));
            }
            String role = t.requiredString("role", "viewer (read), operator (retry, cancel, reprocess, enable/disable) or admin");
            Role r;
            try {
                r = Role.valueOf(role.trim().toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(t.key("role") + ": '" + role + "' is not a role; use viewer, operator or admin");
            }
            t.finish();
            tokens.add(new ApiToken(name, hash, r));
        }
        List<String> open = au.strings("open", DEFAULT_OPEN_PATHS);
        for (String p : open) {
            if (!p.startsWith("/")) {
                throw new ConfigException(au.key("open") + ": '" + p + "' is not a path; use paths such as /api/health or /metrics");
            }
        }
        au.finish();
        ConfigNode tl = a.child("tls");
        String cert = tl.string("certificate", null);
        String key = tl.string("key", null);
        tl.finish();
        if ((cert == null) != (key == null)) {
            throw new ConfigException(tl.key("certificate") + "/" + tl.key("key") + ": give both (PEM files) for HTTPS, or neither for HTTP");
        }
        List<Path> ruleTesterFolders = new java.util.ArrayList<>();
        for (String f : a.strings("ruleTesterFolders", List.of())) {
            Path folder;
            try {
                folder = Path.of(f);
            } catch (java.nio.file.InvalidPathException e) {
                throw new ConfigException(a.key("ruleTesterFolders") + ": '" + f + "' is not a path");
            }
            if (!folder.isAbsolute()) {
                throw new ConfigException(a.key("ruleTesterFolders") + ": '" + f + "' is relative; give absolute folders, "
                        + "e.g. /srv/radflow/sample-studies");
            }
            if (folder.normalize().getNameCount() == 0) {
                throw new ConfigException(a.key("ruleTesterFolders") + ": '" + f + "' would let the rule tester read every file "
                        + "the server can read; name the folder that holds sample studies");
            }
            ruleTesterFolders.add(folder.normalize());
        }
        a.finish();
        if (enabled && tokens.isEmpty() && !isLoopback(bind)) {
            throw new ConfigException(a.key("bindAddress") + ": '" + bind + "' is not a loopback address, and api.auth.tokens is empty: "
                    + "the API would be open to the network. Add tokens under api.auth.tokens (see deploy/radflow.example.yaml) "
                    + "or bind to 127.0.0.1");
        }
        return new Api(enabled, bind, port, new Auth(tokens, open), cert == null ? null : new Tls(Path.of(cert), Path.of(key)),
                ruleTesterFolders);
    }

    /** True for a literal loopback address or "localhost"; a host name is not resolved (it could change). */
    public static boolean isLoopback(String address) {
        String a = address.trim();
        if (a.equalsIgnoreCase("localhost")) {
            return true;
        }
        if (a.startsWith("[") && a.endsWith("]")) {
            a = a.substring(1, a.length() - 1);
        }
        if (!a.matches("[0-9.]+") && !a.contains(":")) {
            return false;
        }
        try {
            return java.net.InetAddress.getByName(a).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    public static byte[] sha256(String token) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Viewer viewer(ConfigNode v, Api api) {
        boolean enabled = v.bool("enabled", true);
        String bind = v.string("bindAddress", "127.0.0.1");
        int port = v.integer("port", api.port() == 0 ? 0 : Math.min(api.port() + 1, 65535), 0, 65535);
        if (enabled && api.enabled() && port != 0 && port == api.port()) {
            throw new ConfigException(v.key("port") + ": " + port + " is api.port too; the viewer needs its own port (OHIF must be at the root of its origin)");
        }
        String url = v.string("dicomWebUrl", "http://127.0.0.1:8042/dicom-web");
        try {
            URI u = new URI(url);
            if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null) {
                throw new URISyntaxException(url, "not an http(s) URL with a host");
            }
        } catch (URISyntaxException e) {
            throw new ConfigException(v.key("dicomWebUrl") + ": '" + url + "' is not an http(s) URL with a host; "
                    + "give the PACS's DICOMweb root, e.g. http://127.0.0.1:8042/dicom-web");
        }
        String dir = v.string("ohifDir", null);
        v.finish();
        return new Viewer(enabled, bind, port, url.endsWith("/") ? url.substring(0, url.length() - 1) : url,
                dir == null ? null : Path.of(dir));
    }

    private static final java.util.Set<String> MODULES_KEYS = java.util.Set.of("dir", "modelsDir", "watch");

    private static Modules modules(ConfigNode m, Path dataDir, Workers workers) {
        Path dir = Path.of(m.string("dir", dataDir.resolve("modules").toString()));
        Path models = Path.of(m.string("modelsDir", dataDir.resolve("models").toString()));
        boolean watch = m.bool("watch", true);
        Map<String, ModuleSettings> settings = new LinkedHashMap<>();
        for (String id : m.keys()) {
            if (MODULES_KEYS.contains(id)) {
                continue;
            }
            if (!id.matches("[a-z][a-z0-9-]{0,39}")) {
                throw new ConfigException(m.key(id) + ": '" + id + "' is not a module id (lower case letters, digits, '-'); "
                        + "besides module ids, 'modules' takes dir, modelsDir and watch");
            }
            ConfigNode n = m.child(id);
            boolean enabled = n.bool("enabled", true);
            Integer concurrency = n.has("maxConcurrentJobs") ? n.integer("maxConcurrentJobs", 1, 1, 256) : null;
            Integer queue = n.has("queueLimit") ? n.integer("queueLimit", 100, 1, 1_000_000) : null;
            Duration timeout = n.has("timeoutSeconds") ? Duration.ofSeconds(n.integer("timeoutSeconds", 600, 1, 86_400)) : null;
            Map<String, Object> config = n.rawMap("config");
            String iso = n.string("isolation", "process");
            Isolation isolation = switch (iso) {
                case "in-process" -> Isolation.IN_PROCESS;
                case "process" -> Isolation.PROCESS;
                default -> throw new ConfigException(n.key("isolation") + ": '" + iso + "' is not 'in-process' (the server's JVM) "
                        + "or 'process' (supervised worker processes)");
            };
            Integer heap = n.has("heapMb") ? n.integer("heapMb", 1024, 64, 262_144) : null;
            int crashes = n.integer("maxWorkerCrashes", ModuleSettings.DEFAULT_MAX_WORKER_CRASHES, 1, 1000);
            int threads = n.integer("maxThreads", ModuleSettings.DEFAULT_MAX_THREADS, 32, 1_000_000);
            String cpus = n.string("cpus", null);
            if (cpus != null && !cpus.matches("\\d+(-\\d+)?(,\\d+(-\\d+)?)*")) {
                throw new ConfigException(n.key("cpus") + ": '" + cpus + "' is not a CPU list; write it as taskset -c does, e.g. \"2-3\" or \"0,2,4-7\"");
            }
            // a module's own key written one level too high is the usual slip: say where it goes
            n.finish(k -> "; if '" + k + "' is one of the module's own keys, it belongs under " + n.key("config")
                    + " (" + n.key("config") + "." + k + ")");
            settings.put(id, new ModuleSettings(enabled, concurrency, queue, timeout, config, isolation, heap, crashes, threads, cpus));
        }
        return new Modules(dir, models, watch, Map.copyOf(settings), workers);
    }

    private static Workers workers(ConfigNode w) {
        int idle = w.integer("idleMinutes", 30, 0, 7 * 24 * 60);
        int heartbeat = w.integer("heartbeatTimeoutSeconds", 15, 2, 3600);
        int output = w.integer("outputLimitMb", 16, 1, 4096);
        w.finish();
        return new Workers(Duration.ofMinutes(idle), Duration.ofSeconds(heartbeat), (long) output << 20);
    }

    private static Destination destination(String name, ConfigNode d, String ourAeTitle) {
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")) {
            throw new ConfigException(d.key("") + ": destination names use letters, digits, '.', '_' and '-' (at most 64)");
        }
        String type = d.requiredString("type", "set it to 'dicom' (C-STORE) or 'dicomweb' (STOW-RS)");
        Destination result;
        switch (type) {
            case "dicom" -> {
                String called = aeTitle(d, "aeTitle", null);
                String host = d.requiredString("host", "the destination's host name or IP address");
                int port = d.integer("port", 104, 1, 65535);
                String calling = aeTitle(d, "callingAeTitle", ourAeTitle);
                int connect = d.integer("connectTimeoutSeconds", 10, 1, 600);
                int response = d.integer("responseTimeoutSeconds", 60, 1, 3600);
                int maxPdu = d.integer("maxPduLength", 131072, 4096, 1 << 20);
                CStoreSender.Settings settings = new CStoreSender.Settings(called, host, port, calling,
                        Duration.ofSeconds(connect), Duration.ofSeconds(response), maxPdu);
                DicomTls tls = destinationTls(d.child("tls"));
                if (tls != null) {
                    settings = settings.withTls(tls);
                }
                // storage commitment (push model): the PACS reports to our listener, so it must know RadFlow's AE there
                boolean commitment = d.bool("commitment", false);
                int commitTimeout = d.integer("commitmentTimeoutSeconds",
                        (int) CStoreSender.Settings.DEFAULT_COMMITMENT_TIMEOUT.toSeconds(), 5, 7 * 24 * 3600);
                int commitWaitMs = d.integer("commitmentWaitMillis", (int) CStoreSender.Settings.DEFAULT_COMMITMENT_WAIT.toMillis(),
                        0, 60_000);
                if (commitment) {
                    settings = settings.withCommitment(Duration.ofSeconds(commitTimeout), Duration.ofMillis(commitWaitMs));
                }
                result = new DicomDestination(name, settings);
            }
            case "dicomweb" -> {
                String url = d.requiredString("url", "the DICOMweb root, e.g. http://pacs:8042/dicom-web");
                try {
                    URI u = new URI(url);
                    if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null) {
                        throw new URISyntaxException(url, "not an http(s) URL with a host");
                    }
                } catch (URISyntaxException e) {
                    throw new ConfigException(d.key("url") + ": '" + url + "' is not an http(s) URL with a host");
                }
                String bearer = d.secret("bearerToken");
                String user = d.string("username", null);
                String password = d.secret("password");
                if ((user == null) != (password == null)) {
                    throw new ConfigException(d.key("username") + "/" + d.key("password") + ": give both or neither");
                }
                if (bearer != null && user != null) {
                    throw new ConfigException(d.key("bearerToken") + ": use either a bearer token or a username and password, not both");
                }
                int timeout = d.integer("timeoutSeconds", 60, 1, 3600);
                int maxFiles = d.integer("maxFilesPerRequest", 100, 1, 10000);
                long maxMb = d.longValue("maxMbPerRequest", 64, 1, 4096);
                result = new DicomWebDestination(name, new StowRsSender.Settings(url, bearer, user, password,
                        Duration.ofSeconds(timeout), maxFiles, maxMb * 1024 * 1024));
            }
            default -> throw new ConfigException(d.key("type") + ": '" + type + "' is not a destination type; use 'dicom' or 'dicomweb'");
        }
        d.finish();
        return result;
    }

    private static String aeTitle(ConfigNode n, String key, String defaultValue) {
        String v = defaultValue == null ? n.requiredString(key, "the AE title, 1-16 characters") : n.string(key, defaultValue);
        if (!AE_TITLE.matcher(v).matches() || v.isBlank()) {
            throw new ConfigException(n.key(key) + ": '" + v + "' is not an AE title; use 1-16 printable ASCII characters without backslash");
        }
        return v.trim();
    }

    private static String defaultNodeName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "radflow";
        }
    }
}
