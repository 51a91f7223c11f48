package org.radflow.dicom;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OutputUidsTest {

    @Test
    void sameInputsModuleAndVersionGiveTheSameValidUid() {
        String h1 = OutputUids.inputHash(List.of("1.2.3", "1.2.4"));
        String h2 = OutputUids.inputHash(List.of("1.2.4", "1.2.3"));
        assertEquals(h1, h2, "order of arrival does not matter");
        String uid = OutputUids.derive(h1, "sample", "1.0.0", "sr.instance");
        assertEquals(uid, OutputUids.derive(h2, "sample", "1.0.0", "sr.instance"));
        assertTrue(org.radflow.dicom.Uids.isValid(uid), uid);
        assertTrue(uid.startsWith("2.25.") && uid.length() <= 44, uid);
    }

    @Test
    void anythingElseDifferentGivesAnotherUid() {
        String h = OutputUids.inputHash(List.of("1.2.3"));
        String base = OutputUids.derive(h, "sample", "1.0.0", "sr.instance");
        assertNotEquals(base, OutputUids.derive(OutputUids.inputHash(List.of("1.2.3", "1.2.5")), "sample", "1.0.0", "sr.instance"));
        assertNotEquals(base, OutputUids.derive(h, "other", "1.0.0", "sr.instance"));
        assertNotEquals(base, OutputUids.derive(h, "sample", "1.0.1", "sr.instance"));
        assertNotEquals(base, OutputUids.derive(h, "sample", "1.0.0", "sr.series"));
    }
}
