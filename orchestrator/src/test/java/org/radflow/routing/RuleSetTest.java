package org.radflow.routing;

import org.junit.jupiter.api.Test;
import org.radflow.api.DicomTags;
import org.radflow.api.Selection;
import org.radflow.api.TagCondition;
import org.radflow.api.TagCondition.Comparison;
import org.radflow.api.TagCondition.Comparison.Op;
import org.radflow.api.TagMatch;
import org.radflow.api.Trigger;
import org.radflow.config.ConfigException;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RuleSetTest {

    private static final String EXAMPLE = """
            rules:
              - name: chest-xray
                module: covidnet
                trigger: instance
                priority: high
                destinations: [pacs, pacs-web]
                match:
                  Modality: [CR, DX]
                  BodyPartExamined: {regex: "chest|thorax"}
                  ViewPosition: {not: [LL, RL, LATERAL]}
                  SeriesDescription: "HippoCrop"
                  SliceThickness: {lt: 2.5}
                  PatientAge: present
                  ImageType: {regex: ".*ORIGINAL.*"}
              - name: hippo
                module: hippovolume
              - name: retired
                module: covidnet
                enabled: false
            """;

    private static TagCondition cond(RoutingRule r, String keyword) {
        return r.match().stream().filter(m -> m.keyword().equals(keyword)).findFirst().orElseThrow().condition();
    }

    /** The condition of {@code Attr: <yaml>} in a one-rule set. */
    private static TagCondition one(String conditionYaml) {
        RuleSet rs = Yamls.ruleSet("rules:\n  - name: r\n    module: m\n    match:\n      SeriesNumber: " + conditionYaml + "\n");
        return rs.rules().get(0).match().get(0).condition();
    }

    private static String error(String yaml) {
        return assertThrows(ConfigException.class, () -> Yamls.ruleSet(yaml)).getMessage();
    }

    private static String matchError(String matchYaml) {
        return error("rules:\n  - name: chest\n    module: covidnet\n    match:\n      " + matchYaml + "\n");
    }

    @Test
    void theDocumentedExampleParses() {
        RuleSet rs = Yamls.ruleSet(EXAMPLE);
        assertEquals(3, rs.rules().size());
        RoutingRule chest = rs.rules().get(0);
        assertEquals("chest-xray", chest.name());
        assertEquals("covidnet", chest.module());
        assertEquals(Optional.of(Trigger.INSTANCE), chest.trigger());
        assertEquals(Priority.HIGH, chest.priority());
        assertEquals(List.of("pacs", "pacs-web"), chest.destinations());
        assertTrue(chest.enabled());
        assertEquals(List.of("Modality", "BodyPartExamined", "ViewPosition", "SeriesDescription", "SliceThickness",
                "PatientAge", "ImageType"), chest.match().stream().map(TagMatch::keyword).toList());
        assertEquals(TagCondition.anyOf(List.of("CR", "DX")), cond(chest, "Modality"));
        assertEquals("chest|thorax", ((TagCondition.Regex) cond(chest, "BodyPartExamined")).pattern());
        assertEquals(TagCondition.not(TagCondition.anyOf(List.of("LL", "RL", "LATERAL"))), cond(chest, "ViewPosition"));
        assertEquals(TagCondition.equalTo("HippoCrop"), cond(chest, "SeriesDescription"));
        assertEquals(new Comparison(Op.LT, 2.5), cond(chest, "SliceThickness"));
        assertEquals(TagCondition.present(), cond(chest, "PatientAge"));

        RoutingRule hippo = rs.rules().get(1);
        assertEquals(Optional.empty(), hippo.trigger(), "no trigger: the module's applies");
        assertEquals(Priority.NORMAL, hippo.priority());
        assertEquals(List.of(), hippo.destinations());
        assertEquals(List.of(), hippo.match());
        assertFalse(rs.rules().get(2).enabled());
        assertEquals(Set.of("covidnet", "hippovolume"), rs.moduleIds());
        assertTrue(rs.rule("CHEST-XRAY").isPresent());
    }

    @Test
    void yamlBooleansAreRefusedEvenAsNames() {
        assertEquals("rules[0].name: YAML read this as false (yes/no/on/off/true/false are booleans in YAML); "
                + "put the value in quotes, e.g. \"NO\" or \"off\"", error("rules:\n  - {name: off, module: m}\n"));
    }

    @Test
    void noRulesKeyGivesNoRules() {
        assertTrue(RuleSet.parse(null, "rules").rules().isEmpty());
        assertTrue(Yamls.ruleSet("rules: []").rules().isEmpty());
    }

    @Test
    void eachOperator() {
        assertEquals(TagCondition.equalTo("3"), one("3"), "YAML numbers compare as their text");
        assertEquals(TagCondition.equalTo("2.5"), one("2.5"));
        assertEquals(TagCondition.anyOf(List.of("1", "2")), one("[1, 2]"));
        assertEquals(TagCondition.equalTo("A B"), one("\"  A B \""), "surrounding spaces are ignored, as in DICOM");
        assertEquals(TagCondition.anyOf(List.of("4", "5")), one("{is: [4, 5]}"));
        assertEquals(TagCondition.equalTo("present"), one("{is: present}"), "is: takes the word as text");
        assertEquals(TagCondition.present(), one("present"));
        assertEquals(TagCondition.absent(), one("absent"));
        assertEquals(TagCondition.present(), one("{present: true}"));
        assertEquals(TagCondition.absent(), one("{present: false}"));
        assertEquals(TagCondition.absent(), one("{absent: true}"));
        assertEquals(TagCondition.not(TagCondition.absent()), one("{not: absent}"));
        assertEquals(TagCondition.not(TagCondition.equalTo("7")), one("{not: 7}"));
        assertEquals("^1\\d$", ((TagCondition.Regex) ((TagCondition.Not) one("{not: {regex: '^1\\d$'}}")).inner()).pattern());
        for (Op op : Op.values()) {
            assertEquals(new Comparison(op, 2), one("{" + op.name().toLowerCase() + ": 2}"));
        }
        assertEquals(new Comparison(Op.GE, 0.5), one("{ge: \"0.5\"}"), "a number in quotes is still a number");
        assertEquals(new TagCondition.AllOf(List.of(new Comparison(Op.GE, 1), new Comparison(Op.LE, 3), TagCondition.present())),
                one("{ge: 1, le: 3, present: true}"), "several operators: all of them, in order");
    }

    @Test
    void tagsInsteadOfKeywords() {
        RuleSet rs = Yamls.ruleSet("""
                rules:
                  - name: thin
                    module: hippovolume
                    match:
                      "(0018,0050)": {le: 1.5}
                """);
        TagMatch m = rs.rules().get(0).match().get(0);
        assertEquals("(0018,0050)", m.keyword());
        DicomTags thin = k -> k.equals("(0018,0050)") ? List.of("1.0") : List.of();
        assertEquals(Optional.empty(), m.mismatch(thin));
    }

    @Test
    void parsedConditionsBehaveAsDocumented() {
        RuleSet rs = Yamls.ruleSet(EXAMPLE);
        RoutingRule chest = rs.rules().get(0);
        Map<String, List<String>> dx = Map.of("Modality", List.of("DX"), "BodyPartExamined", List.of("CHEST"),
                "ViewPosition", List.of("PA"), "SeriesDescription", List.of("HippoCrop"), "SliceThickness", List.of("1"),
                "PatientAge", List.of("045Y"), "ImageType", List.of("ORIGINAL", "PRIMARY"));
        DicomTags tags = k -> dx.getOrDefault(k, List.of());
        for (TagMatch m : chest.match()) {
            assertEquals(Optional.empty(), m.mismatch(tags), m.keyword());
        }
        DicomTags thorax = k -> k.equals("BodyPartExamined") ? List.of("Thorax") : List.of();
        assertTrue(cond(chest, "BodyPartExamined").test(thorax.values("BodyPartExamined")), "regex ignores case");
        assertFalse(cond(chest, "BodyPartExamined").test(List.of("CHEST PA")), "regex matches whole values");
    }

    // ------------------------------------------------------------------ errors name the key

    @Test
    void unknownOperatorIsNamedWithTheFix() {
        String e = matchError("BodyPartExamined: {matches: chest}");
        assertTrue(e.startsWith("rules[0].match.BodyPartExamined.matches: unknown operator 'matches'; use 'regex'"), e);
        assertTrue(e.contains("Operators: is, regex, not, lt"), e);
        assertTrue(e.endsWith("(rule 'chest')"), e);
        assertTrue(matchError("SliceThickness: {lte: 2}").contains("use 'le'"));
        assertTrue(matchError("SliceThickness: {gtt: 2}").contains("use 'gt'"), "typos get the nearest operator");
        assertTrue(matchError("Modality: {in: [CR]}").contains("a list ([A, B])"));
    }

    @Test
    void unknownKeywordSuggestsTheNearest() {
        String e = matchError("Modallity: [CR, DX]");
        assertTrue(e.startsWith("rules[0].match.Modallity: 'Modallity' is not a DICOM attribute keyword; did you mean 'Modality'?"), e);
        assertTrue(matchError("seriesdescription: X").contains("did you mean 'SeriesDescription'?"), "case matters; suggested");
        assertTrue(matchError("Frobnicate: X").contains("is not a DICOM attribute keyword."), "no suggestion when nothing is near");
    }

    @Test
    void badRegexIsNamed() {
        String e = matchError("BodyPartExamined: {regex: \"chest(\"}");
        assertTrue(e.startsWith("rules[0].match.BodyPartExamined.regex: 'chest(' is not a valid regular expression"), e);
        assertTrue(matchError("BodyPartExamined: {not: {regex: \"[a\"}}").startsWith("rules[0].match.BodyPartExamined.not.regex:"));
        assertTrue(matchError("BodyPartExamined: {regex: [a, b]}").contains("join alternatives with |"));
    }

    @Test
    void badValuesAreNamed() {
        assertTrue(matchError("SliceThickness: {lt: thin}").startsWith("rules[0].match.SliceThickness.lt: expected a number"));
        assertTrue(matchError("BurnedInAnnotation: NO").startsWith("rules[0].match.BurnedInAnnotation: YAML read this as false"));
        assertTrue(matchError("StudyDate: 2024-01-02").contains("as a date"));
        assertTrue(matchError("Modality: []").startsWith("rules[0].match.Modality: an empty list matches nothing"));
        assertTrue(matchError("Modality: [CR, [DX]]").startsWith("rules[0].match.Modality[1]: expected a single value"));
        assertTrue(matchError("Modality:").startsWith("rules[0].match.Modality: no condition"));
        assertTrue(matchError("Modality: {}").startsWith("rules[0].match.Modality: an empty {} tests nothing"));
        assertTrue(matchError("Modality: \"\"").contains("an empty value never matches"));
        assertEquals("rules[0].match.Modality[1]: 'dx' can never match: Modality is a code string, upper case in DICOM; "
                + "write 'DX', or use {regex: \"dx\"}, which ignores case (rule 'chest')", matchError("Modality: [CR, dx]"));
        assertTrue(matchError("ViewPosition: {not: {is: Lateral}}").startsWith("rules[0].match.ViewPosition.not.is: 'Lateral' can never match"));
        assertEquals(TagCondition.equalTo("Chest PA"), Yamls.ruleSet("rules: [{name: a, module: m, match: {SeriesDescription: Chest PA}}]")
                .rules().get(0).match().get(0).condition(), "mixed case is fine for text attributes");
        assertTrue(matchError("PatientAge: {present: maybe}").startsWith("rules[0].match.PatientAge.present: expected true or false"));
        assertTrue(matchError("Modality: {regex: CT, is: [CR, yes]}").startsWith("rules[0].match.Modality.is[1]: YAML read this as true"));
        String notASection = error("rules:\n  - name: r\n    module: m\n    match: [Modality, CT]\n");
        assertTrue(notASection.startsWith("rules[0].match: expected one condition per attribute"), notASection);
    }

    @Test
    void ruleLevelErrorsAreNamed() {
        assertTrue(error("rules:\n  - name: r\n").startsWith("rules[0].module: missing; name the module"));
        assertTrue(error("rules:\n  - module: covidnet\n").startsWith("rules[0].name: missing"));
        assertTrue(error("rules:\n  - name: \"\"\n    module: m\n").startsWith("rules[0].name: missing"));
        assertEquals("rules[1].name: 'A' is already the name of rules[0]; rule names must be unique (ignoring case)",
                error("rules:\n  - {name: a, module: m}\n  - {name: A, module: m}\n"));
        String unknown = error("rules:\n  - {name: a, modul: covidnet}\n");
        assertTrue(unknown.startsWith("unknown key 'rules[0].modul'; did you mean 'module'?"), unknown);
        assertTrue(unknown.contains("Known keys here: name, module, trigger, priority, destinations, enabled, match"), unknown);
        assertTrue(error("rules:\n  - {name: a, module: m, destinations: pacs}\n")
                .startsWith("rules[0].destinations: expected a list of destination names, e.g. [pacs]"));
        assertTrue(error("rules:\n  - {name: a, module: m, destinations: [pacs, pacs]}\n").startsWith("rules[0].destinations[1]: 'pacs' is listed twice"));
        assertTrue(error("rules:\n  - {name: a, module: m, destinations: [{x: 1}]}\n").startsWith("rules[0].destinations[0]: expected the name"));
        assertTrue(error("rules:\n  - {name: a, module: m, enabled: \"false\"}\n").startsWith("rules[0].enabled: expected true or false"));
        assertEquals("rules[0].priority: 'urgent' is not a priority; use stat, high, normal, low (rule 'a')",
                error("rules:\n  - {name: a, module: m, priority: urgent}\n"));
        assertTrue(error("rules:\n  - {name: a, module: m, trigger: weekly}\n").startsWith("rules[0].trigger: 'weekly' is not a trigger; use instance, series, study"));
        assertTrue(error("rules:\n  - {name: a, module: CovidNet}\n").startsWith("rules[0].module: 'CovidNet' is not a module id"));
        assertTrue(error("rules:\n  - {name: 'chest x-ray', module: m}\n").startsWith("rules[0].name: 'chest x-ray' must be"));
        assertTrue(error("rules:\n  name: a\n").startsWith("rules: expected a list of rules"));
        assertTrue(error("rules:\n  - chest\n").startsWith("rules[0]: expected a rule with name, module and match"));
        assertEquals(Optional.of(Trigger.STUDY), Yamls.ruleSet("rules:\n  - {name: a, module: m, trigger: Study, priority: STAT}\n")
                .rules().get(0).trigger(), "trigger and priority words ignore case");
    }

    @Test
    void destinationsMustBeConfigured() {
        RuleSet rs = Yamls.ruleSet("rules:\n  - {name: a, module: m, destinations: [pacs]}\n  - {name: b, module: m, destinations: [pacs, pacs-web]}\n");
        rs.requireDestinations(Set.of("pacs", "pacs-web"), "rules");
        RuleSet bad = Yamls.ruleSet("rules:\n  - {name: a, module: m, destinations: [pacs]}\n  - {name: b, module: m, destinations: [pacs, pacsweb]}\n");
        String e = assertThrows(ConfigException.class, () -> bad.requireDestinations(List.of("pacs", "pacs-web"), "rules")).getMessage();
        assertEquals("rules[1].destinations[1]: no destination 'pacsweb'; did you mean 'pacs-web'? Defined under destinations: pacs, pacs-web (rule 'b')", e);
    }

    @Test
    void selectionOverride() {
        Selection s = RuleSet.parseSelection(Yamls.load("""
                match: {Modality: MR, MRAcquisitionType: 3D}
                sopClasses: [1.2.840.10008.5.1.4.1.1.4, CTImageStorage]
                minInstances: 20
                """), "modules.hippovolume.selection");
        assertEquals(2, s.conditions().size());
        assertEquals(Set.of("1.2.840.10008.5.1.4.1.1.4", "1.2.840.10008.5.1.4.1.1.2"), s.sopClassUids());
        assertEquals(20, s.minInstances());
        assertEquals(Selection.any(), RuleSet.parseSelection(null, "x"));

        assertTrue(assertThrows(ConfigException.class, () -> RuleSet.parseSelection(Yamls.load("minInstance: 3"), "modules.h.selection"))
                .getMessage().startsWith("unknown key 'modules.h.selection.minInstance'; did you mean 'minInstances'?"));
        assertTrue(assertThrows(ConfigException.class, () -> RuleSet.parseSelection(Yamls.load("minInstances: 0"), "s"))
                .getMessage().startsWith("s.minInstances: expected a whole number of at least 1"));
        assertTrue(assertThrows(ConfigException.class, () -> RuleSet.parseSelection(Yamls.load("sopClasses: [MRImage]"), "s"))
                .getMessage().startsWith("s.sopClasses[0]: 'MRImage' is neither a UID"));
        assertTrue(assertThrows(ConfigException.class, () -> RuleSet.parseSelection(Yamls.load("match: {Modallity: MR}"), "s"))
                .getMessage().startsWith("s.match.Modallity:"));
    }
}
