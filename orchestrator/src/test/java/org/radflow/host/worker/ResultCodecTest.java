package org.radflow.host.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.radflow.api.Concept;
import org.radflow.api.Finding;
import org.radflow.api.KeyImage;
import org.radflow.api.ModelIdentity;
import org.radflow.api.ModuleResult;

class ResultCodecTest {

    private static final Concept HIPPOCAMPUS = Concept.sct("17561000", "Hippocampus");
    private static final Concept VOLUME = Concept.sct("118565006", "Volume");
    private static final Concept MM3 = Concept.ucum("mm3", "cubic millimeter");

    @Test
    void completedResultWithEveryFindingTypeRoundTrips() throws IOException {
        ModuleResult original = fullResult();

        byte[] encoded = encode(original);
        ModuleResult decoded = decode(encoded);

        assertResultEquals(original, decoded);
        assertEquals(ModuleResult.Status.COMPLETED, decoded.status());
        assertEquals(6, decoded.findings().size());
        assertInstanceOf(Finding.Qualitative.class, decoded.findings().get(4));
        assertEquals(null, ((Finding.Qualitative) decoded.findings().get(4)).confidence());
        assertEquals(0.8125, ((Finding.Qualitative) decoded.findings().get(5)).confidence());
        // the bulk label map and pixels dominate: the encoding stays compact
        // (the rest, six findings with their concepts and UIDs, stays within 2.7 kB)
        assertTrue(encoded.length < 35 * 51 * 8 + 2 * 64 * 48 * 4 + 2_700, "encoded " + encoded.length + " bytes");
    }

    @Test
    void notApplicableAndFailedRoundTrip() throws IOException {
        ModuleResult notApplicable = ModuleResult.notApplicable("no frontal chest radiograph in the study");
        ModuleResult failed = ModuleResult.failed("model file missing: /opt/models/x.onnx");

        assertEquals(notApplicable, decode(encode(notApplicable)));
        assertEquals(failed, decode(encode(failed)));
        assertEquals("model file missing: /opt/models/x.onnx", decode(encode(failed)).reason());
    }

    @Test
    void nullsWhereTheRecordsAllowThemRoundTrip() throws IOException {
        Finding.Classification classification = new Finding.Classification(null,
                List.of(new Finding.ClassProbability(null, 0.5)), null, List.of());
        Finding.Measurement measurement = new Finding.Measurement(null, null, 3.5, MM3, null, List.of());
        Finding.Segmentation segmentation = new Finding.Segmentation(null, 2, 1, 1, new byte[] {0, 1},
                List.of(new Finding.Segment(1, null, null, null, 0)), List.of("1.2.3"));
        KeyImage image = new KeyImage(null, 1, 1, new int[] {0xFFFFFF}, null);
        ModuleResult original = new ModuleResult(ModuleResult.Status.COMPLETED, null,
                List.of(classification, measurement, segmentation), List.of(image), null, Map.of());

        ModuleResult decoded = decode(encode(original));

        assertResultEquals(original, decoded);
        Finding.Classification c = (Finding.Classification) decoded.findings().get(0);
        assertEquals(null, c.finding());
        assertEquals(null, c.predicted());
        assertEquals(null, c.probabilities().get(0).label());
        assertEquals(null, decoded.reason());
        assertEquals(null, decoded.keyImages().get(0).sourceSopInstanceUid());
    }

    @Test
    void aCompletedResultMayCarryAReasonAndLongStrings() throws IOException {
        // writeUTF would stop at 64 KB; a long summary must still cross
        String longSummary = "Ünïcødé ✓ ".repeat(10_000);
        ModuleResult original = new ModuleResult(ModuleResult.Status.COMPLETED, "partial: 2 of 3 series used",
                List.of(), List.of(), longSummary, Map.of("profile", "fast", "", "empty key"));

        assertEquals(original, decode(encode(original)));
    }

