package org.radflow.dicom.net;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ServerSocketFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * An SCP's connections (the "device" of dcm4che's shape): accepts TCP connections on one port with
 * no-delay set, runs an {@link ScpAssociation} for each on its own thread, and stops gracefully. What is
 * served is the registry's business; who may associate is the policy's. This class guards the
 * connections themselves, so that callers who never associate cannot crowd out those who do:
 * <ul>
 *   <li>ARTIM (PS3.8 9.1.4): a connection whose A-ASSOCIATE-RQ has not arrived whole within
 *       {@code artimTimeout} of the connect is closed, however slowly it trickles bytes; so is one that
 *       has not closed its end within {@code artimTimeout} after our A-RELEASE-RP. One timer thread
 *       ({@code radflow-scp-artim}) does this for all connections.</li>
 *   <li>Only associations (past the A-ASSOCIATE-RQ) count for the policy's capacity check: bare TCP
 *       connections never take an association slot.</li>
 *   <li>Per address at most {@code maxConnectionsPerAddress} connections: a new one evicts that address's
 *       oldest connection still waiting for its A-ASSOCIATE-RQ; when all of them are associations, the new
 *       one is rejected (transient, local limit exceeded) once its request arrives.</li>
 *   <li>At most {@code maxPendingConnections} connections waiting for their A-ASSOCIATE-RQ in all: a new
 *       one evicts the oldest waiting one (whoever it is from).</li>
 *   <li>Servers built with one {@link ConnectionTable} (a listener's plain and TLS ports) apply both limits
 *       to their connections together.</li>
 * </ul>
 * Evictions, ARTIM closures and per-address rejections are logged at WARN at most once per address
 * per minute (with a count of what was not logged), so a flood cannot flood the log too.
 *
 * <p>TLS plugs in at {@link #openServerSocket()}: a {@link ServerSocketFactory} given to the
 * constructor (an {@code SSLServerSocketFactory}) makes every accepted socket a TLS socket; its
 * handshake then runs on the connection's thread at the first read, under the ARTIM timer.
 */
public final class DicomServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DicomServer.class);
    private static final long WARN_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);
    /** Addresses remembered for the WARN rate limit; the oldest are forgotten beyond this. */
    private static final int WARN_MEMORY = 1024;

    /**
     * @param artimTimeout             how long a new connection may take to send its A-ASSOCIATE-RQ, and a released
     *                                 one to close its end (PS3.8 ARTIM timer)
     * @param idleTimeout              how long an established association may stay silent before it is aborted
     * @param transferSyntaxes         accepted for every accepted abstract syntax, in no particular order (the requestor's wins)
     * @param maxConnectionsPerAddress connections from one IP address at once (waiting ones are evicted first)
     * @param maxPendingConnections    connections waiting for their A-ASSOCIATE-RQ at once, from all addresses
     */
    public record Settings(String bindAddress, int port, int maxPduLength, Duration artimTimeout, Duration idleTimeout,
                           List<String> transferSyntaxes, int maxConnectionsPerAddress, int maxPendingConnections) {
        public static final int DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 16;
        public static final int DEFAULT_MAX_PENDING_CONNECTIONS = 64;

        public Settings {
            transferSyntaxes = List.copyOf(transferSyntaxes);
            if (maxConnectionsPerAddress < 1 || maxPendingConnections < 1) {
                throw new IllegalArgumentException("maxConnectionsPerAddress and maxPendingConnections must be at least 1, not "
                        + maxConnectionsPerAddress + " and " + maxPendingConnections);
            }
            if (artimTimeout.isNegative() || artimTimeout.isZero()) {
                throw new IllegalArgumentException("the ARTIM timeout must be positive, not " + artimTimeout);
            }
        }

        /** With the default connection limits. */
        public Settings(String bindAddress, int port, int maxPduLength, Duration artimTimeout, Duration idleTimeout,
                        List<String> transferSyntaxes) {
            this(bindAddress, port, maxPduLength, artimTimeout, idleTimeout, transferSyntaxes,
                    DEFAULT_MAX_CONNECTIONS_PER_ADDRESS, DEFAULT_MAX_PENDING_CONNECTIONS);
        }
    }

    /** One accepted TCP connection, from accept to close; its state decides what may still happen to it. */
    static final class Connection {
        enum State {
            /** Accepted, its A-ASSOCIATE-RQ not yet read whole: may be evicted or closed by ARTIM. */
            WAITING,
            /** Its request arrived: being negotiated or an association (counts against the capacity). */
            ASSOCIATION,
            /** A-RELEASE-RP sent; waiting for the peer to close (ARTIM). */
            RELEASED,
            EXPIRED,
            EVICTED,
            ENDED
        }

        final DicomServer owner;
        final Socket socket;
        final InetAddress address;
        final String peer;
        final AtomicReference<State> state = new AtomicReference<>(State.WAITING);
        volatile ScheduledFuture<?> timer;
        volatile ScpAssociation association;

        Connection(DicomServer owner, Socket socket) {
            this.owner = owner;
            this.socket = socket;
            this.address = socket.getInetAddress();
            this.peer = address.getHostAddress() + ":" + socket.getPort();
        }

        State state() {
            return state.get();
        }

        /** Closes the socket if the connection is still in {@code from}; the thread reading it then ends. */
        boolean closeIf(State from, State to) {
            if (!state.compareAndSet(from, to)) {
                return false;
            }
            closeQuietly(socket);
            return true;
        }
    }

    private final Settings settings;
    private final DicomServiceRegistry services;
    private final AssociationPolicy policy;
    private final Consumer<AssociationReport> onEnd;
    private final ServerSocketFactory socketFactory;
    private final AtomicInteger associations = new AtomicInteger();
    /**
     * Every open connection, oldest first, guarded by itself; shared with the servers given the same
     * {@link ConnectionTable} (the per-address and pending limits then count their connections together).
     */
    private final Set<Connection> connections;
    private final Map<InetAddress, long[]> lastWarning = new LinkedHashMap<>(16, 0.75f, true);
    private final ExecutorService workers;
    private final ScheduledThreadPoolExecutor artim;
    private volatile ServerSocket server;
    private volatile boolean closing;
    private Thread acceptor;

    /**
     * The open connections of one or more servers of the same listener (a plain and a TLS port): servers
     * built with the same table apply {@code maxConnectionsPerAddress} and {@code maxPendingConnections}
     * to their connections together, so a peer cannot double its share by using both ports.
     */
    public static final class ConnectionTable {
        final Set<Connection> connections = new LinkedHashSet<>();
    }

    /** @param onEnd told about every association that got past the A-ASSOCIATE-RQ (rejected ones are only logged) */
    public DicomServer(Settings settings, DicomServiceRegistry services, AssociationPolicy policy,
                       Consumer<AssociationReport> onEnd) {
        this(settings, services, policy, onEnd, ServerSocketFactory.getDefault());
    }

    /** @param socketFactory makes the listening socket: the TLS hook ({@code SSLServerSocketFactory}) */
    public DicomServer(Settings settings, DicomServiceRegistry services, AssociationPolicy policy,
                       Consumer<AssociationReport> onEnd, ServerSocketFactory socketFactory) {
        this(settings, services, policy, onEnd, socketFactory, new ConnectionTable());
    }

    /** @param table shared with the listener's other port(s): their connection limits count together */
    public DicomServer(Settings settings, DicomServiceRegistry services, AssociationPolicy policy,
                       Consumer<AssociationReport> onEnd, ServerSocketFactory socketFactory, ConnectionTable table) {
        this.connections = table.connections;
        this.settings = settings;
        this.services = services;
        this.policy = policy;
        this.onEnd = onEnd;
        this.socketFactory = socketFactory;
        AtomicInteger n = new AtomicInteger();
        ThreadFactory tf = r -> {
            Thread t = new Thread(r, "radflow-scp-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.workers = Executors.newCachedThreadPool(tf);
        this.artim = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "radflow-scp-artim");
            t.setDaemon(true);
            return t;
        });
        artim.setRemoveOnCancelPolicy(true);
    }

    /** Binds the port; returns once connections are accepted. */
    public synchronized void start() throws IOException {
        server = openServerSocket();
        acceptor = new Thread(this::acceptLoop, "radflow-scp-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /**
     * The listening socket, bound to the configured address and port. The one place where the kind of
     * socket is decided: plain TCP by default, TLS when the constructor was given an SSL factory.
     */
    public ServerSocket openServerSocket() throws IOException {
        ServerSocket s = socketFactory.createServerSocket();
        try {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getByName(settings.bindAddress()), settings.port()), 128);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    /** The bound port (useful when configured as 0). */
    public int port() {
        ServerSocket s = server;
        return s == null ? settings.port() : s.getLocalPort();
    }

    /** Associations open now (negotiating or established); bare connections do not count. */
    public int activeAssociations() {
        return associations.get();
    }

    /** Connections still waiting for their A-ASSOCIATE-RQ. */
    public int waitingConnections() {
        synchronized (connections) {
            return (int) connections.stream().filter(c -> c.owner == this && c.state() == Connection.State.WAITING).count();
        }
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
            Connection c = new Connection(this, socket);
            admitConnection(c);
            ScpAssociation a = new ScpAssociation(c, settings, services, policy, this);
            c.association = a;
            try {
                c.timer = artim.schedule(() -> expire(c, Connection.State.WAITING), settings.artimTimeout().toMillis(),
                        TimeUnit.MILLISECONDS);
                workers.execute(() -> {
                    try {
                        AssociationReport report = a.run();
                        if (report != null) {
                            onEnd.accept(report);
                        }
                    } finally {
                        ended(c);
                    }
                });
            } catch (RuntimeException e) {
                // shutting down: executors no longer take work
                ended(c);
                closeQuietly(socket);
            }
        }
    }

    /** Registers a new connection, evicting a waiting one when its address or all addresses are over their limit. */
    private void admitConnection(Connection c) {
        Connection victim = null;
        String why = null;
        synchronized (connections) {
            connections.add(c);
            int fromAddress = 0;
            int waiting = 0;
            Connection oldestWaitingHere = null;
            Connection oldestWaiting = null;
            for (Connection o : connections) {
                boolean isWaiting = o != c && o.state() == Connection.State.WAITING;
                if (o.address.equals(c.address)) {
                    fromAddress++;
                    if (isWaiting && oldestWaitingHere == null) {
                        oldestWaitingHere = o;
                    }
                }
                if (isWaiting) {
                    waiting++;
                    if (oldestWaiting == null) {
                        oldestWaiting = o;
                    }
                }
            }
            if (fromAddress > settings.maxConnectionsPerAddress() && oldestWaitingHere != null) {
                // with none waiting, all are associations: this one is rejected when its request arrives
                victim = oldestWaitingHere;
                why = "more than " + settings.maxConnectionsPerAddress() + " connections from this address";
            } else if (waiting + 1 > settings.maxPendingConnections()) {
                victim = oldestWaiting;
                why = "more than " + settings.maxPendingConnections() + " connections waiting for an A-ASSOCIATE-RQ";
            }
        }
        if (victim != null && victim.closeIf(Connection.State.WAITING, Connection.State.EVICTED)) {
            warn(victim.address, "Closed connection from {} that sent no A-ASSOCIATE-RQ yet, to make room for a new one ({})",
                    victim.peer, why);
        }
    }

    /** The connection's request has arrived whole: it is an association now, if it was not closed meanwhile. */
    boolean requestArrived(Connection c) {
        if (!c.state.compareAndSet(Connection.State.WAITING, Connection.State.ASSOCIATION)) {
            return false;
        }
        cancelTimer(c);
        associations.incrementAndGet();
        return true;
    }

    /** Associations from the connection's address (negotiating or established), this one included. */
    int associationsFrom(Connection c) {
        synchronized (connections) {
            return (int) connections.stream()
                    .filter(o -> o.address.equals(c.address) && o.state() == Connection.State.ASSOCIATION).count();
        }
    }

    /** Our A-RELEASE-RP is out: the peer has ARTIM to close its end, then we close it. */
    void released(Connection c) {
        if (c.state.compareAndSet(Connection.State.ASSOCIATION, Connection.State.RELEASED)) {
            associations.decrementAndGet();
            try {
                c.timer = artim.schedule(() -> c.closeIf(Connection.State.RELEASED, Connection.State.EXPIRED),
                        settings.artimTimeout().toMillis(), TimeUnit.MILLISECONDS);
            } catch (RuntimeException e) {
                closeQuietly(c.socket);
            }
        }
    }

    private void expire(Connection c, Connection.State from) {
        if (c.closeIf(from, Connection.State.EXPIRED)) {
            warn(c.address, "Closed connection from {}: no A-ASSOCIATE-RQ within {} s (ARTIM)", c.peer,
                    settings.artimTimeout().toSeconds());
        }
    }

    private void ended(Connection c) {
        Connection.State was = c.state.getAndSet(Connection.State.ENDED);
        if (was == Connection.State.ASSOCIATION) {
            associations.decrementAndGet();
        }
        cancelTimer(c);
        synchronized (connections) {
            connections.remove(c);
        }
    }

    private static void cancelTimer(Connection c) {
        ScheduledFuture<?> t = c.timer;
        if (t != null) {
            t.cancel(false);
        }
    }

    /**
     * A WARN about an address, at most one per address per minute; the next one says how many were held back.
     * The arguments are ours or already escaped.
     */
    void warn(InetAddress address, String format, Object... args) {
        long now = System.nanoTime();
        long held;
        synchronized (lastWarning) {
            long[] w = lastWarning.get(address);
            if (w != null && now - w[0] < WARN_INTERVAL_NANOS) {
                w[1]++;
                LOG.debug(format, args);
                return;
            }
            held = w == null ? 0 : w[1];
            lastWarning.put(address, new long[] {now, 0});
            if (lastWarning.size() > WARN_MEMORY) {
                lastWarning.remove(lastWarning.keySet().iterator().next());
            }
        }
        if (held > 0) {
            Object[] more = java.util.Arrays.copyOf(args, args.length + 1);
            more[args.length] = held;
            LOG.warn(format + " ({} similar event(s) from this address in the last minute not logged)", more);
        } else {
            LOG.warn(format, args);
        }
    }

    /**
     * Graceful stop: no new associations; running ones get {@code grace} to finish, then are aborted
     * (their services abandon what they started). Connections that never associated are closed at once.
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
        for (Connection c : snapshot()) {
            c.closeIf(Connection.State.WAITING, Connection.State.EXPIRED);
            c.closeIf(Connection.State.RELEASED, Connection.State.EXPIRED);
        }
        workers.shutdown();
        try {
            if (!workers.awaitTermination(graceMillis, TimeUnit.MILLISECONDS)) {
                List<Connection> open = snapshot();
                LOG.warn("Aborting {} association(s) still open at shutdown", open.size());
                for (Connection c : open) {
                    ScpAssociation a = c.association;
                    if (a != null) {
                        a.abort();
                    } else {
                        closeQuietly(c.socket);
                    }
                }
                workers.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            artim.shutdownNow();
        }
    }

    /** This server's own connections (a shared table also holds the other port's). */
    private List<Connection> snapshot() {
        synchronized (connections) {
            List<Connection> own = new ArrayList<>();
            for (Connection c : connections) {
                if (c.owner == this) {
                    own.add(c);
                }
            }
            return own;
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
