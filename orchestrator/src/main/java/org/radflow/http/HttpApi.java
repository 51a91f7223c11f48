package org.radflow.http;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.radflow.audit.AuditLog;
import org.radflow.config.RadflowConfig.Role;
import org.radflow.jobs.Job;
import org.radflow.jobs.JobJournal;
import org.radflow.jobs.JobQueries;
import org.radflow.jobs.JobState;
import org.radflow.scheduling.Scheduler;
import org.radflow.pipeline.Refused;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * The REST API (JSON), described by {@code openapi.json} (served at {@code /api/openapi.json}) and
 * {@code docs/api.md}. Every route declares the role it needs (viewer reads; operator acts on jobs,
 * modules and destinations; admin reloads); every handler that touches the journal or the disk runs
 * off the event loop; every request that changes something is written to the audit trail.
 */
public final class HttpApi {

    private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
    /** The largest request body the API reads; larger ones get 413. */
    public static final int MAX_BODY_BYTES = 1024 * 1024;

    /** A client error with its HTTP status. */
    public static final class ApiException extends RuntimeException {
        final int status;

        public ApiException(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    private final Vertx vertx;
    private final JobJournal journal;
    private final JobQueries queries;
    private final Scheduler scheduler;
    private final Operations ops;
    private final ApiAuth auth;
    private final AuditLog audit;

    /**
     * @param auth  null: no authentication (tests of the routes alone)
     * @param audit null: no audit trail
     */
    public HttpApi(Vertx vertx, JobJournal journal, JobQueries queries, Scheduler scheduler, Operations ops, ApiAuth auth,
                   AuditLog audit) {
        this.vertx = vertx;
        this.journal = journal;
        this.queries = queries;
        this.scheduler = scheduler;
        this.ops = ops;
        this.auth = auth;
        this.audit = audit;
    }

    /** The API's routes on a new router (other handlers, e.g. the dashboard, may be added to it after). */
    public Router router() {
        Router r = Router.router(vertx);
        // a body over the limit, a malformed one or any other failure ends here: a JSON error and one log line,
        // never Vert.x's "Unhandled exception in router" with a stack trace
        r.route().failureHandler(this::failed);
        r.route("/api/*").handler(BodyHandler.create().setBodyLimit(MAX_BODY_BYTES));
        // probes (systemd, containers, load balancers) carry no token: live and ready are open, whatever api.auth says
        r.get("/api/health/live").handler(ctx -> ctx.json(new JsonObject().put("status", "UP")));
        r.get("/api/health/ready").handler(ctx -> blockingThen(ctx, ops::ready, ready -> ctx.response()
                .setStatusCode(ready.getBoolean("ready", false) ? 200 : 503).putHeader("content-type", "application/json")
                .end(ready.encode())));
        get(r, "/api/health", ctx -> blocking(ctx, ops::health));
        get(r, "/api/openapi.json", this::openApi);
        get(r, "/metrics", ctx -> blockingThen(ctx, ops::metrics, text -> ctx.response()
                .putHeader("content-type", org.radflow.metrics.Metrics.CONTENT_TYPE).end(text)));

        get(r, "/api/studies", ctx -> blocking(ctx, () -> ops.studies(intParam(ctx, "limit", 50), intParam(ctx, "offset", 0))));
        get(r, "/api/studies/:uid", ctx -> blocking(ctx, () -> ops.study(uid(ctx))));
        post(r, "/api/studies/:uid/reprocess", Role.OPERATOR, ctx -> blocking(ctx, () -> ops.reprocess(uid(ctx), jsonBody(ctx,
                "send a JSON body: {\"module\": \"<module id>\"}"))));
        post(r, "/api/studies/:uid/retention", Role.OPERATOR, ctx -> blocking(ctx, () -> ops.retention(uid(ctx), jsonBody(ctx,
                "send a JSON body: {\"hold\": true} (keep the study in the spool) or {\"hold\": false}"))));

        get(r, "/api/jobs", this::listJobs);
        get(r, "/api/jobs/:id", ctx -> blocking(ctx, () -> {
            Job j = job(ctx.pathParam("id"));
            return JobJson.detail(j, queries.timeline(j.id())).put("outputs", ops.outputs(j.id()))
                    .put("deliveries", ops.deliveries(j.id()));
        }));
        get(r, "/api/jobs/:id/report.png", ctx -> blockingThen(ctx, () -> {
            Job j = job(ctx.pathParam("id"));
            return ops.reportPng(j.id()).orElseThrow(() -> new ApiException(404, "job " + j.id() + " has no report page ("
                    + j.state() + "; a page is made when a job succeeds)"));
        }, png -> ctx.response().putHeader("content-type", "image/png").putHeader("cache-control", "max-age=60")
                .end(Buffer.buffer(png))));
        post(r, "/api/jobs/:id/retry", Role.OPERATOR, ctx -> blocking(ctx, () -> {
            String id = ctx.pathParam("id");
            job(id);
            return JobJson.summary(scheduler.retry(id, ctx.get(ApiAuth.USER, "anonymous")));
        }));
        post(r, "/api/jobs/:id/cancel", Role.OPERATOR, ctx -> blocking(ctx, () -> {
            String id = ctx.pathParam("id");
            job(id);
            if (!scheduler.cancel(id)) {
                if (job(id).state() == JobState.RUNNING) {
                    throw new ApiException(409, "job " + id + " is past its module: its reports are being written, and it ends "
                            + "in a moment");
                }
                throw new ApiException(409, "job " + id + " is neither queued nor running");
            }
            return JobJson.summary(journal.find(id).orElseThrow());
        }));

        get(r, "/api/modules", ctx -> blocking(ctx, ops::modules));
        post(r, "/api/modules/:id/enable", Role.OPERATOR, ctx -> blocking(ctx, () -> ops.setModuleEnabled(ctx.pathParam("id"), true)));
        post(r, "/api/modules/:id/disable", Role.OPERATOR, ctx -> blocking(ctx, () -> ops.setModuleEnabled(ctx.pathParam("id"), false)));
        post(r, "/api/modules/:id/reload", Role.ADMIN, ctx -> blocking(ctx, () -> ops.reloadModule(ctx.pathParam("id"))));

        get(r, "/api/rules", ctx -> blocking(ctx, ops::rules));
        // testing rules changes nothing: a viewer may do it
        post(r, "/api/rules/test", Role.VIEWER, ctx -> blocking(ctx, () -> {
            JsonObject body = jsonBody(ctx, "send a JSON body: {\"studyInstanceUid\": \"...\"} or {\"paths\": [\"...\"]}");
            Role role = ctx.get(ApiAuth.ROLE);
            if (auth != null && body.containsKey("paths") && (role == null || role.ordinal() < Role.OPERATOR.ordinal())) {
                // reading arbitrary files on the server is more than a viewer's look at received studies
                throw new ApiException(403, "testing rules on server paths needs role operator; a viewer can test a received study "
                        + "with {\"studyInstanceUid\": \"...\"}");
            }
            return ops.testRules(body);
        }));

        get(r, "/api/destinations", ctx -> blocking(ctx, ops::destinations));
        post(r, "/api/destinations/:name/retry", Role.OPERATOR, ctx -> blocking(ctx, () ->
                new JsonObject().put("requeued", ops.retryDestination(ctx.pathParam("name")))));

        get(r, "/api/cluster", ctx -> ctx.json(ops.cluster()));
        post(r, "/api/cluster/drain", Role.OPERATOR, ctx -> blocking(ctx, () -> ops.drain(true)));
        post(r, "/api/cluster/resume", Role.OPERATOR, ctx -> blocking(ctx, () -> ops.drain(false)));
        post(r, "/api/config/reload", Role.ADMIN, ctx -> blocking(ctx, ops::reloadConfig));
        get(r, "/api/notifications", ctx -> ctx.json(ops.notifications()));

        r.route("/api/*").last().handler(ctx -> error(ctx, 404, "no such endpoint: " + ctx.request().method() + " "
                + ctx.request().path() + " (see /api/openapi.json)"));
        return r;
    }

    private void get(Router r, String path, Handler<RoutingContext> h) {
        var route = r.get(path);
        if (auth != null) {
            route.handler(auth.require(Role.VIEWER));
        }
        route.handler(h);
    }

    private void post(Router r, String path, Role role, Handler<RoutingContext> h) {
        var route = r.post(path);
        if (auth != null) {
            route.handler(auth.require(role));
        }
        route.handler(ctx -> {
            if (audit != null) {
                String action = "POST " + path;
                ctx.addEndHandler(v -> audit.record("api.action", new JsonObject()
                        .put("user", ctx.get(ApiAuth.USER, "anonymous"))
                        .put("action", action)
                        .put("target", new JsonObject(new java.util.LinkedHashMap<>(ctx.pathParams())))
                        .put("peerAddress", ctx.request().remoteAddress() == null ? null : ctx.request().remoteAddress().hostAddress())
                        .put("outcome", ctx.response().getStatusCode())));
            }
            ctx.next();
        });
        route.handler(h);
    }

    /** The routes this API registers, as "METHOD /path/{param}" (for the OpenAPI check). */
    public static List<String> describe(Router r) {
        return r.getRoutes().stream().filter(rt -> rt.getPath() != null && rt.methods() != null && !rt.methods().isEmpty())
                .flatMap(rt -> rt.methods().stream().map(m -> m.name() + " " + rt.getPath().replaceAll(":([A-Za-z]+)", "{$1}")))
                .distinct().sorted().toList();
    }

    private void openApi(RoutingContext ctx) {
        try (InputStream in = HttpApi.class.getResourceAsStream("openapi.json")) {
            if (in == null) {
                error(ctx, 500, "openapi.json is missing from the build");
                return;
            }
            ctx.response().putHeader("content-type", "application/json").end(Buffer.buffer(in.readAllBytes()));
        } catch (IOException e) {
            error(ctx, 500, "cannot read openapi.json: " + e.getMessage());
        }
    }

    private Job job(String id) throws Exception {
        return queries.find(id).orElseThrow(() -> new ApiException(404, "no job " + id));
    }

    private static String uid(RoutingContext ctx) {
        String uid = ctx.pathParam("uid");
        if (!org.radflow.dicom.Uids.isValid(uid)) {
            throw new ApiException(400, "'" + uid + "' is not a valid DICOM UID");
        }
        return uid;
    }

    private static JsonObject jsonBody(RoutingContext ctx, String hint) {
        JsonObject body;
        try {
            body = ctx.body().asJsonObject();
        } catch (RuntimeException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
            LOG.warn("HTTP 400 for {} {} from {}: malformed JSON body", ctx.request().method(), forLog(ctx.request().path()),
                    peer(ctx));
            throw new ApiException(400, "the body must be a JSON object: " + why);
        }
        if (body == null) {
            throw new ApiException(400, hint);
        }
        return body;
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
            int limit = intParam(ctx, "limit", 100);
            int offset = intParam(ctx, "offset", 0);
            JsonArray out = new JsonArray();
            for (Job j : queries.search(state, first(ctx, "module"), first(ctx, "study"), limit, offset)) {
                out.add(JobJson.summary(j));
            }
            return new JsonObject().put("jobs", out).put("count", out.size()).put("limit", limit).put("offset", offset);
        });
    }

