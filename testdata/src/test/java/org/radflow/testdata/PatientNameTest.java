package org.radflow.testdata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pixelmed.dicom.AttributeList;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PatientNameTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"Müller^Jürgen", "Δημήτριος^Παπαδόπουλος", "Иванов^Иван", "山田^太郎"})
    void nonAsciiNamesRoundTripAsUtf8(String name) throws Exception {
        Patient p = Patient.of(name, "NA-1");
        GeneratedSeries chest = Synth.chestRadiograph(dir.resolve("c"),
                ChestOptions.defaults().withSize(128, 128).withPatient(p).withStudyDescription("Thorax ü"));
        GeneratedSeries mr = Synth.brainMr(dir.resolve("m"), MrOptions.defaults().withDimensions(35, 51, 1).withPatient(p));
        for (Path f : List.of(chest.files().get(0), mr.files().get(0))) {
            DicomTools.assertValid(f);
            AttributeList l = DicomTools.read(f);
            assertEquals("ISO_IR 192", DicomTools.string(l, 0x0008, 0x0005));
            assertEquals(name, DicomTools.string(l, 0x0010, 0x0010), "PixelMed reads the name back");
            byte[] raw = Files.readAllBytes(f);
            assertTrue(indexOf(raw, name.getBytes(StandardCharsets.UTF_8)) > 0, "UTF-8 bytes in the file");
            List<String> dump = DicomTools.run(DicomTools.DCMDUMP, "+U8", f.toString());
            assertTrue(dump.stream().anyMatch(line -> line.startsWith("(0010,0010) PN [" + name + "]")),
                    String.join("\n", dump));
        }
        assertEquals("Thorax ü", DicomTools.string(DicomTools.read(chest.files().get(0)), 0x0008, 0x1030));
    }

    @Test
    void asciiNameHasNoSpecificCharacterSet() throws Exception {
        Path f = Synth.chestRadiograph(dir, ChestOptions.defaults().withSize(128, 128)
                .withPatient(Patient.of("DOE^JOHN", "X1"))).files().get(0);
        AttributeList l = DicomTools.read(f);
        assertEquals("", DicomTools.string(l, 0x0008, 0x0005));
        assertEquals("DOE^JOHN", DicomTools.string(l, 0x0010, 0x0010));
    }

    @Test
    void defaultsAndValidation() {
        Patient a = Patient.anonymous();
        assertEquals("RADFLOW^SYNTHETIC", a.name());
        assertEquals("SYN0001", a.id());
        assertThrows(IllegalArgumentException.class, () -> a.withSex("X"));
        assertThrows(IllegalArgumentException.class, () -> a.withBirthDate("1970-01-01"));
        assertThrows(IllegalArgumentException.class, () -> Synth.chestRadiograph(dir,
                ChestOptions.defaults().withBodyPart("chest wall")));
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
