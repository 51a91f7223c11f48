package org.radflow.audit;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AuditLogTest {

    @TempDir
    Path dir;

    /** A clock the test moves. */
    static final class MovableClock extends Clock {
        Instant now;

        MovableClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private List<String> files() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void eventsAreJsonLinesInADailyFileThatRotatesBySizeAndByDay() throws Exception {
        MovableClock clock = new MovableClock(Instant.parse("2026-03-01T23:59:00Z"));
        try (AuditLog log = new AuditLog(dir, 400, 0, clock)) {
            for (int i = 0; i < 6; i++) {
                log.record("job.state", new JsonObject().put("jobId", "job-" + i).put("state", "QUEUED"));
            }
            log.flush();
            List<String> day1 = files();
            assertTrue(day1.size() >= 2, "over 400 bytes: a second file the same day: " + day1);
            assertTrue(day1.contains("audit-2026-03-01.jsonl") && day1.contains("audit-2026-03-01.1.jsonl"), day1.toString());
            for (String f : day1) {
                assertTrue(Files.size(dir.resolve(f)) <= 400, f + " stays within the limit");
            }
            clock.now = Instant.parse("2026-03-02T00:00:01Z");
            log.record("api.action", new JsonObject().put("user", "ops").put("action", "POST /api/jobs/:id/retry").put("outcome", 200));
            assertEquals(dir.resolve("audit-2026-03-02.jsonl"), log.currentFile());
        }
        int events = 0;
        for (String f : files()) {
            for (String line : Files.readAllLines(dir.resolve(f))) {
                JsonObject e = new JsonObject(line);
                assertTrue(e.containsKey("time") && e.containsKey("type"), line);
                events++;
            }
        }
        assertEquals(7, events, "nothing lost across rotations");
        JsonObject last = new JsonObject(Files.readAllLines(dir.resolve("audit-2026-03-02.jsonl")).get(0));
        assertEquals("api.action", last.getString("type"));
        assertEquals("2026-03-02T00:00:01Z", last.getString("time"));
        assertEquals("ops", last.getString("user"));
    }

    @Test
    void aRestartAppendsToTheCurrentFileAndOldFilesExpire() throws Exception {
        MovableClock clock = new MovableClock(Instant.parse("2026-03-10T10:00:00Z"));
        Files.writeString(dir.resolve("audit-2026-01-01.jsonl"), "{}\n");
        Files.writeString(dir.resolve("audit-2026-03-09.jsonl"), "{}\n");
        try (AuditLog log = new AuditLog(dir, 1_000_000, 30, clock)) {
            log.record("a", new JsonObject());
        }
        try (AuditLog log = new AuditLog(dir, 1_000_000, 30, clock)) {
            log.record("b", new JsonObject());
        }
        List<String> f = files();
        assertFalse(f.contains("audit-2026-01-01.jsonl"), "older than 30 days: deleted " + f);
        assertTrue(f.contains("audit-2026-03-09.jsonl"), "within retention: kept");
        List<String> today = Files.readAllLines(dir.resolve("audit-2026-03-10.jsonl"));
        assertEquals(2, today.size(), "appended, never truncated: " + today);
    }
}
