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
 * <p>Callers never wait for the disk: an event is stamped with its time and handed to the audit
 * trail's own thread, which writes it (one {@code write} to a file opened for append) within
 * milliseconds, forces the file to disk (fsync) at most a second later, at every rotation and at
 * close. A crash of the process can lose the events not yet written (milliseconds' worth); a power
 * cut up to the last second of events. Job state changes are in the job journal (H2) as well.
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
    /** Writes, rotates and syncs: the only thread touching the file. */
    private final ScheduledExecutorService writer;
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
        writer = org.radflow.pipeline.Threads.scheduled("audit");
        writer.scheduleWithFixedDelay(this::syncQuietly, 1, 1, TimeUnit.SECONDS);
    }

    /**
     * Appends one event: {@code type} plus the given fields, with {@code time} (now) first. Returns at
     * once; never throws: a failure to write is logged as an error (the audited operation has happened).
     */
    public void record(String type, JsonObject fields) {
        Instant at = clock.instant();
        JsonObject e = new JsonObject().put("time", at.toString()).put("type", type);
        fields.forEach(f -> e.put(f.getKey(), f.getValue()));
        byte[] line = (e.encode() + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            writer.execute(() -> write(line, at));
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            LOG.warn("Audit event after the audit trail was closed, not recorded: {}", type);
        }
    }

    private synchronized void write(byte[] line, Instant at) {
        if (closed) {
            return;
        }
        try {
            roll(line.length, at);
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

    /** Waits (bounded) until the events recorded so far are written. */
    public void flush() {
        currentFile();
    }

    /** The file being written now, once the events recorded so far are written (for tests and the operator). */
    public Path currentFile() {
        try {
            return writer.submit(() -> {
                synchronized (this) {
                    return current;
                }
            }).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            synchronized (this) {
                return current;
            }
        }
    }

    /** Opens the file for an event of {@code at}: a new one for a new day, or when this one would pass the limit. */
    private void roll(int next, Instant at) throws IOException {
        LocalDate today = LocalDate.ofInstant(at, ZoneOffset.UTC);
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

    /** Forces written events to disk without holding the lock: an fsync can take long, and writers must not wait for it. */
    private void syncQuietly() {
        FileChannel c;
        synchronized (this) {
            if (!dirty || channel == null) {
                return;
            }
            c = channel;
            dirty = false;
        }
        try {
            c.force(false);
        } catch (java.nio.channels.ClosedChannelException rotated) {
            // rotation or close forced it already
        } catch (IOException e) {
            LOG.error("Cannot flush the audit trail {}: {}", current, e.toString());
        }
    }

    @Override
    public void close() {
        // not shutdownNow: pending events are written first, and interrupting FileChannel.force closes the channel
        writer.shutdown();
        try {
            writer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
