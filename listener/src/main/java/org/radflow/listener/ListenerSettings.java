package org.radflow.listener;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Everything the DICOM listener needs, already validated by the configuration loader.
 *
 * @param allowedCallingAeTitles empty: any calling AE title may associate
 * @param checkCalledAeTitle     refuse associations addressed to another AE title than ours
 * @param fsync                  flush each instance to the disk before acknowledging it (the durable default)
 * @param minFreeSpaceBytes      below this free space in the spool, C-STORE answers A700 (out of resources)
 * @param artimTimeout           a connection whose A-ASSOCIATE-RQ has not arrived this long after the connect is closed
 *                               (PS3.8 ARTIM timer; also how long a released association may keep the connection open)
 * @param maxConnectionsPerAddress connections from one IP address at once; beyond it the address's oldest connection
 *                               still waiting for its A-ASSOCIATE-RQ is closed, or the new association rejected (transient)
 *                               when all of them are associations
 * @param maxPendingConnections  connections waiting for their A-ASSOCIATE-RQ at once, from all addresses; beyond it the
 *                               oldest waiting one is closed
 * @param tls                    DICOM TLS on a port of its own; null: none
 */
public record ListenerSettings(
        String aeTitle,
        String bindAddress,
        int port,
        int maxAssociations,
        Set<String> allowedCallingAeTitles,
        boolean checkCalledAeTitle,
        int maxPduLength,
        Duration idleTimeout,
        List<String> transferSyntaxes,
        Path spoolDir,
        boolean fsync,
        long minFreeSpaceBytes,
        Duration artimTimeout,
        int maxConnectionsPerAddress,
        int maxPendingConnections,
        Tls tls) {

    public static final Duration DEFAULT_ARTIM_TIMEOUT = Duration.ofSeconds(10);
    public static final int DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 16;
    public static final int DEFAULT_MAX_PENDING_CONNECTIONS = 64;

    /**
     * DICOM TLS on the listener: on {@code port} (IANA's dicom-tls port 2762 by default), beside the plain
     * {@code listener.port} unless {@code plainPort} is false. A port of its own rather than TLS on the plain port, because
     * a site moves its peers to TLS one at a time (the plain port stays for the others until the last one moves), because
     * 104/11112 and 2762 are what peers expect for plain and TLS DICOM, and because a peer can never mistake one for the
     * other (a plain request on the TLS port fails the handshake with a WARN that says so).
     *
     * @param context   the certificate, key, trusted CAs, protocols and client-certificate rule
     * @param port      the TLS port (0: any free one, for tests)
     * @param plainPort whether {@code listener.port} also accepts plain DICOM
     * @param aeTitleCertificates calling AE title → the name its peer's client certificate must carry (subject CN or a DNS
     *                  subject alternative name, case-insensitive); such an AE title is accepted only over TLS from a
     *                  peer presenting that certificate. AE titles not listed are checked as before.
     */
    public record Tls(org.radflow.dicom.net.DicomTls context, int port, boolean plainPort, java.util.Map<String, String> aeTitleCertificates) {
        public static final int DEFAULT_PORT = 2762;

        public Tls {
            aeTitleCertificates = java.util.Map.copyOf(aeTitleCertificates);
        }

        public Tls(org.radflow.dicom.net.DicomTls context, int port, boolean plainPort) {
            this(context, port, plainPort, java.util.Map.of());
        }
    }

    /** With the given connection guards and no TLS. */
    public ListenerSettings(String aeTitle, String bindAddress, int port, int maxAssociations, Set<String> allowedCallingAeTitles,
                            boolean checkCalledAeTitle, int maxPduLength, Duration idleTimeout, List<String> transferSyntaxes,
                            Path spoolDir, boolean fsync, long minFreeSpaceBytes, Duration artimTimeout, int maxConnectionsPerAddress,
                            int maxPendingConnections) {
        this(aeTitle, bindAddress, port, maxAssociations, allowedCallingAeTitles, checkCalledAeTitle, maxPduLength, idleTimeout,
                transferSyntaxes, spoolDir, fsync, minFreeSpaceBytes, artimTimeout, maxConnectionsPerAddress, maxPendingConnections,
                null);
    }

    public ListenerSettings {
        allowedCallingAeTitles = Set.copyOf(allowedCallingAeTitles);
        transferSyntaxes = List.copyOf(transferSyntaxes);
    }

    /** With the default connection guards (ARTIM 10 s, 16 connections per address, 64 waiting). */
    public ListenerSettings(String aeTitle, String bindAddress, int port, int maxAssociations, Set<String> allowedCallingAeTitles,
                            boolean checkCalledAeTitle, int maxPduLength, Duration idleTimeout, List<String> transferSyntaxes,
                            Path spoolDir, boolean fsync, long minFreeSpaceBytes) {
        this(aeTitle, bindAddress, port, maxAssociations, allowedCallingAeTitles, checkCalledAeTitle, maxPduLength, idleTimeout,
                transferSyntaxes, spoolDir, fsync, minFreeSpaceBytes, DEFAULT_ARTIM_TIMEOUT, DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
                DEFAULT_MAX_PENDING_CONNECTIONS);
    }

    public static ListenerSettings defaults(Path spoolDir) {
        return new ListenerSettings("RADFLOW", "0.0.0.0", 11112, 32, Set.of(), true, 131072, Duration.ofSeconds(60),
                org.radflow.dicom.TransferSyntaxes.LISTENER_DEFAULT, spoolDir, true, 1024L * 1024 * 1024);
    }

    public ListenerSettings withPort(int port) {
        return new ListenerSettings(aeTitle, bindAddress, port, maxAssociations, allowedCallingAeTitles, checkCalledAeTitle,
                maxPduLength, idleTimeout, transferSyntaxes, spoolDir, fsync, minFreeSpaceBytes, artimTimeout,
                maxConnectionsPerAddress, maxPendingConnections, tls);
    }

    public ListenerSettings withBindAddress(String bindAddress) {
        return new ListenerSettings(aeTitle, bindAddress, port, maxAssociations, allowedCallingAeTitles, checkCalledAeTitle,
                maxPduLength, idleTimeout, transferSyntaxes, spoolDir, fsync, minFreeSpaceBytes, artimTimeout,
                maxConnectionsPerAddress, maxPendingConnections, tls);
    }

    public ListenerSettings withFsync(boolean fsync) {
        return new ListenerSettings(aeTitle, bindAddress, port, maxAssociations, allowedCallingAeTitles, checkCalledAeTitle,
                maxPduLength, idleTimeout, transferSyntaxes, spoolDir, fsync, minFreeSpaceBytes, artimTimeout,
                maxConnectionsPerAddress, maxPendingConnections, tls);
    }

    public ListenerSettings withMinFreeSpaceBytes(long bytes) {
        return new ListenerSettings(aeTitle, bindAddress, port, maxAssociations, allowedCallingAeTitles, checkCalledAeTitle,
                maxPduLength, idleTimeout, transferSyntaxes, spoolDir, fsync, bytes, artimTimeout,
                maxConnectionsPerAddress, maxPendingConnections, tls);
    }

    public ListenerSettings withAllowedCallingAeTitles(Set<String> allowed) {
        return new ListenerSettings(aeTitle, bindAddress, port, maxAssociations, allowed, checkCalledAeTitle,
                maxPduLength, idleTimeout, transferSyntaxes, spoolDir, fsync, minFreeSpaceBytes, artimTimeout,
                maxConnectionsPerAddress, maxPendingConnections, tls);
    }

    public ListenerSettings withMaxAssociations(int max) {
        return new ListenerSettings(aeTitle, bindAddress, port, max, allowedCallingAeTitles, checkCalledAeTitle,
                maxPduLength, idleTimeout, transferSyntaxes, spoolDir, fsync, minFreeSpaceBytes, artimTimeout,
                maxConnectionsPerAddress, maxPendingConnections, tls);
    }

    /** The connection guards: ARTIM timeout, connections per address, connections waiting for their A-ASSOCIATE-RQ. */
    public ListenerSettings withConnectionGuards(Duration artim, int perAddress, int pending) {
        return new ListenerSettings(aeTitle, bindAddress, port, maxAssociations, allowedCallingAeTitles, checkCalledAeTitle,
                maxPduLength, idleTimeout, transferSyntaxes, spoolDir, fsync, minFreeSpaceBytes, artim, perAddress, pending, tls);
    }

    /** Accepting these transfer syntaxes (listener.transferSyntaxes). */
    public ListenerSettings withTransferSyntaxes(List<String> syntaxes) {
        return new ListenerSettings(aeTitle, bindAddress, port, maxAssociations, allowedCallingAeTitles, checkCalledAeTitle,
                maxPduLength, idleTimeout, List.copyOf(syntaxes), spoolDir, fsync, minFreeSpaceBytes, artimTimeout,
                maxConnectionsPerAddress, maxPendingConnections, tls);
    }

    /** With DICOM TLS (null: none). */
    public ListenerSettings withTls(Tls tls) {
        return new ListenerSettings(aeTitle, bindAddress, port, maxAssociations, allowedCallingAeTitles, checkCalledAeTitle,
                maxPduLength, idleTimeout, transferSyntaxes, spoolDir, fsync, minFreeSpaceBytes, artimTimeout,
                maxConnectionsPerAddress, maxPendingConnections, tls);
    }
}
