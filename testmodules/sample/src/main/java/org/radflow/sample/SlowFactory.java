package org.radflow.sample;

import org.radflow.api.AiModule;
import org.radflow.api.AiModuleFactory;
import org.radflow.api.ConfigProperty;
import org.radflow.api.Finding;
import org.radflow.api.JobContext;
import org.radflow.api.ModuleContext;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleException;
import org.radflow.api.ModuleResult;
import org.radflow.api.StudyInput;
import org.radflow.api.Trigger;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/** {@code sample-slow}: waits {@code delayMs}, stopping early when the job is cancelled; for queueing and cancellation tests. */
public final class SlowFactory implements AiModuleFactory {

    static final String ID = "sample-slow";

    @Override
    public ModuleDescriptor descriptor() {
        return ModuleDescriptor.builder(ID, SampleCodes.VERSION, SampleCodes.API_MAJOR, SampleCodes.API_MINOR)
                .displayName("Sample slow (demo)")
                .model(SampleCodes.demoModel("sample-wait", "Waits, then reports how long it waited"))
                .trigger(Trigger.SERIES)
                .timeout(Duration.ofMinutes(1))
                .config(ConfigProperty.of("delayMs", "How long each job takes, in milliseconds", "2000"))
                .build();
    }

    @Override
    public AiModule create(ModuleContext context) throws ModuleException {
        int delayMs = context.config().getInt("delayMs", 2000);
        if (delayMs < 0) {
            throw new ModuleException("configuration key 'delayMs' must not be negative, was " + delayMs);
        }
        return new Slow(delayMs);
    }

    private static final class Slow implements AiModule {
        private final int delayMs;

        Slow(int delayMs) {
            this.delayMs = delayMs;
        }

        @Override
        public ModuleResult process(StudyInput input, JobContext job) throws ModuleException {
            long start = System.nanoTime();
            long elapsedMs;
            while ((elapsedMs = (System.nanoTime() - start) / 1_000_000) < delayMs) {
                if (job.isCancelled()) {
                    throw new ModuleException("job " + job.jobId() + " was cancelled after " + elapsedMs + " ms");
                }
                job.progress((double) elapsedMs / delayMs, "waiting");
                try {
                    Thread.sleep(Math.min(20, delayMs - elapsedMs));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ModuleException("job " + job.jobId() + " was interrupted after " + elapsedMs + " ms", e);
                }
            }
            List<String> evidence = input.series().stream()
                    .flatMap(s -> s.instances().stream()).map(StudyInput.InstanceInput::sopInstanceUid).toList();
            return ModuleResult.completed(
                    List.of(new Finding.Measurement(SampleCodes.WAIT, SampleCodes.ELAPSED, elapsedMs, SampleCodes.MILLISECONDS,
                            SampleCodes.WAIT, evidence)),
                    List.of(), "Demo: waited " + elapsedMs + " ms.", Map.of("delayMs", String.valueOf(delayMs)));
        }
    }
}
