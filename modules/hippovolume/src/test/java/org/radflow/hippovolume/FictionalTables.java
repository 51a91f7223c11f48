package org.radflow.hippovolume;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reference tables for tests: made-up round numbers under a provenance header that says so. Nothing here is, or is
 * derived from, published normative data.
 */
final class FictionalTables {

    static final String CITATION = "FICTIONAL test table (RadFlow tests), not published data";

    /** The provenance header of a valid table covering ages 40 to under 80. */
    static final String HEADER = """
            # FICTIONAL TABLE FOR TESTS: made-up round numbers, not from any publication
            # citation: %s
            # doi: none
            # segmentation: none (made-up numbers)
            # measure: one-hemisphere
            # headSizeCorrected: false
            # ageRange: 40-80
            # units: mm3
            sex,ageFrom,ageTo,percentile,volumeMm3
            """.formatted(CITATION);

    /** Women 40-60 and 60-80, men 40-80; percentiles 5, 10, 50, 95. */
    static final String VALID = HEADER + """
            F,40,60,5,1000
            F,40,60,10,2000
            F,40,60,50,3000
            F,40,60,95,4000
            F,60,80,5,500
            F,60,80,10,1500
            F,60,80,50,2500
            F,60,80,95,3500
            M,40,80,5,1100
            M,40,80,10,2200
            M,40,80,50,3300
            M,40,80,95,4400
            """;

    private FictionalTables() {
    }

    static Path write(Path dir, String name, String text) throws IOException {
        Files.createDirectories(dir);
        return Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
    }

    /**
     * A valid table whose band for women aged 60 to under 65 puts {@code totalMm3} between its 10th and 50th
     * percentile (the other rows as {@link #VALID}).
     */
    static String around(double totalMm3) {
        long t = Math.round(totalMm3);
        return HEADER + """
                F,40,60,5,1000
                F,40,60,10,2000
                F,40,60,50,3000
                F,40,60,95,4000
                F,60,65,5,%d
                F,60,65,10,%d
                F,60,65,50,%d
                F,60,65,95,%d
                F,65,80,5,500
                F,65,80,95,3500
                M,40,80,5,1100
                M,40,80,95,4400
                """.formatted(Math.max(1, t - 200), Math.max(2, t - 100), t + 100, t + 200);
    }
}
