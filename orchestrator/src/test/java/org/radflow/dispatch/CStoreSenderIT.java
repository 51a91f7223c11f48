package org.radflow.dispatch;

import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.dicom.TransferSyntaxes;
import org.radflow.dicom.net.AssociationRejectedException;
import org.radflow.listener.ListenerSettings;
import org.radflow.listener.StoreScp;
import org.radflow.testdata.ChestOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;
import org.radflow.testkit.FreePorts;
import org.radflow.testkit.OrthancServer;

import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The C-STORE sender delivering to a real Orthanc, checked through Orthanc's REST API. */
class CStoreSenderIT {

    @RegisterExtension
    static final OrthancServer ORTHANC = new OrthancServer();

    @TempDir
    Path dir;

    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private CStoreSender toOrthanc() {
        return new CStoreSender(vertx, "orthanc", CStoreSender.Settings.of(ORTHANC.aeTitle(), "127.0.0.1", ORTHANC.dicomPort(), "RADFLOW"));
    }

    @Test
    void deliversAStudyWithTwoSopClassesOverOneAssociation() throws Exception {
        GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withSeed(11));
        GeneratedSeries dx = Synth.chestRadiograph(dir.resolve("dx"), ChestOptions.defaults().withSeed(11)
                .withStudyInstanceUid(mr.studyInstanceUid()));
        List<Path> files = new ArrayList<>(mr.files());
        files.addAll(dx.files());

        DeliveryReport report = toOrthanc().send(files).await(60, TimeUnit.SECONDS);

        assertTrue(report.allSucceeded(), report.failures().toString());
        assertEquals(files.size(), report.outcomes().size());
        List<String> expected = new ArrayList<>(mr.sopInstanceUids());
        expected.addAll(dx.sopInstanceUids());
        assertEquals(new HashSet<>(expected), new HashSet<>(ORTHANC.sopInstanceUidsOfStudy(mr.studyInstanceUid())));
        // what Orthanc holds is what was sent
        String id = ORTHANC.findInstanceBySopInstanceUid(dx.sopInstanceUids().get(0)).orElseThrow();
        assertEquals(Files.size(dx.files().get(0)) - org.radflow.dicom.Part10.readMeta(dx.files().get(0)).dataSetOffset(),
                ORTHANC.instanceFile(id).length - metaLength(ORTHANC.instanceFile(id)));
    }

    private static long metaLength(byte[] part10) throws Exception {
        Path tmp = Files.createTempFile("orthanc", ".dcm");
        try {
            Files.write(tmp, part10);
            return org.radflow.dicom.Part10.readMeta(tmp).dataSetOffset();
        } finally {
            Files.delete(tmp);
        }
    }

    @Test
    void perInstanceRefusalsComeBackAsOutcomesAndTheRestIsDelivered() throws Exception {
        // a RadFlow listener that accepts only implicit VR: a JPEG-LS file cannot be sent there (no decompression),
        // an explicit VR file is re-encoded, a non-DICOM file is reported, the rest goes through
        GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withSeed(12));
        Path jpegLs = dir.resolve("fake-jpegls.dcm");
        // a file labelled JPEG-LS (its pixels are never decoded: the sender must refuse before sending)
        org.radflow.dicom.Part10.Meta meta = org.radflow.dicom.Part10.readMeta(mr.files().get(0));
        byte[] original = Files.readAllBytes(mr.files().get(0));
        try (var out = Files.newOutputStream(jpegLs)) {
            out.write(org.radflow.dicom.Part10.fileMetaInformation(meta.sopClassUid(), meta.sopInstanceUid(),
                    TransferSyntaxes.JPEG_LS_LOSSLESS, "TEST"));
            out.write(original, (int) meta.dataSetOffset(), original.length - (int) meta.dataSetOffset());
        }
        Path notDicom = dir.resolve("notes.txt");
        Files.writeString(notDicom, "not an image");
        int port = FreePorts.find();
        ListenerSettings only = ListenerSettings.defaults(dir.resolve("spool")).withBindAddress("127.0.0.1").withPort(port)
                .withMinFreeSpaceBytes(0);
        only = new ListenerSettings(only.aeTitle(), only.bindAddress(), only.port(), only.maxAssociations(),
                only.allowedCallingAeTitles(), only.checkCalledAeTitle(), only.maxPduLength(), only.idleTimeout(),
                List.of(TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN), only.spoolDir(), false, 0);
        try (StoreScp scp = new StoreScp(only, e -> { }, s -> { })) {
            scp.start();
            CStoreSender sender = new CStoreSender(vertx, "implicit-only", CStoreSender.Settings.of("RADFLOW", "127.0.0.1", port, "TEST"));
            List<Path> files = new ArrayList<>(mr.files().subList(1, 4));
            files.add(jpegLs);
            files.add(notDicom);
            DeliveryReport report = sender.send(files).await(60, TimeUnit.SECONDS);
            assertEquals(5, report.outcomes().size());
            assertEquals(2, report.failures().size(), report.toString());
            assertTrue(report.failures().stream().anyMatch(o -> o.file().equals(jpegLs) && o.detail().contains("does not decompress")));
            assertTrue(report.failures().stream().anyMatch(o -> o.file().equals(notDicom) && o.detail().contains("cannot read")));
            try (var s = Files.walk(dir.resolve("spool/incoming"))) {
                assertEquals(3, s.filter(Files::isRegularFile).count());
            }
        }
    }

    @Test
    void anUnreachableOrRefusingDestinationFailsTheWholeSend() throws Exception {
        GeneratedSeries mr = Synth.brainMr(dir.resolve("mr"), MrOptions.defaults().withSeed(13));
        CStoreSender nobody = new CStoreSender(vertx, "down", CStoreSender.Settings.of("X", "127.0.0.1", FreePorts.find(), "RADFLOW"));
        Throwable down = assertThrows(Exception.class, () -> nobody.send(mr.files()).await(30, TimeUnit.SECONDS));
        assertInstanceOf(ConnectException.class, rootCause(down));

        int port = FreePorts.find();
        ListenerSettings strict = ListenerSettings.defaults(dir.resolve("spool2")).withBindAddress("127.0.0.1").withPort(port)
                .withAllowedCallingAeTitles(java.util.Set.of("SOMEONE_ELSE"));
        try (StoreScp scp = new StoreScp(strict, e -> { }, s -> { })) {
            scp.start();
            CStoreSender refused = new CStoreSender(vertx, "strict", CStoreSender.Settings.of("RADFLOW", "127.0.0.1", port, "RADFLOW"));
            Throwable e = assertThrows(Exception.class, () -> refused.send(mr.files()).await(30, TimeUnit.SECONDS));
            AssociationRejectedException rj = assertInstanceOf(AssociationRejectedException.class, rootCause(e));
            assertFalse(rj.isTransient());
            assertTrue(rj.getMessage().contains("calling AE title not recognized"), rj.getMessage());
        }
    }

    private static Throwable rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }
}
