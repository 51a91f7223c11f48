package org.radflow.cluster;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Calls other members' {@link PeerServer}: put a copy, list a study, fetch an instance. Blocking, on the caller's
 * thread (the association's, for a copy made before the C-STORE is answered). Plain {@link HttpURLConnection} with
 * keep-alive: on loopback it put a 0.5 MB instance in about a third of the time {@code java.net.http.HttpClient} took.
 */
public final class PeerClient {

    /** One instance as a listing names it. */
    public record Held(String series, String sop) {
    }

    /** What travels with a copy so that the receiving node's intake can track it without parsing the file. */
    public record Meta(String sopClassUid, String modality, String transferSyntaxUid, String callingAeTitle) {
    }

    private static final int CONNECT_TIMEOUT_MS = 3000;
    private final String secret;
    private final String self;
    private final int timeoutMs;

    public PeerClient(String secret, String selfNodeName, Duration timeout) {
        this.secret = secret;
        this.self = selfNodeName;
        this.timeoutMs = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
    }

    private HttpURLConnection open(Peer to, String method, String path) throws IOException {
        HttpURLConnection c;
        try {
            c = (HttpURLConnection) URI.create("http://" + to.endpoint() + PeerServer.PREFIX + path).toURL().openConnection();
        } catch (IllegalArgumentException e) {
            throw new IOException("node " + to.nodeName() + " has no usable peer endpoint '" + to.endpoint() + "'", e);
        }
        c.setRequestMethod(method);
        c.setConnectTimeout(CONNECT_TIMEOUT_MS);
        c.setReadTimeout(timeoutMs);
        c.setUseCaches(false);
        c.setRequestProperty(PeerServer.SECRET_HEADER, secret);
        c.setRequestProperty(PeerServer.NODE_HEADER, self);
        return c;
    }

    /** Puts a copy on {@code to}; returns once it is durable there, else throws with the peer's reason. */
    public void put(Peer to, String study, String series, String sop, Path file, Meta meta) throws IOException {
        HttpURLConnection c = open(to, "PUT", "instances/" + study + "/" + series + "/" + sop);
        header(c, "X-Sop-Class", meta.sopClassUid());
        header(c, "X-Modality", meta.modality());
        header(c, "X-Transfer-Syntax", meta.transferSyntaxUid());
        header(c, "X-Calling-Ae", meta.callingAeTitle());
        c.setDoOutput(true);
        c.setFixedLengthStreamingMode(Files.size(file));
        try {
            try (OutputStream out = c.getOutputStream()) {
                Files.copy(file, out);
            }
            int status = c.getResponseCode();
            if (status != 204) {
                throw new IOException("node " + to.nodeName() + " refused the copy (HTTP " + status + "): " + errorText(c));
            }
        } catch (IOException e) {
            throw unreachable(to, e);
        }
    }

    private static void header(HttpURLConnection c, String name, String value) {
        if (value != null && !value.isEmpty()) {
            c.setRequestProperty(name, value.replaceAll("[\\r\\n]", " "));
        }
    }

    /** What {@code to} holds of a study. */
    public List<Held> list(Peer to, String study) throws IOException {
        HttpURLConnection c = open(to, "GET", "studies/" + study);
        String body;
        try {
            int status = c.getResponseCode();
            if (status != 200) {
                throw new IOException("node " + to.nodeName() + " did not list the study (HTTP " + status + "): " + errorText(c));
            }
            try (InputStream in = c.getInputStream()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw unreachable(to, e);
        }
        List<Held> out = new ArrayList<>();
        JsonArray a = new JsonObject(body).getJsonArray("instances");
        for (int i = 0; i < a.size(); i++) {
            JsonObject o = a.getJsonObject(i);
            out.add(new Held(o.getString("series"), o.getString("sop")));
        }
        return out;
    }

    /** Fetches an instance from {@code from} into {@code target}; false when it does not hold it. */
    public boolean fetch(Peer from, String study, String series, String sop, Path target) throws IOException {
        HttpURLConnection c = open(from, "GET", "instances/" + study + "/" + series + "/" + sop);
        try {
            int status = c.getResponseCode();
            if (status == 404) {
                errorText(c);
                return false;
            }
            if (status != 200) {
                throw new IOException("node " + from.nodeName() + " did not send the instance (HTTP " + status + "): " + errorText(c));
            }
            try (InputStream in = c.getInputStream()) {
                Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            }
            return true;
        } catch (IOException e) {
            throw unreachable(from, e);
        }
    }

    /**
     * Copies a job's result folder (result.json, dicom/) from the node that ran the job into {@code target}, which must
     * not exist yet; written beside it first and renamed, so a half copy is never taken for a result. False when that
     * node has no result of the job.
     */
    public boolean fetchResult(Peer from, String jobId, Path target) throws IOException {
        HttpURLConnection c = open(from, "GET", "results/" + jobId);
        JsonArray files;
        try {
            int status = c.getResponseCode();
            if (status == 404) {
                errorText(c);
                return false;
            }
            if (status != 200) {
                throw new IOException("node " + from.nodeName() + " did not list the job's result (HTTP " + status + "): " + errorText(c));
            }
            try (InputStream in = c.getInputStream()) {
                files = new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8)).getJsonArray("files");
            }
        } catch (IOException e) {
            throw unreachable(from, e);
        }
        Path temp = target.resolveSibling(target.getFileName() + ".from-" + from.nodeName() + ".tmp");
        org.radflow.cluster.PeerClient.deleteTree(temp);
        Files.createDirectories(temp.resolve("dicom"));
        try {
            for (int i = 0; i < files.size(); i++) {
                String name = files.getString(i);
                HttpURLConnection f = open(from, "GET", "results/" + jobId + "/" + name);
                if (f.getResponseCode() != 200) {
                    throw new IOException("node " + from.nodeName() + " did not send " + name + " (HTTP " + f.getResponseCode() + ")");
                }
                try (InputStream in = f.getInputStream()) {
                    Files.copy(in, temp.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Files.move(temp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return true;
        } catch (IOException e) {
            deleteTree(temp);
            throw unreachable(from, e);
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var walk = Files.walk(p)) {
            for (Path q : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }

    /** The peer's reason for a refusal (its body), read so that the connection can be reused. */
    private static String errorText(HttpURLConnection c) {
        try (InputStream err = c.getErrorStream()) {
            return err == null ? "" : new String(err.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static IOException unreachable(Peer to, IOException e) {
        if (e.getMessage() != null && e.getMessage().startsWith("node ")) {
            return e; // the peer answered: its reason as it is
        }
        return new IOException("node " + to.nodeName() + " at " + to.endpoint() + " did not answer: " + e, e);
    }
}
