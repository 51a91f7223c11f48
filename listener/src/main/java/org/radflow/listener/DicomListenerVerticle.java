package org.radflow.listener;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

import java.util.function.Consumer;

/**
 * Hosts the {@link StoreScp} in Vert.x: binding and stopping run off the event loop, and every
 * stored instance is handed to the {@link InstanceSink} given (a typed call to the next stage, on the
 * association's thread: the sink must return at once).
 */
public final class DicomListenerVerticle extends VerticleBase {

    private final ListenerSettings settings;
    private final InstanceSink sink;
    private final Consumer<AssociationSummary> observer;
    private final Replication replication;
    private final IntakeGate gate;
    private StoreScp scp;
    private volatile org.radflow.dicom.net.StorageCommitmentReportService.Handler commitmentReports;

    /** Accept storage commitment results (N-EVENT-REPORT) for RadFlow's own requests and hand them here; before start. */
    public DicomListenerVerticle commitmentReports(org.radflow.dicom.net.StorageCommitmentReportService.Handler handler) {
        this.commitmentReports = handler;
        return this;
    }

    public DicomListenerVerticle(ListenerSettings settings, InstanceSink sink, Consumer<AssociationSummary> observer) {
        this(settings, sink, observer, Replication.NONE);
    }

    /** @param replication what makes each instance durable on a second node before it is acknowledged */
    public DicomListenerVerticle(ListenerSettings settings, InstanceSink sink, Consumer<AssociationSummary> observer,
                                 Replication replication) {
        this(settings, sink, observer, replication, IntakeGate.OPEN);
    }

    /** @param gate whether new instances are taken now; refused ones are answered A700 "retry later" */
    public DicomListenerVerticle(ListenerSettings settings, InstanceSink sink, Consumer<AssociationSummary> observer,
                                 Replication replication, IntakeGate gate) {
        this.settings = settings;
        this.sink = sink;
        this.observer = observer;
        this.replication = replication;
        this.gate = gate;
    }

    @Override
    public Future<?> start() {
        return vertx.executeBlocking(() -> {
            StoreScp s = new StoreScp(settings, sink, observer, replication, gate, commitmentReports);
            s.start();
            scp = s;
            return s.port();
        }, false);
    }

    @Override
    public Future<?> stop() {
        StoreScp s = scp;
        if (s == null) {
            return Future.succeededFuture();
        }
        return vertx.executeBlocking(() -> {
            s.stop(10_000);
            return null;
        }, false);
    }

    /**
     * Whether {@link #renewTls} would take {@code newer}: this listener has a TLS port and only the files' contents
     * differ from the TLS settings it started with.
     */
    public boolean canRenewTls(org.radflow.dicom.net.DicomTls newer) {
        ListenerSettings.Tls t = settings.tls();
        return t != null && t.context().canRenewFrom(newer);
    }

    /** Renewed certificate, key and trusted CAs into the running TLS port: the next handshakes use them. */
    public void renewTls(org.radflow.dicom.net.DicomTls newer) {
        ListenerSettings.Tls t = settings.tls();
        if (t == null) {
            throw new IllegalStateException("this listener has no TLS port");
        }
        t.context().renewFrom(newer);
    }

    /** The bound port, once started. */
    public int port() {
        return scp == null ? settings.port() : scp.port();
    }

    /** The bound DICOM TLS port once started; -1 without TLS. */
    public int tlsPort() {
        if (settings.tls() == null) {
            return -1;
        }
        return scp == null ? settings.tls().port() : scp.tlsPort();
    }

    public StoreScp scp() {
        return scp;
    }
}
