package org.radflow.dispatch;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomOutputStream;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.radflow.dicom.Part10;
import org.radflow.dicom.TransferSyntaxes;
import org.radflow.dicom.net.AssociateRequest;
import org.radflow.dicom.net.DimseCommand;
import org.radflow.dicom.net.ScuAssociation;
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

    /** A DICOM destination. */
    public record Settings(String calledAeTitle, String host, int port, String callingAeTitle, Duration connectTimeout,
                           Duration responseTimeout, int maxPduLength) {

        public static Settings of(String calledAeTitle, String host, int port, String callingAeTitle) {
            return new Settings(calledAeTitle, host, port, callingAeTitle, Duration.ofSeconds(10), Duration.ofSeconds(60), 131072);
        }
    }

    private final Vertx vertx;
    private final String destination;
    private final Settings settings;

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
        for (List<Item> batch : batches(items)) {
            outcomes.addAll(sendBatch(batch));
        }
        DeliveryReport report = new DeliveryReport(destination, outcomes);
        LOG.info("C-STORE to {} ({}@{}:{}): {} of {} instance(s) stored", destination, settings.calledAeTitle(), settings.host(),
                settings.port(), outcomes.size() - report.failures().size(), outcomes.size());
        return report;
    }

    /** Groups files so that no association needs more than 128 presentation contexts. */
    private static List<List<Item>> batches(List<Item> items) {
        List<List<Item>> batches = new ArrayList<>();
        List<Item> current = new ArrayList<>();
        Set<String> contexts = new LinkedHashSet<>();
        for (Item it : items) {
            Set<String> needed = new LinkedHashSet<>(contextKeys(it.meta()));
            needed.removeAll(contexts);
            if (contexts.size() + needed.size() > 128 && !current.isEmpty()) {
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
        return proposals;
    }

    private List<InstanceOutcome> sendBatch(List<Item> batch) throws IOException {
        List<InstanceOutcome> outcomes = new ArrayList<>();
        ScuAssociation.Settings s = new ScuAssociation.Settings(settings.callingAeTitle(), settings.calledAeTitle(),
                settings.host(), settings.port(), settings.connectTimeout(), settings.responseTimeout(), settings.maxPduLength());
        ScuAssociation assoc = ScuAssociation.open(s, proposals(batch));
        int i = 0;
        try {
            for (; i < batch.size(); i++) {
                outcomes.add(sendOne(assoc, batch.get(i)));
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
        }
        return outcomes;
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
