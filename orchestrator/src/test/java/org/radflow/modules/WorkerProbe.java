package org.radflow.modules;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.radflow.testkit.Dcmtk;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** What the worker-process ITs ask a running server and the OS: modules and jobs through the API, worker processes from /proc. */
final class WorkerProbe {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private WorkerProbe() {
    }

    static JsonObject module(int port, String id) throws Exception {
        JsonArray all = new JsonArray(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/modules")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        return all.stream().map(o -> (JsonObject) o).filter(m -> id.equals(m.getString("id"))).findFirst().orElseThrow();
    }

    /** Live worker processes whose module id starts so (read from /proc: ProcessHandle.Info leaves long command lines out). */
    static List<ProcessHandle> workers(String moduleIdPrefix) {
        return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).filter(p -> {
            try {
                String cmd = Files.readString(Path.of("/proc", Long.toString(p.pid()), "cmdline")).replace('\0', ' ');
                return cmd.contains("org.radflow.host.worker.WorkerMain " + moduleIdPrefix);
            } catch (java.io.IOException e) {
                return false; // ended meanwhile
            }
        }).toList();
    }

    static boolean terminal(String state) {
        return List.of("SUCCEEDED", "FAILED", "TIMED_OUT", "NOT_APPLICABLE", "CANCELLED").contains(state);
    }

    static void send(int port, List<Path> files) {
        Dcmtk.storescu().host("127.0.0.1").port(port).calledAe("RADFLOW").files(files).run().assertOk();
    }

    static List<JsonObject> awaitJobs(int port, Predicate<List<JsonObject>> done, long millis) throws Exception {
        long end = System.currentTimeMillis() + millis;
        List<JsonObject> jobs = List.of();
        while (System.currentTimeMillis() < end) {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/jobs?limit=100")).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonArray a = new JsonObject(r.body()).getJsonArray("jobs");
            jobs = new ArrayList<>();
            for (Object o : a) {
                jobs.add((JsonObject) o);
            }
            if (done.test(jobs)) {
                return jobs;
            }
            Thread.sleep(300);
        }
        throw new AssertionError("jobs did not reach the expected states in " + millis + " ms: " + jobs);
    }
}