    static int intParam(RoutingContext ctx, String name, int defaultValue) {
        String v = first(ctx, name);
        if (v == null) {
            return defaultValue;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n < 0 || n > 10_000) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new ApiException(400, name + " must be a whole number from 0 to 10000, not '" + v + "'");
        }
    }

    private static String first(RoutingContext ctx, String name) {
        List<String> v = ctx.queryParam(name);
        return v.isEmpty() || v.get(0).isBlank() ? null : v.get(0);
    }

    private <T> void blocking(RoutingContext ctx, Callable<T> work) {
        blockingThen(ctx, work, v -> {
            if (v instanceof JsonObject o) {
                ctx.json(o);
            } else if (v instanceof JsonArray a) {
                ctx.json(a);
            } else {
                ctx.json(v);
            }
        });
    }

    private <T> void blockingThen(RoutingContext ctx, Callable<T> work, Handler<T> then) {
        Future<T> f;
        try {
            f = vertx.executeBlocking(work, false);
        } catch (ApiException e) {
            error(ctx, e.status, e.getMessage());
            return;
        }
        f.onSuccess(then).onFailure(e -> {
            if (e instanceof ApiException a) {
                error(ctx, a.status, a.getMessage());
            } else if (e instanceof Refused refused) {
                error(ctx, switch (refused.kind()) {
                    case INVALID -> 400;
                    case NOT_FOUND -> 404;
                    case CONFLICT -> 409;
                }, refused.getMessage());
            } else {
                LOG.error("API {} {} failed", ctx.request().method(), ctx.request().path(), e);
                error(ctx, 500, "internal error: " + e.getMessage());
            }
        });
    }

    /** A failed route: the status it failed with (413 from the body limit, ...), one WARN line for a client's error. */
    private void failed(RoutingContext ctx) {
        if (ctx.response().ended()) {
            return;
        }
        Throwable t = ctx.failure();
        int status = ctx.statusCode();
        if (t instanceof ApiException a) {
            status = a.status;
        } else if (t instanceof io.vertx.ext.web.handler.HttpException h) {
            status = h.getStatusCode();
        } else if (t instanceof io.vertx.core.json.DecodeException) {
            status = 400;
        }
        if (status < 400) {
            status = 500;
        }
        String method = ctx.request().method().name();
        String path = forLog(ctx.request().path());
        String message;
        if (status == 413) {
            message = "the request body is larger than " + MAX_BODY_BYTES / 1024 + " KB";
        } else if (status == 400) {
            message = "bad request" + (t == null || t.getMessage() == null ? "" : ": " + t.getMessage().lines().findFirst().orElse(""));
        } else if (status < 500) {
            message = t == null || t.getMessage() == null ? "request refused" : t.getMessage();
        } else {
            message = "internal error" + (t == null ? "" : ": " + t);
        }
        if (status < 500) {
            LOG.warn("HTTP {} for {} {} from {}: {}", status, method, path, peer(ctx), forLog(message));
        } else {
            LOG.error("HTTP {} for {} {} from {}", status, method, path, peer(ctx), t);
        }
        error(ctx, status, message);
    }

    private static String peer(RoutingContext ctx) {
        return ctx.request().remoteAddress() == null ? "?" : ctx.request().remoteAddress().hostAddress();
    }

    /** Peer-supplied text for a log line: printable ASCII only, at most 200 characters. */
    public static String forLog(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 200; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return s.length() > 200 ? b + "..." : b.toString();
    }

    static void error(RoutingContext ctx, int status, String message) {
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json")
                .end(new JsonObject().put("error", message).encode());
    }
}
