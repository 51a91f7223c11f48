package org.radflow.dispatch;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.testkit.SampleDicom;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** StowRsSender against a stub DICOMweb server: request format, batching, response mapping, errors. */
class StowRsSenderTest {

    /** What the stub received. */
    record Received(Map<String, String> headers, Buffer body) {
        String header(String name) {
            return headers.get(name.toLowerCase());
        }
    }

    /** What the stub answers. */
    record Answer(int status, String contentType, String body) {
    }

    static Vertx vertx;
    static HttpServer server;
    static final List<Received> received = new CopyOnWriteArrayList<>();
    static volatile Function<List<String>, Answer> responder;

    @TempDir
    Path dir;

    @BeforeAll
    static void startStub() throws Exception {
        vertx = Vertx.vertx();
        server = vertx.createHttpServer().requestHandler(StowRsSenderTest::handle);
        server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stopStub() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @BeforeEach
    void reset() {
        received.clear();
        responder = uids -> new Answer(200, "application/dicom+json", stowResponse(uids, Map.of(), Map.of()).encode());
    }

    private static void handle(HttpServerRequest request) {
        if (request.path().endsWith("/hang/studies")) {
            return; // never answers
        }
        request.body().onSuccess(body -> {
            Map<String, String> headers = new java.util.HashMap<>();
            request.headers().forEach(e -> headers.put(e.getKey().toLowerCase(), e.getValue()));
            Received r = new Received(headers, body);
            received.add(r);
            List<String> uids = new ArrayList<>();
            for (byte[] part : parts(r)) {
                uids.add(StowRsSender.sopInstanceUid(part));
            }
            Answer answer = responder.apply(uids);
            var response = request.response().setStatusCode(answer.status());
            if (answer.contentType() != null) {
                response.putHeader("Content-Type", answer.contentType());
            }
            response.end(answer.body() == null ? "" : answer.body());
        });
    }

    /** The parts of a multipart/related body (checks each part's Content-Type). */
    static List<byte[]> parts(Received r) {
        String contentType = r.header("Content-Type");
        String boundary = contentType.substring(contentType.indexOf("boundary=") + 9);
        byte[] body = r.body().getBytes();
        byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.US_ASCII);
        List<byte[]> parts = new ArrayList<>();
        int pos = indexOf(body, delimiter, 0);
        while (pos >= 0) {
            int start = pos + delimiter.length;
            if (body[start] == '-' && body[start + 1] == '-') {
                break;
            }
            int next = indexOf(body, delimiter, start);
            String headerAndData = new String(body, start, next - start, StandardCharsets.ISO_8859_1);
            int headerEnd = headerAndData.indexOf("\r\n\r\n");
            String partHeaders = headerAndData.substring(0, headerEnd);
            if (!partHeaders.contains("Content-Type: application/dicom")) {
                throw new AssertionError("part without Content-Type: application/dicom: " + partHeaders);
            }
            int dataStart = start + headerEnd + 4;
            parts.add(Arrays.copyOfRange(body, dataStart, next - 2)); // minus CRLF before the delimiter
            pos = next;
        }
        return parts;
    }

