package org.radflow.cluster;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.radflow.dicom.Uids;
import org.radflow.listener.InstanceSink;
import org.radflow.listener.InstanceStored;
import org.radflow.listener.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * This node's peer endpoint: where other members put the second copy of an instance (or the owner's copy), list what
 * this node holds of a study and fetch an instance they lack. HTTP on {@code cluster.bindAddress:cluster.peerPort};
 * a request is served only from a member's address and with the cluster's shared secret.
 *
 * <pre>
 * PUT /peer/v1/instances/{study}/{series}/{sop}   Part-10 file; 204 once durable here (and handed to intake)
 * GET /peer/v1/studies/{study}                    {"instances": [{"series": ..., "sop": ...}]}
 * GET /peer/v1/instances/{study}/{series}/{sop}   the Part-10 file, or 404
 * GET /peer/v1/results/{job}                      {"files": ["result.json", "dicom/…"]} of a job this node ran, or 404
 * GET /peer/v1/results/{job}/{file}               one of those files
 * </pre>
 */
public final class PeerServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PeerServer.class);
    static final String SECRET_HEADER = "X-RadFlow-Secret";
    static final String NODE_HEADER = "X-RadFlow-Node";
    static final String PREFIX = "/peer/v1/";

    private final Spool spool;
    private final byte[] secret;
    private final Supplier<Set<String>> memberHosts;
    private final InstanceSink sink;
    private final Path results;
    private final ExecutorService threads = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "peer-endpoint");
        t.setDaemon(true);
        return t;
    });
    private HttpServer server;

    /**
     * @param memberHosts the addresses members joined from (requests from anywhere else are refused)
     * @param sink        intake: an instance put here is tracked like one received over DICOM
     */
    public PeerServer(Spool spool, String secret, Supplier<Set<String>> memberHosts, InstanceSink sink) {
        this(spool, secret, memberHosts, sink, null);
    }

    /** @param results this node's result folders (one per job: result.json and dicom/), served to members; null: none */
    public PeerServer(Spool spool, String secret, Supplier<Set<String>> memberHosts, InstanceSink sink, Path results) {
        this.results = results;
        this.spool = spool;
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
        this.memberHosts = memberHosts;
        this.sink = sink;
    }

    public PeerServer start(String host, int port) throws IOException {
        // the JDK server's own switch for TCP_NODELAY (read when its first server starts): a 204 must not wait for an ACK
        System.setProperty("sun.net.httpserver.nodelay", "true");
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 64);
        } catch (IOException e) {
            throw new IOException("cannot open the cluster peer endpoint on " + host + ":" + port
                    + " (cluster.bindAddress/cluster.peerPort; is the port free?): " + e.getMessage(), e);
        }
        server.setExecutor(threads);
        server.createContext(PREFIX, this::handle);
        server.start();
        LOG.info("Cluster peer endpoint on {}:{}", host, server.getAddress().getPort());
        return this;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            String from = x.getRemoteAddress().getAddress().getHostAddress();
            if (!memberHosts.get().contains(from)) {
                LOG.warn("Peer request from {} refused: not a cluster member's address", Uids.forLog(from));
                reply(x, 403, "not a cluster member's address");
                return;
            }
            String given = x.getRequestHeaders().getFirst(SECRET_HEADER);
            if (given == null || !MessageDigest.isEqual(secret, given.getBytes(StandardCharsets.UTF_8))) {
                LOG.warn("Peer request from {} refused: wrong or missing cluster secret", from);
                reply(x, 403, "wrong or missing cluster secret (cluster.secretFile must be the same on every node)");
                return;
            }
            String[] parts = x.getRequestURI().getPath().substring(PREFIX.length()).split("/");
            String method = x.getRequestMethod();
            if (parts.length == 4 && parts[0].equals("instances") && valid(parts)) {
                if (method.equals("PUT")) {
                    put(x, parts[1], parts[2], parts[3]);
                } else if (method.equals("GET")) {
                    get(x, spool.finalPath(parts[1], parts[2], parts[3]));
                } else {
                    reply(x, 405, "PUT or GET");
                }
            } else if (parts.length == 2 && parts[0].equals("studies") && valid(parts) && method.equals("GET")) {
                list(x, parts[1]);
            } else if (results != null && parts.length >= 2 && parts[0].equals("results") && JOB_ID.matcher(parts[1]).matches()
                    && method.equals("GET")) {
                result(x, parts);
            } else {
                reply(x, 404, "no such peer resource");
            }
        } catch (RuntimeException e) {
            LOG.error("Peer request failed: {}", e.toString(), e);
        }
    }

    private static final java.util.regex.Pattern JOB_ID = java.util.regex.Pattern.compile("[0-9a-f-]{36}");
    private static final java.util.regex.Pattern FILE_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,200}");

    /** A job's result folder: its file list, or one file (result.json, or dicom/NAME). */
    private void result(HttpExchange x, String[] parts) throws IOException {
        Path dir = results.resolve(parts[1]);
        if (!Files.isDirectory(dir)) {
            reply(x, 404, "no result of that job here");
            return;
        }
        if (parts.length == 2) {
            JsonArray files = new JsonArray();
            if (Files.isRegularFile(dir.resolve("result.json"))) {
                files.add("result.json");
            }
            Path dicom = dir.resolve("dicom");
            if (Files.isDirectory(dicom)) {
                try (DirectoryStream<Path> d = Files.newDirectoryStream(dicom)) {
                    for (Path f : d) {
                        files.add("dicom/" + f.getFileName());
                    }
                }
            }
            byte[] body = new JsonObject().put("files", files).encode().getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().set("Content-Type", "application/json");
            x.sendResponseHeaders(200, body.length);
            try (OutputStream o = x.getResponseBody()) {
                o.write(body);
            }
        } else if (parts.length == 3 && parts[2].equals("result.json")) {
            get(x, dir.resolve("result.json"));
        } else if (parts.length == 4 && parts[2].equals("dicom") && FILE_NAME.matcher(parts[3]).matches()) {
            get(x, dir.resolve("dicom").resolve(parts[3]));
        } else {
            reply(x, 404, "no such result file");
        }
    }

    private static boolean valid(String[] parts) {
        for (int i = 1; i < parts.length; i++) {
            if (!Uids.isValid(parts[i])) {
                return false;
            }
        }
        return true;
    }

    private void put(HttpExchange x, String study, String series, String sop) throws IOException {
        if (!spool.hasRoom()) {
            reply(x, 507, "spool free space is below listener.minFreeSpaceMb on " + "this node");
            return;
        }
        Path temp = spool.newTempFile();
        long size;
        // one sync before the answer, as for the listener's own instances: the file's, which also makes its record
        // (size, CRC-32C, final name) durable; the folders follow in the spool's next batch, and a crash before that
        // leaves a sealed file that the listener's start moves to its final name
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        try (InputStream in = new java.util.zip.CheckedInputStream(x.getRequestBody(), crc);
             FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            size = out.transferFrom(java.nio.channels.Channels.newChannel(in), 0, Long.MAX_VALUE);
            spool.sealCopy(temp, out, size, (int) crc.getValue(), study, series, sop);
        } catch (IOException e) {
            Files.deleteIfExists(temp);
            LOG.error("Storing a peer's copy of {} failed: {}", Uids.forLog(sop), e.toString());
            reply(x, 500, "spool write failed: " + e.getMessage());
            return;
        }
        Path target = spool.commitSealed(temp, study, series, sop);
        var h = x.getRequestHeaders();
        sink.stored(new InstanceStored(study, series, sop, h.getFirst("X-Sop-Class"), h.getFirst("X-Modality"),
                h.getFirst("X-Transfer-Syntax"), h.getFirst("X-Calling-Ae"), target, size, Instant.now()));
        x.sendResponseHeaders(204, -1);
    }

    private static void get(HttpExchange x, Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            reply(x, 404, "not held here");
            return;
        }
        x.sendResponseHeaders(200, Files.size(file));
        try (OutputStream out = x.getResponseBody()) {
            Files.copy(file, out);
        }
    }

    private void list(HttpExchange x, String study) throws IOException {
        JsonArray out = new JsonArray();
        Path dir = spool.incoming().resolve(study);
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> seriesDirs = Files.newDirectoryStream(dir)) {
                for (Path s : seriesDirs) {
                    if (!Files.isDirectory(s)) {
                        continue;
                    }
                    try (DirectoryStream<Path> files = Files.newDirectoryStream(s, "*" + Spool.SUFFIX)) {
                        for (Path f : files) {
                            String n = f.getFileName().toString();
                            out.add(new JsonObject().put("series", s.getFileName().toString())
                                    .put("sop", n.substring(0, n.length() - Spool.SUFFIX.length())));
                        }
                    }
                }
            }
        }
        byte[] body = new JsonObject().put("instances", out).encode().getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(200, body.length);
        try (OutputStream o = x.getResponseBody()) {
            o.write(body);
        }
    }

    private static void reply(HttpExchange x, int status, String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        x.sendResponseHeaders(status, b.length);
        try (OutputStream o = x.getResponseBody()) {
            o.write(b);
        }
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop(1);
        }
        threads.shutdownNow();
    }
}
