package org.radflow.routing;

import org.radflow.api.ApiVersion;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.Selection;
import org.radflow.api.TagCondition;
import org.radflow.api.TagMatch;
import org.radflow.api.Trigger;
import org.radflow.testdata.ChestOptions;
import org.radflow.testdata.CtOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Patient;
import org.radflow.testdata.Synth;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** Small synthetic studies and the two built-in modules' descriptors, shaped as the real ones. */
final class Studies {

    static final Patient PATIENT = Patient.of("DOE^JANE", "PID-4711");

    /** Chest X-rays, one instance at a time; reads DX and CR only. */
    static final ModuleDescriptor COVIDNET = ModuleDescriptor.builder("covidnet", "1.0.0", ApiVersion.MAJOR, ApiVersion.MINOR)
            .trigger(Trigger.INSTANCE)
            .selection(new Selection(List.of(new TagMatch("Modality", TagCondition.anyOf(List.of("CR", "DX")))),
                    Set.of(Synth.DX_FOR_PRESENTATION, Synth.CR_IMAGE), 1))
            .build();

    /** Hippocampal volume: MR series of at least 20 slices. */
    static final ModuleDescriptor HIPPOVOLUME = ModuleDescriptor.builder("hippovolume", "1.0.0", ApiVersion.MAJOR, ApiVersion.MINOR)
            .trigger(Trigger.SERIES)
            .selection(new Selection(List.of(new TagMatch("Modality", TagCondition.equalTo("MR"))), Set.of(Synth.MR_IMAGE), 20))
            .build();

    static final List<ModuleDescriptor> MODULES = List.of(COVIDNET, HIPPOVOLUME);

    private Studies() {
    }

    static GeneratedSeries chest(Path dir, ChestOptions.View view) throws IOException {
        return Synth.chestRadiograph(dir, ChestOptions.defaults().withSize(64, 64).withPatient(PATIENT).withView(view)
                .withSeed(view.ordinal() + 1));
    }

    /** A four-slice HippoCrop: too few slices for hippovolume's 20. */
    static GeneratedSeries mr(Path dir) throws IOException {
        return Synth.brainMr(dir, MrOptions.defaults().withPatient(PATIENT).withDimensions(35, 51, 4));
    }

    static GeneratedSeries ct(Path dir) throws IOException {
        return Synth.ctSeries(dir, CtOptions.defaults().withPatient(PATIENT).withSize(64, 64).withCount(2));
    }
}
