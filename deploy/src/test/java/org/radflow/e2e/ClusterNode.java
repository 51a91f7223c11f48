package org.radflow.e2e;

import io.vertx.core.json.JsonObject;
import org.radflow.testkit.FreePorts;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One RadFlow node of {@link ClusterFailoverIT}: a separate JVM started by {@code bin/radflow serve --config}, with its
 * own data directory, DICOM, API, Hazelcast and peer ports (free loopback ports), its log in a file. For
 * {@link ClusterPartitionIT} a node runs in a network namespace of its own ({@link NetNamespaces.Host}): its listener,
 * Hazelcast and peer endpoint on the namespace's address, its API on the namespace's own loopback (reached through
 * {@code ip netns exec}, so it needs no tokens).
 */
final class ClusterNode {

    /** The keys of replication and failover; the secret file is shared by all nodes (written by the test). */
    static String replicationKeys(int peerPort, Path secretFile) {
        return """
                  replicationFactor: 2
                  failureDetectionSeconds: 6
                  peerPort: %d
                  secretFile: %s
                """.formatted(peerPort, secretFile);
    }

    /**
     * Everything the nodes have in common; {@code hosts} is empty when all run on the root namespace's loopback, else
     * node i runs in {@code hosts.get(i - 1)} and reaches the PACS at {@code pacsHost}.
     */
    record Cluster(String name, String secret, String storeUrl, String storeUser, List<Integer> hazelcastPorts,
                   String pacsAeTitle, String pacsHost, int pacsPort, Path work, List<NetNamespaces.Host> hosts) {

        /** All nodes on loopback. */
        Cluster(String name, String secret, String storeUrl, String storeUser, List<Integer> hazelcastPorts,
                String pacsAeTitle, int pacsPort, Path work) {
            this(name, secret, storeUrl, storeUser, hazelcastPorts, pacsAeTitle, "127.0.0.1", pacsPort, work, List.of());
        }

        /** Node {@code index}'s namespace, or null on loopback. */
        NetNamespaces.Host host(int index) {
            return hosts.isEmpty() ? null : hosts.get(index - 1);
        }

        /** Node {@code index}'s address for the listener, Hazelcast and the peer endpoint. */
        String address(int index) {
            return hosts.isEmpty() ? "127.0.0.1" : hosts.get(index - 1).address();
        }
    }

    final String name;
    final Path dataDir;
    final Path config;
    final Path log;
    final int dicomPort;
    final int apiPort;
    final int hazelcastPort;
    final int peerPort;
    /** The network namespace the node runs in; null: the root namespace (loopback). */
    final NetNamespaces.Host host;
    /** Where its listener, Hazelcast and peer endpoint listen. */
    final String address;
    private Process process;
    private final List<ProcessHandle> killedChildren = new ArrayList<>();

    private ClusterNode(String name, Path dataDir, Path config, Path log, int hazelcastPort, NetNamespaces.Host host,
                        String address) {
        this.name = name;
        this.host = host;
        this.address = address;
        this.dataDir = dataDir;
        this.config = config;
        this.log = log;
        this.dicomPort = FreePorts.find();
        this.apiPort = FreePorts.find();
        this.hazelcastPort = hazelcastPort;
        this.peerPort = FreePorts.find();
    }

    /** Writes the node's configuration and installs the drop-in modules into its own modules folder. */
    static ClusterNode create(Cluster c, int index, java.util.Map<String, Path> moduleJars) throws Exception {
        String name = "node-" + index;
        ClusterNode n = new ClusterNode(name, c.work().resolve(name), c.work().resolve(name + ".yaml"),
                c.work().resolve(name + ".log"), c.hazelcastPorts().get(index - 1), c.host(index), c.address(index));
        Path modules = n.dataDir.resolve("modules");
        FailoverModules.install(moduleJars, modules);
        List<String> memberList = new ArrayList<>();
        for (int i = 1; i <= c.hazelcastPorts().size(); i++) {
            memberList.add("'" + c.address(i) + ":" + c.hazelcastPorts().get(i - 1) + "'");
        }
        String members = String.join(", ", memberList);
        Files.writeString(n.config, """
                server: {dataDir: %s, nodeName: %s}
                listener: {bindAddress: %s, port: %d, minFreeSpaceMb: 0, fsync: false}
                api: {port: %d}
                viewer: {enabled: false}
                store: {url: '%s', user: %s}
                tracking: {seriesQuietSeconds: 1, studyQuietSeconds: 3}
                scheduler: {leaseSeconds: 5, initialBackoffSeconds: 1}
                modules:
                  dir: %s
                  watch: false
                  %s: {heapMb: 128}
                  %s: {heapMb: 128}
                destinations:
                  pacs: {type: dicom, aeTitle: %s, host: %s, port: %d}
                rules:
                  - {name: mr-slow, module: %s, destinations: [pacs], match: {Modality: MR, StudyDescription: {not: {regex: "two-node.*"}}}}
                  - {name: two-node-study, module: %s, destinations: [pacs], match: {Modality: MR, StudyDescription: {regex: "two-node.*"}}}
                cluster:
                  enabled: true
                  name: %s
                  bindAddress: %s
                  port: %d
                  members: [%s]
                  minSize: 2
                %s""".formatted(n.dataDir, name, n.address, n.dicomPort, n.apiPort, c.storeUrl(), c.storeUser(), modules,
                FailoverModules.SLOW, FailoverModules.STUDY, c.pacsAeTitle(), c.pacsHost(), c.pacsPort(), FailoverModules.SLOW,
                FailoverModules.STUDY, c.name(), n.address, n.hazelcastPort, members, replicationKeys(n.peerPort, secretFile(c))));
        return n;
    }

