package org.radflow.bench;

import java.nio.file.Path;
import org.radflow.testdata.ChestOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.Synth;

/**
 * Writes N single-image DX chest studies (PA, 16 bit, with a window) of a given size, each with its own UIDs, for
 * bench/covidnet-job.sh (which sends them with storescu). Arguments: output folder, count, rows, columns.
 */
public final class CovidNetJobStudies {

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        int count = Integer.parseInt(args[1]);
        int rows = Integer.parseInt(args[2]);
        int columns = Integer.parseInt(args[3]);
        for (int i = 0; i < count; i++) {
            GeneratedSeries s = Synth.chestRadiograph(out.resolve(String.format("study-%04d", i)), ChestOptions.defaults()
                    .withSeed(1000 + i).withSize(rows, columns).withWindow(true)
                    .withFinding(i % 2 == 0 ? ChestOptions.Finding.CONSOLIDATION : ChestOptions.Finding.NONE));
            System.out.println(s.studyInstanceUid() + " " + s.files().size() + " " + s.modality());
        }
    }
}
