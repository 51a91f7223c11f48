package org.radflow.dicom.net;

import org.radflow.dicom.LogText;
import org.radflow.dicom.Uids;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import javax.net.ssl.SSLSocket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One inbound association (association acceptor): A-ASSOCIATE negotiation, then DIMSE requests until
 * release or abort. It reads and writes the PDUs, runs the timers, reassembles each request's command
 * set, streams its data set fragment by fragment to the {@link DicomService} registered for the
 * command, and sends the response that service builds. Services never see PDUs.
 *
 * <p>Why not PixelMed's {@code StorageSOPClassSCP}: it always answers Success, decides the file
 * name from the command's SOP Instance UID before the data set is seen, and cannot refuse an
 * association by calling AE title. RadFlow needs to answer A700/C000 with a reason, reject at
 * association time, and acknowledge only what is durable, so the upper layer is RadFlow's own (PS3.8).
 */
final class ScpAssociation {

    private static final Logger LOG = LoggerFactory.getLogger(ScpAssociation.class);
    private static final int MAX_COMMAND_BYTES = 64 * 1024;

    private final DicomServer.Connection connection;
    private final Socket socket;
    private final DicomServer.Settings settings;
    private final DicomServiceRegistry services;
    private final AssociationPolicy policy;
    private final DicomServer server;
    private final String peer;

    private InputStream in;
    private OutputStream out;
    private PDataWriter writer;
    private AssociateRequest request;
    private boolean established;
    private final Map<Integer, AssociateAccept.Result> accepted = new HashMap<>();
    private final Map<Integer, String> abstractSyntaxes = new HashMap<>();

    private final ByteArrayOutputStream commandBuffer = new ByteArrayOutputStream(512);
    /** The request whose data set is arriving; null between requests. */
    private Pending pending;
    private final Map<Integer, int[]> counts = new HashMap<>();
    private final Map<Integer, Long> dataSetBytes = new HashMap<>();

    /** @param server keeps the connection's state (ARTIM, limits) and counts the open associations */
    ScpAssociation(DicomServer.Connection connection, DicomServer.Settings settings, DicomServiceRegistry services,
                   AssociationPolicy policy, DicomServer server) {
        this.connection = connection;
        this.socket = connection.socket;
        this.settings = settings;
        this.services = services;
        this.policy = policy;
        this.server = server;
        this.peer = connection.peer;
    }

    /** A request in progress: who serves it, and why it is refused once that is known. */
    private static final class Pending {
        final DimseCommand command;
        final int pcid;
        final DicomService service;
        DataSetReceiver receiver;
        DicomServiceException refusal;
        long size;

        Pending(DimseCommand command, int pcid, DicomService service) {
            this.command = command;
            this.pcid = pcid;
            this.service = service;
        }

        boolean receiving() {
            return receiver != null && refusal == null;
        }
    }

