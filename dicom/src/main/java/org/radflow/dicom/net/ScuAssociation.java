package org.radflow.dicom.net;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** An outbound association (association requestor, SCU role) for C-ECHO, C-STORE and storage commitment requests. */
public final class ScuAssociation implements Closeable {

    /**
     * Where to connect and how long to wait.
     *
     * @param tls DICOM TLS for this peer (handshake right after the connect, before the A-ASSOCIATE-RQ); null: plain TCP
     */
    public record Settings(String callingAeTitle, String calledAeTitle, String host, int port, Duration connectTimeout,
                           Duration responseTimeout, int maxPduLength, DicomTls tls) {

        /** Plain TCP. */
        public Settings(String callingAeTitle, String calledAeTitle, String host, int port, Duration connectTimeout,
                        Duration responseTimeout, int maxPduLength) {
            this(callingAeTitle, calledAeTitle, host, port, connectTimeout, responseTimeout, maxPduLength, null);
        }
    }

    /** The TLS handshake with the peer failed; the message says why in a sentence (see {@link DicomTls#describe}). */
    public static final class TlsHandshakeException extends IOException {
        private static final long serialVersionUID = 1L;

        TlsHandshakeException(String message, IOException cause) {
            super(message, cause);
        }
    }

    /** One accepted presentation context. */
    public record Context(int id, String abstractSyntax, String transferSyntax) {
    }

