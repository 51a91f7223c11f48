package org.radflow.hippovolume;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.radflow.api.DicomTags;
import org.radflow.api.ModuleException;
import org.radflow.hippovolume.NormativeTable.Comparison;
import org.radflow.hippovolume.NormativeTable.Sex;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading, checking and looking up site reference tables, all {@link FictionalTables fictional}. */
class NormativeTableTest {

    @TempDir
    Path dir;

    NormativeTable valid() throws Exception {
        return NormativeTable.read(FictionalTables.write(dir, "norms.csv", FictionalTables.VALID));
    }

    @Test
    void aValidTableIsReadWithItsProvenance() throws Exception {
        NormativeTable t = valid();
        assertEquals(FictionalTables.CITATION, t.provenance().citation());
        assertEquals("none", t.provenance().doi());
        assertEquals(FictionalTables.CITATION, t.reference(), "no DOI printed for 'none'");
        assertEquals("one-hemisphere", t.provenance().measure());
        assertFalse(t.provenance().headSizeCorrected());
        assertEquals(40, t.provenance().ageFrom());
        assertEquals(80, t.provenance().ageTo());
        assertEquals(3, t.bands().size());
        assertEquals(List.of(5.0, 10.0, 50.0, 95.0), t.bands().get(0).points().stream()
                .map(NormativeTable.Point::percentile).toList());
        assertEquals(10, t.bands().get(0).line(), "the band's first row, after 9 header lines");
        assertTrue(t.referenceVolumes().contains("not head-size corrected"), t.referenceVolumes());

        String withDoi = FictionalTables.VALID.replace("# doi: none", "# doi: 10.0000/fictional.42")
                .replace("\n", "\r\n");
        NormativeTable d = NormativeTable.read(FictionalTables.write(dir, "doi.csv", "\uFEFF" + withDoi));
        assertEquals(FictionalTables.CITATION + " doi:10.0000/fictional.42", d.reference(), "BOM and CRLF are fine");
    }

    @Test
    void aVolumeIsPlacedBetweenTheNeighbouringPercentilesOfItsBand() throws Exception {
        NormativeTable t = valid();
        // women 40-60: 5th 1000, 10th 2000, 50th 3000, 95th 4000
        assertAnswer(t.compare(2500, Sex.F, 50), "PCTL-10-50", "Between the 10th and 50th percentile");
        assertAnswer(t.compare(999.9, Sex.F, 50), "PCTL-LT-5", "Below the 5th percentile");
        assertAnswer(t.compare(1000, Sex.F, 50), "PCTL-5-10", "Between the 5th and 10th percentile");
        assertAnswer(t.compare(3999, Sex.F, 50), "PCTL-50-95", "Between the 50th and 95th percentile");
        assertAnswer(t.compare(4000, Sex.F, 50), "PCTL-GE-95", "At or above the 95th percentile");
        // band edges: ageFrom belongs to the band, ageTo to the next one
        assertAnswer(t.compare(2500, Sex.F, 40), "PCTL-10-50", "Between the 10th and 50th percentile");
        assertAnswer(t.compare(2500, Sex.F, 59), "PCTL-10-50", "Between the 10th and 50th percentile");
        assertAnswer(t.compare(2500, Sex.F, 60), "PCTL-50-95", "Between the 50th and 95th percentile");
        assertEquals("women aged 60 to under 80", t.compare(2500, Sex.F, 79).band().group());
        assertAnswer(t.compare(2500, Sex.M, 60), "PCTL-10-50", "Between the 10th and 50th percentile");
        assertEquals("men aged 40 to under 80", t.compare(2500, Sex.M, 60).band().group());

        Comparison old = t.compare(2500, Sex.F, 80);
        assertFalse(old.placed());
        assertNull(old.band());
        assertEquals("the table has no band for women aged 80 (its women's bands cover 40 to under 80)", old.reason());
        assertEquals("the table has no band for men aged 39 (its men's bands cover 40 to under 80)",
                t.compare(2500, Sex.M, 39).reason());
    }

    @Test
    void decimalPercentilesGetOrdinalsAndShortCodes() throws Exception {
        String text = FictionalTables.HEADER.replace("ageRange: 40-80", "ageRange: 40-50") + """
                F,40,50,2.5,1000
                F,40,50,97.75,2000
                F,40,50,99.25,2100
                """;
        NormativeTable t = NormativeTable.read(FictionalTables.write(dir, "dec.csv", text));
        assertAnswer(t.compare(500, Sex.F, 45), "PCTL-LT-2.5", "Below the 2.5th percentile");
        assertAnswer(t.compare(2050, Sex.F, 45), "PCTL-97.75-99.25", "Between the 97.75th and 99.25th percentile");
        assertEquals("1st 2nd 3rd 4th 11th 12th 13th 21st 22nd 50th",
                String.join(" ", List.of(1, 2, 3, 4, 11, 12, 13, 21, 22, 50).stream()
                        .map(p -> NormativeTable.ordinal(p)).toList()));
    }

