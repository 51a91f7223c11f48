package org.radflow.host.worker;

import static org.radflow.host.worker.Frames.MAX_FRAME;
import static org.radflow.host.worker.Frames.readBytes;
import static org.radflow.host.worker.Frames.readCount;
import static org.radflow.host.worker.Frames.readPresence;
import static org.radflow.host.worker.Frames.readString;
import static org.radflow.host.worker.Frames.writeBytes;
import static org.radflow.host.worker.Frames.writeString;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.radflow.api.Concept;
import org.radflow.api.Finding;
import org.radflow.api.KeyImage;
import org.radflow.api.ModelIdentity;
import org.radflow.api.ModuleResult;

/**
 * A compact binary encoding of a {@link ModuleResult} (and a module's {@link ModelIdentity}), so a worker
 * can hand its result to the host. Versioned: the first byte is {@link #VERSION}; a reader refuses any
 * other. Every nullable reference is preceded by a presence byte; arrays go as one length and one bulk write.
 */
public final class ResultCodec {

    /** The format version written first; bump it when the encoding changes. */
    public static final byte VERSION = 2;

    // Explicit wire tags, so reordering an enum or the sealed interface never changes the format.
    private static final byte STATUS_COMPLETED = 0;
    private static final byte STATUS_NOT_APPLICABLE = 1;
    private static final byte STATUS_FAILED = 2;
    private static final byte CLASSIFICATION = 1;
    private static final byte MEASUREMENT = 2;
    private static final byte SEGMENTATION = 3;
    private static final byte QUALITATIVE = 4;

    private ResultCodec() {
    }

    /** Writes {@code r}; does not flush. */
    public static void write(ModuleResult r, DataOutputStream out) throws IOException {
        out.writeByte(VERSION);
        out.writeByte(switch (r.status()) {
            case COMPLETED -> STATUS_COMPLETED;
            case NOT_APPLICABLE -> STATUS_NOT_APPLICABLE;
            case FAILED -> STATUS_FAILED;
        });
        writeString(out, r.reason());
        writeString(out, r.summary());
        out.writeInt(r.findings().size());
        for (Finding f : r.findings()) {
            writeFinding(f, out);
        }
        out.writeInt(r.keyImages().size());
        for (KeyImage k : r.keyImages()) {
            writeKeyImage(k, out);
        }
        writeStringMap(r.parameters(), out);
    }

    /**
     * Reads what {@link #write} wrote.
     *
     * @throws IOException on an unknown version or tag, a truncated stream, or values the API's records refuse
     */
    public static ModuleResult read(DataInputStream in) throws IOException {
        readVersion(in, "module result");
        int statusTag = in.readUnsignedByte();
        ModuleResult.Status status = switch (statusTag) {
            case STATUS_COMPLETED -> ModuleResult.Status.COMPLETED;
            case STATUS_NOT_APPLICABLE -> ModuleResult.Status.NOT_APPLICABLE;
            case STATUS_FAILED -> ModuleResult.Status.FAILED;
            default -> throw new IOException("unknown module result status tag " + statusTag);
        };
        String reason = readString(in);
        String summary = readString(in);
        int findingCount = readCount(in, MAX_FRAME, "the findings");
        List<Finding> findings = new ArrayList<>(Math.min(findingCount, 1024));
        for (int i = 0; i < findingCount; i++) {
            findings.add(readFinding(in));
        }
        int keyImageCount = readCount(in, MAX_FRAME, "the key images");
        List<KeyImage> keyImages = new ArrayList<>(Math.min(keyImageCount, 64));
        for (int i = 0; i < keyImageCount; i++) {
            keyImages.add(readKeyImage(in));
        }
        Map<String, String> parameters = readStringMap(in);
        return build("module result", () -> new ModuleResult(status, reason, findings, keyImages, summary, parameters));
    }

    /** Writes a module's model identity (e.g. for the worker's READY message); does not flush. */
    public static void writeModelIdentity(ModelIdentity m, DataOutputStream out) throws IOException {
        out.writeByte(VERSION);
        writeString(out, m.name());
        writeString(out, m.version());
        writeString(out, m.description());
        out.writeBoolean(m.demo());
    }

    /** Reads what {@link #writeModelIdentity} wrote. */
    public static ModelIdentity readModelIdentity(DataInputStream in) throws IOException {
        readVersion(in, "model identity");
        String name = readString(in);
        String version = readString(in);
        String description = readString(in);
        boolean demo = readPresence(in);
        return build("model identity", () -> new ModelIdentity(name, version, description, demo));
    }

    private static void readVersion(DataInputStream in, String what) throws IOException {
        int version = in.readUnsignedByte();
        if (version != VERSION) {
            throw new IOException(what + " encoded with format version " + version + ", this RadFlow reads only version "
                    + VERSION + ": host and worker come from different builds");
        }
    }

