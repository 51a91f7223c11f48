package org.radflow.intake;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeFactory;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.TransferSyntax;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.jobs.JobQueries;
import org.radflow.listener.InstanceStored;
import org.radflow.store.Store;
import org.radflow.store.StoreSettings;
import org.radflow.tracking.SpoolRetention;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The received-studies index on the embedded store against a real spool folder: kept by intake (written in batches,
 * not per instance), the same as a rebuild from the spool, checked at start-up (missing and extra rows, files changed
 * while stopped, a crash), and cleared by the retention sweep.
 */
class StudyIndexTest {

    @TempDir
    Path dir;
    private Store store;
    private Path incoming;
    private ReceivedStudies spool;
    private StudyIndex index;
    private final Instant t0 = Instant.parse("2026-12-01T08:00:00.123456789Z");

    @BeforeEach
    void open() throws Exception {
        store = Store.open(settings());
        incoming = Files.createDirectories(dir.resolve("spool").resolve("incoming"));
        spool = new ReceivedStudies(incoming);
        index = new StudyIndex(store, "node-a", spool);
        index.reconcile();
    }

    /** The store the index is tested on: the embedded one (StudyIndexPostgresTest: a real PostgreSQL). */
    StoreSettings settings() throws Exception {
        return StoreSettings.embedded(dir.resolve("journal"));
    }

    @AfterEach
    void close() throws Exception {
        index.close();
        store.close();
    }

    /** Writes one instance into the spool layout (file dated {@code at}) and returns what the listener hands on. */
    private InstanceStored write(String study, String series, String sop, String modality, Instant at) throws Exception {
        AttributeList l = new AttributeList();
        put(l, TagFromName.SOPClassUID, "1.2.840.10008.5.1.4.1.1.7");
        put(l, TagFromName.SOPInstanceUID, sop);
        put(l, TagFromName.StudyInstanceUID, study);
        put(l, TagFromName.SeriesInstanceUID, series);
        put(l, TagFromName.PatientName, "Doe^Jane");
        put(l, TagFromName.PatientID, "P-" + study);
        put(l, TagFromName.StudyDate, "20261201");
        put(l, TagFromName.StudyDescription, "Chest");
        put(l, TagFromName.AccessionNumber, "A" + study.replace(".", ""));
        put(l, TagFromName.Modality, modality);
        put(l, TagFromName.SeriesNumber, series.substring(series.lastIndexOf('.') + 1));
        put(l, TagFromName.SeriesDescription, modality + " series");
        FileMetaInformation.addFileMetaInformation(l, TransferSyntax.ExplicitVRLittleEndian, "RADFLOWTEST");
        Path f = Files.createDirectories(incoming.resolve(study).resolve(series)).resolve(sop + ".dcm");
        l.write(f.toFile(), TransferSyntax.ExplicitVRLittleEndian, true, true);
        Files.setLastModifiedTime(f, FileTime.from(at));
        return new InstanceStored(study, series, sop, "1.2.840.10008.5.1.4.1.1.7", modality, TransferSyntax.ExplicitVRLittleEndian,
                "MODALITY", f, Files.size(f), at);
    }

    private static void put(AttributeList l, AttributeTag t, String v) throws Exception {
        Attribute a = AttributeFactory.newAttribute(t);
        a.addValue(v);
        l.put(a);
    }

    /** What intake does with a stored instance: reads its header and tells the index. */
    private void take(InstanceStored e) throws Exception {
        index.stored(new ReceivedInstance(e, InstanceHeader.read(e.path())));
    }