    private static int indexOf(byte[] data, byte[] pattern, int from) {
        outer:
        for (int i = from; i <= data.length - pattern.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** A DICOM JSON STOW-RS response. */
    static JsonObject stowResponse(List<String> stored, Map<String, Integer> warnings, Map<String, Integer> failed) {
        JsonArray referenced = new JsonArray();
        for (String uid : stored) {
            JsonObject item = new JsonObject().put("00081155", element("UI", uid));
            if (warnings.containsKey(uid)) {
                item.put("00081196", element("US", warnings.get(uid)));
            }
            referenced.add(item);
        }
        JsonArray failures = new JsonArray();
        failed.forEach((uid, reason) -> failures.add(new JsonObject().put("00081155", element("UI", uid))
                .put("00081197", element("US", reason))));
        JsonObject response = new JsonObject().put("00081199", new JsonObject().put("vr", "SQ").put("Value", referenced));
        response.put("00081198", failures.isEmpty() ? new JsonObject().put("vr", "SQ")
                : new JsonObject().put("vr", "SQ").put("Value", failures));
        return response;
    }

    private static JsonObject element(String vr, Object value) {
        return new JsonObject().put("vr", vr).put("Value", new JsonArray().add(value));
    }

    private String url() {
        return "http://127.0.0.1:" + server.actualPort() + "/dicom-web";
    }

    private StowRsSender sender(StowRsSender.Settings settings) {
        return new StowRsSender(vertx, "stub", settings);
    }

    private static <T> T await(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static Throwable awaitFailure(Future<?> future) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> await(future));
        return e.getCause();
    }

    private List<Path> files(int n) {
        return SampleDicom.study(dir, n);
    }

    @Test
    void postsMultipartRelatedAndMapsAllStored() throws Exception {
        List<Path> files = files(3);
        DeliveryReport report = await(sender(StowRsSender.Settings.of(url() + "/")).send(files));

        assertEquals("stub", report.destination());
        assertTrue(report.allSucceeded(), report::toString);
        assertEquals(3, report.outcomes().size());
        assertEquals(1, received.size());
        Received r = received.get(0);
        assertTrue(r.header("Content-Type").startsWith("multipart/related; type=\"application/dicom\"; boundary="),
                r.header("Content-Type"));
        assertEquals("application/dicom+json", r.header("Accept"));
        assertNull(r.header("Authorization"));
        List<byte[]> parts = parts(r);
        assertEquals(3, parts.size());
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(Files.readAllBytes(files.get(i)), parts.get(i));
            InstanceOutcome outcome = report.outcomes().get(i);
            assertEquals(files.get(i), outcome.file());
            assertEquals(StowRsSender.sopInstanceUid(parts.get(i)), outcome.sopInstanceUid());
            assertEquals(0, outcome.status());
        }
    }

    @Test
    void partialAnswerMapsFailuresAndWarnings() throws Exception {
        List<Path> files = files(4);
        responder = uids -> new Answer(202, "application/dicom+json", stowResponse(
                List.of(uids.get(0), uids.get(2)), Map.of(uids.get(2), 0xB000), Map.of(uids.get(1), 0xA700)).encode());
        DeliveryReport report = await(sender(StowRsSender.Settings.of(url())).send(files));

        List<InstanceOutcome> o = report.outcomes();
        assertTrue(o.get(0).success());
        assertEquals(0, o.get(0).status());
        assertFalse(o.get(1).success());
        assertEquals(0xA700, o.get(1).status());
        assertTrue(o.get(1).detail().contains("0xA700 (out of resources)"), o.get(1).detail());
        assertTrue(o.get(2).success());
        assertEquals(0xB000, o.get(2).status());
        assertTrue(o.get(2).detail().contains("warning 0xB000"), o.get(2).detail());
        assertFalse(o.get(3).success(), "not listed in a 202 answer");
        assertEquals(202, o.get(3).status());
    }

    @Test
    void conflictFailsAllKeepingReasons() throws Exception {
        List<Path> files = files(2);
        responder = uids -> new Answer(409, "application/dicom+json",
                stowResponse(List.of(), Map.of(), Map.of(uids.get(0), 0xC122)).encode());
        DeliveryReport report = await(sender(StowRsSender.Settings.of(url())).send(files));

        assertEquals(2, report.failures().size());
        assertEquals(0xC122, report.outcomes().get(0).status());
        assertEquals(409, report.outcomes().get(1).status());
    }

    @Test
    void conflictWithoutBodyFailsAll() throws Exception {
        responder = uids -> new Answer(409, null, null);
        DeliveryReport report = await(sender(StowRsSender.Settings.of(url())).send(files(2)));
        assertEquals(2, report.failures().size());
        assertTrue(report.outcomes().stream().allMatch(o -> o.status() == 409));
    }

    @Test
    void badRequestWithStowBodyIsMappedPerInstance() throws Exception {
        // what Orthanc 1.10 does when one part cannot be parsed: 400, the others stored and listed
        List<Path> files = files(2);
        responder = uids -> new Answer(400, null, stowResponse(List.of(uids.get(0)), Map.of(), Map.of()).encode());
        DeliveryReport report = await(sender(StowRsSender.Settings.of(url())).send(files));
        assertTrue(report.outcomes().get(0).success());
        assertFalse(report.outcomes().get(1).success());
        assertEquals(400, report.outcomes().get(1).status());
    }

