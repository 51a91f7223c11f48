package org.example.brightness;

import org.radflow.api.AiModule;
import org.radflow.api.AiModuleFactory;
import org.radflow.api.ApiVersion;
import org.radflow.api.ConfigProperty;
import org.radflow.api.InferenceEngine;
import org.radflow.api.ModelIdentity;
import org.radflow.api.ModuleContext;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleException;
import org.radflow.api.Selection;
import org.radflow.api.TagCondition;
import org.radflow.api.TagMatch;
import org.radflow.api.Trigger;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The module's entry point, found by {@code java.util.ServiceLoader} through
 * {@code META-INF/services/org.radflow.api.AiModuleFactory}. {@link #descriptor()} says what the module is and
 * accepts; {@link #create} makes the working module once per load, with its checked configuration and its models.
 */
public final class BrightnessFactory implements AiModuleFactory {

    /** The module id: the drop-in folder's name ({@code <modules.dir>/template-brightness/}) and the config key. */
    public static final String ID = "template-brightness";
    public static final String VERSION = "0.1.0";
    /** In {@code <modules.dir>/template-brightness/models/}, where {@link ModuleContext#modelDirectory()} points. */
    public static final String MODEL_FILE = "brightness.onnx";

    static final ModelIdentity MODEL = new ModelIdentity("Brightness logistic model", "1",
            "two fixed weights written by src/model/MakeModel.java; its results mean nothing clinically", true);

    @Override
    public ModuleDescriptor descriptor() {
        return ModuleDescriptor.builder(ID, VERSION, ApiVersion.MAJOR, ApiVersion.MINOR)
                .displayName("Brightness (module template)")
                .model(MODEL)
                .trigger(Trigger.SERIES)
                // checked by RadFlow before the module runs; a mismatch is NOT_APPLICABLE with this explanation
                .selection(new Selection(List.of(new TagMatch("Modality", TagCondition.anyOf(List.of("MR", "CT")),
                        "the template reads MR and CT series")), Set.of(), 1))
                // modules.template-brightness.config.brightThreshold in radflow.yaml; checked (type, range) by RadFlow
                .config(ConfigProperty.number("brightThreshold",
                        "Probability of 'bright' from which the series is classed bright", 0.5).range(0, 1))
                .build();
    }

    @Override
    public AiModule create(ModuleContext context) throws ModuleException {
        double threshold = context.config().getDouble("brightThreshold");
        Path model = context.modelDirectory().resolve(MODEL_FILE);
        if (!Files.isRegularFile(model)) {
            throw new ModuleException("Module " + ID + ": no model at " + model + "; copy " + MODEL_FILE
                    + " from target/dropin/" + ID + "/models/ of the module's build into that folder");
        }
        InferenceEngine.ModelSession session = context.inference().load(InferenceEngine.Backend.ONNX, model);
        return new BrightnessModule(session, threshold);
    }
}
