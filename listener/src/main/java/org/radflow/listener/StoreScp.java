package org.radflow.listener;

import org.radflow.dicom.LogText;
import org.radflow.dicom.net.AssociateRequest;
import org.radflow.dicom.net.AssociationPolicy;
import org.radflow.dicom.net.AssociationRejectedException;
import org.radflow.dicom.net.AssociationReport;
import org.radflow.dicom.net.CEchoService;
import org.radflow.dicom.net.CStoreService;
import org.radflow.dicom.net.DicomServer;
import org.radflow.dicom.net.DicomServiceRegistry;
import org.radflow.dicom.net.DimseCommand;
import org.radflow.dicom.net.StorageCommitmentReportService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The listener's SCP: C-ECHO, and C-STORE into the durable spool, served by radflow-dicom's
 * {@link DicomServer} (one thread per association, up to {@code listener.maxAssociations}; further
 * requests are rejected as transient, "local limit exceeded"). Connections that never associate are
 * bounded by the server's guards: {@code listener.artimSeconds}, {@code listener.maxConnectionsPerAddress},
 * {@code listener.maxPendingConnections}. With {@code listener.tls} a second server speaks DICOM TLS on
 * {@code listener.tls.port} (the same services and limits; {@code listener.maxAssociations} counts both ports).
 */
