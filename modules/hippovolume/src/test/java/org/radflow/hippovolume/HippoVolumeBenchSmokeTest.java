package org.radflow.hippovolume;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The benchmark runs end to end on the crop (one run, plumbing model); its numbers are not checked. */
class HippoVolumeBenchSmokeTest {

    @Test
    void benchRunsOnTheCrop(@TempDir Path work) throws Exception {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        List<HippoVolumeBench.Timing> t = HippoVolumeBench.run(null, work, List.of(HippoVolumeBench.Case.CROP), 1, 1, 16,
                new PrintStream(text, true, StandardCharsets.UTF_8));
        assertEquals(1, t.size());
        assertTrue(t.get(0).millis()[0] > 0);
        String out = text.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("crop 35x51x32") && out.contains("plumbing only"), out);
        // a second run reuses the generated volume
        HippoVolumeBench.run(null, work, List.of(HippoVolumeBench.Case.CROP), 1, 1, 16,
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }
}
