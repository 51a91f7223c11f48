package org.radflow.notify;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.radflow.api.Trigger;
import org.radflow.config.RadflowConfig;
import org.radflow.dispatch.Outbox;
import org.radflow.jobs.Job;
import org.radflow.jobs.JobState;
import org.radflow.routing.Priority;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Which stage events become which notifications (read from the notifier's recent deliveries, queued at publish). */
class NotificationObserverTest {

    private static Job job(JobState state) {
        Instant t = Instant.parse("2026-12-04T10:00:00Z");
        return new Job("job-" + state, "unit", Trigger.SERIES, "1.2.3", "1.2.3.4", null, "covidnet", "1.0", "chest", Priority.NORMAL,
                List.of("pacs"), List.of(), "hash", 1, null, state, 1, null, 0, null, t, t, t, t, null, null, "node", null);
    }

    @Test
    void jobStatesDeadLettersAndPausesMapToEvents() throws Exception {
        // a closed port and one attempt: the deliveries fail, but each is listed from the moment it is queued
        RadflowConfig.Webhook w = new RadflowConfig.Webhook("w", "http://127.0.0.1:9/h", Set.copyOf(RadflowConfig.NOTIFICATION_EVENTS),
                RadflowConfig.Secret.NONE, Set.of(), Set.of());
        RadflowConfig.Notifications s = new RadflowConfig.Notifications(List.of(w), 100, 1, Duration.ofMillis(10), Duration.ofMillis(10),
                Duration.ofSeconds(1));
        try (Notifier n = new Notifier(s, "node"); NotificationObserver o = new NotificationObserver(n, null)) {
            for (JobState st : JobState.values()) {
                o.jobChanged(job(st), new Job.Event(Instant.now(), st, "because " + st));
            }
            o.deliveryAttempted(new Outbox.Delivery("pacs", "job-X", "1.2.3.4.5", Path.of("x.dcm"), Outbox.State.PENDING, 1, "refused",
                    Duration.ZERO));
            o.deliveryAttempted(new Outbox.Delivery("pacs", "job-X", "1.2.3.4.5", Path.of("x.dcm"), Outbox.State.DEAD, 8, "refused",
                    Duration.ZERO));
            o.modulePaused("covidnet", "workers died 5 times");
            long end = System.currentTimeMillis() + 10_000;
            JsonArray d = n.recent().getJsonArray("deliveries");
            while (d.size() < 5 && System.currentTimeMillis() < end) {
                Thread.sleep(20);
                d = n.recent().getJsonArray("deliveries");
            }
            List<String> events = d.stream().map(x -> ((JsonObject) x).getString("event") + ":" + ((JsonObject) x).getString("jobId"))
                    .sorted().toList();
            assertEquals(List.of("delivery.dead-letter:job-X", "job.failed:job-FAILED", "job.failed:job-TIMED_OUT", "module.paused:null",
                    "result.available:job-SUCCEEDED"), events);
        }
    }
}
