package org.radflow.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Several "hosts" on one machine for partition tests: a bridge in the root network namespace with an address on a
 * private /24, and network namespaces each joined to it by a veth pair, with its own address (.11, .12, ...) and its own
 * {@code lo}. Cutting a host sets the root-side end of its veth down (the host keeps its address and its loopback but
 * reaches nobody); healing sets it up again. Needs root and iproute2.
 *
 * <p>Names carry the test JVM's PID (interface names are limited to 15 characters) so that parallel runs and leftovers of
 * a crashed run never collide; {@link #close()} removes everything this object created, and is safe to call twice.
 */
final class NetNamespaces implements AutoCloseable {

    /** One namespace: its name, its address on the bridge, the root-side end of its veth. */
    record Host(String namespace, String address, String rootVeth) {

        /** {@code command} run inside this namespace. */
        List<String> exec(List<String> command) {
            List<String> out = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
            out.addAll(command);
            return out;
        }

        /**
         * An HTTP GET from inside the namespace (curl), e.g. to a node's API bound to the namespace's own loopback; the
         * status code and body, or an IOException when nothing answers (connection refused, timeout).
         */
        Response get(int port, String path) throws IOException {
            String marker = "\n--radflow-status:";
            Result r = run(exec(List.of("curl", "-sS", "--max-time", "30", "-w", marker + "%{http_code}",
                    "http://127.0.0.1:" + port + path)), 40);
            int at = r.output().lastIndexOf(marker);
            if (r.exitCode() != 0 || at < 0) {
                throw new IOException("GET " + path + " in " + namespace + " (port " + port + "): curl exit " + r.exitCode() + ": "
                        + r.output().strip());
            }
            return new Response(Integer.parseInt(r.output().substring(at + marker.length()).strip()), r.output().substring(0, at));
        }
    }

    record Response(int status, String body) {
    }

    record Result(int exitCode, String output) {
    }

    private final String prefix;
    private final String subnet;
    private final String bridge;
    private final List<Host> hosts = new ArrayList<>();
    private boolean bridgeCreated;

    private NetNamespaces(String prefix, String subnet) {
        this.prefix = prefix;
        this.subnet = subnet;
        this.bridge = prefix + "br";
    }

    /** Why partition tests cannot run here, or null when they can (root, iproute2 and curl present). */
    static String unavailableBecause() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "network namespaces need root (running as " + System.getProperty("user.name") + ")";
        }
        for (String tool : List.of("ip", "curl")) {
            if (!onPath(tool)) {
                return "'" + tool + "' is not on the PATH (Debian packages iproute2 and curl)";
            }
        }
        return null;
    }

    /**
     * Creates the bridge and {@code count} namespaces on the first free subnet 10.231.N.0/24 (N from the PID, then on);
     * on any failure removes what it made and throws.
     */
    static NetNamespaces create(int count) throws Exception {
        long pid = ProcessHandle.current().pid();
        String used = run(List.of("ip", "-4", "addr"), 10).output() + run(List.of("ip", "-4", "route"), 10).output();
        String subnet = null;
        for (int i = 0; i < 200 && subnet == null; i++) {
            String candidate = "10.231." + (20 + (pid + i) % 200);
            if (!used.contains(candidate + ".")) {
                subnet = candidate;
            }
        }
        if (subnet == null) {
            throw new IllegalStateException("no free 10.231.N.0/24 on this host: " + used);
        }
        NetNamespaces net = new NetNamespaces("rf" + pid, subnet);
        try {
            net.build(count);
        } catch (Exception | Error e) {
            net.close();
            throw e;
        }
        return net;
    }

    private void build(int count) throws IOException {
        must(List.of("ip", "link", "add", bridge, "type", "bridge"));
        bridgeCreated = true;
        must(List.of("ip", "addr", "add", bridgeAddress() + "/24", "dev", bridge));
        must(List.of("ip", "link", "set", bridge, "up"));
        for (int i = 1; i <= count; i++) {
            Host h = new Host(prefix + "n" + i, subnet + "." + (10 + i), prefix + "h" + i);
            String inner = prefix + "c" + i;
            must(List.of("ip", "netns", "add", h.namespace()));
            hosts.add(h);
            must(List.of("ip", "link", "add", h.rootVeth(), "type", "veth", "peer", "name", inner, "netns", h.namespace()));
            must(List.of("ip", "link", "set", h.rootVeth(), "master", bridge, "up"));
            must(List.of("ip", "-n", h.namespace(), "addr", "add", h.address() + "/24", "dev", inner));
            must(List.of("ip", "-n", h.namespace(), "link", "set", inner, "up"));
            must(List.of("ip", "-n", h.namespace(), "link", "set", "lo", "up"));
        }
    }

    /** The root namespace's address on the bridge: where PostgreSQL and Orthanc are reached from the namespaces. */
    String bridgeAddress() {
        return subnet + ".1";
    }

    /** The subnet as CIDR, e.g. for pg_hba.conf. */
    String cidr() {
        return subnet + ".0/24";
    }

    /** Host {@code index}, from 1. */
    Host host(int index) {
        return hosts.get(index - 1);
    }

    List<Host> hosts() {
        return List.copyOf(hosts);
    }

    /** Cuts host {@code index} off: the root-side end of its veth goes down (nothing in or out). */
    void cut(int index) throws IOException {
        must(List.of("ip", "link", "set", host(index).rootVeth(), "down"));
    }

    /** Joins host {@code index} again. */
    void heal(int index) throws IOException {
        must(List.of("ip", "link", "set", host(index).rootVeth(), "up"));
    }

    /** Waits until a TCP connection from each namespace to {@code bridgeAddress():port} succeeds (the links are up). */
    void awaitReachable(int port, long millis) throws Exception {
        for (Host h : hosts) {
            long end = System.currentTimeMillis() + millis;
            Result r;
            do {
                r = run(h.exec(List.of("bash", "-c", "exec 3<>/dev/tcp/" + bridgeAddress() + "/" + port)), 10);
                if (r.exitCode() == 0) {
                    break;
                }
                Thread.sleep(200);
            } while (System.currentTimeMillis() < end);
            if (r.exitCode() != 0) {
                throw new AssertionError(h.namespace() + " cannot reach " + bridgeAddress() + ":" + port + ": " + r.output());
            }
        }
    }

    /** Names of this object's namespaces still listed by {@code ip netns list}. */
    List<String> leftoverNamespaces() throws IOException {
        String list = run(List.of("ip", "netns", "list"), 10).output();
        return list.lines().map(l -> l.split("\\s+")[0]).filter(n -> n.startsWith(prefix)).toList();
    }

    /** Deletes the namespaces (their inner veth ends go with them, and so the root ends) and the bridge. */
    @Override
    public void close() throws IOException {
        List<String> problems = new ArrayList<>();
        for (Host h : hosts) {
            Result r = run(List.of("ip", "netns", "del", h.namespace()), 10);
            if (r.exitCode() != 0) {
                problems.add("ip netns del " + h.namespace() + ": " + r.output().strip());
            }
            // normally gone with its peer; left only if the namespace was never given its end
            if (run(List.of("ip", "link", "show", h.rootVeth()), 10).exitCode() == 0) {
                run(List.of("ip", "link", "del", h.rootVeth()), 10);
            }
        }
        hosts.clear();
        if (bridgeCreated) {
            Result r = run(List.of("ip", "link", "del", bridge), 10);
            if (r.exitCode() != 0) {
                problems.add("ip link del " + bridge + ": " + r.output().strip());
            }
            bridgeCreated = false;
        }
        if (!problems.isEmpty()) {
            throw new IOException("network clean-up incomplete: " + problems);
        }
    }

    @Override
    public String toString() {
        return "bridge " + bridge + " " + bridgeAddress() + "/24, namespaces " + hosts;
    }

    private static void must(List<String> command) throws IOException {
        Result r = run(command, 20);
        if (r.exitCode() != 0) {
            throw new IOException(String.join(" ", command) + " failed (exit " + r.exitCode() + "): " + r.output().strip());
        }
    }

    static Result run(List<String> command, int timeoutSeconds) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            // small outputs only (ip, curl of a JSON answer): read to the end, then reap
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out after " + timeoutSeconds + " s: " + String.join(" ", command));
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        }
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }
}
