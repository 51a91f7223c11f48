package org.radflow.routing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.testdata.ChestOptions;
import org.radflow.testdata.GeneratedSeries;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RuleTesterTest {

    static final String RULES = """
            rules:
              - name: chest-xray
                module: covidnet
                trigger: instance
                priority: high
                destinations: [pacs]
                match: {Modality: [CR, DX], ViewPosition: {not: [LL, RL, LATERAL]}}
              - name: hippo
                module: hippovolume
                match: {Modality: MR, SeriesDescription: HippoCrop}
              - name: first-two
                module: hippovolume
                trigger: instance
                match: {Modality: MR, InstanceNumber: {le: 2}}
            """;

    @TempDir
    static Path dir;
    static GeneratedSeries mr;
    static RuleTestReport report;

    @BeforeAll
    static void folder() throws Exception {
        Studies.chest(dir.resolve("dx"), ChestOptions.View.PA);
        mr = Studies.mr(dir.resolve("nested/mr"));
        Studies.ct(dir.resolve("ct"));
        Files.writeString(dir.resolve("README.txt"), "not DICOM");
        Files.write(dir.resolve("empty.dcm"), new byte[0]);
        byte[] fake = new byte[400];
        fake[128] = 'D';
        fake[129] = 'I';
        fake[130] = 'C';
        fake[131] = 'M';
        for (int i = 132; i < fake.length; i++) {
            fake[i] = (byte) (i * 31);
        }
        Files.write(dir.resolve("nested/garbage.dcm"), fake);
        report = RuleTester.test(Router.of(Yamls.ruleSet(RULES), Studies.MODULES), List.of(dir, dir.resolve("missing")));
    }

    @Test
    void textHasOneBlockPerSeriesAndOneLinePerRule() {
        String text = report.toText();
        assertTrue(text.startsWith("RadFlow rule test: 3 rules; 10 files examined: 3 series in 3 studies, 4 files skipped.\n"
                + RuleTester.BASIS + "\n"), text);
        assertTrue(text.contains("\nSeries " + mr.seriesInstanceUid() + " (MR, \"HippoCrop\", 4 instances)\n"
                + "  study " + mr.studyInstanceUid() + " (4 instances)\n"
                + "  SOP Class 1.2.840.10008.5.1.4.1.1.4 (MR Image Storage)\n"
                + "  evaluated on " + mr.files().get(0) + "\n"
                + "    chest-xray  no: Modality is one of [CR, DX] (was 'MR')\n"
                + "    hippo       MATCH -> module hippovolume (trigger series (module default), priority normal, destinations: none);"
                + " but the module does not accept it: the series has 4 instances; the module needs at least 20 (the job is recorded NOT_APPLICABLE)\n"), text);
        assertTrue(text.contains("    chest-xray  MATCH -> module covidnet (trigger instance, priority high, destinations: pacs)\n"), text);
        assertTrue(text.contains("  note: rule 'first-two': 2 of 4 instances answer differently, e.g. "
                + mr.files().get(2).getFileName() + ": no: InstanceNumber <= 2 (was '3')\n"), text);
        assertTrue(text.contains("\nSkipped 4 files:\n"), text);
        assertTrue(text.contains(dir.resolve("README.txt") + ": not a DICOM file (no 'DICM' marker at byte 128)\n"), text);
        assertTrue(text.contains(dir.resolve("empty.dcm") + ": not a DICOM file"), text);
        assertTrue(text.contains(dir.resolve("nested/garbage.dcm") + ": unreadable DICOM"), text);
        assertTrue(text.contains(dir.resolve("missing") + ": does not exist"), text);
        assertFalse(text.contains("DOE") || text.contains("4711"), "no patient names or IDs");
    }

    @Test
    void json() {
        JsonObject j = report.toJson();
        assertEquals(new JsonArray(List.of("chest-xray", "hippo", "first-two")), j.getJsonArray("rules"));
        assertEquals(3, j.getJsonArray("series").size());
        JsonObject mrJson = j.getJsonArray("series").stream().map(JsonObject.class::cast)
                .filter(s -> "MR".equals(s.getString("modality"))).findFirst().orElseThrow();
        assertEquals(4, mrJson.getInteger("instances"));
        JsonObject hippo = mrJson.getJsonArray("rules").getJsonObject(1);
        assertEquals("matched", hippo.getString("outcome"));
        assertFalse(hippo.getBoolean("willRun"));
        assertEquals("the series has 4 instances; the module needs at least 20", hippo.getString("moduleRefusal"));
        assertEquals(4, j.getJsonArray("skipped").size());
        assertFalse(j.encode().contains("DOE") || j.encode().contains("4711"));
        assertEquals(1, report.seriesWithJobs(), "only the chest radiograph makes a job that runs");
    }

    @Test
    void singleFilesAndAModuleLookupWithoutAList() {
        RuleTestReport r = RuleTester.test(Yamls.ruleSet(RULES), id -> Optional.empty(), List.of(mr.files().get(0)));
        assertEquals(1, r.series().size());
        assertEquals(1, r.series().get(0).instances());
        assertEquals("error: No module 'hippovolume' is loaded", r.series().get(0).evaluations().get(1).describe());
        assertTrue(r.skipped().isEmpty());
    }

    @Test
    void nothingToTest() {
        RuleTestReport r = RuleTester.test(RuleSet.empty(), id -> Optional.empty(), List.of(dir.resolve("README.txt")));
        String text = r.toText();
        assertTrue(text.contains("No rules are configured: nothing would be routed."), text);
        assertTrue(text.contains("No DICOM files found."), text);
    }
}
