package org.radflow.listener;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.dicom.Part10;
import org.radflow.dicom.TransferSyntaxes;
import org.radflow.dicom.Uids;
import org.radflow.dicom.net.AssociateAccept;
import org.radflow.dicom.net.AssociateRequest;
import org.radflow.dicom.net.AssociationRejectedException;
import org.radflow.dicom.net.DimseCommand;
import org.radflow.dicom.net.PDataWriter;
import org.radflow.dicom.net.Pdu;
import org.radflow.dicom.net.ScuAssociation;
import org.radflow.testdata.CtOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.Synth;

import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Protocol edge cases driven from RadFlow's own upper layer, where DCMTK cannot be made to misbehave on cue. */
class ListenerProtocolIT {

    private static final String CT = "1.2.840.10008.5.1.4.1.1.2";

    @TempDir
    Path dir;

    private static ScuAssociation.Settings to(RunningListener l) {
        return new ScuAssociation.Settings("TESTSCU", l.aeTitle(), "127.0.0.1", l.port(), Duration.ofSeconds(5),
                Duration.ofSeconds(10), 65536);
    }

    @Test
    void anAssociationAbortedMidDataSetLeavesNoFileUnderAFinalName() throws Exception {
        GeneratedSeries series = Synth.ctSeries(dir.resolve("in"), CtOptions.defaults().withCount(1));
        Path file = series.files().get(0);
        Part10.Meta meta = Part10.readMeta(file);
        byte[] dataSet = ListenerDcmtkIT.dataSet(file);
        try (RunningListener l = new RunningListener(dir, s -> s)) {
            try (Socket socket = new Socket("127.0.0.1", l.port())) {
                OutputStream out = new BufferedOutputStream(socket.getOutputStream());
                InputStream in = socket.getInputStream();
                new AssociateRequest(1, l.aeTitle(), "TESTSCU", Uids.APPLICATION_CONTEXT,
                        List.of(new AssociateRequest.Proposal(1, CT, List.of(TransferSyntaxes.EXPLICIT_VR_LITTLE_ENDIAN))),
                        16384, Pdu.IMPLEMENTATION_CLASS_UID, null).write(out);
                Pdu.Header h = Pdu.readHeader(in);
                assertEquals(Pdu.A_ASSOCIATE_AC, h.type());
                AssociateAccept ac = AssociateAccept.parse(Pdu.readBody(in, h, 1 << 20));
                assertTrue(ac.presentationContexts().get(0).accepted());
                PDataWriter w = new PDataWriter(out, ac.maxPduLength());
                w.writeCommand(1, new DimseCommand().set(DimseCommand.AFFECTED_SOP_CLASS_UID, CT)
                        .set(DimseCommand.COMMAND_FIELD, DimseCommand.C_STORE_RQ).set(DimseCommand.MESSAGE_ID, 1)
                        .set(DimseCommand.PRIORITY, 0).set(DimseCommand.COMMAND_DATA_SET_TYPE, 0)
                        .set(DimseCommand.AFFECTED_SOP_INSTANCE_UID, meta.sopInstanceUid()).encode());
                // half of the data set, never the last fragment, then the connection drops
                int half = dataSet.length / 2;
                for (int off = 0; off < half; off += 16_000) {
                    w.writePdv(1, false, false, dataSet, off, Math.min(16_000, half - off));
                }
                out.flush();
                long end = System.currentTimeMillis() + 5000;
                while (l.temporaries().isEmpty() && System.currentTimeMillis() < end) {
                    Thread.sleep(10);
                }
                assertEquals(1, l.temporaries().size(), "the partial transfer exists only as a temporary file");
            }
            long end = System.currentTimeMillis() + 5000;
            while (!l.temporaries().isEmpty() && System.currentTimeMillis() < end) {
                Thread.sleep(10);
            }
            assertTrue(l.spooled().isEmpty(), "no final name for an incomplete instance");
            assertTrue(l.temporaries().isEmpty(), "the temporary file is removed when the association drops");
            assertTrue(l.events.isEmpty());
        }
    }

    @Test
    void aTruncatedDataSetMarkedCompleteIsRefusedAndNotStored() throws Exception {
        GeneratedSeries series = Synth.ctSeries(dir.resolve("in"), CtOptions.defaults().withCount(1).withSize(64, 64));
        Path file = series.files().get(0);
        Part10.Meta meta = Part10.readMeta(file);
        byte[] dataSet = ListenerDcmtkIT.dataSet(file);
        byte[] truncated = java.util.Arrays.copyOf(dataSet, dataSet.length - 1000);
        try (RunningListener l = new RunningListener(dir, s -> s);
             ScuAssociation a = ScuAssociation.open(to(l), List.of(new AssociateRequest.Proposal(1, CT,
                     List.of(TransferSyntaxes.EXPLICIT_VR_LITTLE_ENDIAN))))) {
            ScuAssociation.StoreResponse rsp = a.store(a.acceptedContexts().get(1), meta.sopInstanceUid(),
                    new java.io.ByteArrayInputStream(truncated), truncated.length);
            assertEquals(DimseCommand.STATUS_CANNOT_UNDERSTAND, rsp.status());
            assertTrue(rsp.errorComment().contains("truncated"), rsp.errorComment());
            // the association goes on: the complete data set is accepted next
            ScuAssociation.StoreResponse ok = a.store(a.acceptedContexts().get(1), meta.sopInstanceUid(),
                    new java.io.ByteArrayInputStream(dataSet), dataSet.length);
            assertEquals(0, ok.status());
            assertEquals(1, l.spooled().size());
            assertTrue(l.temporaries().isEmpty());
        }
    }

