package org.radflow.audit;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.listener.AssociationSummary;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Peer-supplied strings reach the audit trail escaped as in the log: a forged line stays visible, on one line. */
class AuditObserverEscapingTest {

    @TempDir
    Path dir;

    @Test
    void aCallingAeTitleWithANewlineIsRecordedEscaped() throws Exception {
        try (AuditLog audit = new AuditLog(dir, 1 << 20, 0, Clock.systemUTC());
             AuditObserver observer = new AuditObserver(audit, null)) {
            observer.associationEnded(new AssociationSummary("X\nERROR FORGED", "RADFLOW\u0007", "127.0.0.1:4000", 1, 0, 10,
                    Duration.ofMillis(5), "released"));
            audit.flush();
        }
        List<String> lines;
        try (Stream<Path> files = Files.list(dir)) {
            lines = Files.readAllLines(files.findFirst().orElseThrow());
        }
        assertEquals(1, lines.size());
        JsonObject event = new JsonObject(lines.get(0));
        assertEquals("X\\nERROR FORGED", event.getString("callingAeTitle"));
        assertEquals("RADFLOW\\x07", event.getString("calledAeTitle"));
    }
}
