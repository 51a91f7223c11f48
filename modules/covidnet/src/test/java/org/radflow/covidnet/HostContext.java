package org.radflow.covidnet;

import org.radflow.api.AiModule;
import org.radflow.api.ConfigProperty;
import org.radflow.api.InferenceEngine;
import org.radflow.api.JobContext;
import org.radflow.api.ModuleConfig;
import org.radflow.api.ModuleContext;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleException;
import org.radflow.inference.HostInferenceEngine;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The module's context as the host builds it: declared defaults under the given values, a model directory and a
 * view of the real {@link HostInferenceEngine} with an intra-op thread budget (the descriptor's by default).
 */
record HostContext(ModuleDescriptor descriptor, Map<String, String> values, Path modelDirectory, Path workDirectory,
                   HostInferenceEngine engine, int inferenceThreads) implements ModuleContext {

    /** A covidnet module created by its factory in this context. */
    static AiModule covidnet(HostInferenceEngine engine, Path models, Map<String, String> values) throws ModuleException {
        return covidnet(engine, models, values, new CovidNetFactory().descriptor().resources().inferenceThreads());
    }

    static AiModule covidnet(HostInferenceEngine engine, Path models, Map<String, String> values, int threads)
            throws ModuleException {
        CovidNetFactory factory = new CovidNetFactory();
        return factory.create(new HostContext(factory.descriptor(), values, models, models, engine, threads));
    }

    @Override
    public ModuleConfig config() {
        return name -> {
            if (values.containsKey(name)) {
                return Optional.of(values.get(name));
            }
            return descriptor.configProperties().stream().filter(p -> p.name().equals(name)).findFirst()
                    .map(ConfigProperty::defaultValue);
        };
    }

    @Override
    public InferenceEngine inference() {
        return engine.forModule(descriptor.id(), inferenceThreads);
    }

    @Override
    public System.Logger logger() {
        return System.getLogger("covidnet");
    }

    /** A job nobody cancels. */
    static JobContext job(String id) {
        return new JobContext() {
            @Override
            public String jobId() {
                return id;
            }

            @Override
            public void progress(double fraction, String message) {
            }

            @Override
            public boolean isCancelled() {
                return false;
            }
        };
    }
}
