package org.radflow.server;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import org.radflow.config.RadflowConfig;
import org.radflow.listener.DicomListenerVerticle;
import org.radflow.listener.InstanceStored;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The running server: the DICOM listener, and a small HTTP endpoint for health. Later stages
 * (tracking, routing, scheduling, dispatch) subscribe to the listener's events here.
 */
public final class RadflowServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RadflowServer.class);

    private final RadflowConfig config;
    private final boolean listenerOnly;
    private final Vertx vertx;
    private final AtomicLong instancesReceived = new AtomicLong();
    private final AtomicLong bytesReceived = new AtomicLong();
    private final Instant startedAt = Instant.now();
    private DicomListenerVerticle listener;
    private HttpServer http;

    public RadflowServer(RadflowConfig config, boolean listenerOnly) {
        this.config = config;
        this.listenerOnly = listenerOnly;
        this.vertx = Vertx.vertx();
    }

    public Vertx vertx() {
        return vertx;
    }

    public RadflowConfig config() {
        return config;
    }

    /** Starts everything; fails (and stops what did start) when a port cannot be bound or the spool cannot be opened. */
    public Future<Void> start() {
        listener = new DicomListenerVerticle(config.listener(), s -> { });
        vertx.eventBus().<JsonObject>consumer(InstanceStored.ADDRESS, m -> {
            InstanceStored e = InstanceStored.fromJson(m.body());
            instancesReceived.incrementAndGet();
            bytesReceived.addAndGet(e.size());
            LOG.debug("Stored {} ({}, {}) from {}", e.sopInstanceUid(), e.modality(), e.sopClassUid(), e.callingAeTitle());
        });
        Future<String> deployed = vertx.deployVerticle(listener);
        Future<?> api = deployed.compose(id -> listenerOnly || !config.api().enabled()
                ? Future.succeededFuture() : startHttp());
        return api.<Void>mapEmpty().recover(err -> {
            LOG.error("RadFlow failed to start: {}", err.getMessage());
            return vertx.close().transform(x -> Future.failedFuture(err));
        });
    }

    private Future<HttpServer> startHttp() {
        HttpServerOptions options = new HttpServerOptions().setHost(config.api().bindAddress()).setPort(config.api().port())
                .setTcpNoDelay(true);
        return vertx.createHttpServer(options).requestHandler(req -> {
            if (req.path().equals("/api/health")) {
                req.response().putHeader("content-type", "application/json").end(health().encodePrettily());
            } else {
                req.response().setStatusCode(404).putHeader("content-type", "application/json")
                        .end(new JsonObject().put("error", "no such endpoint: " + req.path()).encode());
            }
        }).listen().onSuccess(s -> {
            http = s;
            LOG.info("HTTP API on http://{}:{}/api/health", config.api().bindAddress(), s.actualPort());
        });
    }

    public JsonObject health() {
        return new JsonObject()
                .put("status", "UP")
                .put("node", config.server().nodeName())
                .put("startedAt", startedAt.toString())
                .put("listener", new JsonObject()
                        .put("aeTitle", config.listener().aeTitle())
                        .put("port", dicomPort())
                        .put("activeAssociations", listener == null || listener.scp() == null ? 0 : listener.scp().activeAssociations())
                        .put("instancesReceived", instancesReceived.get())
                        .put("bytesReceived", bytesReceived.get())
                        .put("spool", config.listener().spoolDir().toAbsolutePath().toString()));
    }

    public int dicomPort() {
        return listener == null ? config.listener().port() : listener.port();
    }

    public int httpPort() {
        return http == null ? -1 : http.actualPort();
    }

    public long instancesReceived() {
        return instancesReceived.get();
    }

    /** Graceful stop: the listener finishes open associations (bounded), then Vert.x closes. */
    @Override
    public void close() {
        try {
            vertx.close().await(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("Shutdown did not complete cleanly: {}", e.toString());
        }
    }
}
