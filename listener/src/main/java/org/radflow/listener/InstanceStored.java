package org.radflow.listener;

import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.time.Instant;

/**
 * Handed to the next stage ({@link InstanceSink}) once per instance that is on disk under its final spool name.
 * Carries UIDs and technical facts only, no patient data, so it may also cross nodes as JSON ({@link #toJson}).
 */
public record InstanceStored(
        String studyInstanceUid,
        String seriesInstanceUid,
        String sopInstanceUid,
        String sopClassUid,
        String modality,
        String transferSyntaxUid,
        String callingAeTitle,
        Path path,
        long size,
        Instant receivedAt) {

    public JsonObject toJson() {
        return new JsonObject()
                .put("studyInstanceUid", studyInstanceUid)
                .put("seriesInstanceUid", seriesInstanceUid)
                .put("sopInstanceUid", sopInstanceUid)
                .put("sopClassUid", sopClassUid)
                .put("modality", modality)
                .put("transferSyntaxUid", transferSyntaxUid)
                .put("callingAeTitle", callingAeTitle)
                .put("path", path.toString())
                .put("size", size)
                .put("receivedAt", receivedAt.toString());
    }

    public static InstanceStored fromJson(JsonObject json) {
        return new InstanceStored(
                json.getString("studyInstanceUid"),
                json.getString("seriesInstanceUid"),
                json.getString("sopInstanceUid"),
                json.getString("sopClassUid"),
                json.getString("modality"),
                json.getString("transferSyntaxUid"),
                json.getString("callingAeTitle"),
                Path.of(json.getString("path")),
                json.getLong("size"),
                Instant.parse(json.getString("receivedAt")));
    }
}
