package org.radflow.e2e;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.radflow.testkit.OrthancServer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The few REST calls the end-to-end tests make to RadFlow, and waiting on Orthanc. */
final class Api {

    /** HTTP/1.1 (no h2c upgrade dance) and a timeout on every call: a stalled answer fails a test, never hangs it. */
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private Api() {
    }

    /** A GET, sent once more on a new connection if the first attempt fails or times out (GETs change nothing). */
    static HttpResponse<String> fetch(int port, String path) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(TIMEOUT).build();
        try {
            return HTTP.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException first) {
            return HTTP.send(req, HttpResponse.BodyHandlers.ofString());
        }
    }

    static JsonObject get(int port, String path) throws Exception {
        HttpResponse<String> r = fetch(port, path);
        assertEquals(200, r.statusCode(), path + ": " + r.body());
        return new JsonObject(r.body());
    }

    static List<JsonObject> getArray(int port, String path) throws Exception {
        HttpResponse<String> r = fetch(port, path);
        assertEquals(200, r.statusCode(), path + ": " + r.body());
        return new JsonArray(r.body()).stream().map(o -> (JsonObject) o).toList();
    }

    static JsonObject post(int port, String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(TIMEOUT).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), path + ": " + r.body());
        return new JsonObject(r.body());
    }

    static List<JsonObject> jobs(int port, String query) throws Exception {
        JsonArray a = get(port, "/api/jobs?limit=1000" + query).getJsonArray("jobs");
        return a.stream().map(o -> (JsonObject) o).toList();
    }

    static List<JsonObject> awaitJobs(int port, String query, Predicate<List<JsonObject>> done, long millis) throws Exception {
        long end = System.currentTimeMillis() + millis;
        List<JsonObject> last = List.of();
        while (System.currentTimeMillis() < end) {
            last = jobs(port, query);
            if (done.test(last)) {
                return last;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("timed out waiting; jobs: " + last);
    }

    static boolean allTerminal(List<JsonObject> jobs) {
        return jobs.stream().noneMatch(j -> Set.of("QUEUED", "RUNNING").contains(j.getString("state")));
    }

    static Map<String, List<OrthancServer.StoredInstance>> byModality(OrthancServer o, String study) {
        return o.instancesOfStudy(study).stream().collect(Collectors.groupingBy(OrthancServer.StoredInstance::modality));
    }

    static Map<String, List<OrthancServer.StoredInstance>> awaitModalities(OrthancServer o, String study, Set<String> wanted,
                                                                          long millis) throws Exception {
        long end = System.currentTimeMillis() + millis;
        Map<String, List<OrthancServer.StoredInstance>> m = Map.of();
        while (System.currentTimeMillis() < end) {
            m = byModality(o, study);
            if (m.keySet().containsAll(wanted)) {
                return m;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("outputs did not arrive; Orthanc has " + m.keySet() + " for " + study + "\n" + o.logTail(30));
    }
}