    @Test
    void splitsByFileCountAndBytes() throws Exception {
        List<Path> files = files(5);
        DeliveryReport report = await(sender(StowRsSender.Settings.of(url()).withLimits(2, 1L << 30)).send(files));
        assertTrue(report.allSucceeded());
        assertEquals(List.of(2, 2, 1), received.stream().map(r -> parts(r).size()).toList());

        received.clear();
        // the largest file: random UIDs make the files differ by a few bytes (with the first file's size, two larger
        // files did not fit and the test failed now and then)
        long size = 0;
        for (Path f : files) {
            size = Math.max(size, Files.size(f));
        }
        report = await(sender(StowRsSender.Settings.of(url()).withLimits(100, size * 2 + 1)).send(files));
        assertTrue(report.allSucceeded());
        assertEquals(List.of(2, 2, 1), received.stream().map(r -> parts(r).size()).toList());

        received.clear();
        report = await(sender(StowRsSender.Settings.of(url()).withLimits(100, 10)).send(files));
        assertTrue(report.allSucceeded(), "a file larger than the byte limit goes alone");
        assertEquals(5, received.size());
        for (int i = 0; i < 5; i++) {
            assertEquals(files.get(i), report.outcomes().get(i).file(), "outcomes keep the input order");
        }
    }

    @Test
    void unreadableFilesAreNotSentAndDoNotStopTheOthers() throws Exception {
        List<Path> valid = files(2);
        Path text = Files.writeString(dir.resolve("notes.txt"), "not DICOM at all");
        Path preambleOnly = dir.resolve("garbage.dcm");
        byte[] garbage = new byte[400];
        System.arraycopy("DICM".getBytes(StandardCharsets.US_ASCII), 0, garbage, 128, 4);
        Arrays.fill(garbage, 132, 400, (byte) 0x7f);
        Files.write(preambleOnly, garbage);
        Path missing = dir.resolve("missing.dcm");
        List<Path> files = List.of(valid.get(0), text, preambleOnly, missing, valid.get(1));

        DeliveryReport report = await(sender(StowRsSender.Settings.of(url())).send(files));

        assertEquals(1, received.size());
        assertEquals(2, parts(received.get(0)).size());
        List<InstanceOutcome> o = report.outcomes();
        assertTrue(o.get(0).success());
        assertTrue(o.get(4).success());
        for (int i = 1; i <= 3; i++) {
            assertFalse(o.get(i).success(), o.get(i)::toString);
            assertEquals(StowRsSender.UNREADABLE_FILE, o.get(i).status());
            assertEquals(files.get(i), o.get(i).file());
            assertTrue(o.get(i).detail().startsWith("not sent: "), o.get(i).detail());
        }
        assertTrue(o.get(1).detail().contains("DICM"), o.get(1).detail());
    }

    @Test
    void onlyUnreadableFilesSendNothing() throws Exception {
        Path text = Files.writeString(dir.resolve("a.txt"), "x");
        DeliveryReport report = await(sender(StowRsSender.Settings.of(url())).send(List.of(text)));
        assertEquals(0, received.size());
        assertEquals(1, report.failures().size());
        assertTrue(await(sender(StowRsSender.Settings.of(url())).send(List.of())).outcomes().isEmpty());
    }

    @Test
    void serverErrorFailsTheFutureWithACleanMessage() {
        responder = uids -> new Answer(500, "application/json", "{\"Message\": \"database is locked\"}");
        Throwable t = awaitFailure(sender(StowRsSender.Settings.of(
                "http://user:secret@127.0.0.1:" + server.actualPort() + "/dicom-web?token=abc")).send(files(1)));

        StowRsSender.RequestFailedException e = assertInstanceOf(StowRsSender.RequestFailedException.class, t);
        assertEquals(500, e.httpStatus());
        String m = e.getMessage();
        assertTrue(m.contains("'stub'"), m);
        assertTrue(m.contains("http://127.0.0.1:" + server.actualPort() + "/dicom-web/studies"), m);
        assertTrue(m.contains("HTTP 500"), m);
        assertTrue(m.contains("database is locked"), m);
        assertFalse(m.contains("secret"), m);
        assertFalse(m.contains("token=abc"), m);
    }

