package org.radflow.sample;

import org.radflow.api.AiModule;
import org.radflow.api.AiModuleFactory;
import org.radflow.api.JobContext;
import org.radflow.api.ModuleContext;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleResult;
import org.radflow.api.StudyInput;
import org.radflow.api.Trigger;

import java.time.Duration;

/**
 * {@code sample-hang}: never returns and ignores interruption, as a stuck native call would; for
 * timeout tests (its descriptor's timeout is 3 s).
 */
public final class HangFactory implements AiModuleFactory {

    static final String ID = "sample-hang";

    @Override
    public ModuleDescriptor descriptor() {
        return ModuleDescriptor.builder(ID, SampleCodes.VERSION, SampleCodes.API_MAJOR, SampleCodes.API_MINOR)
                .displayName("Sample hang (demo)")
                .model(SampleCodes.demoModel("sample-hang", "Never finishes"))
                .trigger(Trigger.SERIES)
                .timeout(Duration.ofSeconds(3))
                .build();
    }

    @Override
    public AiModule create(ModuleContext context) {
        return new Hang();
    }

    private static final class Hang implements AiModule {
        @Override
        public ModuleResult process(StudyInput input, JobContext job) {
            for (;;) {
                try {
                    Thread.sleep(1_000);
                } catch (InterruptedException ignored) {
                    // on purpose: the host must cope with a module that cannot be stopped
                }
            }
        }
    }
}
