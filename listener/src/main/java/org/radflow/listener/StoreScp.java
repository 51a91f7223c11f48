package org.radflow.listener;

import org.radflow.dicom.LogText;
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

/**
 * The listener's SCP: C-ECHO, and C-STORE into the durable spool, served by radflow-dicom's
 * {@link DicomServer} (one thread per association, up to {@code listener.maxAssociations}; further
 * requests are rejected as transient, "local limit exceeded"). Connections that never associate are
 * bounded by the server's guards: {@code listener.artimSeconds}, {@code listener.maxConnectionsPerAddress},
 * {@code listener.maxPendingConnections}.
 */
public final class StoreScp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StoreScp.class);

    private final ListenerSettings settings;
    private final Spool spool;
    private final Consumer<AssociationSummary> observer;
    private final DicomServer server;

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
        this.server = new DicomServer(network, services, new ListenerAdmission(settings), this::ended);
    }

    public Spool spool() {
        return spool;
    }

    /** Opens the spool and binds the port; returns once the listener accepts connections. */
    public synchronized void start() throws IOException {
        spool.open();
        server.start();
        LOG.info("DICOM listener {} on {}:{} (spool {}, fsync {}, max {} associations, {} per address, ARTIM {} s{})",
                settings.aeTitle(), settings.bindAddress(), port(), spool.root(),
                !settings.fsync() ? "off" : spool.recordsSupported() ? "on, one sync per instance" : "on, file and folder sync per instance",
                settings.maxAssociations(), settings.maxConnectionsPerAddress(), settings.artimTimeout().toSeconds(),
                settings.allowedCallingAeTitles().isEmpty() ? "" : ", calling AE allow-list " + settings.allowedCallingAeTitles());
    }

    /** The bound port (useful when configured as 0). */
    public int port() {
        return server.port();
    }

    public int activeAssociations() {
        return server.activeAssociations();
    }

    /** True while the DICOM port is bound and associations are accepted. */
    public boolean accepting() {
        return server.accepting();
    }

    /** Connections accepted that have not sent their A-ASSOCIATE-RQ yet. */
    public int waitingConnections() {
        return server.waitingConnections();
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
        server.stop(graceMillis);
        spool.close(); // the last batch of folder syncs
    }

    @Override
    public void close() {
        stop(10_000);
    }
}
