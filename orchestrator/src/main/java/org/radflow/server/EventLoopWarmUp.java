package org.radflow.server;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * Runs an HTTP server and one request through a throw-away Vert.x once per JVM, so that the one-time JVM work the
 * first server start does on an event loop (loading Netty and Vert.x classes, linking their lambdas, the JSON codec)
 * is done before a strict blocked-thread checker watches ({@value RadflowServer#MAX_EVENT_LOOP_MS}, which the tests
 * set to 500 ms). On a loaded machine that work alone took 0.7 s on an event loop and failed unrelated tests. Used only
 * when that property is set; a production start does not need it (its checker warns at 2 s and fails nothing).
 */
final class EventLoopWarmUp {

    private static final Logger LOG = LoggerFactory.getLogger(EventLoopWarmUp.class);
    private static boolean done;

    private EventLoopWarmUp() {
    }

    static synchronized void once() {
        if (done) {
            return;
        }
        done = true;
        long start = System.nanoTime();
        Vertx v = Vertx.vertx(new VertxOptions().setMaxEventLoopExecuteTime(1).setMaxEventLoopExecuteTimeUnit(TimeUnit.HOURS)
                .setEventLoopPoolSize(1).setWorkerPoolSize(1));
        try {
            HttpServer server = v.createHttpServer()
                    .requestHandler(r -> r.response().putHeader("content-type", "application/json")
                            .end(new JsonObject().put("warm", true).encode()))
                    .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            v.createHttpClient().request(HttpMethod.GET, server.actualPort(), "127.0.0.1", "/")
                    .compose(req -> req.send().compose(resp -> resp.body()))
                    .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.debug("Event-loop warm-up did not complete: {}", e.toString());
        } finally {
            try {
                v.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.debug("Event-loop warm-up: closing its Vert.x: {}", e.toString());
            }
        }
        LOG.debug("Event-loop warm-up took {} ms", (System.nanoTime() - start) / 1_000_000);
    }
}
