package org.radflow.routing;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.api.DicomTags;
import org.radflow.api.ApiVersion;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.Trigger;
import org.radflow.dicom.AttributeListTags;
import org.radflow.routing.RuleEvaluation.Outcome;
import org.radflow.testdata.ChestOptions;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RouterTest {

    static final String RULES = """
            rules:
              - name: chest-xray
                module: covidnet
                trigger: instance
                priority: high
                destinations: [pacs]
                match:
                  Modality: [CR, DX]
                  BodyPartExamined: {regex: "chest|thorax"}
                  ViewPosition: {not: [LL, RL, LATERAL]}
              - name: hippo
                module: hippovolume
                destinations: [pacs]
                match:
                  Modality: MR
                  SeriesDescription: HippoCrop
                  SliceThickness: {lt: 2.5}
              - name: ct-to-hippo        # misrouted: hippovolume reads MR only
                module: hippovolume
                match: {Modality: CT}
              - name: retired
                module: covidnet
                enabled: false
                match: {Modality: DX}
              - name: typo
                module: covidnet2
            """;

    @TempDir
    static Path dir;
    static DicomTags dx;
    static DicomTags lateral;
    static DicomTags mr;
    static DicomTags ct;
    static Router router;

    @BeforeAll
    static void studies() throws Exception {
        dx = AttributeListTags.read(Studies.chest(dir.resolve("dx"), ChestOptions.View.PA).files().get(0));
        lateral = AttributeListTags.read(Studies.chest(dir.resolve("lat"), ChestOptions.View.LAT).files().get(0));
        mr = AttributeListTags.read(Studies.mr(dir.resolve("mr")).files().get(0));
        ct = AttributeListTags.read(Studies.ct(dir.resolve("ct")).files().get(0));
        router = Router.of(Yamls.ruleSet(RULES), Studies.MODULES);
    }

    private static Map<String, RuleEvaluation> byRule(List<RuleEvaluation> evaluations) {
        Map<String, RuleEvaluation> out = new LinkedHashMap<>();
        evaluations.forEach(e -> out.put(e.rule().name(), e));
        return out;
    }

    @Test
    void chestDxGoesToCovidnetAndSaysWhyNotElsewhere() {
        Map<String, RuleEvaluation> r = byRule(router.evaluate(dx, null));
        assertEquals(List.of("chest-xray", "hippo", "ct-to-hippo", "retired", "typo"), List.copyOf(r.keySet()), "every rule, in order");

        RuleEvaluation chest = r.get("chest-xray");
        assertTrue(chest.willRun());
        assertEquals(Optional.of(Trigger.INSTANCE), chest.trigger());
        assertEquals("MATCH -> module covidnet (trigger instance, priority high, destinations: pacs)", chest.describe());

        assertEquals(Outcome.NOT_MATCHED, r.get("hippo").outcome());
        assertEquals("no: Modality is MR (was 'DX')", r.get("hippo").describe());
        assertEquals("disabled: enabled: false; would match", r.get("retired").describe());
        assertEquals(Outcome.UNKNOWN_MODULE, r.get("typo").outcome());
        assertEquals("error: No module 'covidnet2'. Available: covidnet, hippovolume", r.get("typo").describe());
    }

    @Test
    void lateralChestFailsOnItsFirstFailedCondition() {
        RuleEvaluation chest = byRule(router.evaluate(lateral, null)).get("chest-xray");
        assertEquals("no: ViewPosition not (is one of [LL, RL, LATERAL]) (was 'LL')", chest.describe());
        assertEquals("enabled: false; would not match anyway: Modality is DX (was 'MR')",
                byRule(router.evaluate(mr, null)).get("retired").reason().orElseThrow());
    }

    @Test
    void mrGoesToHippovolumeWithTheModulesTriggerAndSize() {
        Map<String, RuleEvaluation> r = byRule(router.evaluate(mr, null));
        assertEquals("no: Modality is one of [CR, DX] (was 'MR')", r.get("chest-xray").describe());
        RuleEvaluation hippo = r.get("hippo");
        assertTrue(hippo.willRun(), "without counts the minimum slice count is not checked: " + hippo.describe());
        assertEquals(Optional.of(Trigger.SERIES), hippo.trigger(), "no trigger in the rule: the module's");
        assertEquals("MATCH -> module hippovolume (trigger series (module default), priority normal, destinations: pacs)", hippo.describe());

        RuleEvaluation small = byRule(router.evaluate(mr, null, Map.of(Trigger.SERIES, 4))).get("hippo");
        assertTrue(small.matched());
        assertFalse(small.willRun());
        assertEquals(Optional.of("the series has 4 instances; the module needs at least 20"), small.moduleRefusal());
        assertTrue(byRule(router.evaluate(mr, null, Map.of(Trigger.SERIES, 176))).get("hippo").willRun());
    }

    @Test
    void ctMatchedByAMisroutedRuleIsRefusedByTheModule() {
        Map<String, RuleEvaluation> r = byRule(router.evaluate(ct, null));
        RuleEvaluation e = r.get("ct-to-hippo");
        assertEquals(Outcome.MATCHED, e.outcome());
        assertFalse(e.willRun());
        // the modality is named first (issue 18), the raw condition kept for the job's timeline
        assertEquals("Modality is CT; needed: is MR", e.moduleRefusal().orElseThrow());
        assertEquals("Modality is MR (was 'CT')", e.refusalCondition().orElseThrow());
        assertTrue(e.describe().endsWith("(the job is recorded NOT_APPLICABLE)"), e.describe());
        assertEquals("no: Modality is MR (was 'CT')", r.get("hippo").describe());
        assertEquals("no: Modality is one of [CR, DX] (was 'CT')", r.get("chest-xray").describe());
    }

    @Test
    void moduleSelectionConditionsAndInstanceTriggersAreChecked() {
        Router r = Router.of(Yamls.ruleSet("""
                rules:
                  - {name: per-instance, module: hippovolume, trigger: instance, match: {Modality: MR}}
                  - {name: all-dx, module: hippovolume, match: {Modality: DX}}
                """), Studies.MODULES);
        assertEquals(Optional.of("an instance-triggered job has 1 instance; the module needs at least 20"),
                r.evaluate(mr, null).get(0).moduleRefusal(), "an instance is never 20 slices");
        // a SOP class list the unit passes, then the tag condition
        ModuleDescriptor anySop = ModuleDescriptor.builder("hippovolume", "1", ApiVersion.MAJOR, ApiVersion.MINOR).selection(
                new org.radflow.api.Selection(Studies.HIPPOVOLUME.selection().conditions(), java.util.Set.of(), 1)).build();
        Router tagsOnly = Router.of(r.rules(), List.of(anySop));
        assertEquals(Optional.of("Modality is DX; needed: is MR"), tagsOnly.evaluate(dx, null).get(1).moduleRefusal());
        // an MR of another SOP class than the module reads: now the SOP class check speaks
        ModuleDescriptor ctOnly = ModuleDescriptor.builder("hippovolume", "1", ApiVersion.MAJOR, ApiVersion.MINOR).selection(
                new org.radflow.api.Selection(Studies.HIPPOVOLUME.selection().conditions(),
                        java.util.Set.of("1.2.840.10008.5.1.4.1.1.2"), 1)).build();
        assertTrue(Router.of(r.rules(), List.of(ctOnly)).evaluate(mr, null).get(0).moduleRefusal().orElseThrow()
                .startsWith("SOP Class 1.2.840.10008.5.1.4.1.1.4 (MR Image Storage) is not one the module reads"));
    }

    @Test
    void patientIdentifiersAreNotRepeated() {
        Router r = Router.of(Yamls.ruleSet("""
                rules:
                  - {name: by-id, module: covidnet, match: {PatientID: OTHER}}
                  - {name: by-name, module: covidnet, match: {PatientName: {regex: "SMITH.*"}}}
                  - {name: by-accession, module: covidnet, match: {AccessionNumber: absent}}
                  - {name: by-age, module: covidnet, match: {PatientAge: absent}}
                """), Studies.MODULES);
        List<RuleEvaluation> e = r.evaluate(dx, null);
        assertEquals("PatientID is OTHER (value not shown: it identifies the patient)", e.get(0).reason().orElseThrow());
        assertEquals("PatientName matches /SMITH.*/i (value not shown: it identifies the patient)", e.get(1).reason().orElseThrow());
        assertEquals("AccessionNumber is absent (value not shown: it identifies the patient)", e.get(2).reason().orElseThrow());
        assertTrue(e.get(3).reason().orElseThrow().matches("PatientAge is absent \\(was '\\d{3}Y'\\)"), "age is shown: "
                + e.get(3).reason());
        for (RuleEvaluation x : e) {
            String json = x.toJson().encode();
            assertFalse(json.contains("4711") || json.contains("DOE"), json);
        }
    }

    @Test
    void missingModulesAreReportedUpFront() {
        assertEquals(List.of("rule 'typo': No module 'covidnet2'. Available: covidnet, hippovolume"), router.problems());
        Router withoutList = new Router(router.rules(), id -> Optional.empty());
        assertEquals("error: No module 'covidnet2' is loaded", withoutList.evaluate(dx, null).get(4).describe());
        assertEquals(5, withoutList.problems().size());
    }

    @Test
    void evaluationAsJson() {
        var j = byRule(router.evaluate(dx, null)).get("chest-xray").toJson();
        assertEquals("matched", j.getString("outcome"));
        assertEquals(true, j.getBoolean("willRun"));
        assertEquals("instance", j.getString("trigger"));
        assertEquals("high", j.getString("priority"));
        assertEquals("pacs", j.getJsonArray("destinations").getString(0));
        var no = byRule(router.evaluate(dx, null)).get("hippo").toJson();
        assertEquals("not_matched", no.getString("outcome"));
        assertEquals("Modality is MR (was 'DX')", no.getString("reason"));
    }

    @Test
    void refusalsAreSentencesWithTheValueFirstAndTheModulesExplanation() {
        ModuleDescriptor frontal = ModuleDescriptor.builder("covidnet", "1", ApiVersion.MAJOR, ApiVersion.MINOR).selection(
                new org.radflow.api.Selection(List.of(
                        new org.radflow.api.TagMatch("Modality", org.radflow.api.TagCondition.anyOf(List.of("CR", "DX"))),
                        new org.radflow.api.TagMatch("ViewPosition", org.radflow.api.TagCondition.orAbsent(
                                org.radflow.api.TagCondition.regex("PA|AP")), "COVID-Net reads frontal (PA/AP) chest radiographs")),
                        java.util.Set.of(), 1)).build();
        Router r = Router.of(Yamls.ruleSet("rules: [{name: any-dx, module: covidnet, match: {Modality: DX}}]"), List.of(frontal));
        RuleEvaluation e = r.evaluate(lateral, null).get(0);
        assertEquals(Optional.of("View Position is LL; COVID-Net reads frontal (PA/AP) chest radiographs"), e.moduleRefusal());
        assertEquals(Optional.of("ViewPosition matches /PA|AP/i or is absent (was 'LL')"), e.refusalCondition());
    }
}