    @Test
    void ageAndSexComeFromTheHeadersOrTheComparisonSaysWhyNot() throws Exception {
        NormativeTable t = valid();
        assertAnswer(t.compare(2500, tags("PatientSex", "F", "PatientAge", "062Y")), "PCTL-50-95",
                "Between the 50th and 95th percentile");
        assertEquals(OptionalInt.of(62), NormativeTable.years(tags("PatientAge", "062Y")));
        assertEquals(OptionalInt.of(1), NormativeTable.years(tags("PatientAge", "018M")));
        assertEquals(OptionalInt.of(1), NormativeTable.years(tags("PatientAge", "060W")));
        // no (usable) Patient's Age: whole years from Birth Date to Study Date
        assertEquals(OptionalInt.of(61), NormativeTable.years(tags("PatientBirthDate", "19640315", "StudyDate", "20260314")));
        assertEquals(OptionalInt.of(62), NormativeTable.years(tags("PatientAge", "sixty", "PatientBirthDate", "19640315",
                "StudyDate", "20260315")));
        assertEquals(OptionalInt.empty(), NormativeTable.years(tags("PatientBirthDate", "19640315")));
        assertEquals(OptionalInt.empty(), NormativeTable.years(tags("PatientBirthDate", "20300101", "StudyDate", "20260101")));

        assertEquals("Patient's Sex is absent", t.compare(2500, tags("PatientAge", "062Y")).reason());
        assertEquals("Patient's Sex is O and the table is for F and M",
                t.compare(2500, tags("PatientSex", "O", "PatientAge", "062Y")).reason());
        assertTrue(t.compare(2500, tags("PatientSex", "M")).reason().startsWith("the patient's age is not known"));
        assertFalse(t.compare(2500, tags("PatientSex", "M", "PatientAge", "030Y")).placed());
    }

