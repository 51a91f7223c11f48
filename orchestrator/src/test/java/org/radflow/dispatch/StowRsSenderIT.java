package org.radflow.dispatch;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.testkit.Dcmtk;
import org.radflow.testkit.OrthancServer;
import org.radflow.testkit.SampleDicom;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** StowRsSender against a real Orthanc 1.10 with its DICOMweb plugin. */
class StowRsSenderIT {

    @RegisterExtension
    static OrthancServer orthanc = new OrthancServer();

    static Vertx vertx;

    @TempDir
    Path dir;

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stopVertx() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static <T> T await(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    private static StowRsSender sender(String url) {
        return new StowRsSender(vertx, "orthanc-it", StowRsSender.Settings.of(url));
    }

    @Test
    void threeFilesAreStored() throws Exception {
        SampleDicom study = SampleDicom.instance();
        List<Path> files = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            files.add(study.instanceNumber(i).sopInstanceUid(SampleDicom.newUid()).write(dir.resolve(i + ".dcm")));
        }
        try (StowRsSender sender = sender(orthanc.dicomWebUrl())) {
            DeliveryReport report = await(sender.send(files));

            assertTrue(report.allSucceeded(), report::toString);
            assertEquals(3, report.outcomes().size());
            assertEquals(3, orthanc.awaitInstanceCount(study.getStudyInstanceUid(), 3, Duration.ofSeconds(5)).size());
            for (InstanceOutcome outcome : report.outcomes()) {
                Optional<String> id = orthanc.findInstanceBySopInstanceUid(outcome.sopInstanceUid());
                assertTrue(id.isPresent(), outcome::toString);
                assertArrayEquals(Files.readAllBytes(outcome.file()), orthanc.instanceFile(id.get()));
            }
        }
    }

    @Test
    void corruptFilesFailAloneAndTheOthersAreStored() throws Exception {
        SampleDicom study = SampleDicom.instance();
        Path good1 = study.sopInstanceUid(SampleDicom.newUid()).write(dir.resolve("good1.dcm"));
        Path good2 = study.sopInstanceUid(SampleDicom.newUid()).write(dir.resolve("good2.dcm"));
        // not DICOM: never sent
        Path text = Files.writeString(dir.resolve("report.txt"), "this is not DICOM");
        // pixel data cut short: caught by the local check, never sent
        byte[] bytes = Files.readAllBytes(SampleDicom.instance().image(64, 64, 16).write(dir.resolve("whole.dcm")));
        Path truncated = Files.write(dir.resolve("truncated.dcm"), Arrays.copyOf(bytes, bytes.length - 1000));
        // well-formed but without Study Instance UID: sent; Orthanc answers HTTP 400 with this instance in
        // FailedSOPSequence (reason 0xC000) and the good ones in ReferencedSOPSequence
        Path noStudy = SampleDicom.instance().write(dir.resolve("nostudy.dcm"));
        Dcmtk.run(Duration.ofSeconds(30), "dcmodify", "-nb", "-e", "(0020,000d)", noStudy.toString()).assertOk();

        try (StowRsSender sender = sender(orthanc.dicomWebUrl())) {
            DeliveryReport report = await(sender.send(List.of(good1, text, truncated, noStudy, good2)));

            List<InstanceOutcome> o = report.outcomes();
            assertEquals(5, o.size());
            assertTrue(o.get(0).success(), o.get(0)::toString);
            assertTrue(o.get(4).success(), o.get(4)::toString);
            assertEquals(StowRsSender.UNREADABLE_FILE, o.get(1).status(), o.get(1)::toString);
            assertEquals(StowRsSender.UNREADABLE_FILE, o.get(2).status(), o.get(2)::toString);
            assertFalse(o.get(3).success(), o.get(3)::toString);
            assertEquals(0xC000, o.get(3).status(), o.get(3)::toString);
            assertTrue(orthanc.findInstanceBySopInstanceUid(o.get(0).sopInstanceUid()).isPresent());
            assertTrue(orthanc.findInstanceBySopInstanceUid(o.get(4).sopInstanceUid()).isPresent());
            assertFalse(orthanc.findInstanceBySopInstanceUid(o.get(3).sopInstanceUid()).isPresent());
        }
    }

    @Test
    void manyFilesInSeveralRequests() throws Exception {
        List<Path> files = SampleDicom.study(dir, 60);
        StowRsSender.Settings settings = StowRsSender.Settings.of(orthanc.dicomWebUrl()).withLimits(25, 1L << 30);
        try (StowRsSender sender = new StowRsSender(vertx, "orthanc-it", settings)) {
            long start = System.nanoTime();
            DeliveryReport report = await(sender.send(files));
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(report.allSucceeded(), report::toString);
            assertEquals(60, report.outcomes().size());
            for (InstanceOutcome outcome : report.outcomes()) {
                assertTrue(orthanc.findInstanceBySopInstanceUid(outcome.sopInstanceUid()).isPresent());
            }
            System.out.println("STOW-RS: 60 small files in 3 requests to Orthanc took " + ms + " ms");
        }
    }

    @Test
    void wrongPathFailsTheFuture() throws Exception {
        List<Path> files = SampleDicom.study(dir, 1);
        try (StowRsSender sender = sender(orthanc.httpUrl() + "/no-such-root")) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> await(sender.send(files)));
            StowRsSender.RequestFailedException failure =
                    assertInstanceOf(StowRsSender.RequestFailedException.class, e.getCause());
            assertEquals(404, failure.httpStatus());
            String m = failure.getMessage();
            assertTrue(m.contains("'orthanc-it'"), m);
            assertTrue(m.contains(orthanc.httpUrl() + "/no-such-root/studies"), m);
            assertTrue(m.contains("HTTP 404"), m);
            assertTrue(m.contains("Unknown resource"), m);
        }
    }

    @Test
    void stoppedOrthancFailsTheFuture() throws Exception {
        List<Path> files = SampleDicom.study(dir, 1);
        String url;
        try (OrthancServer gone = new OrthancServer().withName("StowRsSenderIT-stopped")
                .withStopGrace(Duration.ofMillis(200))) {
            gone.start();
            url = gone.dicomWebUrl();
        }
        try (StowRsSender sender = sender(url)) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> await(sender.send(files)));
            StowRsSender.RequestFailedException failure =
                    assertInstanceOf(StowRsSender.RequestFailedException.class, e.getCause());
            assertEquals(0, failure.httpStatus());
            String m = failure.getMessage();
            assertTrue(m.contains("'orthanc-it'") && m.contains(url + "/studies"), m);
            assertTrue(m.contains("no answer"), m); // refused, or closed while Orthanc was still going down
        }
    }
}
