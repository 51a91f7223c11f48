package org.radflow.listener;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.dicom.TransferSyntaxes;
import org.radflow.dicom.Uids;
import org.radflow.dicom.net.AssociateRequest;
import org.radflow.dicom.net.AssociationRejectedException;
import org.radflow.dicom.net.Pdu;
import org.radflow.dicom.net.ScuAssociation;
import org.radflow.testdata.CtOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.Synth;
import org.radflow.testkit.Dcmtk;
import org.radflow.testkit.ToolResult;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The listener's connection guards with real sockets on loopback: bare TCP connections that never send a PDU
 * (from 127.0.0.2 and from 127.0.0.1 itself) against DCMTK's echoscu/storescu and RadFlow's own SCU, the ARTIM
 * timer, the per-address rejection, and peer strings escaped in the log.
 */
class ListenerHardeningIT {

    private static final Duration FEW_SECONDS = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private final List<Socket> idle = new ArrayList<>();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

    @BeforeEach
    void captureLog() {
        log.start();
        root.addAppender(log);
    }

    @AfterEach
    void closeIdle() {
        root.detachAppender(log);
        for (Socket s : idle) {
            try {
                s.close();
            } catch (IOException ignored) {
                // already closed by the listener
            }
        }
    }

    /** A TCP connection from {@code from} that never sends a byte. */
    private Socket connectIdle(String from, int port) throws IOException {
        Socket s = new Socket();
        idle.add(s);
        s.bind(new InetSocketAddress(from, 0));
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        return s;
    }

