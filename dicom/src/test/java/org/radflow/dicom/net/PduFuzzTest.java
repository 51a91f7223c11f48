package org.radflow.dicom.net;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzing the parsers that read what a peer sends before anything else checks it: the A-ASSOCIATE-RQ and -AC
 * bodies, DIMSE command sets, a P-DATA-TF's PDV items, and a whole PDU from a stream. The only acceptable
 * failure is a {@link DicomProtocolException} (or the end of the stream): an index error, an overflow or an
 * out-of-memory is a bug. The first byte picks the parser, the rest is its input; the seeds are in
 * {@code src/test/resources/org/radflow/dicom/net/PduFuzzTestInputs/pduParsers/}. In a normal build this runs
 * the seeds only (regression mode); {@code JAZZER_FUZZ=1} fuzzes (see the README).
 */
class PduFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void pduParsers(byte[] input) throws IOException {
        if (input.length == 0) {
            return;
        }
        byte[] b = Arrays.copyOfRange(input, 1, input.length);
        try {
            switch ((input[0] & 0xff) % 5) {
                case 0 -> {
                    AssociateRequest rq = AssociateRequest.parse(b);
                    rq.presentationContexts().forEach(pc -> assertTrue(pc.id() >= 0 && pc.id() <= 255));
                }
                case 1 -> AssociateAccept.parse(b);
                case 2 -> DimseCommand.decode(b).encode();
                case 3 -> Pdu.forEachPdv(b, b.length, (pcid, command, last, data, off, len) -> {
                    assertTrue(off >= 0 && len >= 0 && off + len <= b.length, "PDV [" + off + ", +" + len + ") outside its PDU");
                });
                default -> {
                    InputStream in = new ByteArrayInputStream(b);
                    Pdu.Header h = Pdu.readHeader(in);
                    byte[] body = Pdu.readBody(in, h, Pdu.MAX_CONTROL_PDU);
                    if (h.type() == Pdu.A_ASSOCIATE_RQ) {
                        AssociateRequest.parse(body);
                    } else if (h.type() == Pdu.P_DATA_TF) {
                        Pdu.forEachPdv(body, body.length, (pcid, command, last, data, off, len) -> { });
                    }
                }
            }
        } catch (DicomProtocolException | EOFException expected) {
            // refused with a reason: what a hostile or broken peer must get
        }
    }

    /** Found while writing this fuzz target (by review): a PDV item length near 2^31 overflowed the bounds check. */
    @Test
    void aPdvLengthThatWouldOverflowIsAProtocolError() {
        byte[] b = {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xfe, 1, 3, 0, 0};
        DicomProtocolException e = assertThrows(DicomProtocolException.class,
                () -> Pdu.forEachPdv(b, b.length, (pcid, command, last, data, off, len) -> { }));
        assertTrue(e.getMessage().contains("does not fit"), e.getMessage());
    }

    /**
     * Found while writing this fuzz target (by review; this test failed before the fix): a command element length
     * near 2^31 overflowed the bounds check of DimseCommand.decode into a StringIndexOutOfBoundsException.
     */
    @Test
    void aCommandElementLengthThatWouldOverflowIsAProtocolError() {
        byte[] b = {0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, (byte) 0xfa, (byte) 0xff, (byte) 0xff, 0x7f};
        assertThrows(DicomProtocolException.class, () -> DimseCommand.decode(b));
    }

    @Test
    void theSeedsAreWhatTheirNamesSay() throws Exception {
        byte[] rq = seed("associate-rq");
        AssociateRequest parsed = AssociateRequest.parse(Arrays.copyOfRange(rq, 1, rq.length));
        assertEquals("STORESCU", parsed.callingAeTitle());
        assertEquals(1, parsed.presentationContexts().size());
        byte[] pdata = seed("p-data-two-pdvs");
        int[] count = new int[1];
        Pdu.forEachPdv(Arrays.copyOfRange(pdata, 1, pdata.length), pdata.length - 1, (pcid, command, last, d, off, len) -> count[0]++);
        assertEquals(2, count[0]);
        byte[] cmd = seed("c-echo-command");
        assertEquals(DimseCommand.C_ECHO_RQ, DimseCommand.decode(Arrays.copyOfRange(cmd, 1, cmd.length)).commandField());
    }

    private static byte[] seed(String name) throws IOException {
        try (InputStream in = PduFuzzTest.class.getResourceAsStream("PduFuzzTestInputs/pduParsers/" + name)) {
            return in.readAllBytes();
        }
    }
}
