package org.radflow.host.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.radflow.api.ModuleResult;

class FramesTest {

    @Test
    void severalFramesCrossAPipeInOrderThenEofIsNull() throws Exception {
        PipedInputStream pipeIn = new PipedInputStream(4096);
        DataOutputStream out = new DataOutputStream(new PipedOutputStream(pipeIn));
        DataInputStream in = new DataInputStream(pipeIn);
        byte[] large = new byte[1_000_000]; // much larger than the pipe's buffer
        for (int i = 0; i < large.length; i++) {
            large[i] = (byte) (i * 31);
        }

        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                Frames.write(out, Frames.READY, new byte[0]);
                Frames.write(out, Frames.LOG, Frames.utf8("module loaded"));
                Frames.write(out, Frames.RESULT, large);
                Frames.write(out, Frames.HEARTBEAT, new byte[] {(byte) 0xFF});
                out.close();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });

        List<Frames.Frame> frames = new ArrayList<>();
        Frames.Frame f;
        while ((f = Frames.read(in)) != null) {
            frames.add(f);
        }
        writer.get(10, TimeUnit.SECONDS);

        assertEquals(4, frames.size());
        assertEquals(Frames.READY, frames.get(0).type());
        assertEquals(0, frames.get(0).payload().length);
        assertEquals(Frames.LOG, frames.get(1).type());
        assertEquals("module loaded", Frames.utf8(frames.get(1).payload()));
        assertEquals(Frames.RESULT, frames.get(2).type());
        assertArrayEquals(large, frames.get(2).payload());
        assertEquals(Frames.HEARTBEAT, frames.get(3).type());
        assertArrayEquals(new byte[] {(byte) 0xFF}, frames.get(3).payload());
        assertNull(Frames.read(in), "EOF stays EOF");
    }

    @Test
    void theWireFormatIsLengthTypePayload() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Frames.write(new DataOutputStream(bytes), Frames.CANCEL, new byte[] {7, 8});

        assertArrayEquals(new byte[] {0, 0, 0, 3, 2, 7, 8}, bytes.toByteArray());
    }

    @Test
    void anEmptyStreamIsEof() throws IOException {
        assertNull(Frames.read(new DataInputStream(new ByteArrayInputStream(new byte[0]))));
    }

    @Test
    void aTruncatedFrameThrows() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Frames.write(new DataOutputStream(bytes), Frames.JOB, Frames.utf8("job 42"));
        byte[] whole = bytes.toByteArray();

        // every cut inside the frame (in the length, at the type, in the payload) is an error, not EOF
        for (int cut = 1; cut < whole.length; cut++) {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(Arrays.copyOf(whole, cut)));
            IOException e = assertThrows(EOFException.class, () -> Frames.read(in), "cut at " + cut);
            assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("ended"), e.getMessage());
        }
        // a whole frame followed by a partial one: the first reads, the second throws
        byte[] twoAndABit = Arrays.copyOf(whole, whole.length + 3);
        System.arraycopy(whole, 0, twoAndABit, whole.length, 3);
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(twoAndABit));
        assertEquals("job 42", Frames.utf8(Frames.read(in).payload()));
        assertThrows(IOException.class, () -> Frames.read(in));
    }

    @Test
    void aLengthAboveTheLimitOrZeroThrowsWithoutAllocating() {
        for (int length : new int[] {Frames.MAX_FRAME + 1, Integer.MAX_VALUE, -1, 0}) {
            byte[] header = ByteBuffer.allocate(5).putInt(length).put(Frames.RESULT).array();
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(header));
            IOException e = assertThrows(IOException.class, () -> Frames.read(in), "length " + length);
            assertTrue(e.getMessage().contains("outside 1.." + Frames.MAX_FRAME), e.getMessage());
        }
    }

    @Test
    void framesFromSeveralThreadsNeverInterleave() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        int perThread = 300;
        List<CompletableFuture<Void>> writers = new ArrayList<>();
        for (byte type : new byte[] {Frames.LOG, Frames.PROGRESS, Frames.HEARTBEAT}) {
            writers.add(CompletableFuture.runAsync(() -> {
                for (int i = 0; i < perThread; i++) {
                    byte[] payload = new byte[100 + i];
                    Arrays.fill(payload, type);
                    try {
                        Frames.write(out, type, payload);
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                }
            }));
        }
        CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()));
        Map<Byte, Integer> counts = new LinkedHashMap<>();
        Frames.Frame f;
        while ((f = Frames.read(in)) != null) {
            byte type = f.type();
            int seen = counts.merge(type, 1, Integer::sum);
            assertEquals(100 + seen - 1, f.payload().length, "frames of one thread arrive in order");
            for (byte b : f.payload()) {
                assertEquals(type, b);
            }
        }
        assertEquals(Map.of(Frames.LOG, perThread, Frames.PROGRESS, perThread, Frames.HEARTBEAT, perThread), counts);
    }

    @Test
    void payloadFieldsRoundTripInOrder() throws IOException {
        String beyondWriteUtf = "é".repeat(70_000);
        Map<String, String> config = new LinkedHashMap<>();
        config.put("threshold", "0.5");
        config.put("profile", "fast");
        ModuleResult result = ModuleResult.notApplicable("no frontal view");

        Frames.Payload.Builder builder = Frames.Payload.builder()
                .string("job-42")
                .string(null)
                .string(beyondWriteUtf)
                .integer(-7)
                .longValue(Long.MAX_VALUE)
                .doubleValue(0.25)
                .bool(true)
                .bytes(new byte[] {1, 2, 3})
                .stringList(List.of("/spool/a.dcm", "/spool/b.dcm"))
                .stringMap(config);
        ResultCodec.write(result, builder.out());
        byte[] payload = builder.toBytes();

        Frames.Payload.Reader reader = Frames.Payload.reader(payload);
        assertEquals("job-42", reader.string());
        assertNull(reader.string());
        assertEquals(beyondWriteUtf, reader.string());
        assertEquals(-7, reader.integer());
        assertEquals(Long.MAX_VALUE, reader.longValue());
        assertEquals(0.25, reader.doubleValue());
        assertTrue(reader.bool());
        assertArrayEquals(new byte[] {1, 2, 3}, reader.bytes());
        assertEquals(List.of("/spool/a.dcm", "/spool/b.dcm"), reader.stringList());
        assertEquals(config, reader.stringMap());
        assertEquals(result, ResultCodec.read(reader.in()));
        assertFalse(reader.hasMore());

        Frames.Payload.Reader shortReader = Frames.Payload.reader(new byte[] {0, 0});
        assertThrows(EOFException.class, shortReader::integer);
    }
}