    private static void await(BooleanSupplier condition, Duration limit, String what) throws InterruptedException {
        long end = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within " + limit.toSeconds() + " s: " + what);
            }
            Thread.sleep(10);
        }
    }

    /** True once the listener has closed the socket (read sees the end of the stream or a reset). */
    private static boolean closedByListener(Socket s, int waitMillis) throws IOException {
        s.setSoTimeout(waitMillis);
        try {
            return s.getInputStream().read() < 0;
        } catch (SocketTimeoutException stillOpen) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    private static ScuAssociation.Settings scu(RunningListener l, String callingAe) {
        return new ScuAssociation.Settings(callingAe, l.aeTitle(), "127.0.0.1", l.port(), Duration.ofSeconds(5),
                Duration.ofSeconds(10), 65536);
    }

    private static final List<AssociateRequest.Proposal> ECHO = List.of(new AssociateRequest.Proposal(1, Uids.VERIFICATION,
            List.of(TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN)));

    @Test
    void thirtyTwoIdleConnectionsFromOneHostDoNotBlockAnotherHostsStorescu() throws Exception {
        GeneratedSeries series = Synth.ctSeries(dir.resolve("in"), CtOptions.defaults().withCount(2).withSize(64, 64));
        // the defaults: 32 associations, 16 connections per address, ARTIM 10 s (longer than this test's deadlines)
        try (RunningListener l = new RunningListener(dir, s -> s)) {
            for (int i = 0; i < 32; i++) {
                connectIdle("127.0.0.2", l.port());
            }
            await(() -> l.verticle.scp().waitingConnections() == 16, FEW_SECONDS,
                    "the 16 newest idle connections wait, the older ones were evicted");
            assertTrue(closedByListener(idle.get(0), 2000), "the oldest idle connection was closed to make room");
            assertFalse(closedByListener(idle.get(31), 200), "the newest idle connection is still open (ARTIM is 10 s)");

            long start = System.nanoTime();
            ToolResult echo = Dcmtk.echoscu("127.0.0.1", l.port(), l.aeTitle(), "OTHERHOST", FEW_SECONDS);
            echo.assertOk();
            Dcmtk.storescu().host("127.0.0.1").port(l.port()).calledAe(l.aeTitle()).callingAe("OTHERHOST")
                    .files(series.files()).timeout(FEW_SECONDS).run().assertOk();
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertTrue(took.compareTo(FEW_SECONDS) < 0, "echo and store took " + took);
            l.awaitEvents(2, 5000);
            assertEquals(2, l.events.size());
            assertTrue(log.list.stream().anyMatch(e -> e.getFormattedMessage().contains("to make room for a new one")),
                    "the eviction is logged");
        }
    }

    @Test
    void thirtyTwoIdleConnectionsFromTheSameHostAreEvictedForItsRealAssociation() throws Exception {
        GeneratedSeries series = Synth.ctSeries(dir.resolve("in"), CtOptions.defaults().withCount(1).withSize(64, 64));
        try (RunningListener l = new RunningListener(dir, s -> s)) {
            for (int i = 0; i < 32; i++) {
                connectIdle("127.0.0.1", l.port());
            }
            await(() -> l.verticle.scp().waitingConnections() == 16, FEW_SECONDS, "16 idle connections left from 127.0.0.1");
            long start = System.nanoTime();
            Dcmtk.storescu().host("127.0.0.1").port(l.port()).calledAe(l.aeTitle()).callingAe("SAMEHOST")
                    .files(series.files()).timeout(FEW_SECONDS).run().assertOk();
            assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(FEW_SECONDS) < 0);
            l.awaitEvents(1, 5000);
            assertEquals(1, l.events.size());
            long warnings = log.list.stream().filter(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN
                    && e.getFormattedMessage().contains("to make room")).count();
            assertEquals(1, warnings, "one WARN per address per minute, however many were evicted");
        }
    }

    @Test
    void artimClosesAConnectionThatTricklesBytesButNeverCompletesItsRequest() throws Exception {
        try (RunningListener l = new RunningListener(dir, s -> s.withConnectionGuards(Duration.ofSeconds(1), 16, 64))) {
            Socket s = connectIdle("127.0.0.1", l.port());
            OutputStream out = s.getOutputStream();
            // an A-ASSOCIATE-RQ header announcing 200 bytes, then one byte every 100 ms: a read timeout alone never fires
            out.write(new byte[] {Pdu.A_ASSOCIATE_RQ, 0, 0, 0, 0, (byte) 200});
            out.flush();
            Thread dripper = new Thread(() -> {
                try {
                    for (int i = 0; i < 150; i++) {
                        out.write(0);
                        out.flush();
                        Thread.sleep(100);
                    }
                } catch (IOException | InterruptedException closed) {
                    // the listener closed the connection: what the test waits for
                }
            }, "dripper");
            long start = System.nanoTime();
            dripper.start();
            assertTrue(closedByListener(s, 10_000), "ARTIM closes the connection");
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            dripper.interrupt();
            dripper.join(5000);
            assertTrue(took.compareTo(Duration.ofMillis(800)) > 0 && took.compareTo(Duration.ofSeconds(4)) < 0,
                    "closed after about artimSeconds (1 s), not " + took);
            // the ARTIM thread closes the socket first and logs after: wait for the line rather than race it
            await(() -> log.list.stream().anyMatch(e -> e.getFormattedMessage().contains("no A-ASSOCIATE-RQ within 1 s (ARTIM)")),
                    FEW_SECONDS, "the ARTIM WARN");
            assertTrue(l.associations.isEmpty(), "a connection that never associated is no association");
            // the listener still serves
            try (ScuAssociation a = ScuAssociation.open(scu(l, "AFTER"), ECHO)) {
                assertEquals(0, a.echo());
            }
        }
    }

    @Test
    void whenAllOfAnAddressesConnectionsAreAssociationsTheNextIsRejectedAsTransient() throws Exception {
        try (RunningListener l = new RunningListener(dir, s -> s.withConnectionGuards(Duration.ofSeconds(10), 2, 64))) {
            ScuAssociation first = ScuAssociation.open(scu(l, "ONE"), ECHO);
            ScuAssociation second = ScuAssociation.open(scu(l, "TWO"), ECHO);
            AssociationRejectedException e = assertThrows(AssociationRejectedException.class,
                    () -> ScuAssociation.open(scu(l, "THREE"), ECHO));
            assertTrue(e.isTransient(), e.getMessage());
            assertEquals(Pdu.RJ_SOURCE_PROVIDER_PRESENTATION, e.source());
            assertEquals(Pdu.RJ_PRESENTATION_LOCAL_LIMIT_EXCEEDED, e.reason());
            assertEquals(0, first.echo(), "the open associations are untouched");
            assertTrue(log.list.stream().anyMatch(x -> x.getFormattedMessage().contains("the per-address limit")));

            // one association and one idle connection: the next association evicts the idle one
            second.release();
            await(() -> l.verticle.scp().activeAssociations() == 1, FEW_SECONDS, "the second association released");
            Socket waiting = connectIdle("127.0.0.1", l.port());
            await(() -> l.verticle.scp().waitingConnections() == 1, FEW_SECONDS, "the idle connection accepted");
            try (ScuAssociation third = ScuAssociation.open(scu(l, "THREE"), ECHO)) {
                assertEquals(0, third.echo());
            }
            assertTrue(closedByListener(waiting, 2000), "the idle connection made room");
            first.release();
        }
    }

    @Test
    void aCallingAeTitleWithANewlineIsLoggedAsOneLine() throws Exception {
        String forged = "X\nERROR FORGED";
        try (RunningListener l = new RunningListener(dir, s -> s)) {
            try (ScuAssociation a = ScuAssociation.open(scu(l, forged), ECHO)) {
                assertEquals(0, a.echo());
            }
            l.awaitAssociations(1, 5000);
            assertEquals(forged, l.associations.get(0).callingAeTitle(), "the observer gets the value; the log gets it escaped");
        }
        try (RunningListener l = new RunningListener(dir.resolve("2"), s -> s.withAllowedCallingAeTitles(Set.of("MODALITY1")))) {
            assertThrows(AssociationRejectedException.class, () -> ScuAssociation.open(scu(l, forged), ECHO));
            await(() -> log.list.stream().anyMatch(e -> e.getFormattedMessage().startsWith("Rejected association from X")),
                    FEW_SECONDS, "the rejection is logged");
        }
        List<String> mentioning = log.list.stream().map(ILoggingEvent::getFormattedMessage)
                .filter(m -> m.contains("ERROR FORGED")).toList();
        assertEquals(2, mentioning.size(), "the association's summary and the rejection: " + mentioning);
        for (String m : mentioning) {
            assertTrue(m.contains("X\\nERROR FORGED"), m);
            assertFalse(m.contains("\n") || m.contains("\r"), "one line: " + m);
        }
    }
}
