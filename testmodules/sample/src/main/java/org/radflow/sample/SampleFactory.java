package org.radflow.sample;

import org.radflow.api.AiModule;
import org.radflow.api.AiModuleFactory;
import org.radflow.api.ConfigProperty;
import org.radflow.api.ModuleContext;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleException;
import org.radflow.api.Selection;
import org.radflow.api.TagCondition;
import org.radflow.api.TagMatch;
import org.radflow.api.Trigger;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/** {@code sample}: thresholds an MR or CT series and reports a measurement, a classification, a mask and a key image. */
public final class SampleFactory implements AiModuleFactory {

    static final String ID = "sample";

    @Override
    public ModuleDescriptor descriptor() {
        return ModuleDescriptor.builder(ID, SampleCodes.VERSION, SampleCodes.API_MAJOR, SampleCodes.API_MINOR)
                .displayName("Sample threshold (demo)")
                .model(SampleCodes.demoModel("sample-threshold",
                        "Segments the voxels brighter than a threshold; a demonstration, not a trained model"))
                .selection(new Selection(List.of(new TagMatch("Modality", TagCondition.anyOf(List.of("MR", "CT")))),
                        Set.of(), 1))
                .trigger(Trigger.SERIES)
                .timeout(Duration.ofMinutes(2))
                .config(ConfigProperty.of("threshold",
                        "Intensity above which a voxel belongs to the bright region; 'mean' uses the series' mean", "mean"))
                .build();
    }

    @Override
    public AiModule create(ModuleContext context) throws ModuleException {
        String threshold = context.config().get("threshold").orElse("mean").trim();
        if (threshold.equalsIgnoreCase("mean")) {
            return new SampleModule(Double.NaN);
        }
        try {
            return new SampleModule(Double.parseDouble(threshold));
        } catch (NumberFormatException e) {
            throw new ModuleException("configuration key 'threshold' must be a number or 'mean', not '" + threshold + "'");
        }
    }
}
