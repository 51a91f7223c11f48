package org.radflow.http;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Optional;

/**
 * What the API asks of the running server, beyond the job journal and scheduler. Every method may
 * block (disk, journal); the API calls them off the event loop. A client error is an
 * {@link HttpApi.ApiException} with its status.
 */
public interface Operations {

    /** The server's summary; its "status" is readiness's. May block (a store query). */
    JsonObject health();

    /** Readiness: {@code {"status", "ready": bool, "components": {name: {"status": "UP|WARN|DOWN", "detail"}}}}. */
    JsonObject ready();

    /** Received studies, newest first: {@code {"studies": [...], "total": n, "limit", "offset"}}. */
    JsonObject studies(int limit, int offset) throws Exception;

    /** One study: its series (instance counts, descriptions) and jobs. */
    JsonObject study(String studyUid) throws Exception;

    /** New job(s) of a module on a study's units. */
    JsonObject reprocess(String studyUid, JsonObject body) throws Exception;

    /** {@code {"hold": true|false}}: an operator's hold of a received study from the spool's retention sweep. */
    JsonObject retention(String studyUid, JsonObject body) throws Exception;

    JsonArray modules() throws Exception;

    JsonObject setModuleEnabled(String moduleId, boolean enabled) throws Exception;

    JsonObject reloadModule(String moduleId) throws Exception;

    /** The active rule set. */
    JsonObject rules();

    JsonObject testRules(JsonObject body) throws Exception;

    JsonObject destinations() throws Exception;

    int retryDestination(String name) throws Exception;

    JsonObject cluster();

    /** Drain ({@code on}) or resume this node: whether it claims work. */
    JsonObject drain(boolean on) throws Exception;

    /** Re-reads the configuration file; throws ApiException(400) with the validation message when it is invalid. */
    JsonObject reloadConfig() throws Exception;

    /** The webhooks and their recent deliveries (GET /api/notifications). */
    JsonObject notifications();

    /** Prometheus text exposition. */
    String metrics() throws Exception;

    /** The job's stored result and report objects; null when none. */
    JsonObject outputs(String jobId) throws Exception;

    JsonArray deliveries(String jobId) throws Exception;

    /** The job's report page as PNG, when it has one. */
    Optional<byte[]> reportPng(String jobId) throws Exception;
}