    private static void writeFinding(Finding f, DataOutputStream out) throws IOException {
        if (f instanceof Finding.Classification c) {
            out.writeByte(CLASSIFICATION);
            writeConcept(c.finding(), out);
            out.writeInt(c.probabilities().size());
            for (Finding.ClassProbability p : c.probabilities()) {
                writeConcept(p.label(), out);
                out.writeDouble(p.probability());
            }
            writeConcept(c.predicted(), out);
            writeStringList(c.evidenceSopInstanceUids(), out);
        } else if (f instanceof Finding.Measurement m) {
            out.writeByte(MEASUREMENT);
            writeConcept(m.finding(), out);
            writeConcept(m.quantity(), out);
            out.writeDouble(m.value());
            writeConcept(m.unit(), out);
            writeConcept(m.findingSite(), out);
            writeModifiers(m.findingSiteModifiers(), out);
            out.writeBoolean(m.segment() != null);
            if (m.segment() != null) {
                writeSegment(m.segment(), out);
            }
            writeStringList(m.evidenceSopInstanceUids(), out);
        } else if (f instanceof Finding.Segmentation s) {
            out.writeByte(SEGMENTATION);
            writeConcept(s.finding(), out);
            out.writeInt(s.columns());
            out.writeInt(s.rows());
            out.writeInt(s.slices());
            writeBytes(out, s.labels());
            out.writeInt(s.segments().size());
            for (Finding.Segment seg : s.segments()) {
                writeSegment(seg, out);
            }
            writeStringList(s.sopInstanceUids(), out);
        } else if (f instanceof Finding.Qualitative q) {
            out.writeByte(QUALITATIVE);
            writeConcept(q.finding(), out);
            writeConcept(q.concept(), out);
            writeConcept(q.value(), out);
            writeString(out, q.method());
            writeString(out, q.comment());
            writeStringList(q.evidenceSopInstanceUids(), out);
            out.writeBoolean(q.confidence() != null);
            out.writeDouble(q.confidence() == null ? 0 : q.confidence());
        } else {
            // Finding is sealed: a new subtype must get a tag here before it can cross the boundary
            throw new IOException("no encoding for finding type " + f.getClass().getName());
        }
    }

