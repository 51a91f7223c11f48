package org.radflow.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.radflow.jobs.Job;
import org.radflow.jobs.JobJournal;
import org.radflow.jobs.JobState;
import org.radflow.jobs.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * The REST API (JSON). Every handler that touches the journal or the disk runs off the event loop.
 * Documented in the README ("HTTP API").
 */
public final class HttpApi {

    private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);

    /** Module listing for {@code GET /api/modules}, supplied by the server (registry + lanes). */
    public interface ModulesView {
        JsonArray modules();
    }

    /** Rule testing for {@code POST /api/rules/test}: body in, report out (blocking). */
    public interface RuleTests {
        JsonObject test(JsonObject body) throws Exception;
    }

    /** Delivery state for {@code /api/destinations} and job details. */
    public interface Destinations {
        JsonObject status() throws Exception;

        int retry(String destination) throws Exception;

        JsonArray deliveries(String jobId) throws Exception;

        /** The job's stored result (summary, findings) and the report objects written for it; null when none. */
        JsonObject outputs(String jobId) throws Exception;
    }

    /** A client error with its HTTP status. */
    public static final class ApiException extends RuntimeException {
        final int status;

        public ApiException(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    private final Vertx vertx;
    private final JobJournal journal;
    private final Scheduler scheduler;
    private final Supplier<JsonObject> health;
    private final ModulesView modules;
    private final RuleTests rules;
    private final Destinations destinations;

    public HttpApi(Vertx vertx, JobJournal journal, Scheduler scheduler, Supplier<JsonObject> health, ModulesView modules,
                   RuleTests rules, Destinations destinations) {
        this.vertx = vertx;
        this.journal = journal;
        this.scheduler = scheduler;
        this.health = health;
        this.modules = modules;
        this.rules = rules;
        this.destinations = destinations;
    }

    public Router router() {
        Router r = Router.router(vertx);
        r.route("/api/*").handler(BodyHandler.create().setBodyLimit(1024 * 1024));
        r.get("/api/health").handler(ctx -> ctx.json(health.get()));
        r.get("/api/modules").handler(ctx -> blocking(ctx, modules::modules));
        r.get("/api/jobs").handler(this::listJobs);
        r.get("/api/jobs/:id").handler(ctx -> blocking(ctx, () -> {
            Job j = journal.find(ctx.pathParam("id")).orElseThrow(() -> new ApiException(404, "no job " + ctx.pathParam("id")));
            return JobJson.detail(j, journal.timeline(j.id())).put("outputs", destinations.outputs(j.id()))
                    .put("deliveries", destinations.deliveries(j.id()));
        }));
        r.get("/api/destinations").handler(ctx -> blocking(ctx, destinations::status));
        r.post("/api/destinations/:name/retry").handler(ctx -> blocking(ctx, () ->
                new JsonObject().put("requeued", destinations.retry(ctx.pathParam("name")))));
        r.post("/api/jobs/:id/retry").handler(ctx -> blocking(ctx, () -> {
            String id = ctx.pathParam("id");
            Job j = journal.find(id).orElseThrow(() -> new ApiException(404, "no job " + id));
            if (j.state() == JobState.RUNNING) {
                throw new ApiException(409, "job " + id + " is running; cancel it first or wait");
            }
            journal.requeue(id, "retry requested through the API");
            scheduler.wake();
            LOG.info("Job {} re-queued through the API", id);
            return JobJson.summary(journal.find(id).orElseThrow());
        }));
        r.post("/api/jobs/:id/cancel").handler(ctx -> blocking(ctx, () -> {
            String id = ctx.pathParam("id");
            journal.find(id).orElseThrow(() -> new ApiException(404, "no job " + id));
            if (!scheduler.cancel(id)) {
                throw new ApiException(409, "job " + id + " is neither queued nor running");
            }
            return JobJson.summary(journal.find(id).orElseThrow());
        }));
        r.post("/api/rules/test").handler(ctx -> blocking(ctx, () -> {
            JsonObject body;
            try {
                body = ctx.body().asJsonObject();
            } catch (RuntimeException e) {
                throw new ApiException(400, "the body must be a JSON object: " + e.getMessage());
            }
            if (body == null) {
                throw new ApiException(400, "send a JSON body: {\"studyInstanceUid\": \"...\"} or {\"paths\": [\"...\"]}");
            }
            return rules.test(body);
        }));
        r.route("/api/*").last().handler(ctx -> error(ctx, 404, "no such endpoint: " + ctx.request().method() + " " + ctx.request().path()));
        return r;
    }

    private void listJobs(RoutingContext ctx) {
        blocking(ctx, () -> {
            JobState state = null;
            String s = first(ctx, "state");
            if (s != null) {
                try {
                    state = JobState.valueOf(s.toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw new ApiException(400, "state '" + s + "' is not one of " + List.of(JobState.values()));
                }
            }
            int limit = 100;
            String l = first(ctx, "limit");
            if (l != null) {
                try {
                    limit = Integer.parseInt(l);
                } catch (NumberFormatException e) {
                    throw new ApiException(400, "limit must be a whole number");
                }
            }
            JsonArray out = new JsonArray();
            for (Job j : journal.search(state, first(ctx, "module"), first(ctx, "study"), limit)) {
                out.add(JobJson.summary(j));
            }
            return new JsonObject().put("jobs", out).put("count", out.size());
        });
    }

    private static String first(RoutingContext ctx, String name) {
        List<String> v = ctx.queryParam(name);
        return v.isEmpty() || v.get(0).isBlank() ? null : v.get(0);
    }

    private <T> void blocking(RoutingContext ctx, Callable<T> work) {
        Future<T> f = vertx.executeBlocking(work, false);
        f.onSuccess(v -> {
            if (v instanceof JsonObject o) {
                ctx.json(o);
            } else if (v instanceof JsonArray a) {
                ctx.json(a);
            } else {
                ctx.json(v);
            }
        }).onFailure(e -> {
            if (e instanceof ApiException a) {
                error(ctx, a.status, a.getMessage());
            } else {
                LOG.error("API {} {} failed", ctx.request().method(), ctx.request().path(), e);
                error(ctx, 500, "internal error: " + e.getMessage());
            }
        });
    }

    private static void error(RoutingContext ctx, int status, String message) {
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json")
                .end(new JsonObject().put("error", message).encode());
    }
}
