package org.radflow.notify;

import io.vertx.core.json.JsonObject;

import java.time.Instant;

/**
 * One event for webhooks. It carries identifiers and a reason, never a patient's name or ID.
 *
 * @param event       job.failed, result.available, delivery.dead-letter or module.paused
 * @param jobId       null for module.paused
 * @param rule        the rule that planned the job; null when there is none
 * @param destination the destination of a dead letter; null otherwise
 * @param reason      why (a job's failure, a pause's cause, a delivery's last error); null when none
 */
public record Notification(String event, Instant time, String jobId, String module, String rule, String studyInstanceUid,
                           String destination, String reason) {

    /** The JSON body sent (keys without a value are left out). */
    JsonObject toJson(String id, String node) {
        JsonObject o = new JsonObject().put("id", id).put("event", event).put("time", time.toString()).put("node", node);
        putIfSet(o, "jobId", jobId);
        putIfSet(o, "module", module);
        putIfSet(o, "rule", rule);
        putIfSet(o, "studyInstanceUid", studyInstanceUid);
        putIfSet(o, "destination", destination);
        putIfSet(o, "reason", reason);
        return o;
    }

    private static void putIfSet(JsonObject o, String key, String value) {
        if (value != null) {
            o.put(key, value);
        }
    }
}