    private static Finding readFinding(DataInputStream in) throws IOException {
        int tag = in.readUnsignedByte();
        switch (tag) {
            case CLASSIFICATION -> {
                Concept finding = readConcept(in);
                int n = readCount(in, MAX_FRAME, "the class probabilities");
                List<Finding.ClassProbability> probabilities = new ArrayList<>(Math.min(n, 1024));
                for (int i = 0; i < n; i++) {
                    Concept label = readConcept(in);
                    double probability = in.readDouble();
                    probabilities.add(build("class probability", () -> new Finding.ClassProbability(label, probability)));
                }
                Concept predicted = readConcept(in);
                List<String> evidence = readStringList(in);
                return build("classification", () -> new Finding.Classification(finding, probabilities, predicted, evidence));
            }
            case MEASUREMENT -> {
                Concept finding = readConcept(in);
                Concept quantity = readConcept(in);
                double value = in.readDouble();
                Concept unit = readConcept(in);
                Concept findingSite = readConcept(in);
                List<Finding.Modifier> modifiers = readModifiers(in);
                Finding.Segment segment = readPresence(in) ? readSegment(in) : null;
                List<String> evidence = readStringList(in);
                return build("measurement", () -> new Finding.Measurement(finding, quantity, value, unit, findingSite,
                        modifiers, segment, evidence));
            }
            case SEGMENTATION -> {
                Concept finding = readConcept(in);
                int columns = in.readInt();
                int rows = in.readInt();
                int slices = in.readInt();
                byte[] labels = readBytes(in, "a segmentation's label map");
                int n = readCount(in, 255, "the segments");
                List<Finding.Segment> segments = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    segments.add(readSegment(in));
                }
                List<String> uids = readStringList(in);
                return build("segmentation", () -> new Finding.Segmentation(finding, columns, rows, slices, labels, segments, uids));
            }
            case QUALITATIVE -> {
                Concept finding = readConcept(in);
                Concept concept = readConcept(in);
                Concept value = readConcept(in);
                String method = readString(in);
                String comment = readString(in);
                List<String> evidence = readStringList(in);
                boolean hasConfidence = in.readBoolean();
                double c = in.readDouble();
                Double confidence = hasConfidence ? c : null;
                return build("qualitative evaluation",
                        () -> new Finding.Qualitative(finding, concept, value, method, comment, evidence, confidence));
            }
            default -> throw new IOException("unknown finding tag " + tag + " (known: " + CLASSIFICATION + " classification, "
                    + MEASUREMENT + " measurement, " + SEGMENTATION + " segmentation, " + QUALITATIVE
                    + " qualitative evaluation)");
        }
    }

    private static void writeKeyImage(KeyImage k, DataOutputStream out) throws IOException {
        writeString(out, k.caption());
        out.writeInt(k.width());
        out.writeInt(k.height());
        int[] rgb = k.rgb();
        out.writeInt(rgb.length);
        ByteBuffer bytes = ByteBuffer.allocate(rgb.length * Integer.BYTES);
        bytes.asIntBuffer().put(rgb);
        out.write(bytes.array());
        writeString(out, k.sourceSopInstanceUid());
    }

    private static KeyImage readKeyImage(DataInputStream in) throws IOException {
        String caption = readString(in);
        int width = in.readInt();
        int height = in.readInt();
        int n = readCount(in, MAX_FRAME / Integer.BYTES, "a key image's pixels");
        byte[] bytes = new byte[n * Integer.BYTES];
        in.readFully(bytes);
        int[] rgb = new int[n];
        ByteBuffer.wrap(bytes).asIntBuffer().get(rgb);
        String source = readString(in);
        return build("key image", () -> new KeyImage(caption, width, height, rgb, source));
    }

    private static void writeSegment(Finding.Segment seg, DataOutputStream out) throws IOException {
        out.writeInt(seg.label());
        writeString(out, seg.name());
        writeConcept(seg.category(), out);
        writeConcept(seg.type(), out);
        writeModifiers(seg.typeModifiers(), out);
        out.writeInt(seg.rgb());
    }

    private static Finding.Segment readSegment(DataInputStream in) throws IOException {
        int label = in.readInt();
        String name = readString(in);
        Concept category = readConcept(in);
        Concept type = readConcept(in);
        List<Finding.Modifier> modifiers = readModifiers(in);
        int rgb = in.readInt();
        return build("segment", () -> new Finding.Segment(label, name, category, type, modifiers, rgb));
    }

    private static void writeModifiers(List<Finding.Modifier> modifiers, DataOutputStream out) throws IOException {
        out.writeInt(modifiers.size());
        for (Finding.Modifier m : modifiers) {
            out.writeByte(m.kind().ordinal());
            writeConcept(m.value(), out);
        }
    }

    private static List<Finding.Modifier> readModifiers(DataInputStream in) throws IOException {
        int n = readCount(in, 64, "the modifiers");
        Finding.Modifier.Kind[] kinds = Finding.Modifier.Kind.values();
        List<Finding.Modifier> modifiers = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int kind = in.readUnsignedByte();
            if (kind >= kinds.length) {
                throw new IOException("unknown modifier kind " + kind);
            }
            Concept value = readConcept(in);
            modifiers.add(build("modifier", () -> new Finding.Modifier(kinds[kind], value)));
        }
        return modifiers;
    }

    private static void writeConcept(Concept c, DataOutputStream out) throws IOException {
        if (c == null) {
            out.writeBoolean(false);
            return;
        }
        out.writeBoolean(true);
        writeString(out, c.scheme());
        writeString(out, c.code());
        writeString(out, c.meaning());
    }

    private static Concept readConcept(DataInputStream in) throws IOException {
        if (!readPresence(in)) {
            return null;
        }
        String scheme = readString(in);
        String code = readString(in);
        String meaning = readString(in);
        return build("concept", () -> new Concept(scheme, code, meaning));
    }

    private static void writeStringList(List<String> values, DataOutputStream out) throws IOException {
        out.writeInt(values.size());
        for (String v : values) {
            writeString(out, v);
        }
    }

    private static List<String> readStringList(DataInputStream in) throws IOException {
        int n = readCount(in, MAX_FRAME, "a string list");
        List<String> values = new ArrayList<>(Math.min(n, 1024));
        for (int i = 0; i < n; i++) {
            values.add(readString(in));
        }
        return values;
    }

    private static void writeStringMap(Map<String, String> values, DataOutputStream out) throws IOException {
        out.writeInt(values.size());
        for (Map.Entry<String, String> e : values.entrySet()) {
            writeString(out, e.getKey());
            writeString(out, e.getValue());
        }
    }

    private static Map<String, String> readStringMap(DataInputStream in) throws IOException {
        int n = readCount(in, MAX_FRAME, "a string map");
        Map<String, String> values = new java.util.LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            values.put(readString(in), readString(in));
        }
        return values;
    }

    /** Runs a record constructor; what it refuses (a corrupt or hand-made stream) becomes an IOException. */
    private static <T> T build(String what, java.util.function.Supplier<T> constructor) throws IOException {
        try {
            return constructor.get();
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IOException("invalid " + what + " in the stream: " + e.getMessage(), e);
        }
    }
}
