package org.radflow.dispatch;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Sends DICOM Part 10 files to a DICOMweb server with STOW-RS (PS3.18 section 10.5):
 * {@code POST {root}/studies} with a {@code multipart/related; type="application/dicom"} body, one
 * part per file, {@code Accept: application/dicom+json}.
 *
 * <p>Large sets are split into several requests ({@link Settings#maxFilesPerRequest()},
 * {@link Settings#maxBytesPerRequest()}; a single larger file goes alone), sent one after the other.
 * Each file's SOP Instance UID is read locally to match the server's answer to files, with a bounded
 * structural check of the whole data set ({@link org.radflow.dicom.DataSetCheck}; a general parser such as PixelMed allocates
 * whatever a corrupt length says). A file that is not a well-formed DICOM Part 10 file is not sent:
 * it gets a failed outcome (status 0xC000) and the others go on.
 *
 * <p>Answers:
 * <ul>
 *   <li>200: all stored (a FailedSOPSequence item, if any, still marks that instance failed);</li>
 *   <li>202: per instance, from FailedSOPSequence (0008,1198) with FailureReason (0008,1197) and
 *       ReferencedSOPSequence (0008,1199) with WarningReason (0008,1196); instances in neither fail
 *       with status 202;</li>
 *   <li>409: all failed, with per-instance reasons when the body has them;</li>
 *   <li>400 with a STOW-RS response body: per instance as for 202. Orthanc 1.10 answers 400 when a
 *       part cannot be parsed, after storing the other parts and listing them in
 *       ReferencedSOPSequence; failing the whole request would make the outbox resend forever;</li>
 *   <li>any other status, or a transport error/timeout: the returned future fails with a
 *       {@link StowRsSender.RequestFailedException} naming the destination, URL (without credentials
 *       or query), HTTP status and an excerpt of a textual response body (never a DICOM body).</li>
 * </ul>
 * Outcomes come back in the order of the files given.
 */
public final class StowRsSender implements Sender, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StowRsSender.class);

    /** FailedSOPSequence */
    static final String FAILED_SOP_SEQUENCE = "00081198";
    /** ReferencedSOPSequence */
    static final String REFERENCED_SOP_SEQUENCE = "00081199";
    /** ReferencedSOPInstanceUID */
    static final String REFERENCED_SOP_INSTANCE_UID = "00081155";
    /** FailureReason */
    static final String FAILURE_REASON = "00081197";
    /** WarningReason */
    static final String WARNING_REASON = "00081196";

    /** Status of a file that was not sent because it is not readable DICOM (DIMSE "cannot understand"). */
    public static final int UNREADABLE_FILE = 0xC000;
    /** Failure reason used when the server names a failed instance without a reason (processing failure). */
    static final int PROCESSING_FAILURE = 0x0110;

    private static final int MAX_EXCERPT = 300;
    /** Requests are grouped to at most this many bytes whatever the settings say (one Buffer holds a body). */
    static final long MAX_REQUEST_BYTES = 1L << 30;
    /** A single file larger than this cannot be sent (a Buffer, like a Java array, ends at 2 GB). */
    static final long MAX_FILE_BYTES = Integer.MAX_VALUE - (1 << 20);

    /**
     * Where and how to send.
     *
     * @param url                 the DICOMweb root, e.g. {@code http://pacs:8042/dicom-web} (a trailing slash is removed)
     * @param bearerToken         sent as {@code Authorization: Bearer ...}, or null
     * @param username            HTTP basic authentication with {@code password}, or null
     * @param password            see {@code username}
     * @param requestTimeout      the longest one request may take, connect to last response byte
     * @param maxFilesPerRequest  at most this many files per request (at least 1)
     * @param maxBytesPerRequest  at most this many bytes of files per request (a larger single file goes alone)
     */
    public record Settings(String url, String bearerToken, String username, String password, Duration requestTimeout,
                           int maxFilesPerRequest, long maxBytesPerRequest) {

        public Settings {
            Objects.requireNonNull(url, "url");
            int suffix = suffixStart(url);
            String root = url.substring(0, suffix);
            while (root.endsWith("/")) {
                root = root.substring(0, root.length() - 1);
            }
            url = root + url.substring(suffix);
            try {
                URI u = new URI(url);
                if (!"http".equalsIgnoreCase(u.getScheme()) && !"https".equalsIgnoreCase(u.getScheme())
                        || u.getHost() == null) {
                    throw new IllegalArgumentException("not an http(s) URL with a host: " + redact(url));
                }
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("not a URL: " + redact(url), e);
            }
            if ((username == null) != (password == null)) {
                throw new IllegalArgumentException("give both username and password, or neither");
            }
            if (bearerToken != null && username != null) {
                throw new IllegalArgumentException("use either a bearer token or basic authentication, not both");
            }
            Objects.requireNonNull(requestTimeout, "requestTimeout");
            if (requestTimeout.isZero() || requestTimeout.isNegative()) {
                throw new IllegalArgumentException("requestTimeout must be positive");
            }
            if (maxFilesPerRequest < 1) {
                throw new IllegalArgumentException("maxFilesPerRequest must be at least 1");
            }
            if (maxBytesPerRequest < 1) {
                throw new IllegalArgumentException("maxBytesPerRequest must be at least 1");
            }
        }

        /** No authentication, 60 s per request, at most 100 files and 64 MiB per request. */
        public static Settings of(String url) {
            return new Settings(url, null, null, null, Duration.ofSeconds(60), 100, 64L * 1024 * 1024);
        }

        public Settings withBearerToken(String token) {
            return new Settings(url, token, null, null, requestTimeout, maxFilesPerRequest, maxBytesPerRequest);
        }

        public Settings withBasicAuth(String user, String pass) {
            return new Settings(url, null, user, pass, requestTimeout, maxFilesPerRequest, maxBytesPerRequest);
        }

        public Settings withRequestTimeout(Duration timeout) {
            return new Settings(url, bearerToken, username, password, timeout, maxFilesPerRequest, maxBytesPerRequest);
        }

        public Settings withLimits(int maxFiles, long maxBytes) {
            return new Settings(url, bearerToken, username, password, requestTimeout, maxFiles, maxBytes);
        }

        /** {@code {url}/studies} (a query in the URL is kept after {@code /studies}) */
        public String studiesUrl() {
            int suffix = suffixStart(url);
            return url.substring(0, suffix) + "/studies" + url.substring(suffix);
        }

        private static int suffixStart(String url) {
            int q = url.indexOf('?');
            int f = url.indexOf('#');
            int i = q < 0 ? f : f < 0 ? q : Math.min(q, f);
            return i < 0 ? url.length() : i;
        }

        /** No secrets: the URL without user info and query, and whether authentication is set. */
        @Override
        public String toString() {
            return "Settings[url=" + redact(url) + ", auth=" + (bearerToken != null ? "bearer" : username != null
                    ? "basic(" + username + ")" : "none") + ", requestTimeout=" + requestTimeout
                    + ", maxFilesPerRequest=" + maxFilesPerRequest + ", maxBytesPerRequest=" + maxBytesPerRequest + "]";
        }
    }

    /**
     * The destination could not be reached or refused a whole request. {@link #httpStatus()} is 0
     * for transport errors and timeouts; {@link #storedBefore()} holds the outcomes of the earlier
     * requests of the same {@code send} (already stored, when the set was split).
     */
    public static final class RequestFailedException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int httpStatus;
        private final transient DeliveryReport storedBefore;

        RequestFailedException(String message, int httpStatus, DeliveryReport storedBefore, Throwable cause) {
            super(message, cause);
            this.httpStatus = httpStatus;
            this.storedBefore = storedBefore;
        }

        public int httpStatus() {
            return httpStatus;
        }

        public DeliveryReport storedBefore() {
            return storedBefore;
        }
    }

    private final Vertx vertx;
    private final String destination;
    private final Settings settings;
    private final WebClient client;

    public StowRsSender(Vertx vertx, String destination, Settings settings) {
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        this.destination = Objects.requireNonNull(destination, "destination");
        this.settings = Objects.requireNonNull(settings, "settings");
        long timeout = settings.requestTimeout().toMillis();
        WebClientOptions options = new WebClientOptions()
                .setTcpNoDelay(true)
                .setKeepAlive(true)
                .setConnectTimeout((int) Math.min(timeout, 10_000))
                .setFollowRedirects(false)
                .setUserAgent("RadFlow-STOW-RS");
        this.client = WebClient.create(vertx, options);
    }

    @Override
    public String destination() {
        return destination;
    }

    public Settings settings() {
        return settings;
    }

    /** Closes the HTTP client. */
    @Override
    public void close() {
        client.close();
    }

    @Override
    public Future<DeliveryReport> send(List<Path> files) {
        List<Path> all = List.copyOf(files);
        InstanceOutcome[] outcomes = new InstanceOutcome[all.size()];
        if (all.isEmpty()) {
            return Future.succeededFuture(new DeliveryReport(destination, List.of()));
        }
        return vertx.executeBlocking(() -> plan(all, outcomes), false)
                .compose(batches -> sendBatches(batches, 0, all, outcomes))
                .map(v -> new DeliveryReport(destination, Arrays.asList(outcomes)));
    }

    // ---------------------------------------------------------------- batching

    /** Indexes into the file list, one request each, and their total size. */
    private record Batch(int number, int[] indexes, long bytes) {
    }

    /** One file of a prepared request. */
    record Part(int index, Path file, String sopInstanceUid) {
    }

    private record PreparedBatch(List<Part> parts, Buffer body, String boundary) {
    }

    private List<Batch> plan(List<Path> files, InstanceOutcome[] outcomes) {
        long maxBytes = Math.min(settings.maxBytesPerRequest(), MAX_REQUEST_BYTES);
        List<Batch> batches = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        long currentBytes = 0;
        for (int i = 0; i < files.size(); i++) {
            long size;
            try {
                size = Files.size(files.get(i));
            } catch (IOException e) {
                outcomes[i] = InstanceOutcome.failed(null, files.get(i), UNREADABLE_FILE,
                        "not sent: cannot read the file (" + e.getClass().getSimpleName() + ")");
                continue;
            }
            if (size > MAX_FILE_BYTES) {
                outcomes[i] = InstanceOutcome.failed(null, files.get(i), UNREADABLE_FILE,
                        "not sent: " + size + " bytes is more than one STOW-RS request can carry here (2 GB)");
                continue;
            }
            if (!current.isEmpty() && (current.size() >= settings.maxFilesPerRequest()
                    || currentBytes + size > maxBytes)) {
                batches.add(new Batch(batches.size() + 1, current.stream().mapToInt(Integer::intValue).toArray(),
                        currentBytes));
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(i);
            currentBytes += size;
        }
        if (!current.isEmpty()) {
            batches.add(new Batch(batches.size() + 1, current.stream().mapToInt(Integer::intValue).toArray(),
                    currentBytes));
        }
        return batches;
    }

    private Future<Void> sendBatches(List<Batch> batches, int next, List<Path> files, InstanceOutcome[] outcomes) {
        if (next >= batches.size()) {
            return Future.succeededFuture();
        }
        Batch batch = batches.get(next);
        return vertx.executeBlocking(() -> prepare(batch, files, outcomes), false)
                .compose(prepared -> prepared.parts().isEmpty() ? Future.succeededFuture()
                        : post(prepared, batch, batches.size(), outcomes))
                .compose(v -> sendBatches(batches, next + 1, files, outcomes));
    }

    /** Reads the files of one request (worker thread): SOP Instance UIDs and the multipart body. */
    private PreparedBatch prepare(Batch batch, List<Path> files, InstanceOutcome[] outcomes) {
        String boundary = "radflow-" + UUID.randomUUID();
        List<Part> parts = new ArrayList<>();
        Buffer body = Buffer.buffer((int) Math.min(batch.bytes() + 128L * (batch.indexes().length + 1),
                Integer.MAX_VALUE - 8));
        for (int index : batch.indexes()) {
            Path file = files.get(index);
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(file);
            } catch (IOException | OutOfMemoryError e) {
                outcomes[index] = InstanceOutcome.failed(null, file, UNREADABLE_FILE,
                        "not sent: cannot read the file (" + e.getClass().getSimpleName() + ")");
                continue;
            }
            String uid;
            try {
                uid = sopInstanceUid(bytes);
            } catch (IllegalArgumentException e) {
                outcomes[index] = InstanceOutcome.failed(null, file, UNREADABLE_FILE, "not sent: " + e.getMessage());
                continue;
            } catch (RuntimeException e) {
                LOG.warn("STOW-RS to '{}': checking {} failed", destination, file, e);
                outcomes[index] = InstanceOutcome.failed(null, file, UNREADABLE_FILE,
                        "not sent: the DICOM check failed (" + e.getClass().getSimpleName() + ")");
                continue;
            }
            parts.add(new Part(index, file, uid));
            body.appendString("--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n", "US-ASCII");
            body.appendBytes(bytes);
            body.appendString("\r\n", "US-ASCII");
        }
        body.appendString("--" + boundary + "--\r\n", "US-ASCII");
        return new PreparedBatch(parts, body, boundary);
    }

    /**
     * The SOP Instance UID of a Part 10 file: (0008,0018) of the data set, else the meta header's
     * (0002,0003), after a bounded structural check of the whole data set ({@link org.radflow.dicom.DataSetCheck}). Throws
     * {@link IllegalArgumentException} with a short reason (no data values) when the bytes are not a
     * well-formed Part 10 file.
     */
    static String sopInstanceUid(byte[] bytes) {
        try {
            java.io.ByteArrayInputStream in = new java.io.ByteArrayInputStream(bytes);
            org.radflow.dicom.Part10.Meta meta = org.radflow.dicom.Part10.readMeta(in, "file");
            org.radflow.dicom.Part10.Header header = org.radflow.dicom.DataSetCheck.verify(in, meta.transferSyntaxUid());
            String uid = header.sopInstanceUid() != null ? header.sopInstanceUid() : meta.sopInstanceUid();
            if (uid == null || uid.isBlank()) {
                throw new IllegalArgumentException("a damaged DICOM file: no SOP Instance UID");
            }
            return uid;
        } catch (com.pixelmed.dicom.DicomException | java.io.IOException e) {
            String m = e.getMessage();
            throw new IllegalArgumentException(m != null && m.contains("DICM") ? m : "a damaged DICOM file: " + m, e);
        }
    }

    // ---------------------------------------------------------------- HTTP

    private Future<Void> post(PreparedBatch prepared, Batch batch, int batchCount, InstanceOutcome[] outcomes) {
        String url = settings.studiesUrl();
        long timeout = settings.requestTimeout().toMillis();
        HttpRequest<Buffer> request = client.postAbs(url)
                .putHeader("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=" + prepared.boundary())
                .putHeader("Accept", "application/dicom+json")
                .idleTimeout(timeout);
        if (settings.bearerToken() != null) {
            request.putHeader("Authorization", "Bearer " + settings.bearerToken());
        } else if (settings.username() != null) {
            request.putHeader("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                    (settings.username() + ":" + settings.password()).getBytes(StandardCharsets.UTF_8)));
        }
        long start = System.nanoTime();
        LOG.debug("STOW-RS to '{}': request {}/{} with {} instance(s), {} bytes", destination, batch.number(),
                batchCount, prepared.parts().size(), prepared.body().length());
        return request.sendBuffer(prepared.body())
                .timeout(timeout, TimeUnit.MILLISECONDS)
                .transform(ar -> {
                    if (ar.failed()) {
                        return Future.failedFuture(failure(batch, batchCount, outcomes, 0,
                                "no answer: " + describe(ar.cause()), ar.cause()));
                    }
                    HttpResponse<Buffer> response = ar.result();
                    try {
                        List<InstanceOutcome> mapped = mapResponse(response.statusCode(),
                                response.getHeader("Content-Type"), response.body(), prepared.parts(), destination);
                        for (int i = 0; i < mapped.size(); i++) {
                            outcomes[prepared.parts().get(i).index()] = mapped.get(i);
                        }
                        LOG.debug("STOW-RS to '{}': request {}/{} answered {} in {} ms", destination, batch.number(),
                                batchCount, response.statusCode(), (System.nanoTime() - start) / 1_000_000);
                        return Future.succeededFuture();
                    } catch (WholeRequestRefused e) {
                        return Future.failedFuture(failure(batch, batchCount, outcomes, response.statusCode(),
                                "HTTP " + response.statusCode() + " " + response.statusMessage() + ": "
                                        + excerpt(response.getHeader("Content-Type"), response.body()), null));
                    } catch (RuntimeException e) {
                        return Future.failedFuture(failure(batch, batchCount, outcomes, response.statusCode(),
                                "HTTP " + response.statusCode() + " with an answer that cannot be read ("
                                        + e.getClass().getSimpleName() + ")", e));
                    }
                });
    }

    private RequestFailedException failure(Batch batch, int batchCount, InstanceOutcome[] outcomes, int status,
                                           String what, Throwable cause) {
        List<InstanceOutcome> before = new ArrayList<>();
        for (InstanceOutcome outcome : outcomes) {
            if (outcome != null) {
                before.add(outcome);
            }
        }
        long stored = before.stream().filter(InstanceOutcome::success).count();
        String message = "STOW-RS to destination '" + destination + "' failed: POST " + redact(settings.studiesUrl())
                + " -> " + what
                + (batchCount > 1 ? " (request " + batch.number() + " of " + batchCount + "; " + stored
                + " instance(s) of earlier requests were stored)" : "");
        return new RequestFailedException(message, status, new DeliveryReport(destination, before), cause);
    }

    private static String describe(Throwable t) {
        String text = t.getClass().getSimpleName() + (t.getMessage() != null ? ": " + t.getMessage() : "");
        Throwable cause = t.getCause();
        if (cause != null && cause != t && cause.getMessage() != null && !text.contains(cause.getMessage())) {
            text += " (" + cause.getMessage() + ")";
        }
        return text;
    }

    // ---------------------------------------------------------------- response mapping

    /** Thrown by {@link #mapResponse} when the status means the whole request failed. */
    static final class WholeRequestRefused extends Exception {
        private static final long serialVersionUID = 1L;

        WholeRequestRefused() {
            super(null, null, false, false);
        }
    }

    /** Maps a STOW-RS answer to one outcome per part (same order). */
    static List<InstanceOutcome> mapResponse(int status, String contentType, Buffer body, List<Part> parts,
                                             String destination) throws WholeRequestRefused {
        JsonObject response = parseStowResponse(body);
        boolean perInstance = status == 200 || status == 202 || status == 409 || (status == 400 && response != null);
        if (!perInstance) {
            throw new WholeRequestRefused();
        }
        Map<String, Integer> failed = new HashMap<>();
        Map<String, Integer> referenced = new HashMap<>();
        if (response != null) {
            collect(response, FAILED_SOP_SEQUENCE, FAILURE_REASON, PROCESSING_FAILURE, failed);
            collect(response, REFERENCED_SOP_SEQUENCE, WARNING_REASON, 0, referenced);
        }
        List<InstanceOutcome> outcomes = new ArrayList<>(parts.size());
        for (Part part : parts) {
            String uid = part.sopInstanceUid();
            Integer reason = failed.get(uid);
            Integer warning = referenced.get(uid);
            if (reason != null) {
                outcomes.add(InstanceOutcome.failed(uid, part.file(), reason, "refused by '" + destination
                        + "': failure reason " + reasonText(reason) + " (HTTP " + status + ")"));
            } else if (warning != null) {
                outcomes.add(warning == 0 ? InstanceOutcome.stored(uid, part.file(), 0)
                        : new InstanceOutcome(uid, part.file(), true, warning,
                        "stored with warning " + reasonText(warning)));
            } else if (status == 200) {
                outcomes.add(InstanceOutcome.stored(uid, part.file(), 0));
            } else if (status == 409) {
                outcomes.add(InstanceOutcome.failed(uid, part.file(), status, "refused by '" + destination
                        + "': the server stored none of the request's instances (HTTP 409)"));
            } else {
                outcomes.add(InstanceOutcome.failed(uid, part.file(), status, "not stored by '" + destination
                        + "': not listed as stored in the HTTP " + status + " response"
                        + (response == null ? " (no readable DICOM JSON response)" : "")));
            }
        }
        return outcomes;
    }

    /** The STOW-RS response data set, or null when the body is not DICOM JSON with the STOW sequences. */
    static JsonObject parseStowResponse(Buffer body) {
        if (body == null || body.length() == 0) {
            return null;
        }
        String text = body.toString(StandardCharsets.UTF_8).trim();
        Object parsed;
        try {
            if (text.startsWith("[")) {
                JsonArray array = new JsonArray(text);
                parsed = array.size() == 1 ? array.getValue(0) : null;
            } else if (text.startsWith("{")) {
                parsed = new JsonObject(text);
            } else {
                return null;
            }
        } catch (DecodeException e) {
            return null;
        }
        if (parsed instanceof JsonObject object
                && (object.containsKey(FAILED_SOP_SEQUENCE) || object.containsKey(REFERENCED_SOP_SEQUENCE))) {
            return object;
        }
        return null;
    }

    private static void collect(JsonObject response, String sequence, String reasonTag, int defaultReason,
                                Map<String, Integer> into) {
        if (!(response.getValue(sequence) instanceof JsonObject element)
                || !(element.getValue("Value") instanceof JsonArray items)) {
            return;
        }
        for (Object item : items) {
            if (!(item instanceof JsonObject dataset)) {
                continue;
            }
            String uid = firstString(dataset.getValue(REFERENCED_SOP_INSTANCE_UID));
            if (uid == null) {
                continue;
            }
            String reason = firstString(dataset.getValue(reasonTag));
            int code = defaultReason;
            if (reason != null) {
                try {
                    code = reason.startsWith("0x") || reason.startsWith("0X") ? Integer.parseInt(reason.substring(2), 16)
                            : Integer.parseInt(reason);
                } catch (NumberFormatException e) {
                    code = defaultReason;
                }
            }
            into.put(uid.trim(), code);
        }
    }

    private static String firstString(Object element) {
        if (!(element instanceof JsonObject object) || !(object.getValue("Value") instanceof JsonArray values)
                || values.isEmpty()) {
            return null;
        }
        Object value = values.getValue(0);
        return value == null ? null : value.toString();
    }

    /** "0xA700 (out of resources)" */
    static String reasonText(int code) {
        String meaning = switch (code) {
            case 0x0110 -> "processing failure";
            case 0x0112 -> "no such object instance";
            case 0x0122 -> "SOP class not supported";
            case 0x0124 -> "not authorized";
            case 0xA700 -> "out of resources";
            case 0xA900 -> "data set does not match SOP class";
            case 0xC000 -> "cannot understand";
            case 0xC122 -> "transfer syntax not supported";
            case 0xB000 -> "coercion of data elements";
            case 0xB006 -> "elements discarded";
            case 0xB007 -> "data set does not match SOP class";
            default -> null;
        };
        return String.format("0x%04X", code) + (meaning != null ? " (" + meaning + ")" : "");
    }

    /** A short, single-line excerpt of a textual body; DICOM bodies are described, never shown. */
    static String excerpt(String contentType, Buffer body) {
        if (body == null || body.length() == 0) {
            return "(empty body)";
        }
        String type = contentType == null ? "" : contentType.toLowerCase(java.util.Locale.ROOT);
        if (type.contains("dicom") || type.contains("multipart") || type.contains("octet-stream")) {
            return "(" + type.split(";")[0].trim() + " body of " + body.length() + " bytes, not shown)";
        }
        String text = body.getString(0, Math.min(body.length(), MAX_EXCERPT * 4), "UTF-8");
        if (type.isEmpty() && text.contains("\"" + FAILED_SOP_SEQUENCE + "\"")) {
            return "(DICOM JSON body of " + body.length() + " bytes, not shown)";
        }
        String clean = text.replaceAll("[\\p{Cntrl}\\s]+", " ").trim();
        return clean.length() > MAX_EXCERPT ? clean.substring(0, MAX_EXCERPT) + "..." : clean;
    }

    /** The URL without user info, query and fragment. */
    static String redact(String url) {
        try {
            URI u = new URI(url);
            return new URI(u.getScheme(), null, u.getHost(), u.getPort(), u.getPath(), null, null).toString();
        } catch (URISyntaxException | RuntimeException e) {
            return "(unparseable URL)";
        }
    }
}