    @Test
    void dicomBodiesOfErrorsAreNotQuoted() {
        responder = uids -> new Answer(503, "application/dicom+json", "{\"00100010\":{\"vr\":\"PN\",\"Value\":[{\"Alphabetic\":\"DOE^JANE\"}]}}");
        Throwable t = awaitFailure(sender(StowRsSender.Settings.of(url())).send(files(1)));
        assertFalse(t.getMessage().contains("DOE"), t.getMessage());
        assertTrue(t.getMessage().contains("HTTP 503"), t.getMessage());
        assertTrue(t.getMessage().contains("not shown"), t.getMessage());
    }

    @Test
    void laterRequestFailureReportsWhatWasStoredBefore() {
        int[] calls = {0};
        responder = uids -> ++calls[0] == 2 ? new Answer(503, "text/plain", "maintenance")
                : new Answer(200, "application/dicom+json", stowResponse(uids, Map.of(), Map.of()).encode());
        Throwable t = awaitFailure(sender(StowRsSender.Settings.of(url()).withLimits(2, 1L << 30)).send(files(5)));

        StowRsSender.RequestFailedException e = assertInstanceOf(StowRsSender.RequestFailedException.class, t);
        assertTrue(e.getMessage().contains("request 2 of 3"), e.getMessage());
        assertTrue(e.getMessage().contains("2 instance(s) of earlier requests were stored"), e.getMessage());
        assertEquals(2, e.storedBefore().outcomes().size());
        assertTrue(e.storedBefore().allSucceeded());
        assertEquals(2, received.size(), "stops after the failed request");
    }

    @Test
    void authenticationHeaders() throws Exception {
        await(sender(StowRsSender.Settings.of(url()).withBearerToken("tok123")).send(files(1)));
        assertEquals("Bearer tok123", received.get(0).header("Authorization"));
        await(sender(StowRsSender.Settings.of(url()).withBasicAuth("alice", "pw")).send(files(1)));
        assertEquals("Basic " + Base64.getEncoder().encodeToString("alice:pw".getBytes(StandardCharsets.UTF_8)),
                received.get(1).header("Authorization"));
    }

    @Test
    void noAnswerWithinTheTimeoutFailsTheFuture() {
        long start = System.nanoTime();
        Throwable t = awaitFailure(sender(StowRsSender.Settings.of(url().replace("/dicom-web", "/hang"))
                .withRequestTimeout(Duration.ofMillis(500))).send(files(1)));
        long ms = (System.nanoTime() - start) / 1_000_000;
        StowRsSender.RequestFailedException e = assertInstanceOf(StowRsSender.RequestFailedException.class, t);
        assertEquals(0, e.httpStatus());
        assertTrue(e.getMessage().contains("no answer"), e.getMessage());
        assertTrue(ms < 5000, "took " + ms + " ms");
    }

    @Test
    void settingsAreValidatedAndHideSecrets() {
        assertThrows(IllegalArgumentException.class, () -> StowRsSender.Settings.of("ftp://x/dicom-web"));
        assertThrows(IllegalArgumentException.class, () -> StowRsSender.Settings.of("not a url"));
        assertThrows(IllegalArgumentException.class,
                () -> new StowRsSender.Settings("http://x", "t", "u", "p", Duration.ofSeconds(1), 1, 1));
        assertThrows(IllegalArgumentException.class,
                () -> new StowRsSender.Settings("http://x", null, "u", null, Duration.ofSeconds(1), 1, 1));
        assertThrows(IllegalArgumentException.class, () -> StowRsSender.Settings.of("http://x").withLimits(0, 1));
        StowRsSender.Settings s = StowRsSender.Settings.of("http://x:8042/dicom-web///").withBasicAuth("u", "hunter2");
        assertEquals("http://x:8042/dicom-web/studies", s.studiesUrl());
        assertFalse(s.toString().contains("hunter2"), s.toString());
        assertFalse(StowRsSender.Settings.of("http://x").withBearerToken("tok").toString().contains("tok"));
    }
}
