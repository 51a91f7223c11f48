package org.radflow.notify;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.radflow.config.RadflowConfig;
import org.radflow.pipeline.Threads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sends {@link Notification}s to the configured webhooks: a JSON POST signed with HMAC-SHA256 of the body
 * ({@code X-RadFlow-Signature: sha256=<hex>}) and, against replay, of the attempt's time and the body
 * ({@code X-RadFlow-Timestamp}, {@code X-RadFlow-Signature-V2}) when the webhook has a secret, retried with exponential
 * back-off on a transport error or a non-2xx answer. Deliveries waiting (bounded by {@code queueLimit}; past it new ones
 * are dropped and counted) are kept as files in the pending folder and sent again after a restart. The last {@link #RECENT} deliveries are kept for
 * {@code GET /api/notifications}. The JDK's HTTP client on the notifier's own threads sends them: nothing here runs on
 * an event loop, and a slow receiver delays no stage.
 */
public final class Notifier implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Notifier.class);
    static final int RECENT = 100;

    private final String node;
    private final ExecutorService http = Threads.single("notifier-http");
    private final ScheduledExecutorService retries = Threads.scheduled("notifier-retry");
    private final HttpClient client;
    private volatile RadflowConfig.Notifications settings;
    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final Deque<Delivery> recent = new ArrayDeque<>();
    private volatile boolean closed;

    /** One delivery of one notification to one webhook; changes as attempts are made (guarded by the notifier). */
    private static final class Delivery {
        final String id;
        final RadflowConfig.Webhook webhook;
        final String event;
        final String jobId;
        final String module;
        final Instant time;
        final byte[] body;
        String status = "pending";
        int attempts;
        Integer lastStatusCode;
        String lastError;
        Instant updated = Instant.now();

        Delivery(String id, RadflowConfig.Webhook webhook, String event, String jobId, String module, Instant time, byte[] body) {
            this.id = id;
            this.webhook = webhook;
            this.event = event;
            this.jobId = jobId;
            this.module = module;
            this.time = time;
            this.body = body;
        }

        static Delivery of(RadflowConfig.Webhook webhook, Notification n, String node) {
            String id = UUID.randomUUID().toString();
            return new Delivery(id, webhook, n.event(), n.jobId(), n.module(), n.time(),
                    n.toJson(id, node).encode().getBytes(StandardCharsets.UTF_8));
        }

        JsonObject toRecord() {
            return new JsonObject().put("id", id).put("webhook", webhook.name()).put("event", event).put("jobId", jobId)
                    .put("module", module).put("time", time.toString()).put("attempts", attempts)
                    .put("body", new String(body, StandardCharsets.UTF_8));
        }
    }

    /** Where waiting deliveries are kept across restarts ({@code <dataDir>/notifications}); null = memory only. */
    private final Path pendingDir;

    /** In memory only (tests, and a server without a data folder). */
    public Notifier(RadflowConfig.Notifications settings, String node) {
        this(settings, node, null);
    }

    /**
     * @param pendingDir deliveries still waiting are written there (one small file each, synced) and sent again after a
     *                   restart, with their id, so that a receiver can drop a repeat; null = memory only
     */
    public Notifier(RadflowConfig.Notifications settings, String node, Path pendingDir) {
        this.settings = settings;
        this.node = node;
        this.pendingDir = pendingDir;
        this.client = HttpClient.newBuilder().executor(http).followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofMillis(Math.min(settings.timeout().toMillis(), 10_000))).build();
        if (pendingDir != null) {
            resume();
        }
    }

    /** Sends again what was waiting when the server stopped; deliveries for webhooks no longer configured are dropped. */
    private void resume() {
        List<Path> files;
        try {
            Files.createDirectories(pendingDir);
            try (var list = Files.list(pendingDir)) {
                files = list.filter(f -> f.getFileName().toString().endsWith(".json")).sorted().toList();
            }
        } catch (IOException e) {
            LOG.warn("Notifications waiting from before the restart cannot be read from {}: {}", pendingDir, e.toString());
            return;
        }
        RadflowConfig.Notifications s = settings;
        int resumed = 0;
        for (Path f : files) {
            try {
                JsonObject r = new JsonObject(Files.readString(f, StandardCharsets.UTF_8));
                RadflowConfig.Webhook w = s.webhooks().stream().filter(h -> h.name().equals(r.getString("webhook")))
                        .findFirst().orElse(null);
                if (w == null) {
                    LOG.warn("Notification {} ({}) waiting for webhook '{}' is dropped: that webhook is no longer configured",
                            r.getString("id"), r.getString("event"), printable(r.getString("webhook")));
                    Files.deleteIfExists(f);
                    continue;
                }
                Delivery d = new Delivery(r.getString("id"), w, r.getString("event"), r.getString("jobId"),
                        r.getString("module"), Instant.parse(r.getString("time")),
                        r.getString("body").getBytes(StandardCharsets.UTF_8));
                d.attempts = r.getInteger("attempts", 0);
                waiting.incrementAndGet();
                remember(d);
                later(d, s, Duration.ZERO);
                resumed++;
            } catch (IOException | RuntimeException e) {
                LOG.warn("Notification file {} is unreadable and is set aside as .bad: {}", f, e.toString());
                try {
                    Files.move(f, f.resolveSibling(f.getFileName() + ".bad"), StandardCopyOption.REPLACE_EXISTING);
                } catch (IOException ignored) {
                    // left where it is: read again at the next start
                }
            }
        }
        if (resumed > 0) {
            LOG.info("{} notification(s) waiting from before the restart are sent again", resumed);
        }
    }

    /** Writes (or rewrites) a waiting delivery's file: temporary file, data sync, rename. */
    private void persist(Delivery d) {
        if (pendingDir == null) {
            return;
        }
        Path target = pendingDir.resolve(d.id + ".json");
        Path tmp = pendingDir.resolve(d.id + ".tmp");
        try {
            byte[] bytes;
            synchronized (this) {
                bytes = d.toRecord().encode().getBytes(StandardCharsets.UTF_8);
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(ByteBuffer.wrap(bytes));
                ch.force(false);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            LOG.warn("Notification {} cannot be kept on disk in {} (it is still sent, but a restart would forget it): {}",
                    d.id, pendingDir, e.toString());
        }
    }

    private void forget(Delivery d) {
        if (pendingDir == null) {
            return;
        }
        try {
            Files.deleteIfExists(pendingDir.resolve(d.id + ".json"));
        } catch (IOException e) {
            LOG.warn("Notification file {} cannot be deleted: {}", pendingDir.resolve(d.id + ".json"), e.toString());
        }
    }

    /** A configuration reload: new webhooks and retry policy for notifications from now on. */
    public void update(RadflowConfig.Notifications next) {
        this.settings = next;
    }

    /** Queues the notification for every webhook that wants it. Quick; may be called from any thread. */
    public void publish(Notification n) {
        if (closed) {
            return;
        }
        RadflowConfig.Notifications s = settings;
        for (RadflowConfig.Webhook w : s.webhooks()) {
            if (!wants(w, n)) {
                continue;
            }
            Delivery d = Delivery.of(w, n, node);
            if (waiting.incrementAndGet() > s.queueLimit()) {
                waiting.decrementAndGet();
                dropped.incrementAndGet();
                d.status = "dropped";
                remember(d);
                LOG.warn("Notification {} for webhook '{}' dropped: {} deliveries are already waiting (notifications.queueLimit)",
                        n.event(), w.name(), s.queueLimit());
                continue;
            }
            remember(d);
            persist(d);
            later(d, s, Duration.ZERO);
        }
    }

    static boolean wants(RadflowConfig.Webhook w, Notification n) {
        if (!w.events().contains(n.event())) {
            return false;
        }
        if (!w.modules().isEmpty() && (n.module() == null || !w.modules().contains(n.module()))) {
            return false;
        }
        // a rule filter selects job events; a paused module concerns every rule
        return w.rules().isEmpty() || n.jobId() == null || (n.rule() != null && w.rules().contains(n.rule()));
    }

    private void attempt(Delivery d, RadflowConfig.Notifications s) {
        if (closed) {
            return;
        }
        int attempt;
        synchronized (this) {
            attempt = ++d.attempts;
        }
        HttpRequest request;
        try {
            request = request(d, s);
        } catch (RuntimeException e) { // the URL was checked at load: only a JDK refusal gets here
            finish(d, "failed", null, e.toString());
            failed.incrementAndGet();
            LOG.warn("Notification {} to webhook '{}' cannot be sent: {}", d.event, d.webhook.name(), printable(e.toString()));
            return;
        }
        client.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, failure) -> {
            String error;
            Integer code = null;
            if (failure == null) {
                code = response.statusCode();
                if (code >= 200 && code < 300) {
                    finish(d, "delivered", code, null);
                    delivered.incrementAndGet();
                    return;
                }
                error = "HTTP " + code;
            } else {
                Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                error = cause.toString();
            }
            if (closed && pendingDir != null) {
                return; // stopping: left waiting on disk, sent again after the restart
            }
            if (attempt >= s.maxAttempts() || closed) {
                finish(d, "failed", code, error);
                failed.incrementAndGet();
                LOG.warn("Notification {} to webhook '{}' failed after {} attempt(s): {}", d.event, d.webhook.name(),
                        attempt, printable(error));
                return;
            }
            Duration wait = backoff(s, attempt);
            synchronized (this) {
                d.status = "retrying";
                d.lastStatusCode = code;
                d.lastError = error;
                d.updated = Instant.now();
            }
            persist(d); // the attempts so far survive a restart
            LOG.debug("Notification {} to webhook '{}': attempt {} failed ({}); next in {} ms", d.event,
                    d.webhook.name(), attempt, printable(error), wait.toMillis());
            later(d, s, wait);
        });
    }

    private static HttpRequest request(Delivery d, RadflowConfig.Notifications s) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(d.webhook.url()))
                .timeout(s.timeout())
                .header("Content-Type", "application/json")
                .header("User-Agent", "RadFlow-Notifier")
                .header("X-RadFlow-Event", d.event)
                .header("X-RadFlow-Delivery", d.id)
                .POST(HttpRequest.BodyPublishers.ofByteArray(d.body));
        if (!d.webhook.secret().value().isEmpty()) {
            request.header("X-RadFlow-Signature", "sha256=" + hmacSha256Hex(d.webhook.secret().value(), d.body));
            // against replay: the time of this attempt, signed with the body; a receiver refuses old or repeated ones
            String timestamp = Long.toString(Instant.now().getEpochSecond());
            request.header("X-RadFlow-Timestamp", timestamp);
            request.header("X-RadFlow-Signature-V2", "sha256=" + hmacSha256Hex(d.webhook.secret().value(), timestamped(timestamp, d.body)));
        }
        return request.build();
    }

    /** What {@code X-RadFlow-Signature-V2} signs: the timestamp's digits, a dot, then the body's bytes. */
    public static byte[] timestamped(String timestamp, byte[] body) {
        byte[] t = (timestamp + ".").getBytes(StandardCharsets.US_ASCII);
        byte[] all = java.util.Arrays.copyOf(t, t.length + body.length);
        System.arraycopy(body, 0, all, t.length, body.length);
        return all;
    }

    private void later(Delivery d, RadflowConfig.Notifications s, Duration wait) {
        try {
            retries.schedule(() -> attempt(d, s), wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            // closed: deliveries still waiting are forgotten in memory; with a pending folder they are sent after a restart
        }
    }

    /** initialBackoff, doubled after each failed attempt, at most maxBackoff. */
    static Duration backoff(RadflowConfig.Notifications s, int failedAttempts) {
        Duration d = s.initialBackoff();
        for (int i = 1; i < failedAttempts && d.compareTo(s.maxBackoff()) < 0; i++) {
            d = d.multipliedBy(2);
        }
        return d.compareTo(s.maxBackoff()) > 0 ? s.maxBackoff() : d;
    }

    private void finish(Delivery d, String status, Integer code, String error) {
        synchronized (this) {
            d.status = status;
            d.lastStatusCode = code;
            d.lastError = error;
            d.updated = Instant.now();
            waiting.decrementAndGet();
        }
        forget(d);
    }

    private synchronized void remember(Delivery d) {
        recent.addFirst(d);
        while (recent.size() > RECENT) {
            recent.removeLast();
        }
    }

    /** For GET /api/notifications: the webhooks, counters and the most recent deliveries, newest first. */
    public synchronized JsonObject recent() {
        JsonArray hooks = new JsonArray();
        for (RadflowConfig.Webhook w : settings.webhooks()) {
            hooks.add(new JsonObject().put("name", w.name()).put("url", origin(w.url())).put("events", new JsonArray(w.events().stream().sorted().toList()))
                    .put("signed", !w.secret().value().isEmpty()));
        }
        JsonArray list = new JsonArray();
        for (Delivery d : recent) {
            list.add(new JsonObject().put("id", d.id).put("webhook", d.webhook.name()).put("event", d.event)
                    .put("jobId", d.jobId).put("module", d.module).put("status", d.status)
                    .put("attempts", d.attempts).put("lastStatusCode", d.lastStatusCode).put("lastError", d.lastError)
                    .put("time", d.time.toString()).put("updated", d.updated.toString()));
        }
        return new JsonObject().put("webhooks", hooks).put("waiting", waiting.get()).put("delivered", delivered.get())
                .put("failed", failed.get()).put("dropped", dropped.get()).put("durable", pendingDir != null).put("deliveries", list);
    }

    /** A webhook URL's scheme, host and port only: chat services put their secret in the path. */
    static String origin(String url) {
        URI u = URI.create(url);
        return u.getScheme() + "://" + u.getHost() + (u.getPort() < 0 ? "" : ":" + u.getPort()) + "/...";
    }

    public static String hmacSha256Hex(String secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }

    /** A receiver's or transport's text for one log line: control characters shown as '?', at most 200 characters. */
    static String printable(String s) {
        if (s == null) {
            return "";
        }
        String t = s.replaceAll("\\p{Cntrl}", "?");
        return t.length() > 200 ? t.substring(0, 200) + "..." : t;
    }

    @Override
    public void close() {
        closed = true;
        retries.shutdownNow();
        Threads.shutdown(http, 2, TimeUnit.SECONDS);
    }
}