    /** The C-STORE response: status and error comment (null when none). */
    public record StoreResponse(int status, String errorComment) {
        public boolean ok() {
            return DimseCommand.isSuccessOrWarning(status);
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final PDataWriter writer;
    private final Map<Integer, Context> accepted = new HashMap<>();
    private final String description;
    private int nextMessageId = 1;
    private boolean open = true;

    private ScuAssociation(Socket socket, InputStream in, OutputStream out, AssociateAccept ac,
                           List<AssociateRequest.Proposal> proposals, String description) {
        this.socket = socket;
        this.in = in;
        this.out = out;
        this.writer = new PDataWriter(out, ac.maxPduLength());
        this.description = description;
        Map<Integer, String> abstracts = new HashMap<>();
        proposals.forEach(p -> abstracts.put(p.id(), p.abstractSyntax()));
        for (AssociateAccept.Result r : ac.presentationContexts()) {
            if (r.accepted() && abstracts.containsKey(r.id())) {
                accepted.put(r.id(), new Context(r.id(), abstracts.get(r.id()), r.transferSyntax()));
            }
        }
    }

    /**
     * Connects, sets TCP no-delay (DCMTK-based peers otherwise stall ~40 ms per message) and negotiates.
     *
     * @throws AssociationRejectedException when the peer answers A-ASSOCIATE-RJ
     */
    public static ScuAssociation open(Settings s, List<AssociateRequest.Proposal> proposals) throws IOException {
        if (proposals.isEmpty() || proposals.size() > 128) {
            throw new IllegalArgumentException("between 1 and 128 presentation contexts can be proposed, not " + proposals.size());
        }
        String description = s.calledAeTitle() + "@" + s.host() + ":" + s.port();
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(s.host(), s.port()), (int) s.connectTimeout().toMillis());
            socket.setSoTimeout((int) s.responseTimeout().toMillis());
            if (s.tls() != null) {
                try {
                    socket = s.tls().handshake(socket, s.host(), s.port());
                } catch (IOException e) {
                    throw new TlsHandshakeException("TLS handshake with " + description + " failed: " + DicomTls.describe(e), e);
                }
            }
            InputStream in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
            new AssociateRequest(1, s.calledAeTitle(), s.callingAeTitle(), org.radflow.dicom.Uids.APPLICATION_CONTEXT,
                    proposals, s.maxPduLength(), Pdu.IMPLEMENTATION_CLASS_UID, Pdu.IMPLEMENTATION_VERSION_NAME).write(out);
            Pdu.Header h = Pdu.readHeader(in);
            switch (h.type()) {
                case Pdu.A_ASSOCIATE_AC -> {
                    AssociateAccept ac = AssociateAccept.parse(Pdu.readBody(in, h, Pdu.MAX_CONTROL_PDU));
                    return new ScuAssociation(socket, in, out, ac, proposals, description);
                }
                case Pdu.A_ASSOCIATE_RJ -> {
                    byte[] b = Pdu.readBody(in, h, 64);
                    throw new AssociationRejectedException(b[1] & 0xff, b[2] & 0xff, b[3] & 0xff);
                }
                case Pdu.A_ABORT -> throw new IOException(description + " aborted the association request");
                default -> throw new DicomProtocolException(description + " answered the association request with PDU type 0x"
                        + Integer.toHexString(h.type()));
            }
        } catch (javax.net.ssl.SSLException | java.net.SocketException | java.io.EOFException e) {
            socket.close();
            if (s.tls() == null) {
                throw e;
            }
            // TLS 1.3: a server that refuses our certificate (or its absence) does so after our side of the handshake is
            // done, with an alert or, when the alert is lost in the race with our A-ASSOCIATE-RQ, a closed connection
            throw new TlsHandshakeException("TLS with " + description + " failed: " + DicomTls.describe(e), e);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    public Map<Integer, Context> acceptedContexts() {
        return Map.copyOf(accepted);
    }

    /** An accepted context for this SOP class in exactly this transfer syntax. */
    public Optional<Context> find(String abstractSyntax, String transferSyntax) {
        return accepted.values().stream()
                .filter(c -> c.abstractSyntax().equals(abstractSyntax) && c.transferSyntax().equals(transferSyntax))
                .findFirst();
    }

    public List<Context> contextsFor(String abstractSyntax) {
        return accepted.values().stream().filter(c -> c.abstractSyntax().equals(abstractSyntax)).toList();
    }

    public int echo() throws IOException {
        Context c = accepted.values().stream().filter(x -> x.abstractSyntax().equals(org.radflow.dicom.Uids.VERIFICATION))
                .findFirst().orElseThrow(() -> new IOException(description + " did not accept the Verification SOP class"));
        int id = nextMessageId++;
        writer.writeCommand(c.id(), new DimseCommand()
                .set(DimseCommand.AFFECTED_SOP_CLASS_UID, org.radflow.dicom.Uids.VERIFICATION)
                .set(DimseCommand.COMMAND_FIELD, DimseCommand.C_ECHO_RQ)
                .set(DimseCommand.MESSAGE_ID, id)
                .set(DimseCommand.COMMAND_DATA_SET_TYPE, DimseCommand.NO_DATA_SET).encode());
        return readResponse(id).getInt(DimseCommand.STATUS, -1);
    }

    /** Sends one C-STORE whose data set (already in the context's transfer syntax) is read from {@code dataSet}. */
    public StoreResponse store(Context c, String sopInstanceUid, InputStream dataSet, long length) throws IOException {
        int id = nextMessageId++;
        writer.writeCommand(c.id(), new DimseCommand()
                .set(DimseCommand.AFFECTED_SOP_CLASS_UID, c.abstractSyntax())
                .set(DimseCommand.COMMAND_FIELD, DimseCommand.C_STORE_RQ)
                .set(DimseCommand.MESSAGE_ID, id)
                .set(DimseCommand.PRIORITY, 0)
                .set(DimseCommand.COMMAND_DATA_SET_TYPE, DimseCommand.DATA_SET_PRESENT)
                .set(DimseCommand.AFFECTED_SOP_INSTANCE_UID, sopInstanceUid).encode());
        writer.writeData(c.id(), dataSet, length);
        DimseCommand rsp = readResponse(id);
        return new StoreResponse(rsp.getInt(DimseCommand.STATUS, -1), rsp.getString(DimseCommand.ERROR_COMMENT));
    }

    /**
     * Sends a storage commitment request (N-ACTION-RQ, PS3.4 J.3.2) for these objects and returns the
     * N-ACTION-RSP status: success means the PACS took the request, not that anything is committed yet.
     */
    public StoreResponse requestCommitment(String transactionUid, List<StorageCommitment.Reference> references) throws IOException {
        Context c = contextsFor(StorageCommitment.SOP_CLASS_UID).stream().findFirst()
                .orElseThrow(() -> new IOException(description + " did not accept the Storage Commitment Push Model SOP class"));
        byte[] data = StorageCommitment.encodeRequest(transactionUid, references, c.transferSyntax());
        int id = nextMessageId++;
        writer.writeCommand(c.id(), DimseCommand.nActionRequest(id, StorageCommitment.SOP_CLASS_UID,
                StorageCommitment.SOP_INSTANCE_UID, StorageCommitment.ACTION_REQUEST).encode());
        writer.writeData(c.id(), new java.io.ByteArrayInputStream(data), data.length);
        DimseCommand rsp = readResponse(id);
        if (rsp.commandField() != DimseCommand.N_ACTION_RSP) {
            throw new DicomProtocolException(description + " answered the N-ACTION with command 0x"
                    + Integer.toHexString(rsp.commandField()));
        }
        return new StoreResponse(rsp.getInt(DimseCommand.STATUS, -1), rsp.getString(DimseCommand.ERROR_COMMENT));
    }

    /**
     * Waits up to {@code timeout} for an N-EVENT-REPORT on this association (an SCP may report on the same
     * association, PS3.4 J.3.3), answers it and returns it; empty when none came in time. A report that
     * cannot be read is answered with a failure status and thrown.
     */
    public Optional<StorageCommitment.Report> awaitCommitmentReport(Duration timeout) throws IOException {
        int previous = socket.getSoTimeout();
        Message m;
        try {
            socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
            m = readMessage();
        } catch (java.net.SocketTimeoutException e) {
            return Optional.empty();
        } finally {
            if (!socket.isClosed()) {
                socket.setSoTimeout(previous);
            }
        }
        DimseCommand rq = m.command();
        if (rq.commandField() != DimseCommand.N_EVENT_REPORT_RQ) {
            throw new DicomProtocolException(description + " sent command 0x" + Integer.toHexString(rq.commandField())
                    + " while a storage commitment report was awaited");
        }
        Context c = accepted.get(m.pcid());
        try {
            if (c == null || !StorageCommitment.SOP_CLASS_UID.equals(c.abstractSyntax())
                    || !StorageCommitment.SOP_CLASS_UID.equals(rq.getString(DimseCommand.AFFECTED_SOP_CLASS_UID))) {
                throw new DicomServiceException(0x0118, "N-EVENT-REPORT is awaited only for Storage Commitment Push Model");
            }
            StorageCommitment.Report report = StorageCommitment.decodeReport(m.data(), c.transferSyntax());
            writer.writeCommand(m.pcid(), DimseCommand.nEventReportResponse(rq, DimseCommand.STATUS_SUCCESS).encode());
            return Optional.of(report);
        } catch (DicomServiceException e) {
            writer.writeCommand(m.pcid(), DimseCommand.nEventReportResponse(rq, e.status()).encode());
            throw new DicomProtocolException(description + " sent an unusable storage commitment report: " + e.errorComment());
        }
    }

    /** One complete incoming message: its presentation context, command and data set (empty when none). */
    private record Message(int pcid, DimseCommand command, byte[] data) {
    }

    private DimseCommand readResponse(int messageId) throws IOException {
        Message m = readMessage();
        DimseCommand rsp = m.command();
        if ((rsp.commandField() & 0x8000) == 0) {
            throw new DicomProtocolException(description + " sent a request (command 0x" + Integer.toHexString(rsp.commandField())
                    + ") while the response to message " + messageId + " was expected");
        }
        if (rsp.getInt(DimseCommand.MESSAGE_ID_BEING_RESPONDED_TO, -1) != messageId) {
            throw new DicomProtocolException(description + " answered message "
                    + rsp.getInt(DimseCommand.MESSAGE_ID_BEING_RESPONDED_TO, -1) + ", expected " + messageId);
        }
        return rsp;
    }

    /** One received PDV, copied out of its PDU. */
    private record Pdv(int pcid, boolean command, boolean last, byte[] value) {
    }

    /** PDVs read but not consumed yet: one P-DATA-TF may carry the end of one message and the start of the next. */
    private final java.util.ArrayDeque<Pdv> unread = new java.util.ArrayDeque<>();

    private Pdv nextPdv() throws IOException {
        while (unread.isEmpty()) {
            Pdu.Header h = Pdu.readHeader(in);
            if (h.type() == Pdu.A_ABORT) {
                open = false;
                throw new IOException(description + " aborted the association");
            }
            if (h.type() != Pdu.P_DATA_TF) {
                throw new DicomProtocolException(description + " sent PDU type 0x" + Integer.toHexString(h.type())
                        + " while a message was expected");
            }
            byte[] b = Pdu.readBody(in, h, 1 << 22);
            Pdu.forEachPdv(b, b.length, (id, isCommand, last, v, off, len) ->
                    unread.add(new Pdv(id, isCommand, last, java.util.Arrays.copyOfRange(v, off, off + len))));
        }
        return unread.poll();
    }

    /** Reads until one whole message (command, then its data set if it has one) is in. */
    private Message readMessage() throws IOException {
        ByteArrayOutputStream command = new ByteArrayOutputStream(256);
        ByteArrayOutputStream data = new ByteArrayOutputStream(0);
        DimseCommand cmd = null;
        int pcid = -1;
        while (true) {
            Pdv p = nextPdv();
            if (p.command()) {
                if (cmd != null) {
                    throw new DicomProtocolException(description + " sent a command before the data set of the previous one");
                }
                if (command.size() + p.value().length > 1 << 16) {
                    throw new DicomProtocolException(description + " sent a command set over 64 KiB");
                }
                command.writeBytes(p.value());
                pcid = p.pcid();
                if (p.last()) {
                    cmd = DimseCommand.decode(command.toByteArray());
                    if (!cmd.hasDataSet()) {
                        return new Message(pcid, cmd, new byte[0]);
                    }
                }
            } else {
                if (cmd == null || p.pcid() != pcid) {
                    throw new DicomProtocolException(description + " sent a data set fragment without its command");
                }
                if (data.size() + p.value().length > StorageCommitmentReportService.MAX_DATA_SET_BYTES) {
                    throw new DicomProtocolException(description + " sent a data set over "
                            + (StorageCommitmentReportService.MAX_DATA_SET_BYTES >> 20) + " MiB");
                }
                data.writeBytes(p.value());
                if (p.last()) {
                    return new Message(pcid, cmd, data.toByteArray());
                }
            }
        }
    }

    /** Orderly release; falls back to closing the socket if the peer does not answer. */
    public void release() throws IOException {
        if (!open) {
            return;
        }
        open = false;
        try {
            Pdu.writeReleaseRq(out);
            Pdu.Header h = Pdu.readHeader(in);
            Pdu.readBody(in, h, 1 << 22);
        } finally {
            socket.close();
        }
    }

    public void abort() {
        open = false;
        try {
            Pdu.writeAbort(out, 0, 0);
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing more to do
        }
    }

    @Override
    public void close() throws IOException {
        if (open) {
            release();
        } else {
            socket.close();
        }
    }

    public String description() {
        return description;
    }
}
