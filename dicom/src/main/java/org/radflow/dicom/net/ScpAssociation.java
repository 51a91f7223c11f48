package org.radflow.listener;

import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.SOPClass;
import org.radflow.dicom.DataSetCheck;
import org.radflow.dicom.Part10;
import org.radflow.dicom.Uids;
import org.radflow.dicom.net.AssociateAccept;
import org.radflow.dicom.net.AssociateRequest;
import org.radflow.dicom.net.DicomProtocolException;
import org.radflow.dicom.net.DimseCommand;
import org.radflow.dicom.net.PDataWriter;
import org.radflow.dicom.net.Pdu;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One inbound association: negotiation, then C-ECHO and C-STORE requests until release or abort.
 *
 * <p>Why not PixelMed's {@code StorageSOPClassSCP}: it always answers Success, decides the file
 * name from the command's SOP Instance UID before the data set is seen, and cannot refuse an
 * association by calling AE title. RadFlow needs to answer A700/C000 with a reason, reject at
 * association time, and acknowledge only what is durable, so the upper layer is RadFlow's own
 * (PS3.8) while PixelMed still reads every data set.
 */
final class ScpAssociation {

    private static final Logger LOG = LoggerFactory.getLogger(ScpAssociation.class);
    private static final int MAX_COMMAND_BYTES = 64 * 1024;
    /** How much of each data set is kept in memory for the check after writing (headers are usually far smaller). */
    private static final int PREFIX_BYTES = 64 * 1024;

    private final Socket socket;
    private final ListenerSettings settings;
    private final Spool spool;
    private final InstanceSink sink;
    private final boolean overLimit;
    private final String peer;

    private InputStream in;
    private OutputStream out;
    private PDataWriter writer;
    private AssociateRequest request;
    private final Map<Integer, AssociateAccept.Result> accepted = new HashMap<>();
    private final Map<Integer, String> abstractSyntaxes = new HashMap<>();

    private final byte[] prefix = new byte[PREFIX_BYTES];
    private final ByteArrayOutputStream commandBuffer = new ByteArrayOutputStream(512);
    private DimseCommand storeRequest;
    private int storePcid;
    private Incoming incoming;

    private int stored;
    private int refused;
    private long bytes;

    ScpAssociation(Socket socket, ListenerSettings settings, Spool spool, InstanceSink sink, boolean overLimit) {
        this.socket = socket;
        this.settings = settings;
        this.spool = spool;
        this.sink = sink;
        this.overLimit = overLimit;
        this.peer = socket.getInetAddress().getHostAddress() + ":" + socket.getPort();
    }

    /** The data set of the C-STORE being received: where it goes, or why it is being discarded. */
    private static final class Incoming {
        final Path temp;
        final OutputStream stream;
        final FileOutputStream file;
        int status;
        String reason;
        long size;
        long metaLength;

        Incoming(Path temp, FileOutputStream file, OutputStream stream) {
            this.temp = temp;
            this.file = file;
            this.stream = stream;
        }

        static Incoming discard(int status, String reason) {
            Incoming i = new Incoming(null, null, null);
            i.status = status;
            i.reason = reason;
            return i;
        }

        boolean writing() {
            return stream != null && reason == null;
        }
    }