    /** Each broken table is refused naming the file, the line and the fix. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "missing column      | sex,ageFrom,ageTo,percentile,volumeMm3=>sex,ageFrom,ageTo,volumeMm3 | line 9: the header row lacks column percentile",
            "unknown column      | volumeMm3\\n=>volumeMm3,note\\n                                      | has unknown column 'note'",
            "not a number        | F,40,60,50,3000=>F,40,60,50,3000mm                                 | line 12: volumeMm3 '3000mm' is not a number",
            "age not whole       | F,40,60,5,1000=>F,40.5,60,5,1000                                   | line 10: ageFrom '40.5' is not a whole number of years",
            "percentile order    | F,40,60,10,2000=>F,40,60,4,2000                                    | line 11: percentile 4 does not increase",
            "volume decreasing   | F,40,60,50,3000=>F,40,60,50,1500                                   | line 12: volume 1500 mm3 at the 50th percentile is below 2000 mm3",
            "percentile range    | F,40,60,95,4000=>F,40,60,100,4000                                  | line 13: percentile 100 is not between 0 and 100",
            "band overlap        | F,60,80,5,500\\nF,60,80,10,1500=>F,55,80,5,500\\nF,55,80,10,1500      | line 14: age band 55 to under 80 of women overlaps band 40 to under 60",
            "band order          | M,40,80,5,1100=>F,30,40,5,1100                                      | line 18: age band 30 to under 40 of women comes after band 60 to under 80",
            "band split          | M,40,80,5,1100\\nM,40,80,10,2200=>F,40,60,1,900\\nF,40,60,2,950     | line 18: the rows of women aged 40 to under 60 are split",
            "ages reversed       | M,40,80,5,1100=>M,80,40,5,1100                                     | line 18: ageFrom 80 is not below ageTo 40",
            "unknown sex         | M,40,80,95,4400=>X,40,80,95,4400                                   | line 21: sex 'X' is not F or M",
            "wrong cell count    | F,40,60,5,1000=>F,40,60,5                                          | line 10: 4 values but the header row (line 9) has 5 columns",
            "one percentile      | F,60,80,10,1500\\nF,60,80,50,2500\\nF,60,80,95,3500\\n=>            | line 14: women aged 60 to under 80 has one percentile",
            "wrong units         | units: mm3=>units: cm3                                             | line 8: units 'cm3': the table's volumes must be in mm3",
            "both hemispheres    | measure: one-hemisphere=>measure: both-hemispheres                 | line 5: measure 'both-hemispheres' does not match what HippoVolume measures",
            "unknown measure     | measure: one-hemisphere=>measure: hemisphere                       | line 5: measure 'hemisphere' is not one of",
            "head size corrected | headSizeCorrected: false=>headSizeCorrected: true                  | line 6: the table's volumes are head-size corrected",
            "age range mismatch  | ageRange: 40-80=>ageRange: 45-80                                   | line 7: ageRange 45-80 does not match the rows, which cover ages 40 to under 80",
            "missing key         | # doi: none\\n=>                                                    | the provenance header lacks doi",
            "empty citation      | # citation: FICTIONAL test table (RadFlow tests), not published data=># citation:   | the provenance header lacks citation",
            "misspelt key        | # citation:=># citaton: x\\n# citation:                             | line 2: unknown provenance key 'citaton'",
            "bad doi             | # doi: none=># doi: https://doi.org/10.1/x                         | line 3: doi 'https://doi.org/10.1/x' is not a DOI",
            "key after header    | F,40,60,5,1000=>F,40,60,5,1000\\n# units: mm3                       | line 11: provenance key 'units' after the header row",
    })
    void brokenTablesAreRefusedWithLineAndFix(String name, String edit, String expected) throws Exception {
        String[] parts = edit.replace("\\n", "\n").split("=>", -1);
        String from = parts[0].strip().replace("\\n", "\n");
        String text = FictionalTables.VALID;
        assertTrue(text.contains(from), "the edit applies: " + from);
        text = text.replaceFirst(java.util.regex.Pattern.quote(from), java.util.regex.Matcher.quoteReplacement(
                parts[1].strip()));
        Path file = FictionalTables.write(dir, "broken.csv", text);
        ModuleException e = assertThrows(ModuleException.class, () -> NormativeTable.read(file), text);
        assertTrue(e.getMessage().contains("configuration key 'normativeTable'"), e.getMessage());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected.replace("\\n", "\n")), e.getMessage());
    }

    @Test
    void everyProblemIsListedAndFilesThatAreNoTableAreNamed() throws Exception {
        String text = FictionalTables.VALID.replace("units: mm3", "units: mL").replace("F,40,60,50,3000", "F,40,60,50,x")
                .replace("M,40,80,95,4400", "W,40,80,95,4400");
        ModuleException e = assertThrows(ModuleException.class,
                () -> NormativeTable.read(FictionalTables.write(dir, "many.csv", text)));
        assertTrue(e.getMessage().contains("(3 problems)"), e.getMessage());
        assertTrue(e.getMessage().contains("line 12") && e.getMessage().contains("line 21") && e.getMessage().contains("line 8"),
                e.getMessage());

        ModuleException json = assertThrows(ModuleException.class,
                () -> NormativeTable.read(FictionalTables.write(dir, "norms.json", "{}")));
        assertTrue(json.getMessage().contains("JSON tables are not supported"), json.getMessage());
        ModuleException missing = assertThrows(ModuleException.class, () -> NormativeTable.read(dir.resolve("nope.csv")));
        assertTrue(missing.getMessage().contains("nope.csv: no such file (configuration key 'normativeTable')"),
                missing.getMessage());
        ModuleException empty = assertThrows(ModuleException.class,
                () -> NormativeTable.read(FictionalTables.write(dir, "empty.csv", FictionalTables.HEADER)));
        assertTrue(empty.getMessage().contains("no rows after the header row (line 9)"), empty.getMessage());
        ModuleException noHeader = assertThrows(ModuleException.class,
                () -> NormativeTable.read(FictionalTables.write(dir, "h.csv", "# citation: x\n")));
        assertTrue(noHeader.getMessage().contains("no header row"), noHeader.getMessage());
    }

    private static void assertAnswer(Comparison c, String code, String meaning) {
        assertTrue(c.placed(), c.reason());
        assertEquals("99RADFLOW", c.answer().scheme());
        assertEquals(code, c.answer().code());
        assertEquals(meaning, c.answer().meaning());
        assertTrue(c.answer().code().length() <= 16, "an SR code value has at most 16 characters");
    }

    static DicomTags tags(String... keyValues) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return keyword -> m.containsKey(keyword) ? List.of(m.get(keyword)) : List.of();
    }
}