    @Test
    void modelIdentityRoundTrips() throws IOException {
        ModelIdentity demo = new ModelIdentity("covidnet", "cxr-a", "COVID-Net CXR-A", true);
        ModelIdentity real = new ModelIdentity("hippo", "2.1", null, false);

        for (ModelIdentity m : List.of(demo, real)) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            ResultCodec.writeModelIdentity(m, new DataOutputStream(bytes));
            assertEquals(m, ResultCodec.readModelIdentity(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))));
        }
    }

    @Test
    void anUnknownVersionIsRefused() throws IOException {
        byte[] encoded = encode(ModuleResult.failed("x"));
        assertEquals(ResultCodec.VERSION, encoded[0]);
        encoded[0] = (byte) (ResultCodec.VERSION + 1);

        IOException e = assertThrows(IOException.class, () -> decode(encoded));
        assertTrue(e.getMessage().contains("version " + (ResultCodec.VERSION + 1)), e.getMessage());
    }

    @Test
    void anUnknownStatusOrFindingTagIsRefused() throws IOException {
        byte[] status = encode(ModuleResult.failed("x"));
        status[1] = 9;
        IOException e = assertThrows(IOException.class, () -> decode(status));
        assertTrue(e.getMessage().contains("status tag 9"), e.getMessage());

        ModuleResult one = ModuleResult.completed(List.of(measurement()), List.of(), null, Map.of());
        byte[] finding = encode(one);
        // version, status, reason absent, summary "" (presence + length 0), finding count: then the tag
        int tagAt = 1 + 1 + 1 + (1 + 4) + 4;
        assertEquals(2, finding[tagAt]);
        finding[tagAt] = 7;
        e = assertThrows(IOException.class, () -> decode(finding));
        assertTrue(e.getMessage().contains("unknown finding tag 7"), e.getMessage());
    }

    @Test
    void truncatedInputThrowsAtEveryCut() throws IOException {
        ModuleResult small = ModuleResult.completed(List.of(classification(), measurement(), qualitative(),
                new Finding.Segmentation(HIPPOCAMPUS, 2, 2, 1, new byte[] {0, 1, 1, 0},
                        List.of(new Finding.Segment(1, "left", HIPPOCAMPUS, HIPPOCAMPUS, 0xFF0000)), List.of("1.2.3"))),
                List.of(new KeyImage("c", 2, 1, new int[] {1, 2}, "1.2.4")), "s", Map.of("k", "v"));
        byte[] encoded = encode(small);
        assertResultEquals(small, decode(encoded));

        for (int cut = 0; cut < encoded.length; cut++) {
            byte[] truncated = Arrays.copyOf(encoded, cut);
            assertThrows(IOException.class, () -> decode(truncated), "cut at " + cut + " of " + encoded.length);
        }
        byte[] big = encode(fullResult());
        assertThrows(IOException.class, () -> decode(Arrays.copyOf(big, big.length / 2)));
    }

    @Test
    void corruptValuesBecomeIOExceptions() throws IOException {
        // a label map whose length does not match its grid, as a hand-made or corrupt stream could carry
        ModuleResult one = ModuleResult.completed(List.of(new Finding.Segmentation(null, 2, 1, 1, new byte[] {0, 1},
                List.of(), List.of("1.2.3"))), List.of(), null, Map.of());
        byte[] encoded = encode(one);
        int columnsAt = 1 + 1 + 1 + (1 + 4) + 4 + 1 + 1; // ... tag, concept absent
        assertEquals(2, ByteBuffer.wrap(encoded, columnsAt, 4).getInt());
        ByteBuffer.wrap(encoded, columnsAt, 4).putInt(3);

        IOException e = assertThrows(IOException.class, () -> decode(encoded));
        assertTrue(e.getMessage().contains("invalid segmentation"), e.getMessage());
        assertInstanceOf(IllegalArgumentException.class, e.getCause());

        byte[] negative = encode(one);
        ByteBuffer.wrap(negative, columnsAt + 12, 4).putInt(-5); // the label map's length
        e = assertThrows(IOException.class, () -> decode(negative));
        assertTrue(e.getMessage().contains("-5"), e.getMessage());
    }

    private static ModuleResult fullResult() {
        Random random = new Random(42);
        int columns = 35;
        int rows = 51;
        int slices = 8;
        byte[] labels = new byte[columns * rows * slices];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = (byte) random.nextInt(3);
        }
        labels[5] = (byte) 255; // unsigned values above 127 must survive
        List<String> uids = new ArrayList<>();
        for (int s = 0; s < slices; s++) {
            uids.add("1.2.826.0.1.3680043.8.498." + s);
        }
        Finding.Modifier left = Finding.Modifier.laterality(Concept.sct("7771000", "Left"));
        Finding.Modifier anterior = Finding.Modifier.topographical(Concept.sct("255549009", "Anterior"));
        Finding.Segment first = new Finding.Segment(1, "Left hippocampus", Concept.sct("91723000", "Anatomical structure"),
                HIPPOCAMPUS, List.of(left, anterior), 0xFF8000);
        Finding.Segmentation segmentation = new Finding.Segmentation(HIPPOCAMPUS, columns, rows, slices, labels,
                List.of(first,
                        new Finding.Segment(2, "Right hippocampus", Concept.sct("91723000", "Anatomical structure"),
                                Concept.sct("5002000", "Right hippocampus"), 0x0080FF)),
                uids);
        Finding.Measurement onSegment = new Finding.Measurement(HIPPOCAMPUS, VOLUME, 1500.25, MM3, HIPPOCAMPUS,
                List.of(left, anterior), first, uids);
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("model", "hippo-demo 1.0");
        parameters.put("threshold", "0.5");
        parameters.put("profile", "DEMO MODEL");
        return ModuleResult.completed(List.of(classification(), measurement(), segmentation, onSegment, qualitative(),
                        withConfidence()),
                List.of(keyImage(random, "Axial overlay", "1.2.3.4"), keyImage(random, "", null)),
                "Hippocampal volumes within the normal range.", parameters);
    }

    private static Finding.Classification classification() {
        Concept covid = new Concept("99RADFLOW", "COVID19", "COVID-19 pneumonia");
        return new Finding.Classification(Concept.sct("233604007", "Pneumonia"),
                List.of(new Finding.ClassProbability(Concept.sct("17621005", "Normal"), 0.125),
                        new Finding.ClassProbability(Concept.sct("233604007", "Pneumonia"), 0.25),
                        new Finding.ClassProbability(covid, 0.625)),
                covid, List.of("1.2.3.4.5", "1.2.3.4.6"));
    }

    /** A made-up band of a made-up reference: only the encoding is under test. */
    private static Finding.Qualitative qualitative() {
        return new Finding.Qualitative(HIPPOCAMPUS, new Concept("99RADFLOW", "TEST-BAND", "Test band"),
                new Concept("99RADFLOW", "PCTL-5-10", "Between the 5th and 10th percentile"),
                "Fictional reference table (test)", "Compared with: test group. Ünïcode survives.", List.of("1.2.3.4.8"));
    }

    /** API 0.5: one coded answer with the module's confidence in it. */
    private static Finding.Qualitative withConfidence() {
        return new Finding.Qualitative(HIPPOCAMPUS, new Concept("99TEST", "SHAPE", "Shape class"),
                new Concept("99TEST", "S2", "Shape class 2"), "", "", List.of("1.2.3.4.8"), 0.8125);
    }

    private static Finding.Measurement measurement() {
        return new Finding.Measurement(HIPPOCAMPUS, VOLUME, 3123.456789, MM3,
                Concept.sct("5001000", "Left hippocampus"), List.of("1.2.3.4.7"));
    }

    private static KeyImage keyImage(Random random, String caption, String source) {
        int[] rgb = new int[64 * 48];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = random.nextInt();
        }
        return new KeyImage(caption, 64, 48, rgb, source);
    }

    private static byte[] encode(ModuleResult r) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        ResultCodec.write(r, out);
        out.flush();
        return bytes.toByteArray();
    }

    private static ModuleResult decode(byte[] encoded) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(encoded));
        ModuleResult r = ResultCodec.read(in);
        assertEquals(-1, in.read(), "the decoder read the whole encoding and nothing more");
        return r;
    }

    /** Records holding arrays compare them by reference: compare their contents, then the rest with equals. */
    private static void assertResultEquals(ModuleResult expected, ModuleResult actual) {
        assertEquals(expected.status(), actual.status());
        assertEquals(expected.reason(), actual.reason());
        assertEquals(expected.summary(), actual.summary());
        assertEquals(expected.parameters(), actual.parameters());
        // the module's order survives the worker's frame (the SR lists parameters in it)
        assertEquals(List.copyOf(expected.parameters().keySet()), List.copyOf(actual.parameters().keySet()));
        assertEquals(expected.findings().size(), actual.findings().size());
        for (int i = 0; i < expected.findings().size(); i++) {
            Finding e = expected.findings().get(i);
            Finding a = actual.findings().get(i);
            if (e instanceof Finding.Segmentation es && a instanceof Finding.Segmentation as) {
                assertArrayEquals(es.labels(), as.labels());
                assertEquals(es, new Finding.Segmentation(as.finding(), as.columns(), as.rows(), as.slices(), es.labels(),
                        as.segments(), as.sopInstanceUids()));
            } else {
                assertEquals(e, a);
            }
        }
        assertEquals(expected.keyImages().size(), actual.keyImages().size());
        for (int i = 0; i < expected.keyImages().size(); i++) {
            KeyImage e = expected.keyImages().get(i);
            KeyImage a = actual.keyImages().get(i);
            assertArrayEquals(e.rgb(), a.rgb());
            assertEquals(e, new KeyImage(a.caption(), a.width(), a.height(), e.rgb(), a.sourceSopInstanceUid()));
        }
    }
}
