package org.radflow.dicom.net;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.radflow.dicom.TransferSyntaxes;
import org.radflow.dicom.Uids;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server's connection guards on their own: the global cap on waiting connections, the per-address limit across
 * the ports sharing a connection table, and ARTIM after a release.
 */
class DicomServerGuardsTest {

    private final List<Socket> sockets = new ArrayList<>();
    private final List<AssociationReport> reports = new CopyOnWriteArrayList<>();
    private DicomServer server;

    private DicomServer start(Duration artim, int perAddress, int pending) throws IOException {
        AssociationPolicy anyone = new AssociationPolicy() {
            @Override
            public void admit(AssociateRequest request, String peer, int openAssociations) {
            }

            @Override
            public void authorize(AssociateRequest request, String peer) {
            }
        };
        server = new DicomServer(new DicomServer.Settings("127.0.0.1", 0, 16384, artim, Duration.ofSeconds(30),
                List.of(TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN), perAddress, pending),
                new DicomServiceRegistry().register(new CEchoService()), anyone, reports::add);
        server.start();
        return server;
    }

    private DicomServer other;

    @AfterEach
    void stop() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        if (server != null) {
            server.stop(2000);
        }
        if (other != null) {
            other.stop(2000);
        }
    }

    private Socket connect(String from) throws IOException {
        Socket s = new Socket();
        sockets.add(s);
        s.bind(new InetSocketAddress(from, 0));
        s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
        return s;
    }

    private static boolean closedByServer(Socket s, int waitMillis) throws IOException {
        s.setSoTimeout(waitMillis);
        try {
            return s.getInputStream().read() < 0;
        } catch (SocketTimeoutException stillOpen) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    private void awaitWaiting(int n) throws InterruptedException {
        long end = System.currentTimeMillis() + 5000;
        while (server.waitingConnections() != n && System.currentTimeMillis() < end) {
            Thread.sleep(10);
        }
        assertEquals(n, server.waitingConnections());
    }

    @Test
    void beyondTheGlobalCapTheOldestWaitingConnectionIsClosedWhoeverItIsFrom() throws Exception {
        start(Duration.ofSeconds(30), 16, 2);
        Socket first = connect("127.0.0.2");
        awaitWaiting(1);
        Socket second = connect("127.0.0.3");
        awaitWaiting(2);
        Socket third = connect("127.0.0.4");
        assertTrue(closedByServer(first, 3000), "the oldest waiting connection made room");
        awaitWaiting(2);
        assertFalse(closedByServer(second, 100));
        assertFalse(closedByServer(third, 100));
        assertEquals(0, server.activeAssociations(), "bare connections are no associations");
        assertTrue(reports.isEmpty(), "and leave no association report");
    }

    @Test
    void serversSharingAConnectionTableApplyThePerAddressLimitToBothPorts() throws Exception {
        // a listener's plain and TLS ports: one peer may not hold maxConnectionsPerAddress on each
        AssociationPolicy anyone = new AssociationPolicy() {
            @Override
            public void admit(AssociateRequest request, String peer, int openAssociations) {
            }

            @Override
            public void authorize(AssociateRequest request, String peer) {
            }
        };
        DicomServer.Settings settings = new DicomServer.Settings("127.0.0.1", 0, 16384, Duration.ofSeconds(30),
                Duration.ofSeconds(30), List.of(TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN), 2, 64);
        DicomServer.ConnectionTable table = new DicomServer.ConnectionTable();
        DicomServiceRegistry echo = new DicomServiceRegistry().register(new CEchoService());
        server = new DicomServer(settings, echo, anyone, reports::add, javax.net.ServerSocketFactory.getDefault(), table);
        other = new DicomServer(settings, echo, anyone, reports::add, javax.net.ServerSocketFactory.getDefault(), table);
        server.start();
        other.start();
        Socket first = connect("127.0.0.5");
        awaitWaiting(1);
        Socket second = connectTo(other, "127.0.0.5");
        long end = System.currentTimeMillis() + 5000;
        while (other.waitingConnections() != 1 && System.currentTimeMillis() < end) {
            Thread.sleep(10);
        }
        assertEquals(1, other.waitingConnections());
        Socket third = connectTo(other, "127.0.0.5");
        assertTrue(closedByServer(first, 3000), "the address's oldest waiting connection, on the other port, made room");
        awaitWaiting(0);
        assertFalse(closedByServer(second, 100));
        assertFalse(closedByServer(third, 100));
        Socket elsewhere = connect("127.0.0.6");
        assertFalse(closedByServer(elsewhere, 200), "another address has its own share");
        assertFalse(closedByServer(second, 100));
        // stopping one port closes only its own connections
        other.stop(2000);
        assertTrue(closedByServer(second, 3000));
        assertFalse(closedByServer(elsewhere, 200));
        other = null;
    }

    private Socket connectTo(DicomServer target, String from) throws IOException {
        Socket s = new Socket();
        sockets.add(s);
        s.bind(new InetSocketAddress(from, 0));
        s.connect(new InetSocketAddress("127.0.0.1", target.port()), 5000);
        return s;
    }

    @Test
    void aPeerThatKeepsTheConnectionOpenAfterTheReleaseIsClosedByArtim() throws Exception {
        start(Duration.ofSeconds(1), 16, 64);
        Socket s = connect("127.0.0.1");
        OutputStream out = new BufferedOutputStream(s.getOutputStream());
        InputStream in = s.getInputStream();
        new AssociateRequest(1, "SCP", "SCU", Uids.APPLICATION_CONTEXT, List.of(new AssociateRequest.Proposal(1, Uids.VERIFICATION,
                List.of(TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN))), 16384, Pdu.IMPLEMENTATION_CLASS_UID, null).write(out);
        Pdu.Header ac = Pdu.readHeader(in);
        assertEquals(Pdu.A_ASSOCIATE_AC, ac.type());
        Pdu.readBody(in, ac, 1 << 20);
        assertEquals(1, server.activeAssociations());
        Pdu.writeReleaseRq(out);
        Pdu.Header rp = Pdu.readHeader(in);
        assertEquals(Pdu.A_RELEASE_RP, rp.type());
        Pdu.readBody(in, rp, 64);
        long start = System.nanoTime();
        // we do not close our end, as a requestor must after A-RELEASE-RP
        assertTrue(closedByServer(s, 10_000), "ARTIM closes it");
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(took.compareTo(Duration.ofMillis(700)) > 0 && took.compareTo(Duration.ofSeconds(4)) < 0, took.toString());
        assertEquals(0, server.activeAssociations(), "a released association no longer counts");
        long end = System.currentTimeMillis() + 5000;
        while (reports.isEmpty() && System.currentTimeMillis() < end) {
            Thread.sleep(10);
        }
        assertEquals("released", reports.get(0).outcome());
    }
}
