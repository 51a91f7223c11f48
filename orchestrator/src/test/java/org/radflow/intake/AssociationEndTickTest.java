package org.radflow.intake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.Trigger;
import org.radflow.listener.InstanceStored;
import org.radflow.pipeline.PipelineEvents;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;
import org.radflow.tracking.StudyTracker;
import org.radflow.tracking.Unit;

/**
 * Issue 16, instance and quiet-period-0 triggers: the end of an association is an event, not something a poll finds.
 * What the server does at an association's end ({@code Pipeline.associationEnded}: {@link Intake#afterTaken} then a
 * tracker tick) runs after intake has handed every instance of the association to the tracker, so a series with a
 * quiet period of 0 is handed on once, complete, right after its last instance — no periodic tick is involved here.
 */
class AssociationEndTickTest {

    @Test
    void seriesIsHandedOnOnceCompleteAfterTheAssociationsInstances(@TempDir Path dir) throws Exception {
        GeneratedSeries mr = Synth.brainMr(dir.resolve("in"), MrOptions.defaults().withSeed(7).withDimensions(32, 32, 8));
        Path incoming = dir.resolve("incoming");
        List<Unit> ready = Collections.synchronizedList(new ArrayList<>());
        StudyTracker tracker = new StudyTracker(incoming, Duration.ZERO, Duration.ofHours(1), Duration.ofHours(1), ready::add,
                Clock.systemUTC());
        try (Intake intake = new Intake(new HeaderCache(64), r -> tracker.onInstance(r.stored()), new PipelineEvents() {
        })) {
            for (int i = 0; i < mr.files().size(); i++) {
                Path target = incoming.resolve(mr.studyInstanceUid()).resolve(mr.seriesInstanceUid())
                        .resolve(mr.sopInstanceUids().get(i) + ".dcm");
                Files.createDirectories(target.getParent());
                Files.copy(mr.files().get(i), target);
                intake.stored(new InstanceStored(mr.studyInstanceUid(), mr.seriesInstanceUid(), mr.sopInstanceUids().get(i),
                        "1.2.840.10008.5.1.4.1.1.4", "MR", "1.2.840.10008.1.2.1", "SCU", target, Files.size(target), Instant.now()));
            }
            // the association ended: as Pipeline.associationEnded does (there on the tracker's thread)
            CountDownLatch ticked = new CountDownLatch(1);
            intake.afterTaken(() -> {
                tracker.tick();
                ticked.countDown();
            });
            assertTrue(ticked.await(30, TimeUnit.SECONDS), "the tick after the association ran");
        }
        List<Unit> units = List.copyOf(ready);
        List<Unit> series = units.stream().filter(u -> u.kind() == Trigger.SERIES).toList();
        assertEquals(1, series.size(), "one series unit, not one per instance: " + units);
        assertEquals(8, series.get(0).files().size(), "with every instance of the association");
        assertEquals(8, units.stream().filter(u -> u.kind() == Trigger.INSTANCE).count(), "each instance at once");
        assertEquals(Trigger.SERIES, units.get(units.size() - 1).kind(), "the series after all its instances: " + units);
    }
}
