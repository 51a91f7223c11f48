package org.radflow.listener;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/** A real listener in Vert.x on a free loopback port with its own spool, recording every event it publishes. */
final class RunningListener implements AutoCloseable {

    final Vertx vertx = Vertx.vertx();
    final Path spool;
    final List<InstanceStored> events = new CopyOnWriteArrayList<>();
    final List<AssociationSummary> associations = new CopyOnWriteArrayList<>();
    final DicomListenerVerticle verticle;
    final ListenerSettings settings;

    RunningListener(Path dir, UnaryOperator<ListenerSettings> customize) throws Exception {
        this(dir, customize, IntakeGate.OPEN);
    }

    RunningListener(Path dir, UnaryOperator<ListenerSettings> customize, IntakeGate gate) throws Exception {
        spool = dir.resolve("spool");
        settings = customize.apply(ListenerSettings.defaults(spool).withBindAddress("127.0.0.1").withPort(0)
                .withMinFreeSpaceBytes(0));
        verticle = new DicomListenerVerticle(settings, events::add, associations::add, Replication.NONE, gate);
        vertx.deployVerticle(verticle).await(20, TimeUnit.SECONDS);
    }

    int port() {
        return verticle.port();
    }

    /** The DICOM TLS port; -1 without TLS. */
    int tlsPort() {
        return verticle.tlsPort();
    }

    String aeTitle() {
        return settings.aeTitle();
    }

    /** Every file under a final spool name. */
    List<Path> spooled() throws IOException {
        Path incoming = spool.resolve("incoming");
        if (!Files.isDirectory(incoming)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(incoming)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    List<Path> temporaries() throws IOException {
        try (Stream<Path> s = Files.list(spool.resolve("tmp"))) {
            return s.toList();
        }
    }

    /** Events are published from the association thread before the response; the bus delivers them shortly after. */
    void awaitEvents(int n, long millis) throws InterruptedException {
        long end = System.currentTimeMillis() + millis;
        while (events.size() < n && System.currentTimeMillis() < end) {
            Thread.sleep(20);
        }
    }

    /** The summary is recorded when the association thread ends, which can be just after the peer exits. */
    void awaitAssociations(int n, long millis) throws InterruptedException {
        long end = System.currentTimeMillis() + millis;
        while (associations.size() < n && System.currentTimeMillis() < end) {
            Thread.sleep(10);
        }
    }

    @Override
    public void close() throws Exception {
        vertx.close().await(30, TimeUnit.SECONDS);
    }
}