public final class StoreScp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StoreScp.class);

    private final ListenerSettings settings;
    private final Spool spool;
    private final Consumer<AssociationSummary> observer;
    /** The plain DICOM port; null when TLS replaces it ({@code listener.tls.plainPort: false}). */
    private final DicomServer server;
    /** The DICOM TLS port; null without {@code listener.tls}. */
    private final DicomServer tlsServer;

    public StoreScp(ListenerSettings settings, InstanceSink sink, Consumer<AssociationSummary> observer) {
        this(settings, sink, observer, Replication.NONE);
    }

    public StoreScp(ListenerSettings settings, InstanceSink sink, Consumer<AssociationSummary> observer, Replication replication) {
        this(settings, sink, observer, replication, IntakeGate.OPEN, null);
    }

    /** @param gate asked before each C-STORE whether RadFlow takes new instances now (A700 "retry later" when not) */
    public StoreScp(ListenerSettings settings, InstanceSink sink, Consumer<AssociationSummary> observer, Replication replication,
                    IntakeGate gate) {
        this(settings, sink, observer, replication, gate, null);
    }

    /**
     * @param gate              asked before each C-STORE whether RadFlow takes new instances now (A700 "retry later" when not)
     * @param commitmentReports takes the storage commitment results (N-EVENT-REPORT) PACS send to this listener for
     *                          RadFlow's own requests (they associate in the SCP role); null: not accepted
     */
    public StoreScp(ListenerSettings settings, InstanceSink sink, Consumer<AssociationSummary> observer, Replication replication,
                    IntakeGate gate, StorageCommitmentReportService.Handler commitmentReports) {
        this.settings = settings;
        this.spool = new Spool(settings.spoolDir(), settings.fsync(), settings.minFreeSpaceBytes());
        this.observer = observer == null ? s -> { } : observer;
        DicomServiceRegistry services = new DicomServiceRegistry()
                .register(new CEchoService())
                .register(new CStoreService(new SpoolStoreHandler(spool, sink, replication, gate)));
        if (commitmentReports != null) {
            services.register(new StorageCommitmentReportService(commitmentReports));
        }
        DicomServer.Settings network = new DicomServer.Settings(settings.bindAddress(), settings.port(), settings.maxPduLength(),
                settings.artimTimeout(), settings.idleTimeout(), settings.transferSyntaxes(), settings.maxConnectionsPerAddress(),
                settings.maxPendingConnections());
        ListenerAdmission admission = new ListenerAdmission(settings);
        ListenerSettings.Tls tls = settings.tls();
        // one connection table: the per-address and pending-connection limits count both ports together
        DicomServer.ConnectionTable connections = new DicomServer.ConnectionTable();
        this.server = tls == null || tls.plainPort()
                ? new DicomServer(network, services, new SharedCapacity(admission, this::tlsServerOrNull), this::ended,
                        javax.net.ServerSocketFactory.getDefault(), connections) : null;
        this.tlsServer = tls == null ? null : new DicomServer(withPort(network, tls.port()), services,
                new SharedCapacity(admission, this::plainServerOrNull), this::ended, tls.context().serverSocketFactory(),
                connections);
    }

    private DicomServer tlsServerOrNull() {
        return tlsServer;
    }

    private DicomServer plainServerOrNull() {
        return server;
    }

    private static DicomServer.Settings withPort(DicomServer.Settings s, int port) {
        return new DicomServer.Settings(s.bindAddress(), port, s.maxPduLength(), s.artimTimeout(), s.idleTimeout(),
                s.transferSyntaxes(), s.maxConnectionsPerAddress(), s.maxPendingConnections());
    }

    /** {@code listener.maxAssociations} counts the associations on both ports together. */
    private record SharedCapacity(AssociationPolicy inner, Supplier<DicomServer> other) implements AssociationPolicy {
        @Override
        public void admit(AssociateRequest request, String peer, int openAssociations) throws AssociationRejectedException {
            DicomServer o = other.get();
            inner.admit(request, peer, openAssociations + (o == null ? 0 : o.activeAssociations()));
        }

        @Override
        public void authorize(AssociateRequest request, String peer) throws AssociationRejectedException {
            inner.authorize(request, peer);
        }

        @Override
        public void authorize(AssociateRequest request, String peer, java.security.cert.X509Certificate clientCertificate)
                throws AssociationRejectedException {
            inner.authorize(request, peer, clientCertificate);
        }
    }

    public Spool spool() {
        return spool;
    }

    /** Opens the spool and binds the port; returns once the listener accepts connections. */
    public synchronized void start() throws IOException {
        spool.open();
        if (server != null) {
            server.start();
        }
        if (tlsServer != null) {
            try {
                tlsServer.start();
            } catch (IOException | RuntimeException e) {
                if (server != null) {
                    server.stop(0);
                }
                throw e;
            }
        }
        LOG.info("DICOM listener {} on {}{}{} (spool {}, fsync {}, max {} associations, {} per address, ARTIM {} s{})",
                settings.aeTitle(), settings.bindAddress(), server == null ? "" : ":" + server.port() + " (plain)",
                tlsServer == null ? "" : ":" + tlsServer.port() + " (TLS: " + settings.tls().context() + ")",
                spool.root(),
                !settings.fsync() ? "off" : spool.recordsSupported() ? "on, one sync per instance" : "on, file and folder sync per instance",
                settings.maxAssociations(), settings.maxConnectionsPerAddress(), settings.artimTimeout().toSeconds(),
                settings.allowedCallingAeTitles().isEmpty() ? "" : ", calling AE allow-list " + settings.allowedCallingAeTitles());
    }

    /** The bound plain port (useful when configured as 0); the TLS port when there is no plain one. */
    public int port() {
        return server != null ? server.port() : tlsServer.port();
    }

    /** The bound DICOM TLS port; -1 without TLS. */
    public int tlsPort() {
        return tlsServer == null ? -1 : tlsServer.port();
    }

    public int activeAssociations() {
        return (server == null ? 0 : server.activeAssociations()) + (tlsServer == null ? 0 : tlsServer.activeAssociations());
    }

    /** True while the DICOM port(s) are bound and associations are accepted. */
    public boolean accepting() {
        return (server == null || server.accepting()) && (tlsServer == null || tlsServer.accepting());
    }

    /** Connections accepted that have not sent their A-ASSOCIATE-RQ yet. */
    public int waitingConnections() {
        return (server == null ? 0 : server.waitingConnections()) + (tlsServer == null ? 0 : tlsServer.waitingConnections());
    }

    private void ended(AssociationReport r) {
        AssociationReport.Requests stores = r.of(DimseCommand.C_STORE_RQ);
        AssociationSummary s = new AssociationSummary(r.callingAeTitle(), r.calledAeTitle(), r.peerAddress(), stores.succeeded(),
                r.failed(), stores.dataSetBytes(), r.duration(), r.outcome());
        LOG.info("Association {} -> {} from {}: {} stored, {} refused, {} bytes in {} ms ({})", LogText.escape(s.callingAeTitle()),
                LogText.escape(s.calledAeTitle()), s.peerAddress(), s.stored(), s.refused(), s.bytes(), s.duration().toMillis(),
                LogText.escape(s.outcome()));
        observer.accept(s);
    }

    /**
     * Graceful stop: no new associations; running ones get {@code grace} to finish, then are aborted
     * (an aborted transfer leaves only a temporary file, removed at the next start).
     */
    public void stop(long graceMillis) {
        if (tlsServer == null || server == null) {
            (server != null ? server : tlsServer).stop(graceMillis);
        } else {
            // both ports at once, so that their associations share one grace period
            Thread tls = new Thread(() -> tlsServer.stop(graceMillis), "radflow-scp-stop-tls");
            tls.start();
            server.stop(graceMillis);
            try {
                tls.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        spool.close(); // the last batch of folder syncs
    }

    @Override
    public void close() {
        stop(10_000);
    }
}