    private int rows(String table) throws Exception {
        try (Connection c = store.connection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + table)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private void sql(String statement) throws Exception {
        try (Connection c = store.connection(); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }

    /** Two studies: 1.2.1 (CT series of 3, SR series of 1) and the newer 1.2.2 (one DX instance). */
    private void twoStudies() throws Exception {
        for (int i = 0; i < 3; i++) {
            take(write("1.2.1", "1.2.1.1", "1.2.1.1." + i, "CT", t0.plusSeconds(i)));
        }
        take(write("1.2.1", "1.2.1.2", "1.2.1.2.0", "SR", t0.plusSeconds(5)));
        take(write("1.2.2", "1.2.2.1", "1.2.2.1.0", "DX", t0.plusSeconds(60)));
    }

    @Test
    void intakeKeepsTheIndexInBatchesAndTheApiReadsIt() throws Exception {
        twoStudies();
        assertEquals(0, rows("received_series"), "nothing is written per instance: the summaries wait for a flush");
        StudyIndex.Page page = index.list(50, 0);
        assertEquals(2, page.total());
        assertEquals(List.of("1.2.2", "1.2.1"), page.studies().stream().map(j -> j.getString("studyInstanceUid")).toList(),
                "newest first");
        JsonObject st = page.studies().get(1);
        assertEquals("Doe^Jane", st.getString("patientName"));
        assertEquals("P-1.2.1", st.getString("patientId"));
        assertEquals("20261201", st.getString("studyDate"));
        assertEquals("Chest", st.getString("studyDescription"));
        assertEquals("A121", st.getString("accession"));
        assertEquals(new JsonArray().add("CT").add("SR"), st.getJsonArray("modalities"));
        assertEquals(2, st.getInteger("seriesCount"));
        assertEquals(4, st.getInteger("instanceCount"));
        assertEquals(t0.toString(), st.getString("firstReceived"));
        assertEquals(t0.plusSeconds(5).toString(), st.getString("lastReceived"));
        assertFalse(st.containsKey("series"), "a page lists studies without their series");
        assertEquals(List.of("1.2.1"), index.list(1, 1).studies().stream().map(j -> j.getString("studyInstanceUid")).toList());
        assertEquals(2, index.list(1, 1).total());

        JsonObject study = index.study("1.2.1").orElseThrow();
        JsonArray series = study.getJsonArray("series");
        assertEquals(2, series.size());
        JsonObject ct = series.getJsonObject(0);
        assertEquals("1.2.1.1", ct.getString("seriesInstanceUid"));
        assertEquals("1", ct.getString("seriesNumber"));
        assertEquals("CT series", ct.getString("seriesDescription"));
        assertEquals("CT", ct.getString("modality"));
        assertEquals(3, ct.getInteger("instanceCount"));
        assertEquals(t0.plusSeconds(2).toString(), ct.getString("lastReceived"));
        assertEquals(Optional.empty(), index.study("1.2.9"));

        // an instance sent again replaces its file: counted once
        take(write("1.2.1", "1.2.1.1", "1.2.1.1.0", "CT", t0.plusSeconds(30)));
        take(write("1.2.1", "1.2.1.1", "1.2.1.1.3", "CT", t0.plusSeconds(31)));
        assertEquals(4, index.study("1.2.1").orElseThrow().getJsonArray("series").getJsonObject(0).getInteger("instanceCount"));
        assertEquals(5, index.study("1.2.1").orElseThrow().getInteger("instanceCount"));

        // the same as rebuilt from the spool alone (an upgrade from schema 6): another node's empty index over this spool
        StudyIndex rebuilt = new StudyIndex(store, "node-b", spool);
        StudyIndex.Reconcile r = rebuilt.reconcile();
        assertEquals(3, r.seriesCounted());
        for (String uid : List.of("1.2.1", "1.2.2")) {
            assertEquals(index.study(uid).orElseThrow(), rebuilt.study(uid).orElseThrow(), uid);
        }
        assertEquals(index.list(50, 0), rebuilt.list(50, 0));
        rebuilt.close();
    }

    @Test
    void theTimerWritesWithoutARead() throws Exception {
        index.start();
        twoStudies();
        long end = System.currentTimeMillis() + 5_000;
        while (rows("received_studies") < 2 && System.currentTimeMillis() < end) {
            Thread.sleep(20);
        }
        assertEquals(2, rows("received_studies"));
        assertEquals(3, rows("received_series"));
    }

    @Test
    void startUpRebuildsWhatDiffersFromTheSpoolAndOnlyThat() throws Exception {
        twoStudies();
        take(write("1.2.3", "1.2.3.1", "1.2.3.1.0", "MR", t0.plusSeconds(90)));
        JsonObject before121 = index.study("1.2.1").orElseThrow();
        JsonObject before123 = index.study("1.2.3").orElseThrow();
        index.close(); // a clean stop

        // while stopped: a series row and a study row lost, rows of a study that is not in the spool, and a file
        // added to 1.2.3's series folder (its folder time changes)
        sql("DELETE FROM received_series WHERE study_uid = '1.2.1' AND series_uid = '1.2.1.2'");
        sql("DELETE FROM received_studies WHERE study_uid = '1.2.2'");
        sql("INSERT INTO received_studies (node, study_uid, modalities, series_count, instance_count, size_bytes, first_received_ns, "
                + "last_received_ns) VALUES ('node-a', '9.9.9', 'CT', 1, 1, 1, 1, 1)");
        sql("INSERT INTO received_series (node, study_uid, series_uid, instance_count, size_bytes, first_received_ns, last_received_ns, "
                + "folder_time_ns, checked_at_ns) VALUES ('node-a', '9.9.9', '9.9.9.1', 1, 1, 1, 1, 1, 1)");
        write("1.2.3", "1.2.3.1", "1.2.3.1.1", "MR", t0.plusSeconds(95));

        index = new StudyIndex(store, "node-a", spool);
        StudyIndex.Reconcile r = index.reconcile();
        assertTrue(r.cleanStop());
        assertEquals(3, r.studies());
        assertEquals(4, r.series());
        assertEquals(2, r.seriesCounted(), "only the series without a row and the one whose folder changed are read: " + r);
        assertEquals(1, r.seriesRemoved());
        assertEquals(4, r.studiesRewritten(), "1.2.1, 1.2.2, 1.2.3 and the gone 9.9.9: " + r);
        assertEquals(before121, index.study("1.2.1").orElseThrow());
        assertEquals(1, index.study("1.2.2").orElseThrow().getInteger("instanceCount"));
        JsonObject now123 = index.study("1.2.3").orElseThrow();
        assertEquals(2, now123.getInteger("instanceCount"));
        assertEquals(before123.getString("firstReceived"), now123.getString("firstReceived"));
        assertEquals(t0.plusSeconds(95).toString(), now123.getString("lastReceived"));
        assertEquals(Optional.empty(), index.study("9.9.9"));
        assertEquals(3, index.list(50, 0).total());

        // nothing changed since: the next start reads no series
        index.close();
        index = new StudyIndex(store, "node-a", spool);
        assertEquals(0, index.reconcile().seriesCounted());

        // a crash (no clean stop) after an instance whose flush never happened: its series is counted again
        take(write("1.2.2", "1.2.2.1", "1.2.2.1.1", "DX", t0.plusSeconds(120)));
        index.flush();
        long counted = index.series("1.2.2").get(0).folderTimeNs();
        assertTrue(counted > 0, "a flush whose count matches the folder records its time");
        write("1.2.2", "1.2.2.1", "1.2.2.1.2", "DX", t0.plusSeconds(121)); // acknowledged, never flushed
        // renamed within the same clock tick as the last counted one: the folder's time does not move
        Files.setLastModifiedTime(incoming.resolve("1.2.2").resolve("1.2.2.1"),
                FileTime.from(counted, java.util.concurrent.TimeUnit.NANOSECONDS));
        // the other series were counted a minute before the index's last write
        sql("UPDATE received_series SET checked_at_ns = checked_at_ns - 60000000000 WHERE series_uid <> '1.2.2.1'");
        index = new StudyIndex(store, "node-a", spool); // the old one is dropped without close(): a crash
        StudyIndex.Reconcile crashed = index.reconcile();
        assertFalse(crashed.cleanStop());
        assertEquals(1, crashed.seriesCounted(), "the series counted shortly before the index's last write: " + crashed);
        assertEquals(3, index.study("1.2.2").orElseThrow().getInteger("instanceCount"));
    }

    @Test
    void theRetentionSweepRemovesTheRowsOfTheStudiesItDeletes() throws Exception {
        twoStudies();
        index.flush();
        SpoolRetention retention = new SpoolRetention(incoming, dir.resolve("spool").resolve("tmp"), new JobQueries(store));
        retention.onRemoved(uid -> {
            try {
                index.resync(uid);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        // the series folders dated as their files (t0); 1.2.2 held although it is as old
        Instant old = t0;
        for (String study : List.of("1.2.1", "1.2.2")) {
            try (var series = Files.list(incoming.resolve(study))) {
                for (Path s : series.toList()) {
                    Files.setLastModifiedTime(s, FileTime.from(old));
                }
            }
        }
        assertTrue(retention.hold("1.2.2", true));
        SpoolRetention.Sweep sweep = retention.sweep(t0.plus(Duration.ofDays(40)), Duration.ofDays(30));
        assertEquals(1, sweep.removed());
        assertEquals(1, sweep.held());
        assertEquals(Optional.empty(), index.study("1.2.1"));
        assertEquals(List.of("1.2.2"), index.list(50, 0).studies().stream().map(j -> j.getString("studyInstanceUid")).toList());
        assertEquals(1, rows("received_series"));
    }
}
