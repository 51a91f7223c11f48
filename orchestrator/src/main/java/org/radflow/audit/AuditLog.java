package org.radflow.audit;

import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The audit trail: one JSON object per line, appended to {@code <dir>/audit-YYYY-MM-DD.jsonl} (UTC
 * dates). A new file starts each day, and when the current one would pass its size limit
 * ({@code audit-YYYY-MM-DD.1.jsonl}, {@code .2}, ...). Files older than the retention period are
 * deleted at start and at each new day. Files are only ever appended to.
 *
 * <p>Durability: each event is one {@code write} to a file opened for append, so a crash of RadFlow
 * loses nothing already recorded; the file is forced to disk (fsync) at most a second after an event,
 * at every rotation and at close, so a power cut loses at most the last second of events.
 *
 * <p>Events carry UIDs, AE titles, addresses, token names and outcomes; no patient names or IDs.
 */
public final class AuditLog implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
    private static final Pattern NAME = Pattern.compile("audit-(\\d{4}-\\d{2}-\\d{2})(?:\\.(\\d+))?\\.jsonl");

    private final Path dir;
    private final long maxBytes;
    private final int retentionDays;
    private final Clock clock;
    private final ScheduledExecutorService syncer;
    private FileChannel channel;
    private Path current;
    private LocalDate day;
    private int part;
    private long size;
    private boolean dirty;
    private boolean closed;

    public AuditLog(Path dir, long maxBytes, int retentionDays, Clock clock) throws IOException {
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.retentionDays = retentionDays;
        this.clock = clock;
        Files.createDirectories(dir);
        deleteExpired(LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC));
        syncer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "radflow-audit-sync");
            t.setDaemon(true);
            return t;
        });
        syncer.scheduleWithFixedDelay(this::syncQuietly, 1, 1, TimeUnit.SECONDS);
    }

    /**
     * Appends one event: {@code type} plus the given fields, with {@code time} first. Never throws: a
     * failure to write is logged as an error (the operation being audited has already happened).
     */
    public void record(String type, JsonObject fields) {
        JsonObject e = new JsonObject().put("time", clock.instant().toString()).put("type", type);
        fields.forEach(f -> e.put(f.getKey(), f.getValue()));
        byte[] line = (e.encode() + "\n").getBytes(StandardCharsets.UTF_8);
        synchronized (this) {
            if (closed) {
                return;
            }
            try {
                roll(line.length);
                ByteBuffer b = ByteBuffer.wrap(line);
                while (b.hasRemaining()) {
                    channel.write(b);
                }
                size += line.length;
                dirty = true;
            } catch (IOException ex) {
                LOG.error("Cannot write the audit trail in {}: {}", dir, ex.toString());
            }
        }
    }

    /** The file being written now (for tests and the operator). */
    public synchronized Path currentFile() {
        return current;
    }

    private void roll(int next) throws IOException {
        LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        if (channel != null && today.equals(day) && (size + next <= maxBytes || size == 0)) {
            return;
        }
        if (channel != null) {
            channel.force(false);
            channel.close();
            channel = null;
        }
        if (!today.equals(day)) {
            day = today;
            part = highestPart(today);
            deleteExpired(today);
        }
        while (true) {
            current = dir.resolve("audit-" + day + (part == 0 ? "" : "." + part) + ".jsonl");
            long existing = Files.isRegularFile(current) ? Files.size(current) : 0;
            if (existing == 0 || existing + next <= maxBytes) {
                size = existing;
                break;
            }
            part++;
        }
        channel = FileChannel.open(current, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    }

    private int highestPart(LocalDate d) throws IOException {
        int max = 0;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "audit-" + d + "*.jsonl")) {
            for (Path p : s) {
                Matcher m = NAME.matcher(p.getFileName().toString());
                if (m.matches() && m.group(2) != null) {
                    max = Math.max(max, Integer.parseInt(m.group(2)));
                }
            }
        }
        return max;
    }

    private void deleteExpired(LocalDate today) {
        if (retentionDays <= 0) {
            return;
        }
        LocalDate oldest = today.minusDays(retentionDays);
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "audit-*.jsonl")) {
            for (Path p : s) {
                Matcher m = NAME.matcher(p.getFileName().toString());
                if (m.matches() && LocalDate.parse(m.group(1)).isBefore(oldest)) {
                    Files.deleteIfExists(p);
                    LOG.info("Deleted audit file {} (older than audit.retentionDays = {})", p.getFileName(), retentionDays);
                }
            }
        } catch (IOException e) {
            LOG.warn("Cannot apply audit retention in {}: {}", dir, e.toString());
        }
    }

    private synchronized void syncQuietly() {
        if (!dirty || channel == null) {
            return;
        }
        try {
            channel.force(false);
            dirty = false;
        } catch (IOException e) {
            LOG.error("Cannot flush the audit trail {}: {}", current, e.toString());
        }
    }

    @Override
    public void close() {
        syncer.shutdownNow();
        synchronized (this) {
            closed = true;
            if (channel != null) {
                try {
                    channel.force(false);
                    channel.close();
                } catch (IOException e) {
                    LOG.warn("Closing the audit trail: {}", e.toString());
                }
                channel = null;
            }
        }
    }

    /** Now, for callers building events. */
    public Instant now() {
        return clock.instant();
    }
}
