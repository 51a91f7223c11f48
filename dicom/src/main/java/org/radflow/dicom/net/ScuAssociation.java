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

/** An outbound association (association requestor, SCU role) for C-ECHO and C-STORE. */
public final class ScuAssociation implements Closeable {

    /** Where to connect and how long to wait. */
    public record Settings(String callingAeTitle, String calledAeTitle, String host, int port, Duration connectTimeout,
                           Duration responseTimeout, int maxPduLength) {
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

    private DimseCommand readResponse(int messageId) throws IOException {
        ByteArrayOutputStream command = new ByteArrayOutputStream(256);
        while (true) {
            Pdu.Header h = Pdu.readHeader(in);
            if (h.type() == Pdu.A_ABORT) {
                open = false;
                throw new IOException(description + " aborted the association");
            }
            if (h.type() != Pdu.P_DATA_TF) {
                throw new DicomProtocolException(description + " sent PDU type 0x" + Integer.toHexString(h.type())
                        + " while a response was expected");
            }
            byte[] b = Pdu.readBody(in, h, 1 << 22);
            int p = 0;
            while (p + 6 <= b.length) {
                int len = Pdu.readIntBE(b, p);
                if (len < 2 || p + 4 + len > b.length) {
                    throw new DicomProtocolException(description + " sent a malformed PDV");
                }
                int control = b[p + 5] & 0xff;
                if ((control & 1) != 0) {
                    command.write(b, p + 6, len - 2);
                    if ((control & 2) != 0) {
                        DimseCommand rsp = DimseCommand.decode(command.toByteArray());
                        if (rsp.getInt(DimseCommand.MESSAGE_ID_BEING_RESPONDED_TO, -1) != messageId) {
                            throw new DicomProtocolException(description + " answered message "
                                    + rsp.getInt(DimseCommand.MESSAGE_ID_BEING_RESPONDED_TO, -1) + ", expected " + messageId);
                        }
                        return rsp;
                    }
                }
                p += 4 + len;
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