    /** Runs the association to its end; null when there was none (rejected, or no A-ASSOCIATE-RQ before the connection closed). */
    AssociationReport run() {
        Instant start = Instant.now();
        String outcome = "released";
        try {
            // ARTIM (PS3.8 9.1.4) is the server's timer, which closes the socket however slowly bytes trickle in;
            // this read timeout only backs it up
            socket.setSoTimeout(timeoutMillis(settings.artimTimeout().multipliedBy(2)));
            if (socket instanceof SSLSocket tls && !handshake(tls)) {
                return null;
            }
            in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
            out = new BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
            if (!negotiate()) {
                return null;
            }
            established = true;
            socket.setSoTimeout(timeoutMillis(settings.idleTimeout()));
            writer = new PDataWriter(out, request.maxPduLength());
            byte[] buffer = new byte[Math.max(settings.maxPduLength(), 16 * 1024)];
            while (true) {
                Pdu.Header h = Pdu.readHeader(in);
                switch (h.type()) {
                    case Pdu.P_DATA_TF -> {
                        if (h.length() > buffer.length) {
                            throw new DicomProtocolException("P-DATA-TF of " + h.length() + " bytes exceeds the negotiated maximum "
                                    + settings.maxPduLength());
                        }
                        Pdu.readFully(in, buffer, 0, h.length());
                        onPData(buffer, h.length());
                    }
                    case Pdu.A_RELEASE_RQ -> {
                        Pdu.readBody(in, h, 64);
                        Pdu.writeReleaseRp(out);
                        AssociationReport r = report(start, outcome);
                        awaitPeerClose();
                        return r;
                    }
                    case Pdu.A_ABORT -> {
                        Pdu.readBody(in, h, 64);
                        outcome = "aborted by peer";
                        return report(start, outcome);
                    }
                    default -> throw new DicomProtocolException("unexpected PDU type 0x" + Integer.toHexString(h.type())
                            + " during an established association");
                }
            }
        } catch (SocketTimeoutException e) {
            abortQuietly(2, 0);
            if (request == null) {
                return noRequest("no A-ASSOCIATE-RQ within " + settings.artimTimeout().multipliedBy(2).toSeconds() + " s");
            }
            outcome = established ? "aborted: idle for " + settings.idleTimeout().toSeconds() + " s"
                    : "aborted: no answer while negotiating";
            return report(start, outcome);
        } catch (DicomProtocolException e) {
            abortQuietly(2, 2);
            if (request == null) {
                return noRequest("protocol error before any association: " + LogText.escape(e.getMessage()));
            }
            outcome = "aborted: protocol error: " + e.getMessage();
            return report(start, outcome);
        } catch (EOFException e) {
            if (request == null) {
                return noRequest("closed by the peer or by us before an A-ASSOCIATE-RQ arrived");
            }
            outcome = "connection closed by peer without release";
            return report(start, outcome);
        } catch (IOException e) {
            if (request == null) {
                return noRequest("lost before an A-ASSOCIATE-RQ arrived: " + e.getMessage());
            }
            outcome = "connection lost: " + e.getMessage();
            return report(start, outcome);
        } catch (RuntimeException e) {
            LOG.error("Unexpected error on association from {}", peer, e);
            outcome = "aborted: internal error " + e;
            abortQuietly(2, 0);
            return report(start, outcome);
        } finally {
            abandonPending();
            DicomServer.closeQuietly(socket);
        }
    }

