package org.radflow.listener;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The C-ECHO / C-STORE SCP: accepts associations on a blocking socket, one thread each, up to the
 * configured maximum (further requests are rejected as transient, "local limit exceeded").
 */
public final class StoreScp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StoreScp.class);

    private final ListenerSettings settings;
    private final Spool spool;
    private final InstanceSink sink;
    private final Consumer<AssociationSummary> observer;
    private final AtomicInteger active = new AtomicInteger();
    private final Set<ScpAssociation> associations = ConcurrentHashMap.newKeySet();
    private final ExecutorService workers;
    private volatile ServerSocket server;
    private volatile boolean closing;
    private Thread acceptor;

    public StoreScp(ListenerSettings settings, InstanceSink sink, Consumer<AssociationSummary> observer) {
        this.settings = settings;
        this.spool = new Spool(settings.spoolDir(), settings.fsync(), settings.minFreeSpaceBytes());
        this.sink = sink;
        this.observer = observer == null ? s -> { } : observer;
        AtomicInteger n = new AtomicInteger();
        ThreadFactory tf = r -> {
            Thread t = new Thread(r, "radflow-scp-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.workers = Executors.newCachedThreadPool(tf);
    }

    public Spool spool() {
        return spool;
    }

    /** Opens the spool and binds the port; returns once the listener accepts connections. */
    public synchronized void start() throws IOException {
        spool.open();
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getByName(settings.bindAddress()), settings.port()), 128);
        server = s;
        acceptor = new Thread(this::acceptLoop, "radflow-scp-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        LOG.info("DICOM listener {} on {}:{} (spool {}, fsync {}, max {} associations{})", settings.aeTitle(),
                settings.bindAddress(), port(), spool.root(), settings.fsync() ? "on" : "off", settings.maxAssociations(),
                settings.allowedCallingAeTitles().isEmpty() ? "" : ", calling AE allow-list " + settings.allowedCallingAeTitles());
    }

    /** The bound port (useful when configured as 0). */
    public int port() {
        ServerSocket s = server;
        return s == null ? settings.port() : s.getLocalPort();
    }

    public int activeAssociations() {
        return active.get();
    }

    private void acceptLoop() {
        while (!closing) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                if (!closing) {
                    LOG.error("DICOM listener stopped accepting connections: {}", e.toString());
                }
                return;
            }
            try {
                socket.setTcpNoDelay(true);
            } catch (SocketException e) {
                LOG.debug("could not set TCP_NODELAY", e);
            }
            boolean overLimit = active.incrementAndGet() > settings.maxAssociations();
            ScpAssociation a = new ScpAssociation(socket, settings, spool, sink, overLimit);
            associations.add(a);
            try {
                workers.execute(() -> {
                    try {
                        AssociationSummary summary = a.run();
                        if (summary != null) {
                            observer.accept(summary);
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
     * (an aborted transfer leaves only a temporary file, removed at the next start).
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
