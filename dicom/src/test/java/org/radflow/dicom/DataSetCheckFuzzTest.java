package org.radflow.dicom;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.pixelmed.dicom.DicomException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzing the check every received data set passes before the listener acknowledges it
 * ({@link DataSetCheck#verify(InputStream, String)}): whatever the bytes, it answers with a header or a
 * {@link DicomException} naming the problem (answered C000 to the peer), never another exception, which
 * would abort the association. The first byte picks the transfer syntax, the rest is the data set; seeds in
 * {@code src/test/resources/org/radflow/dicom/DataSetCheckFuzzTestInputs/dataSetCheck/}.
 */
class DataSetCheckFuzzTest {

    private static final List<String> SYNTAXES = List.of(TransferSyntaxes.EXPLICIT_VR_LITTLE_ENDIAN,
            TransferSyntaxes.IMPLICIT_VR_LITTLE_ENDIAN, TransferSyntaxes.EXPLICIT_VR_BIG_ENDIAN,
            TransferSyntaxes.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN);

    @FuzzTest(maxDuration = "60s")
    void dataSetCheck(byte[] input) throws IOException {
        if (input.length == 0) {
            return;
        }
        String ts = SYNTAXES.get((input[0] & 0xff) % SYNTAXES.size());
        try {
            DataSetCheck.verify(new ByteArrayInputStream(input, 1, input.length - 1), ts);
        } catch (DicomException expected) {
            // refused with a reason: C000 to the peer
        }
    }

    @Test
    void theSeedsAreWhatTheirNamesSay() throws Exception {
        byte[] ok = seed("explicit-sequence-encapsulated");
        Part10.Header h = DataSetCheck.verify(new ByteArrayInputStream(ok, 1, ok.length - 1), SYNTAXES.get(0));
        assertEquals("1.2.3.4.5", h.sopInstanceUid());
        assertEquals("1.2.3.4", h.studyInstanceUid());
        byte[] implicit = seed("implicit");
        assertEquals("1.2.3.4.1", DataSetCheck.verify(new ByteArrayInputStream(implicit, 1, implicit.length - 1),
                SYNTAXES.get(1)).seriesInstanceUid());
        byte[] cut = seed("truncated");
        DicomException e = assertThrows(DicomException.class,
                () -> DataSetCheck.verify(new ByteArrayInputStream(cut, 1, cut.length - 1), SYNTAXES.get(0)));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    /** Found by fuzzing: corrupt deflate data escaped as a ZipException instead of a DicomException with a reason. */
    @Test
    void corruptDeflatedDataIsAMalformedDataSet() throws Exception {
        byte[] input = seed("finding-corrupt-deflate");
        DicomException e = assertThrows(DicomException.class, () -> DataSetCheck.verify(
                new ByteArrayInputStream(input, 1, input.length - 1), TransferSyntaxes.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN));
        assertTrue(e.getMessage().contains("deflate"), e.getMessage());
    }

    private static byte[] seed(String name) throws IOException {
        try (InputStream in = DataSetCheckFuzzTest.class.getResourceAsStream("DataSetCheckFuzzTestInputs/dataSetCheck/" + name)) {
            return in.readAllBytes();
        }
    }
}
