package org.radflow.dispatch;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomOutputStream;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.radflow.dicom.LogText;
import org.radflow.dicom.Part10;
import org.radflow.dicom.TransferSyntaxes;
import org.radflow.dicom.net.AssociateRequest;
import org.radflow.dicom.net.DicomTls;
import org.radflow.dicom.net.DimseCommand;
import org.radflow.dicom.net.ScuAssociation;
import org.radflow.dicom.net.StorageCommitment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * C-STORE SCU to one DICOM destination. A set of files goes over one association (more only when
 * they need over 128 presentation contexts). Each file is proposed in its own transfer syntax plus
 * the uncompressed fallbacks; it is streamed unchanged when its own syntax is accepted, re-encoded
 * only between uncompressed (or deflated) syntaxes, and never decompressed.
 */
public final class CStoreSender implements Sender {

    private static final Logger LOG = LoggerFactory.getLogger(CStoreSender.class);
    private static final List<String> FALLBACK = List.of(TransferSyntaxes.EXPLICIT_VR_LITTLE_ENDIAN,
            TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN);

    /**
     * A DICOM destination.
     *
     * @param commitment        request Storage Commitment (push model) after each batch; objects count as delivered
     *                          only once the destination reports them committed
     * @param commitmentTimeout how long to wait for that report before the objects are sent and requested again
     * @param commitmentWait    how long to keep the association open after the N-ACTION for a report on it (PS3.4 J.3.3
     *                          allows either association; the SCP then opens a new one to our listener)
     * @param tls               DICOM TLS to this destination (its C-STORE and storage commitment association); null: plain
     */
    public record Settings(String calledAeTitle, String host, int port, String callingAeTitle, Duration connectTimeout,
                           Duration responseTimeout, int maxPduLength, boolean commitment, Duration commitmentTimeout,
                           Duration commitmentWait, DicomTls tls) {

        /** Without TLS. */
        public Settings(String calledAeTitle, String host, int port, String callingAeTitle, Duration connectTimeout,
                        Duration responseTimeout, int maxPduLength, boolean commitment, Duration commitmentTimeout,
                        Duration commitmentWait) {
            this(calledAeTitle, host, port, callingAeTitle, connectTimeout, responseTimeout, maxPduLength, commitment,
                    commitmentTimeout, commitmentWait, null);
        }

        public static final Duration DEFAULT_COMMITMENT_TIMEOUT = Duration.ofMinutes(10);
        public static final Duration DEFAULT_COMMITMENT_WAIT = Duration.ofSeconds(1);

        /** Without storage commitment. */
        public Settings(String calledAeTitle, String host, int port, String callingAeTitle, Duration connectTimeout,
                        Duration responseTimeout, int maxPduLength) {
            this(calledAeTitle, host, port, callingAeTitle, connectTimeout, responseTimeout, maxPduLength, false,
                    DEFAULT_COMMITMENT_TIMEOUT, DEFAULT_COMMITMENT_WAIT);
        }

        public static Settings of(String calledAeTitle, String host, int port, String callingAeTitle) {
            return new Settings(calledAeTitle, host, port, callingAeTitle, Duration.ofSeconds(10), Duration.ofSeconds(60), 131072);
        }

        /** The same destination with storage commitment requested. */
        public Settings withCommitment(Duration timeout, Duration wait) {
            return new Settings(calledAeTitle, host, port, callingAeTitle, connectTimeout, responseTimeout, maxPduLength, true,
                    timeout, wait, tls);
        }

        /** The same destination over DICOM TLS (null: plain). */
        public Settings withTls(DicomTls tls) {
            return new Settings(calledAeTitle, host, port, callingAeTitle, connectTimeout, responseTimeout, maxPduLength, commitment,
                    commitmentTimeout, commitmentWait, tls);
        }
    }

    private final Vertx vertx;
    private final String destination;
    private final Settings settings;
    private volatile CommitmentTracker tracker;
    /** The last TLS handshake failure logged at WARN; null after a handshake that worked. */
    private volatile String lastTlsFailure;

    public CStoreSender(Vertx vertx, String destination, Settings settings) {
        this.vertx = vertx;
        this.destination = destination;
        this.settings = settings;
    }

    @Override
    public String destination() {
        return destination;
    }

