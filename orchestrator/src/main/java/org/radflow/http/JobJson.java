package org.radflow.http;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.radflow.jobs.Job;

import java.time.Instant;
import java.util.List;

/** JSON shapes of the API (no patient data: UIDs, states, reasons and times only). */
public final class JobJson {

    private JobJson() {
    }

    public static JsonObject summary(Job j) {
        return new JsonObject()
                .put("id", j.id())
                .put("state", j.state().name())
                .put("module", j.moduleId())
                .put("moduleVersion", j.moduleVersion())
                .put("plannedVersion", j.plannedModuleVersion())
                .put("generation", j.run() == null ? null : j.run().generation())
                .put("moduleRunMs", j.run() == null || j.run().moduleMillis() < 0 ? null : j.run().moduleMillis())
                .put("rule", j.ruleName())
                .put("trigger", j.trigger().name())
                .put("priority", j.priority().configName())
                .put("studyInstanceUid", j.studyUid())
                .put("seriesInstanceUid", j.seriesUid())
                .put("sopInstanceUid", j.sopUid())
                .put("revision", j.revision())
                .put("attempts", j.attempts())
                .put("node", j.node())
                .put("inputNode", j.inputNode())
                .put("progress", j.progress())
                .put("progressMessage", j.progressMessage())
                .put("reason", j.reason())
                .put("createdAt", time(j.createdAt()))
                .put("startedAt", time(j.startedAt()))
                .put("finishedAt", time(j.finishedAt()));
    }

    static JsonObject detail(Job j, List<Job.Event> timeline) {
        JsonArray events = new JsonArray();
        for (Job.Event e : timeline) {
            events.add(new JsonObject().put("at", time(e.at())).put("state", e.state().name()).put("message", e.message()));
        }
        return summary(j)
                .put("unit", j.unitKey())
                .put("destinations", new JsonArray(j.destinations()))
                .put("inputs", j.inputFiles().size())
                .put("inputHash", j.inputHash())
                .put("supersedes", j.supersedes())
                .put("nextAttemptAt", time(j.nextAttemptAt()))
                .put("run", j.run() == null ? null : j.run().toJson())
                .put("timeline", events);
    }

    private static String time(Instant t) {
        return t == null ? null : t.toString();
    }
}