    /** The cluster's shared secret in a file (the configuration never holds it). */
    private static Path secretFile(Cluster c) throws java.io.IOException {
        Path f = c.work().resolve("cluster-secret");
        if (!Files.exists(f)) {
            Files.writeString(f, c.secret() + "\n");
        }
        return f;
    }

    void start() throws Exception {
        List<String> command = List.of("bash", "../bin/radflow", "serve", "--config", config.toString());
        // ip netns exec execs the command (no process in between), so the process started is still the server JVM
        ProcessBuilder pb = new ProcessBuilder(host == null ? command : host.exec(command))
                .redirectErrorStream(true).redirectOutput(log.toFile());
        // three servers and their workers share two cores with the build: small heaps, the serial collector
        pb.environment().put("RADFLOW_JAVA_OPTS", "-Xmx384m -XX:+UseSerialGC");
        pb.environment().put("TCP_NODELAY", "1");
        process = pb.start();
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    void awaitHealthy(long millis) throws Exception {
        long end = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < end) {
            if (!alive()) {
                throw new AssertionError(name + " died while starting:\n" + logTail(40));
            }
            try {
                if (status("/api/health") == 200) {
                    return;
                }
            } catch (java.io.IOException notYet) {
                // not listening yet (the API starts once the node has joined its cluster)
            }
            Thread.sleep(200);
        }
        throw new AssertionError(name + " did not answer /api/health within " + millis / 1000 + " s:\n" + logTail(40));
    }

    JsonObject cluster() throws Exception {
        return get("/api/cluster");
    }

    /** A GET of the node's API: on loopback directly, in a namespace through {@code ip netns exec curl}. */
    JsonObject get(String path) throws Exception {
        if (host == null) {
            return Api.get(apiPort, path);
        }
        NetNamespaces.Response r = host.get(apiPort, path);
        if (r.status() != 200) {
            throw new AssertionError(name + " " + path + ": HTTP " + r.status() + ": " + r.body());
        }
        return new JsonObject(r.body());
    }

    /** A GET of the node's API that answers a JSON array. */
    List<JsonObject> getArray(String path) throws Exception {
        if (host == null) {
            return Api.getArray(apiPort, path);
        }
        NetNamespaces.Response r = host.get(apiPort, path);
        if (r.status() != 200) {
            throw new AssertionError(name + " " + path + ": HTTP " + r.status() + ": " + r.body());
        }
        return new io.vertx.core.json.JsonArray(r.body()).stream().map(o -> (JsonObject) o).toList();
    }

    /** The jobs of {@code GET /api/jobs?limit=1000<query>} (the journal is shared: any node lists all). */
    List<JsonObject> jobs(String query) throws Exception {
        return get("/api/jobs?limit=1000" + query).getJsonArray("jobs").stream().map(o -> (JsonObject) o).toList();
    }

    private int status(String path) throws Exception {
        return host == null ? Api.fetch(apiPort, path).statusCode() : host.get(apiPort, path).status();
    }

    /**
     * kill -9 of the node's server JVM ({@code bin/radflow} execs java, so the launched process is it). Its worker
     * processes are left to notice on their own (their socket to the server closes); returns the moment of the kill.
     */
    Instant killNow() throws Exception {
        killedChildren.addAll(process.descendants().toList());
        Instant at = Instant.now();
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new AssertionError(name + " survived SIGKILL for 10 s");
        }
        return at;
    }

    /**
     * Waits up to {@code millis} for the worker processes of a killed server to exit by themselves; returns how many were
     * still alive then (and kills those, as the loss of the machine would).
     */
    int awaitOrphansGone(long millis) throws InterruptedException {
        long end = System.currentTimeMillis() + millis;
        while (killedChildren.stream().anyMatch(ProcessHandle::isAlive) && System.currentTimeMillis() < end) {
            Thread.sleep(100);
        }
        List<ProcessHandle> left = killedChildren.stream().filter(ProcessHandle::isAlive).toList();
        left.forEach(ProcessHandle::destroyForcibly);
        return left.size();
    }

    int killedChildren() {
        return killedChildren.size();
    }

    /** Graceful stop (SIGTERM, 30 s), then SIGKILL; its workers too. Safe to call on a dead or never started node. */
    void stop() {
        if (process == null) {
            return;
        }
        List<ProcessHandle> children = new ArrayList<>(process.descendants().toList());
        children.addAll(killedChildren);
        try {
            if (process.isAlive()) {
                process.destroy();
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        } finally {
            children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        }
    }

    /** SIGTERM without waiting, so that several nodes shut down at once. */
    void beginStop() {
        if (process != null && process.isAlive()) {
            process.destroy();
        }
    }

    String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (Exception e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public String toString() {
        return name + (host == null ? "" : " in " + host.namespace() + " at " + address) + " (DICOM " + dicomPort + ", API " + apiPort + ", Hazelcast " + hazelcastPort + ", peer " + peerPort + ")";
    }
}