    @Override
    public Duration commitmentTimeout() {
        return settings.commitment() ? settings.commitmentTimeout() : null;
    }

    @Override
    public void commitmentTracker(CommitmentTracker t) {
        this.tracker = t;
    }

    @Override
    public Future<DeliveryReport> send(List<Path> files) {
        return vertx.executeBlocking(() -> sendBlocking(files), false);
    }

    private record Item(Path file, Part10.Meta meta) {
    }

    /** Sends on the calling thread; throws only when the destination cannot be reached or refuses the association. */
    public DeliveryReport sendBlocking(List<Path> files) throws IOException {
        List<InstanceOutcome> outcomes = new ArrayList<>();
        List<Item> items = new ArrayList<>();
        for (Path f : files) {
            try {
                items.add(new Item(f, Part10.readMeta(f)));
            } catch (DicomException | IOException e) {
                outcomes.add(InstanceOutcome.failed(null, f, -1, "cannot read file: " + e.getMessage()));
            }
        }
        List<StorageCommitment.Report> reports = new ArrayList<>();
        // with storage commitment one presentation context is kept for it
        for (List<Item> batch : batches(items, settings.commitment() ? 127 : 128)) {
            outcomes.addAll(sendBatch(batch, reports));
        }
        DeliveryReport report = new DeliveryReport(destination, outcomes, reports);
        LOG.info("C-STORE to {} ({}@{}:{}{}): {} of {} instance(s) stored{}", destination, settings.calledAeTitle(), settings.host(),
                settings.port(), settings.tls() == null ? "" : ", TLS", outcomes.size() - report.failures().size(), outcomes.size(),
                settings.commitment() ? ", storage commitment requested" : "");
        return report;
    }

    /** Groups files so that no association needs more than 128 presentation contexts. */
    private static List<List<Item>> batches(List<Item> items, int maxContexts) {
        List<List<Item>> batches = new ArrayList<>();
        List<Item> current = new ArrayList<>();
        Set<String> contexts = new LinkedHashSet<>();
        for (Item it : items) {
            Set<String> needed = new LinkedHashSet<>(contextKeys(it.meta()));
            needed.removeAll(contexts);
            if (contexts.size() + needed.size() > maxContexts && !current.isEmpty()) {
                batches.add(current);
                current = new ArrayList<>();
                contexts.clear();
                needed = new LinkedHashSet<>(contextKeys(it.meta()));
            }
            contexts.addAll(needed);
            current.add(it);
        }
        if (!current.isEmpty()) {
            batches.add(current);
        }
        return batches;
    }

    private static List<String> contextKeys(Part10.Meta m) {
        List<String> keys = new ArrayList<>();
        keys.add(m.sopClassUid() + "|*");
        if (!FALLBACK.contains(m.transferSyntaxUid())) {
            keys.add(m.sopClassUid() + "|" + m.transferSyntaxUid());
        }
        return keys;
    }

    private List<AssociateRequest.Proposal> proposals(List<Item> batch) {
        Map<String, List<String>> byKey = new LinkedHashMap<>();
        for (Item it : batch) {
            String cls = it.meta().sopClassUid();
            String ts = it.meta().transferSyntaxUid();
            if (!FALLBACK.contains(ts)) {
                byKey.putIfAbsent(cls + "|" + ts, List.of(ts));
            }
            byKey.putIfAbsent(cls + "|*", FALLBACK);
        }
        List<AssociateRequest.Proposal> proposals = new ArrayList<>();
        int id = 1;
        for (Map.Entry<String, List<String>> e : byKey.entrySet()) {
            String cls = e.getKey().substring(0, e.getKey().indexOf('|'));
            proposals.add(new AssociateRequest.Proposal(id, cls, e.getValue()));
            id += 2;
        }
        if (settings.commitment()) {
            proposals.add(new AssociateRequest.Proposal(id, StorageCommitment.SOP_CLASS_UID, FALLBACK));
        }
        return proposals;
    }