    @Test
    void associationsBeyondTheLimitAreRejectedAsTransient() throws Exception {
        List<AssociateRequest.Proposal> echo = List.of(new AssociateRequest.Proposal(1, Uids.VERIFICATION,
                List.of(TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN)));
        try (RunningListener l = new RunningListener(dir, s -> s.withMaxAssociations(1))) {
            ScuAssociation first = ScuAssociation.open(to(l), echo);
            assertEquals(0, first.echo());
            AssociationRejectedException e = assertThrows(AssociationRejectedException.class, () -> ScuAssociation.open(to(l), echo));
            assertTrue(e.isTransient(), e.getMessage());
            assertTrue(e.getMessage().contains("local limit exceeded"), e.getMessage());
            first.release();
            long end = System.currentTimeMillis() + 5000;
            while (l.verticle.scp().activeAssociations() > 0 && System.currentTimeMillis() < end) {
                Thread.sleep(10);
            }
            try (ScuAssociation again = ScuAssociation.open(to(l), echo)) {
                assertEquals(0, again.echo());
            }
        }
    }

    @Test
    void unsupportedSopClassesAndTransferSyntaxesAreNotAccepted() throws Exception {
        try (RunningListener l = new RunningListener(dir, s -> s)) {
            try (ScuAssociation a = ScuAssociation.open(to(l), List.of(
                    new AssociateRequest.Proposal(1, "1.2.840.10008.5.1.4.1.2.2.1", List.of(TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN)),
                    new AssociateRequest.Proposal(3, CT, List.of("1.2.840.10008.1.2.4.100")),
                    new AssociateRequest.Proposal(5, CT, List.of("1.2.840.10008.1.2.4.100", TransferSyntaxes.JPEG_LS_LOSSLESS)),
                    new AssociateRequest.Proposal(7, "1.3.12.2.1107.5.9.1", List.of(TransferSyntaxes.EXPLICIT_VR_LITTLE_ENDIAN))))) {
                assertEquals(2, a.acceptedContexts().size(), "query/retrieve and MPEG2 refused: " + a.acceptedContexts());
                assertEquals(TransferSyntaxes.JPEG_LS_LOSSLESS, a.acceptedContexts().get(5).transferSyntax());
                assertTrue(a.acceptedContexts().containsKey(7), "private storage SOP classes are accepted");
            }
        }
    }

    @Test
    void aDecodableTransferSyntaxWinsOverOneTheServerCannotDecode() throws Exception {
        // a site that accepts JPEG XL too (listener.transferSyntaxes): stored as received, but nothing here decodes it
        String jpegXl = "1.2.840.10008.1.2.4.110";
        List<String> accepted = new java.util.ArrayList<>(TransferSyntaxes.LISTENER_DEFAULT);
        accepted.add(jpegXl);
        try (RunningListener l = new RunningListener(dir, s -> s.withTransferSyntaxes(accepted))) {
            try (ScuAssociation a = ScuAssociation.open(to(l), List.of(
                    // JPEG XL first: accepted by the listener but not decodable, so Explicit VR Little Endian wins
                    new AssociateRequest.Proposal(1, CT, List.of(jpegXl, TransferSyntaxes.EXPLICIT_VR_LITTLE_ENDIAN)),
                    // both decodable: the requestor's order (the file's own encoding, stored as received)
                    new AssociateRequest.Proposal(3, CT, List.of(TransferSyntaxes.JPEG_2000_LOSSLESS, TransferSyntaxes.EXPLICIT_VR_LITTLE_ENDIAN)),
                    new AssociateRequest.Proposal(5, CT, List.of(TransferSyntaxes.JPEG_LS_LOSSLESS, TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN)),
                    // only an undecodable one: accepted and stored; the study's jobs then fail saying why
                    new AssociateRequest.Proposal(7, CT, List.of(jpegXl)),
                    // 12-bit JPEG Extended is decodable with DCMTK's dcmdjpeg (8-bit with PixelMed)
                    new AssociateRequest.Proposal(9, CT, List.of(TransferSyntaxes.JPEG_EXTENDED, TransferSyntaxes.EXPLICIT_VR_LITTLE_ENDIAN)))))  {
                assertEquals(TransferSyntaxes.EXPLICIT_VR_LITTLE_ENDIAN, a.acceptedContexts().get(1).transferSyntax());
                assertEquals(TransferSyntaxes.JPEG_2000_LOSSLESS, a.acceptedContexts().get(3).transferSyntax());
                assertEquals(TransferSyntaxes.isDecodable(TransferSyntaxes.JPEG_LS_LOSSLESS)
                        ? TransferSyntaxes.JPEG_LS_LOSSLESS : TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN,
                        a.acceptedContexts().get(5).transferSyntax());
                assertEquals(jpegXl, a.acceptedContexts().get(7).transferSyntax());
                assertTrue(TransferSyntaxes.isDecodable(TransferSyntaxes.JPEG_EXTENDED), "dcmdjpeg (Debian dcmtk) is not installed");
                assertEquals(TransferSyntaxes.JPEG_EXTENDED, a.acceptedContexts().get(9).transferSyntax());
            }
        }
    }
}
