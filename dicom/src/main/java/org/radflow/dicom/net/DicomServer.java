package org.radflow.dicom.net;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * An SCP's connections (the "device" of dcm4che's shape): accepts TCP connections on one port with
 * no-delay set, runs an {@link ScpAssociation} for each on its own thread, counts the open ones for
 * the {@link AssociationPolicy}, and stops gracefully. What is served is the registry's business;
 * who may associate is the policy's. TLS, when it comes, is a different server socket here.
 */
public final class DicomServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DicomServer.class);

    /**
     * @param artimTimeout     how long a new connection may take to send its A-ASSOCIATE-RQ (PS3.8 ARTIM timer)
     * @param idleTimeout      how long an established association may stay silent before it is aborted
     * @param transferSyntaxes accepted for every accepted abstract syntax, in no particular order (the requestor's wins)
     */
    public record Settings(String bindAddress, int port, int maxPduLength, Duration artimTimeout, Duration idleTimeout,
                           List<String> transferSyntaxes) {
        public Settings {
            transferSyntaxes = List.copyOf(transferSyntaxes);
        }
    }

    private final Settings settings;
    private final DicomServiceRegistry services;
    private final AssociationPolicy policy;
    private final Consumer<AssociationReport> onEnd;
    private final AtomicInteger active = new AtomicInteger();
    private final Set<ScpAssociation> associations = ConcurrentHashMap.newKeySet();
    private final ExecutorService workers;
    private volatile ServerSocket server;
    private volatile boolean closing;
    private Thread acceptor;

    /** @param onEnd told about every association that got past the A-ASSOCIATE-RQ (rejected ones are only logged) */
    public DicomServer(Settings settings, DicomServiceRegistry services, AssociationPolicy policy,
                       Consumer<AssociationReport> onEnd) {
        this.settings = settings;
        this.services = services;
        this.policy = policy;
        this.onEnd = onEnd;
        AtomicInteger n = new AtomicInteger();
        ThreadFactory tf = r -> {
            Thread t = new Thread(r, "radflow-scp-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.workers = Executors.newCachedThreadPool(tf);
    }

    /** Binds the port; returns once connections are accepted. */
    public synchronized void start() throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getByName(settings.bindAddress()), settings.port()), 128);
        server = s;
        acceptor = new Thread(this::acceptLoop, "radflow-scp-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The bound port (useful when configured as 0). */
    public int port() {
        ServerSocket s = server;
        return s == null ? settings.port() : s.getLocalPort();
    }

    public int activeAssociations() {
        return active.get();
    }

    /** True while the port is bound and connections are accepted (false before start, after stop or a failed accept). */
    public boolean accepting() {
        ServerSocket s = server;
        Thread a = acceptor;
        return s != null && s.isBound() && !s.isClosed() && !closing && a != null && a.isAlive();
    }

    private void acceptLoop() {
        while (!closing) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                if (!closing) {
                    LOG.error("DICOM server on port {} stopped accepting connections: {}", port(), e.toString());
                }
                return;
            }
            try {
                socket.setTcpNoDelay(true);
            } catch (SocketException e) {
                LOG.debug("could not set TCP_NODELAY", e);
            }
            ScpAssociation a = new ScpAssociation(socket, settings, services, policy, active.incrementAndGet());
            associations.add(a);
            try {
                workers.execute(() -> {
                    try {
                        AssociationReport report = a.run();
                        if (report != null) {
                            onEnd.accept(report);
                        }
                    } finally {
                        associations.remove(a);
                        active.decrementAndGet();
                    }
                });
            } catch (RuntimeException e) {
                associations.remove(a);
                active.decrementAndGet();
                closeQuietly(socket);
            }
        }
    }

    /**
     * Graceful stop: no new associations; running ones get {@code grace} to finish, then are aborted
     * (their services abandon what they started).
     */
    public void stop(long graceMillis) {
        closing = true;
        ServerSocket s = server;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                LOG.debug("closing server socket", e);
            }
        }
        workers.shutdown();
        try {
            if (!workers.awaitTermination(graceMillis, TimeUnit.MILLISECONDS)) {
                LOG.warn("Aborting {} association(s) still open at shutdown", associations.size());
                associations.forEach(ScpAssociation::abort);
                workers.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop(10_000);
    }

    static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing left to do with a socket we are dropping
        }
    }
}
