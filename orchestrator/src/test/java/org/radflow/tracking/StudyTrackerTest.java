package org.radflow.tracking;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.Trigger;
import org.radflow.listener.InstanceStored;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StudyTrackerTest {

    @TempDir
    Path spool;

    private Instant now = Instant.parse("2026-01-01T00:00:00Z");
    private final List<Unit> ready = new ArrayList<>();

    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    };

    private StudyTracker tracker() {
        return new StudyTracker(spool, Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofHours(1), ready::add, clock);
    }

    private InstanceStored store(String study, String series, String sop) throws Exception {
        Path f = spool.resolve(study).resolve(series).resolve(sop + ".dcm");
        Files.createDirectories(f.getParent());
        Files.write(f, new byte[] {1});
        Files.setLastModifiedTime(f, java.nio.file.attribute.FileTime.from(now));
        return new InstanceStored(study, series, sop, "1.2.840.10008.5.1.4.1.1.4", "MR", "1.2.840.10008.1.2.1", "X", f, 1, now);
    }

    private List<Unit> of(Trigger kind) {
        return ready.stream().filter(u -> u.kind() == kind).toList();
    }

    @Test
    void instancesAreUnitsAtOnceSeriesAndStudiesAfterTheirQuietPeriods() throws Exception {
        StudyTracker t = tracker();
        t.onInstance(store("1.1", "1.1.1", "1.1.1.1"));
        now = now.plusSeconds(5);
        t.onInstance(store("1.1", "1.1.1", "1.1.1.2"));
        t.onInstance(store("1.1", "1.1.2", "1.1.2.1"));
        assertEquals(3, of(Trigger.INSTANCE).size());

        now = now.plusSeconds(9);
        t.tick();
        assertTrue(of(Trigger.SERIES).isEmpty(), "quiet period restarts with each instance");
        now = now.plusSeconds(1);
        t.tick();
        assertEquals(2, of(Trigger.SERIES).size());
        Unit s = of(Trigger.SERIES).stream().filter(u -> u.seriesUid().equals("1.1.1")).findFirst().orElseThrow();
        assertEquals(List.of("1.1.1.1", "1.1.1.2"), s.sopInstanceUids());
        assertTrue(of(Trigger.STUDY).isEmpty());

        now = now.plusSeconds(20);
        t.tick();
        assertEquals(1, of(Trigger.STUDY).size());
        assertEquals(3, of(Trigger.STUDY).get(0).files().size());
        t.tick();
        assertEquals(1, of(Trigger.STUDY).size(), "handed on once");
    }

    @Test
    void aLateInstanceReopensItsSeriesWithAllFilesAndANewInputHash() throws Exception {
        StudyTracker t = tracker();
        t.onInstance(store("2.1", "2.1.1", "2.1.1.1"));
        now = now.plusSeconds(10);
        t.tick();
        Unit first = of(Trigger.SERIES).get(0);
        now = now.plusSeconds(100);
        t.onInstance(store("2.1", "2.1.1", "2.1.1.2"));
        now = now.plusSeconds(10);
        t.tick();
        List<Unit> series = of(Trigger.SERIES);
        assertEquals(2, series.size());
        assertEquals(2, series.get(1).files().size());
        assertEquals(first.key(), series.get(1).key());
        assertNotEquals(first.inputHash(), series.get(1).inputHash());
    }

    @Test
    void rescanOffersEverythingInTheSpoolAgain() throws Exception {
        StudyTracker before = tracker();
        before.onInstance(store("3.1", "3.1.1", "3.1.1.1"));
        before.onInstance(store("3.1", "3.1.1", "3.1.1.2"));
        ready.clear();
        StudyTracker after = tracker();
        assertEquals(2, after.rescan());
        assertEquals(2, of(Trigger.INSTANCE).size());
        now = now.plusSeconds(31);
        after.tick();
        assertEquals(1, of(Trigger.SERIES).size());
        assertEquals(1, of(Trigger.STUDY).size());
    }
}