    private List<InstanceOutcome> sendBatch(List<Item> batch, List<StorageCommitment.Report> reports) throws IOException {
        List<InstanceOutcome> outcomes = new ArrayList<>();
        ScuAssociation.Settings s = new ScuAssociation.Settings(settings.callingAeTitle(), settings.calledAeTitle(),
                settings.host(), settings.port(), settings.connectTimeout(), settings.responseTimeout(), settings.maxPduLength(),
                settings.tls());
        ScuAssociation assoc;
        try {
            assoc = ScuAssociation.open(s, proposals(batch));
            lastTlsFailure = null;
        } catch (ScuAssociation.TlsHandshakeException e) {
            // once per reason: the outbox retries with back-off, and the same refusal every time would say nothing new
            String why = e.getMessage();
            if (!why.equals(lastTlsFailure)) {
                LOG.warn("C-STORE to {}: {}", destination, LogText.escape(why, 600));
            } else {
                LOG.debug("C-STORE to {}: {}", destination, LogText.escape(why, 600));
            }
            lastTlsFailure = why;
            throw e;
        }
        int i = 0;
        try {
            for (; i < batch.size(); i++) {
                outcomes.add(sendOne(assoc, batch.get(i)));
            }
            if (settings.commitment()) {
                requestCommitment(assoc, batch, outcomes, reports);
            }
            assoc.release();
        } catch (IOException e) {
            assoc.abort();
            LOG.warn("C-STORE to {} interrupted after {} of {} instance(s): {}", destination, i, batch.size(), e.toString());
            for (; i < batch.size(); i++) {
                Item it = batch.get(i);
                outcomes.add(InstanceOutcome.failed(it.meta().sopInstanceUid(), it.file(), -1,
                        "association to " + assoc.description() + " lost: " + e.getMessage()));
            }
            if (settings.commitment()) {
                // stored but never asked to be committed: not delivered for a destination that commits
                outcomes.replaceAll(o -> o.success() && o.commitmentTransaction() == null
                        ? InstanceOutcome.failed(o.sopInstanceUid(), o.file(), o.status(), "stored, but the association was lost "
                        + "before storage commitment was requested: " + e.getMessage()) : o);
            }
        }
        return outcomes;
    }

    /**
     * Asks the destination to commit what this association stored (PS3.4 J.3.2) and replaces those outcomes with
     * "awaiting commitment". When the request cannot be made, the stored objects count as failed (they are sent and
     * requested again): a destination configured with commitment delivers nothing uncommitted.
     */
    private void requestCommitment(ScuAssociation assoc, List<Item> batch, List<InstanceOutcome> outcomes,
                                   List<StorageCommitment.Report> reports) throws IOException {
        List<StorageCommitment.Reference> refs = new ArrayList<>();
        Map<String, Item> bySop = new LinkedHashMap<>();
        batch.forEach(it -> bySop.put(it.meta().sopInstanceUid(), it));
        for (InstanceOutcome o : outcomes) {
            if (o.success()) {
                refs.add(new StorageCommitment.Reference(bySop.get(o.sopInstanceUid()).meta().sopClassUid(), o.sopInstanceUid()));
            }
        }
        if (refs.isEmpty()) {
            return;
        }
        CommitmentTracker t = tracker;
        String why = null;
        String transaction = newTransactionUid();
        if (t == null) {
            why = "no outbox tracks storage commitment for this sender";
        } else if (assoc.contextsFor(StorageCommitment.SOP_CLASS_UID).isEmpty()) {
            why = "destination did not accept the Storage Commitment Push Model SOP class (" + StorageCommitment.SOP_CLASS_UID
                    + "); set commitment: false for it or enable storage commitment there";
        } else {
            // registered first: the report may come back before this method returns
            t.expect(transaction, destination);
            ScuAssociation.StoreResponse rsp;
            try {
                rsp = assoc.requestCommitment(transaction, refs);
            } catch (IOException e) {
                t.forget(transaction);
                throw e;
            }
            if (rsp.status() != DimseCommand.STATUS_SUCCESS) {
                t.forget(transaction);
                why = "storage commitment request refused with status " + String.format("%04X", rsp.status())
                        + (rsp.errorComment() == null ? "" : ": " + rsp.errorComment());
            }
        }
        for (int k = 0; k < outcomes.size(); k++) {
            InstanceOutcome o = outcomes.get(k);
            if (o.success()) {
                outcomes.set(k, why == null ? o.awaitingCommitment(transaction)
                        : InstanceOutcome.failed(o.sopInstanceUid(), o.file(), o.status(), "stored, but not committed: " + why));
            }
        }
        if (why != null) {
            LOG.warn("Storage commitment for {} object(s) to {} not requested: {}", refs.size(), destination, why);
            return;
        }
        LOG.info("Storage commitment requested from {} for {} object(s), transaction {}", destination, refs.size(), transaction);
        if (!settings.commitmentWait().isZero()) {
            assoc.awaitCommitmentReport(settings.commitmentWait()).ifPresent(reports::add);
        }
    }

