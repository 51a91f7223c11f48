package org.example.meanintensity;

import org.radflow.api.AiModule;
import org.radflow.api.AiModuleFactory;
import org.radflow.api.ApiVersion;
import org.radflow.api.Concept;
import org.radflow.api.Finding;
import org.radflow.api.ImagePlane;
import org.radflow.api.ModuleContext;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleException;
import org.radflow.api.ModuleResult;
import org.radflow.api.PixelDataException;
import org.radflow.api.StudyInput;
import org.radflow.api.Trigger;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A minimal RadFlow module: the mean pixel value of each series (an example, not a clinical measure). */
public final class MeanIntensityFactory implements AiModuleFactory {

    static final Concept FINDING = new Concept("99EXAMPLE", "MEAN-1", "Series mean pixel value");
    static final Concept MEAN = new Concept("99EXAMPLE", "MEAN-2", "Mean pixel value");

    @Override
    public ModuleDescriptor descriptor() {
        return ModuleDescriptor.builder("mean-intensity", "1.0.0", ApiVersion.MAJOR, ApiVersion.MINOR)
                .displayName("Mean intensity (example)")
                .trigger(Trigger.SERIES)
                .build();
    }

    @Override
    public AiModule create(ModuleContext context) {
        return (input, job) -> {
            List<Finding> findings = new ArrayList<>();
            for (StudyInput.SeriesInput series : input.series()) {
                double sum = 0;
                long count = 0;
                List<String> evidence = new ArrayList<>();
                for (StudyInput.InstanceInput image : series.instances()) {
                    if (image.frames() == 0) {
                        continue; // not an image
                    }
                    job.checkCancelled();
                    ImagePlane plane;
                    try {
                        plane = image.plane();
                    } catch (PixelDataException e) {
                        throw new ModuleException("cannot decode " + image.sopInstanceUid() + ": " + e.getMessage(), e);
                    }
                    for (float v : plane.pixels()) {
                        sum += v;
                    }
                    count += plane.pixels().length;
                    evidence.add(image.sopInstanceUid());
                }
                if (count > 0) {
                    findings.add(new Finding.Measurement(FINDING, MEAN, sum / count, Concept.ucum("1", "no units"),
                            FINDING, evidence));
                }
            }
            if (findings.isEmpty()) {
                return ModuleResult.notApplicable("the series has no image");
            }
            double first = ((Finding.Measurement) findings.get(0)).value();
            return ModuleResult.completed(findings, List.of(),
                    String.format(Locale.ROOT, "Mean pixel value %.1f. Example module, NOT FOR DIAGNOSTIC USE.", first),
                    Map.of());
        };
    }
}