    AssociationSummary run() {
        Instant start = Instant.now();
        String outcome = "released";
        try {
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, settings.idleTimeout().toMillis()));
            in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
            out = new BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
            if (!negotiate()) {
                return null;
            }
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
                        return summary(start, outcome);
                    }
                    case Pdu.A_ABORT -> {
                        Pdu.readBody(in, h, 64);
                        outcome = "aborted by peer";
                        return summary(start, outcome);
                    }
                    default -> throw new DicomProtocolException("unexpected PDU type 0x" + Integer.toHexString(h.type())
                            + " during an established association");
                }
            }
        } catch (SocketTimeoutException e) {
            outcome = "aborted: idle for " + settings.idleTimeout().toSeconds() + " s";
            abortQuietly(2, 0);
            return summary(start, outcome);
        } catch (DicomProtocolException e) {
            outcome = "aborted: protocol error: " + e.getMessage();
            abortQuietly(2, 2);
            return summary(start, outcome);
        } catch (EOFException e) {
            outcome = "connection closed by peer without release";
            return summary(start, outcome);
        } catch (IOException e) {
            outcome = "connection lost: " + e.getMessage();
            return summary(start, outcome);
        } catch (RuntimeException e) {
            LOG.error("Unexpected error on association from {}", peer, e);
            outcome = "aborted: internal error " + e;
            abortQuietly(2, 0);
            return summary(start, outcome);
        } finally {
            discardIncoming();
            StoreScp.closeQuietly(socket);
        }
    }

    private AssociationSummary summary(Instant start, String outcome) {
        AssociationSummary s = new AssociationSummary(request == null ? "" : request.callingAeTitle(),
                request == null ? "" : request.calledAeTitle(), peer, stored, refused, bytes,
                Duration.between(start, Instant.now()), outcome);
        LOG.info("Association {} -> {} from {}: {} stored, {} refused, {} bytes in {} ms ({})", s.callingAeTitle(),
                s.calledAeTitle(), peer, stored, refused, bytes, s.duration().toMillis(), outcome);
        return s;
    }

    /** Reads the A-ASSOCIATE-RQ and answers it; false when rejected. */
    private boolean negotiate() throws IOException {
        Pdu.Header h = Pdu.readHeader(in);
        if (h.type() != Pdu.A_ASSOCIATE_RQ) {
            throw new DicomProtocolException("expected A-ASSOCIATE-RQ, got PDU type 0x" + Integer.toHexString(h.type()));
        }
        request = AssociateRequest.parse(Pdu.readBody(in, h, 1 << 20));
        String calling = request.callingAeTitle();
        if (overLimit) {
            LOG.warn("Rejected association from {} ({}): already {} associations open (listener.maxAssociations)",
                    calling, peer, settings.maxAssociations());
            Pdu.writeReject(out, Pdu.RJ_TRANSIENT, Pdu.RJ_SOURCE_PROVIDER_PRESENTATION, Pdu.RJ_PRESENTATION_LOCAL_LIMIT_EXCEEDED);
            return false;
        }
        if ((request.protocolVersion() & 1) == 0) {
            LOG.warn("Rejected association from {} ({}): unsupported protocol version {}", calling, peer, request.protocolVersion());
            Pdu.writeReject(out, Pdu.RJ_PERMANENT, Pdu.RJ_SOURCE_PROVIDER_ACSE, Pdu.RJ_ACSE_PROTOCOL_VERSION_NOT_SUPPORTED);
            return false;
        }
        if (!org.radflow.dicom.Uids.APPLICATION_CONTEXT.equals(request.applicationContext())) {
            LOG.warn("Rejected association from {} ({}): application context {} is not DICOM's", calling, peer,
                    Uids.forLog(request.applicationContext()));
            Pdu.writeReject(out, Pdu.RJ_PERMANENT, Pdu.RJ_SOURCE_USER, Pdu.RJ_USER_APPLICATION_CONTEXT_NOT_SUPPORTED);
            return false;
        }
        if (settings.checkCalledAeTitle() && !settings.aeTitle().equals(request.calledAeTitle())) {
            LOG.warn("Rejected association from {} ({}): called AE title '{}' is not ours ('{}'); set listener.aeTitle or "
                    + "listener.checkCalledAeTitle: false", calling, peer, request.calledAeTitle(), settings.aeTitle());
            Pdu.writeReject(out, Pdu.RJ_PERMANENT, Pdu.RJ_SOURCE_USER, Pdu.RJ_USER_CALLED_AE_NOT_RECOGNIZED);
            return false;
        }
        if (!settings.allowedCallingAeTitles().isEmpty() && !settings.allowedCallingAeTitles().contains(calling)) {
            LOG.warn("Rejected association from {} ({}): calling AE title not in listener.allowedCallingAeTitles", calling, peer);
            Pdu.writeReject(out, Pdu.RJ_PERMANENT, Pdu.RJ_SOURCE_USER, Pdu.RJ_USER_CALLING_AE_NOT_RECOGNIZED);
            return false;
        }
        List<AssociateAccept.Result> results = new ArrayList<>();
        for (AssociateRequest.Proposal pc : request.presentationContexts()) {
            AssociateAccept.Result r = answer(pc);
            results.add(r);
            if (r.accepted()) {
                accepted.put(pc.id(), r);
                abstractSyntaxes.put(pc.id(), pc.abstractSyntax());
            }
        }
        new AssociateAccept(request.calledAeTitle(), calling, results, settings.maxPduLength(),
                Pdu.IMPLEMENTATION_CLASS_UID, Pdu.IMPLEMENTATION_VERSION_NAME).write(out);
        LOG.debug("Accepted association from {} ({}): {} of {} presentation contexts", calling, peer, accepted.size(),
                results.size());
        return true;
    }

    private AssociateAccept.Result answer(AssociateRequest.Proposal pc) {
        if (!isAcceptedAbstractSyntax(pc.abstractSyntax())) {
            return new AssociateAccept.Result(pc.id(), Pdu.PC_ABSTRACT_SYNTAX_NOT_SUPPORTED, null);
        }
        for (String ts : pc.transferSyntaxes()) {
            // the requestor's order: the first proposed is usually the file's own encoding, stored as received
            if (settings.transferSyntaxes().contains(ts)) {
                return new AssociateAccept.Result(pc.id(), Pdu.PC_ACCEPTANCE, ts);
            }
        }
        return new AssociateAccept.Result(pc.id(), Pdu.PC_TRANSFER_SYNTAXES_NOT_SUPPORTED, null);
    }

    /** Verification, every standard storage SOP class, and private (non-DICOM-root) SOP classes, which are storage in practice. */
    static boolean isAcceptedAbstractSyntax(String uid) {
        if (uid.equals(Uids.VERIFICATION)) {
            return true;
        }
        if (!Uids.isValid(uid)) {
            return false;
        }
        if (uid.startsWith("1.2.840.10008.5.1.4.1.1.") || SOPClass.isStorage(uid)) {
            return true;
        }
        return !uid.startsWith("1.2.840.10008.");
    }

    private void onPData(byte[] b, int length) throws IOException {
        int p = 0;
        while (p < length) {
            if (p + 6 > length) {
                throw new DicomProtocolException("truncated PDV item");
            }
            int itemLength = Pdu.readIntBE(b, p);
            if (itemLength < 2 || p + 4 + itemLength > length) {
                throw new DicomProtocolException("PDV item length " + itemLength + " does not fit its PDU");
            }
            int pcid = b[p + 4] & 0xff;
            int control = b[p + 5] & 0xff;
            boolean command = (control & 1) != 0;
            boolean last = (control & 2) != 0;
            int off = p + 6;
            int len = itemLength - 2;
            if (!accepted.containsKey(pcid)) {
                throw new DicomProtocolException("PDV on presentation context " + pcid + ", which was not accepted");
            }
            if (command) {
                onCommandFragment(pcid, b, off, len, last);
            } else {
                onDataFragment(pcid, b, off, len, last);
            }
            p += 4 + itemLength;
        }
    }

    private void onCommandFragment(int pcid, byte[] b, int off, int len, boolean last) throws IOException {
        if (storeRequest != null) {
            throw new DicomProtocolException("a command arrived before the previous C-STORE's data set was complete");
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
        switch (cmd.commandField()) {
            case DimseCommand.C_ECHO_RQ -> writer.writeCommand(pcid, DimseCommand.cEchoResponse(cmd).encode());
            case DimseCommand.C_STORE_RQ -> beginStore(pcid, cmd);
            default -> {
                LOG.warn("Refusing unsupported DIMSE command 0x{} from {} ({})", Integer.toHexString(cmd.commandField()),
                        request.callingAeTitle(), peer);
                if (cmd.hasDataSet()) {
                    // consume and drop the data set, then answer
                    storeRequest = cmd;
                    storePcid = pcid;
                    incoming = Incoming.discard(DimseCommand.STATUS_UNRECOGNIZED_OPERATION, "unsupported operation");
                } else {
                    writer.writeCommand(pcid, DimseCommand.response(cmd, DimseCommand.STATUS_UNRECOGNIZED_OPERATION).encode());
                }
            }
        }
    }

    private void beginStore(int pcid, DimseCommand cmd) throws IOException {
        String sopClass = cmd.getString(DimseCommand.AFFECTED_SOP_CLASS_UID);
        String sopInstance = cmd.getString(DimseCommand.AFFECTED_SOP_INSTANCE_UID);
        if (!cmd.hasDataSet()) {
            refuse(pcid, cmd, DimseCommand.STATUS_CANNOT_UNDERSTAND, "C-STORE without a data set");
            return;
        }
        storeRequest = cmd;
        storePcid = pcid;
        String problem = Uids.problem(sopInstance);
        if (problem != null) {
            incoming = Incoming.discard(DimseCommand.STATUS_CANNOT_UNDERSTAND,
                    "Affected SOP Instance UID " + Uids.forLog(sopInstance) + " is " + problem);
            return;
        }
        if (sopClass == null || !sopClass.equals(abstractSyntaxes.get(pcid))) {
            incoming = Incoming.discard(DimseCommand.STATUS_DATA_SET_DOES_NOT_MATCH_SOP_CLASS,
                    "SOP Class " + Uids.forLog(sopClass) + " does not match the presentation context");
            return;
        }
        if (!spool.hasRoom()) {
            incoming = Incoming.discard(DimseCommand.STATUS_OUT_OF_RESOURCES, "spool free space "
                    + spool.freeSpaceBytes() / (1024 * 1024) + " MB is below listener.minFreeSpaceMb "
                    + spool.minFreeSpaceBytes() / (1024 * 1024) + " MB");
            return;
        }
        Path temp = spool.newTempFile();
        FileOutputStream file = new FileOutputStream(temp.toFile());
        // unbuffered: each PDV (up to maxPduLength) is one write, so the disk keeps pace with the network
        // and little is left to write when the last fragment arrives and the peer waits for the answer
        OutputStream stream = file;
        incoming = new Incoming(temp, file, stream);
        try {
            byte[] meta = Part10.fileMetaInformation(sopClass, sopInstance, accepted.get(pcid).transferSyntax(),
                    request.callingAeTitle());
            incoming.metaLength = meta.length;
            stream.write(meta);
        } catch (IOException e) {
            failIncoming(e);
        }
    }

    private void onDataFragment(int pcid, byte[] b, int off, int len, boolean last) throws IOException {
        if (storeRequest == null || incoming == null) {
            throw new DicomProtocolException("data set fragment without a C-STORE request");
        }
        if (pcid != storePcid) {
            throw new DicomProtocolException("data set fragment on presentation context " + pcid + ", command was on " + storePcid);
        }
        if (incoming.writing()) {
            if (incoming.size < PREFIX_BYTES) {
                System.arraycopy(b, off, prefix, (int) incoming.size, (int) Math.min(len, PREFIX_BYTES - incoming.size));
            }
            try {
                incoming.stream.write(b, off, len);
            } catch (IOException e) {
                failIncoming(e);
            }
        }
        incoming.size += len;
        if (last) {
            finishStore();
        }
    }

    /** Disk trouble while writing: keep reading the data set, then answer "out of resources". */
    private void failIncoming(IOException e) {
        LOG.error("Writing {} to the spool failed: {}", incoming.temp, e.toString());
        incoming.status = DimseCommand.STATUS_OUT_OF_RESOURCES;
        incoming.reason = "spool write failed: " + e.getMessage();
        closeAndDelete(incoming);
    }

    private void finishStore() throws IOException {
        DimseCommand rq = storeRequest;
        int pcid = storePcid;
        Incoming inc = incoming;
        storeRequest = null;
        incoming = null;
        if (inc.writing()) {
            try {
                inc.stream.flush();
                if (spool.fsync()) {
                    inc.file.getChannel().force(false);
                }
                inc.stream.close();
                commit(rq, pcid, inc);
            } catch (IOException e) {
                inc.status = DimseCommand.STATUS_OUT_OF_RESOURCES;
                inc.reason = "spool write failed: " + e.getMessage();
                LOG.error("Storing instance {} failed: {}", Uids.forLog(rq.getString(DimseCommand.AFFECTED_SOP_INSTANCE_UID)),
                        e.toString());
                closeAndDelete(inc);
            }
        }
        if (inc.reason != null) {
            refused++;
            LOG.warn("Refused C-STORE of {} from {} ({}): status {} - {}",
                    Uids.forLog(rq.getString(DimseCommand.AFFECTED_SOP_INSTANCE_UID)), request.callingAeTitle(), peer,
                    String.format("%04X", inc.status), inc.reason);
            if (rq.commandField() == DimseCommand.C_STORE_RQ) {
                writer.writeCommand(pcid, DimseCommand.cStoreResponse(rq, inc.status, inc.reason).encode());
            } else {
                writer.writeCommand(pcid, DimseCommand.response(rq, inc.status).encode());
            }
            return;
        }
        stored++;
        bytes += inc.size;
        writer.writeCommand(pcid, DimseCommand.cStoreResponse(rq, DimseCommand.STATUS_SUCCESS, null).encode());
    }

    /** Checks the received data set and renames it into the spool; on refusal sets the status and reason. */
    private void commit(DimseCommand rq, int pcid, Incoming inc) throws IOException {
        String sopInstance = rq.getString(DimseCommand.AFFECTED_SOP_INSTANCE_UID);
        Part10.Header header;
        try {
            try (PrefixedFileStream in = new PrefixedFileStream(prefix, (int) Math.min(inc.size, PREFIX_BYTES), inc.temp,
                    inc.metaLength, inc.size)) {
                header = DataSetCheck.verify(in, accepted.get(pcid).transferSyntax());
            }
        } catch (DicomException | IOException | RuntimeException e) {
            refuseIncoming(inc, DimseCommand.STATUS_CANNOT_UNDERSTAND, "malformed data set: " + e.getMessage());
            return;
        }
        if (!sopInstance.equals(header.sopInstanceUid())) {
            refuseIncoming(inc, DimseCommand.STATUS_DATA_SET_DOES_NOT_MATCH_SOP_CLASS, "SOP Instance UID in the data set "
                    + Uids.forLog(header.sopInstanceUid()) + " differs from the command's");
            return;
        }
        String studyProblem = Uids.problem(header.studyInstanceUid());
        if (studyProblem != null) {
            refuseIncoming(inc, DimseCommand.STATUS_CANNOT_UNDERSTAND, "Study Instance UID "
                    + Uids.forLog(header.studyInstanceUid()) + " is " + studyProblem);
            return;
        }
        String seriesProblem = Uids.problem(header.seriesInstanceUid());
        if (seriesProblem != null) {
            refuseIncoming(inc, DimseCommand.STATUS_CANNOT_UNDERSTAND, "Series Instance UID "
                    + Uids.forLog(header.seriesInstanceUid()) + " is " + seriesProblem);
            return;
        }
        long size = inc.metaLength + inc.size;
        Path target = spool.commit(inc.temp, header.studyInstanceUid(), header.seriesInstanceUid(), sopInstance);
        sink.stored(new InstanceStored(header.studyInstanceUid(), header.seriesInstanceUid(), sopInstance,
                rq.getString(DimseCommand.AFFECTED_SOP_CLASS_UID), header.modality(), accepted.get(pcid).transferSyntax(),
                request.callingAeTitle(), target, size, Instant.now()));
    }

    private void refuseIncoming(Incoming inc, int status, String reason) {
        inc.status = status;
        inc.reason = reason;
        closeAndDelete(inc);
    }

    private void refuse(int pcid, DimseCommand rq, int status, String reason) throws IOException {
        refused++;
        LOG.warn("Refused C-STORE from {} ({}): {}", request.callingAeTitle(), peer, reason);
        writer.writeCommand(pcid, DimseCommand.cStoreResponse(rq, status, reason).encode());
    }

    private static void closeAndDelete(Incoming inc) {
        if (inc.stream != null) {
            try {
                inc.stream.close();
            } catch (IOException ignored) {
                // the file is deleted next
            }
        }
        if (inc.temp != null) {
            try {
                Files.deleteIfExists(inc.temp);
            } catch (IOException e) {
                LOG.warn("Could not delete partial file {}: {}", inc.temp, e.toString());
            }
        }
    }

    /** The association ended mid-transfer: nothing reaches a final name. */
    private void discardIncoming() {
        if (incoming != null) {
            closeAndDelete(incoming);
            incoming = null;
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
        StoreScp.closeQuietly(socket);
    }
}