    /**
     * DICOM TLS: the handshake runs before any PDU, under the ARTIM timer. A failure (no client certificate, one from
     * a CA we do not trust, plain DICOM on the TLS port) is logged once at WARN with the peer's address and the reason,
     * rate-limited per address like the other connection warnings, and ends the connection without a report.
     */
    private boolean handshake(SSLSocket tls) {
        try {
            tls.startHandshake();
        } catch (IOException e) {
            if (connection.state() == DicomServer.Connection.State.WAITING) {
                server.warn(connection.address, "TLS handshake with {} failed: {}", peer, LogText.escape(DicomTls.describe(e), 400));
            } else {
                LOG.debug("TLS handshake with {} ended ({}): {}", peer, connection.state(), e.toString());
            }
            return false;
        }
        if (LOG.isDebugEnabled()) {
            String client;
            try {
                client = ((java.security.cert.X509Certificate) tls.getSession().getPeerCertificates()[0])
                        .getSubjectX500Principal().getName();
            } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
                client = "no client certificate";
            }
            LOG.debug("TLS with {}: {} {}, {}", peer, tls.getSession().getProtocol(), tls.getSession().getCipherSuite(),
                    LogText.escape(client));
        }
        return true;
    }

    /** Over DICOM TLS, the certificate the peer presented (its own, first in the chain); otherwise null. */
    private java.security.cert.X509Certificate clientCertificate() {
        if (!(socket instanceof SSLSocket tls)) {
            return null;
        }
        try {
            java.security.cert.Certificate[] chain = tls.getSession().getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof java.security.cert.X509Certificate x ? x : null;
        } catch (javax.net.ssl.SSLPeerUnverifiedException none) {
            return null;
        }
    }

    /**
     * A connection that ended before its association began: no report (it is no association). Timer and
     * limit closures were logged by the server; a protocol error (e.g. an HTTP request on the DICOM port)
     * is logged here, rate-limited per address; a port probe that just closes only at DEBUG.
     */
    private AssociationReport noRequest(String why) {
        DicomServer.Connection.State state = connection.state();
        if (state == DicomServer.Connection.State.WAITING && why.startsWith("protocol error")) {
            server.warn(connection.address, "Closed connection from {}: {}", peer, why);
        } else {
            LOG.debug("Connection from {} ended ({}): {}", peer, state, why);
        }
        return null;
    }

    /** After our A-RELEASE-RP the requestor closes the connection (PS3.8 Sta13); the server's ARTIM closes it if it does not. */
    private void awaitPeerClose() {
        server.released(connection);
        byte[] discard = new byte[256];
        try {
            while (in.read(discard) >= 0) {
                // nothing is expected after a release; whatever comes is dropped
            }
        } catch (IOException closed) {
            // closed by ARTIM, or reset by the peer
        }
    }

    private static int timeoutMillis(Duration d) {
        return (int) Math.min(Integer.MAX_VALUE, d.toMillis());
    }

    private AssociationReport report(Instant start, String outcome) {
        Map<Integer, AssociationReport.Requests> requests = new HashMap<>();
        counts.forEach((field, c) -> requests.put(field, new AssociationReport.Requests(c[0], c[1],
                dataSetBytes.getOrDefault(field, 0L))));
        return new AssociationReport(request == null ? "" : request.callingAeTitle(),
                request == null ? "" : request.calledAeTitle(), peer, Duration.between(start, Instant.now()), outcome, requests);
    }

    /** Reads the A-ASSOCIATE-RQ and answers it; false when rejected. */
    private boolean negotiate() throws IOException {
        Pdu.Header h = Pdu.readHeader(in);
        if (h.type() != Pdu.A_ASSOCIATE_RQ) {
            throw new DicomProtocolException("expected A-ASSOCIATE-RQ, got PDU type 0x" + Integer.toHexString(h.type()));
        }
        AssociateRequest rq = AssociateRequest.parse(Pdu.readBody(in, h, 1 << 20));
        if (!server.requestArrived(connection)) {
            // evicted or timed out just as the request completed: the socket is closed already
            throw new EOFException("connection closed by the server before negotiation");
        }
        request = rq;
        String calling = request.callingAeTitle();
        int fromAddress = server.associationsFrom(connection);
        if (fromAddress > settings.maxConnectionsPerAddress()) {
            server.warn(connection.address, "Rejected association from {} ({}): already {} association(s) from this address, "
                    + "the per-address limit", LogText.escape(calling), peer, fromAddress - 1);
            Pdu.writeReject(out, Pdu.RJ_TRANSIENT, Pdu.RJ_SOURCE_PROVIDER_PRESENTATION, Pdu.RJ_PRESENTATION_LOCAL_LIMIT_EXCEEDED);
            return false;
        }
        try {
            policy.admit(request, peer, server.activeAssociations());
            if ((request.protocolVersion() & 1) == 0) {
                throw new AssociationRejectedException(Pdu.RJ_PERMANENT, Pdu.RJ_SOURCE_PROVIDER_ACSE,
                        Pdu.RJ_ACSE_PROTOCOL_VERSION_NOT_SUPPORTED, "unsupported protocol version " + request.protocolVersion());
            }
            if (!Uids.APPLICATION_CONTEXT.equals(request.applicationContext())) {
                throw new AssociationRejectedException(Pdu.RJ_PERMANENT, Pdu.RJ_SOURCE_USER,
                        Pdu.RJ_USER_APPLICATION_CONTEXT_NOT_SUPPORTED,
                        "application context " + Uids.forLog(request.applicationContext()) + " is not DICOM's");
            }
            policy.authorize(request, peer, clientCertificate());
        } catch (AssociationRejectedException e) {
            LOG.warn("Rejected association from {} ({}): {}", LogText.escape(calling), peer, LogText.escape(e.getMessage()));
            Pdu.writeReject(out, e.result(), e.source(), e.reason());
            return false;
        }
        List<AssociateAccept.Result> results = new ArrayList<>();
        Map<String, RoleSelection> roles = new java.util.LinkedHashMap<>();
        for (AssociateRequest.Proposal pc : request.presentationContexts()) {
            AssociateAccept.Result r = answer(pc);
            RoleSelection proposed = request.roleSelection(pc.abstractSyntax()).orElse(null);
            if (r.accepted() && proposed != null) {
                // answered only when proposed (PS3.7 D.3.3.4); a context left with no role is of no use
                RoleSelection agreed = services.answer(proposed);
                if (!agreed.scuRole() && !agreed.scpRole()) {
                    r = new AssociateAccept.Result(pc.id(), Pdu.PC_USER_REJECTION, null);
                } else {
                    roles.put(agreed.sopClassUid(), agreed);
                }
            }
            results.add(r);
            if (r.accepted()) {
                accepted.put(pc.id(), r);
                abstractSyntaxes.put(pc.id(), pc.abstractSyntax());
            }
        }
        new AssociateAccept(request.calledAeTitle(), calling, results, settings.maxPduLength(),
                Pdu.IMPLEMENTATION_CLASS_UID, Pdu.IMPLEMENTATION_VERSION_NAME, List.copyOf(roles.values())).write(out);
        LOG.debug("Accepted association from {} ({}): {} of {} presentation contexts", LogText.escape(calling), peer, accepted.size(),
                results.size());
        return true;
    }

    private AssociateAccept.Result answer(AssociateRequest.Proposal pc) {
        if (!services.acceptsAbstractSyntax(pc.abstractSyntax())) {
            return new AssociateAccept.Result(pc.id(), Pdu.PC_ABSTRACT_SYNTAX_NOT_SUPPORTED, null);
        }
        // The requestor's order (the first proposed is usually the file's own encoding, stored as received), but a
        // syntax this machine can decode wins over one it cannot: offered JPEG-LS and Explicit VR Little Endian
        // without a JPEG-LS decoder, take the latter, so that the study's jobs can read it.
        String fallback = null;
        for (String ts : pc.transferSyntaxes()) {
            if (settings.transferSyntaxes().contains(ts)) {
                if (org.radflow.dicom.TransferSyntaxes.isDecodable(ts)) {
                    return new AssociateAccept.Result(pc.id(), Pdu.PC_ACCEPTANCE, ts);
                }
                if (fallback == null) {
                    fallback = ts;
                }
            }
        }
        if (fallback != null) {
            // only syntaxes the platform cannot decode: stored as received; its jobs fail at once saying why
            return new AssociateAccept.Result(pc.id(), Pdu.PC_ACCEPTANCE, fallback);
        }
        return new AssociateAccept.Result(pc.id(), Pdu.PC_TRANSFER_SYNTAXES_NOT_SUPPORTED, null);
    }

    private void onPData(byte[] b, int length) throws IOException {
        Pdu.forEachPdv(b, length, (pcid, command, last, data, off, len) -> {
            if (!accepted.containsKey(pcid)) {
                throw new DicomProtocolException("PDV on presentation context " + pcid + ", which was not accepted");
            }
            if (command) {
                onCommandFragment(pcid, data, off, len, last);
            } else {
                onDataFragment(pcid, data, off, len, last);
            }
        });
    }

    private void onCommandFragment(int pcid, byte[] b, int off, int len, boolean last) throws IOException {
        if (pending != null) {
            throw new DicomProtocolException("a command arrived before the previous request's data set was complete");
        }
        if (commandBuffer.size() + len > MAX_COMMAND_BYTES) {
            throw new DicomProtocolException("command set larger than " + MAX_COMMAND_BYTES + " bytes");
        }
        commandBuffer.write(b, off, len);
        if (!last) {
            return;
        }
        DimseCommand cmd = DimseCommand.decode(commandBuffer.toByteArray());
        commandBuffer.reset();
        DicomService service = services.forCommandField(cmd.commandField());
        Pending p = new Pending(cmd, pcid, service);
        if (service == null) {
            p.refusal = new DicomServiceException(DimseCommand.STATUS_UNRECOGNIZED_OPERATION, "unsupported operation");
        } else {
            try {
                p.receiver = service.begin(new DimseRequest(cmd, abstractSyntaxes.get(pcid), accepted.get(pcid).transferSyntax(),
                        request.callingAeTitle(), request.calledAeTitle(), peer));
            } catch (DicomServiceException e) {
                p.refusal = e;
            }
        }
        if (cmd.hasDataSet()) {
            // answered once the data set is in: a refused request's data set is read and dropped
            pending = p;
        } else {
            answer(p);
        }
    }

    private void onDataFragment(int pcid, byte[] b, int off, int len, boolean last) throws IOException {
        Pending p = pending;
        if (p == null) {
            throw new DicomProtocolException("data set fragment without a request");
        }
        if (pcid != p.pcid) {
            throw new DicomProtocolException("data set fragment on presentation context " + pcid + ", command was on " + p.pcid);
        }
        if (p.receiving()) {
            try {
                p.receiver.fragment(b, off, len);
            } catch (DicomServiceException e) {
                p.refusal = e;
            }
        }
        p.size += len;
        if (last) {
            pending = null;
            answer(p);
        }
    }

    /** The request is complete: let its service finish it, then send the response. */
    private void answer(Pending p) throws IOException {
        int status = DimseCommand.STATUS_SUCCESS;
        if (p.refusal == null) {
            try {
                status = p.receiver.complete();
            } catch (DicomServiceException e) {
                p.refusal = e;
            }
        }
        int field = p.command.commandField();
        int[] c = counts.computeIfAbsent(field, k -> new int[2]);
        DimseCommand response;
        if (p.refusal != null) {
            c[1]++;
            status = p.refusal.status();
            if (p.refusal.isSummarized()) {
                LOG.debug("Refused {} of {} from {} ({}): status {} - {}", operation(field),
                        Uids.forLog(p.command.getString(DimseCommand.AFFECTED_SOP_INSTANCE_UID)),
                        LogText.escape(request.callingAeTitle()), peer, String.format("%04X", status),
                        LogText.escape(p.refusal.errorComment()));
            } else {
                LOG.warn("Refused {} of {} from {} ({}): status {} - {}", operation(field),
                        Uids.forLog(p.command.getString(DimseCommand.AFFECTED_SOP_INSTANCE_UID)),
                        LogText.escape(request.callingAeTitle()), peer, String.format("%04X", status),
                        LogText.escape(p.refusal.errorComment()));
            }
            response = p.service == null ? DimseCommand.response(p.command, status)
                    : p.service.response(p.command, status, p.refusal.errorComment());
        } else {
            c[0]++;
            dataSetBytes.merge(field, p.size, Long::sum);
            response = p.service.response(p.command, status, null);
        }
        writer.writeCommand(p.pcid, response.encode());
    }

    private static String operation(int commandField) {
        return switch (commandField) {
            case DimseCommand.C_STORE_RQ -> "C-STORE";
            case DimseCommand.C_ECHO_RQ -> "C-ECHO";
            case DimseCommand.N_EVENT_REPORT_RQ -> "N-EVENT-REPORT";
            case DimseCommand.N_ACTION_RQ -> "N-ACTION";
            default -> "DIMSE command 0x" + Integer.toHexString(commandField);
        };
    }

    /** The association ended mid-transfer: the service releases what it started (nothing reaches a final name). */
    private void abandonPending() {
        Pending p = pending;
        pending = null;
        if (p != null && p.receiving()) {
            p.receiver.abandon();
        }
    }

    private void abortQuietly(int source, int reason) {
        try {
            if (out != null) {
                Pdu.writeAbort(out, source, reason);
            }
        } catch (IOException ignored) {
            // the peer may already be gone
        }
    }

    /** Called from another thread at shutdown. */
    void abort() {
        abortQuietly(0, 0);
        DicomServer.closeQuietly(socket);
    }
}
