package org.radflow.bench;

import org.radflow.testdata.ChestOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;

import java.nio.file.Path;

/**
 * Writes one study for each built-in module, as the demo sends them: a DX chest radiograph (covidnet) and a
 * HippoCrop MR series (hippovolume). Used by bench/memory.sh, which sends them with storescu.
 * Argument: the output folder.
 */
public final class BuiltInModuleStudies {

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        GeneratedSeries chest = Synth.chestRadiograph(out.resolve("chest"), ChestOptions.defaults()
                .withFinding(ChestOptions.Finding.CONSOLIDATION));
        GeneratedSeries mr = Synth.brainMr(out.resolve("hippocrop"), MrOptions.defaults());
        System.out.println(chest.studyInstanceUid() + " " + chest.files().size() + " " + chest.modality());
        System.out.println(mr.studyInstanceUid() + " " + mr.files().size() + " " + mr.modality());
    }
}
