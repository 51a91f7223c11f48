package org.radflow.cluster;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Calls other members' {@link PeerServer}: put a copy, list a study, fetch an instance. Blocking; any thread. */
public final class PeerClient {

    /** One instance as a listing names it. */
    public record Held(String series, String sop) {
    }

    /** What travels with a copy so that the receiving node's intake can track it without parsing the file. */
    public record Meta(String sopClassUid, String modality, String transferSyntaxUid, String callingAeTitle) {
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3))
            .version(HttpClient.Version.HTTP_1_1).build();
    private final String secret;
    private final String self;
    private final Duration timeout;

    public PeerClient(String secret, String selfNodeName, Duration timeout) {
        this.secret = secret;
        this.self = selfNodeName;
        this.timeout = timeout;
    }

    private HttpRequest.Builder request(Peer to, String path) {
        return HttpRequest.newBuilder(URI.create("http://" + to.endpoint() + PeerServer.PREFIX + path)).timeout(timeout)
                .header(PeerServer.SECRET_HEADER, secret).header(PeerServer.NODE_HEADER, self);
    }

    /** Puts a copy on {@code to}; returns once it is durable there, else throws with the peer's reason. */
    public void put(Peer to, String study, String series, String sop, Path file, Meta meta) throws IOException {
        HttpRequest.Builder b = request(to, "instances/" + study + "/" + series + "/" + sop)
                .PUT(HttpRequest.BodyPublishers.ofFile(file));
        header(b, "X-Sop-Class", meta.sopClassUid());
        header(b, "X-Modality", meta.modality());
        header(b, "X-Transfer-Syntax", meta.transferSyntaxUid());
        header(b, "X-Calling-Ae", meta.callingAeTitle());
        HttpResponse<String> r = send(to, b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 204) {
            throw new IOException("node " + to.nodeName() + " refused the copy (HTTP " + r.statusCode() + "): " + r.body());
        }
    }

    private static void header(HttpRequest.Builder b, String name, String value) {
        if (value != null && !value.isEmpty()) {
            b.header(name, value.replaceAll("[\\r\\n]", " "));
        }
    }

    /** What {@code to} holds of a study. */
    public List<Held> list(Peer to, String study) throws IOException {
        HttpResponse<String> r = send(to, request(to, "studies/" + study).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("node " + to.nodeName() + " did not list study (HTTP " + r.statusCode() + "): " + r.body());
        }
        List<Held> out = new ArrayList<>();
        JsonArray a = new JsonObject(r.body()).getJsonArray("instances");
        for (int i = 0; i < a.size(); i++) {
            JsonObject o = a.getJsonObject(i);
            out.add(new Held(o.getString("series"), o.getString("sop")));
        }
        return out;
    }

    /** Fetches an instance from {@code from} into {@code target}; false when it does not hold it. */
    public boolean fetch(Peer from, String study, String series, String sop, Path target) throws IOException {
        HttpResponse<Path> r = send(from, request(from, "instances/" + study + "/" + series + "/" + sop).GET().build(),
                HttpResponse.BodyHandlers.ofFile(target));
        if (r.statusCode() == 404) {
            Files.deleteIfExists(target);
            return false;
        }
        if (r.statusCode() != 200) {
            String why = Files.readString(target);
            Files.deleteIfExists(target);
            throw new IOException("node " + from.nodeName() + " did not send the instance (HTTP " + r.statusCode() + "): " + why);
        }
        return true;
    }

    private <T> HttpResponse<T> send(Peer to, HttpRequest rq, HttpResponse.BodyHandler<T> body) throws IOException {
        try {
            return http.send(rq, body);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while talking to node " + to.nodeName(), e);
        } catch (IOException e) {
            throw new IOException("node " + to.nodeName() + " at " + to.endpoint() + " did not answer: " + e, e);
        }
    }
}