    /** A fresh Transaction UID: {@code 2.25.} and a random UUID as a decimal integer (PS3.5 B.2). */
    static String newTransactionUid() {
        java.util.UUID u = java.util.UUID.randomUUID();
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16).putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits());
        return "2.25." + new java.math.BigInteger(1, b.array());
    }

    private InstanceOutcome sendOne(ScuAssociation assoc, Item it) throws IOException {
        Part10.Meta m = it.meta();
        Optional<ScuAssociation.Context> own = assoc.find(m.sopClassUid(), m.transferSyntaxUid());
        ScuAssociation.StoreResponse rsp;
        if (own.isPresent()) {
            long length = Files.size(it.file()) - m.dataSetOffset();
            try (InputStream in = Files.newInputStream(it.file())) {
                in.skipNBytes(m.dataSetOffset());
                rsp = assoc.store(own.get(), m.sopInstanceUid(), in, length);
            }
        } else {
            List<ScuAssociation.Context> alternatives = assoc.contextsFor(m.sopClassUid());
            boolean reencodable = TransferSyntaxes.isUncompressed(m.transferSyntaxUid())
                    || TransferSyntaxes.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN.equals(m.transferSyntaxUid());
            Optional<ScuAssociation.Context> fallback = alternatives.stream()
                    .filter(c -> TransferSyntaxes.isUncompressed(c.transferSyntax())).findFirst();
            if (!reencodable || fallback.isEmpty()) {
                return InstanceOutcome.failed(m.sopInstanceUid(), it.file(), -1, alternatives.isEmpty()
                        ? "destination does not accept SOP class " + m.sopClassUid()
                        : "destination does not accept transfer syntax " + m.transferSyntaxUid()
                        + " for SOP class " + m.sopClassUid() + " and RadFlow does not decompress");
            }
            byte[] encoded;
            try {
                encoded = reencode(it.file(), fallback.get().transferSyntax());
            } catch (DicomException e) {
                return InstanceOutcome.failed(m.sopInstanceUid(), it.file(), -1, "cannot re-encode: " + e.getMessage());
            }
            rsp = assoc.store(fallback.get(), m.sopInstanceUid(), new ByteArrayInputStream(encoded), encoded.length);
        }
        if (rsp.ok()) {
            return InstanceOutcome.stored(m.sopInstanceUid(), it.file(), rsp.status());
        }
        return InstanceOutcome.failed(m.sopInstanceUid(), it.file(), rsp.status(), "status " + String.format("%04X", rsp.status())
                + (rsp.errorComment() == null ? "" : ": " + rsp.errorComment()) + describe(rsp.status()));
    }

    private static String describe(int status) {
        if ((status & 0xFF00) == DimseCommand.STATUS_OUT_OF_RESOURCES) {
            return " (refused: out of resources)";
        }
        if ((status & 0xFF00) == DimseCommand.STATUS_DATA_SET_DOES_NOT_MATCH_SOP_CLASS) {
            return " (error: data set does not match SOP class)";
        }
        if ((status & 0xF000) == DimseCommand.STATUS_CANNOT_UNDERSTAND) {
            return " (error: cannot understand)";
        }
        return "";
    }

    private static byte[] reencode(Path file, String transferSyntax) throws IOException, DicomException {
        AttributeList list = new AttributeList();
        list.read(file.toString());
        list.removeMetaInformationHeaderAttributes();
        ByteArrayOutputStream buf = new ByteArrayOutputStream((int) Math.min(Integer.MAX_VALUE - 8, Files.size(file) + 1024));
        DicomOutputStream out = new DicomOutputStream(buf, null, transferSyntax);
        list.write(out);
        out.flush();
        return buf.toByteArray();
    }
}
