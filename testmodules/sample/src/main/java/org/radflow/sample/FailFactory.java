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
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code sample-fail}: fails the first {@code failTimes} attempts on each study (transiently or
 * permanently, per {@code mode}), then succeeds; for retry tests.
 */
public final class FailFactory implements AiModuleFactory {

    static final String ID = "sample-fail";

    /** Attempts per Study Instance UID; static so it survives module instances (one per class loader). */
    private static final Map<String, AtomicInteger> ATTEMPTS = new ConcurrentHashMap<>();

    @Override
    public ModuleDescriptor descriptor() {
        return ModuleDescriptor.builder(ID, SampleCodes.VERSION, SampleCodes.API_MAJOR, SampleCodes.API_MINOR)
                .displayName("Sample failure (demo)")
                .model(SampleCodes.demoModel("sample-fail", "Fails on purpose, then succeeds"))
                .trigger(Trigger.SERIES)
                .timeout(Duration.ofMinutes(1))
                .config(ConfigProperty.of("mode", "How the planned failures fail: 'transient' (retried) or 'permanent'", "transient"))
                .config(ConfigProperty.of("failTimes", "Attempts per study that fail before one succeeds; -1 fails every attempt", "1"))
                .build();
    }

    @Override
    public AiModule create(ModuleContext context) throws ModuleException {
        String mode = context.config().get("mode").orElse("transient").trim().toLowerCase(Locale.ROOT);
        if (!mode.equals("transient") && !mode.equals("permanent")) {
            throw new ModuleException("configuration key 'mode' must be 'transient' or 'permanent', not '" + mode + "'");
        }
        int failTimes = context.config().getInt("failTimes", 1);
        return new Fail(mode.equals("transient"), failTimes);
    }

    private static final class Fail implements AiModule {
        private final boolean transientFailures;
        private final int failTimes;

        Fail(boolean transientFailures, int failTimes) {
            this.transientFailures = transientFailures;
            this.failTimes = failTimes;
        }

        @Override
        public ModuleResult process(StudyInput input, JobContext job) throws ModuleException {
            int attempt = ATTEMPTS.computeIfAbsent(input.studyInstanceUid(), k -> new AtomicInteger()).incrementAndGet();
            if (failTimes < 0 || attempt <= failTimes) {
                String message = "planned " + (transientFailures ? "transient" : "permanent") + " failure, attempt "
                        + attempt + (failTimes < 0 ? "" : " of " + failTimes) + " for this study";
                throw transientFailures ? ModuleException.transientFailure(message, null) : new ModuleException(message);
            }
            List<String> evidence = input.series().stream()
                    .flatMap(s -> s.instances().stream()).map(StudyInput.InstanceInput::sopInstanceUid).toList();
            return ModuleResult.completed(
                    List.of(new Finding.Measurement(SampleCodes.ATTEMPT, SampleCodes.ATTEMPTS, attempt, SampleCodes.NO_UNIT,
                            SampleCodes.ATTEMPT, evidence)),
                    List.of(), "Demo: succeeded on attempt " + attempt + ".", Map.of("failTimes", String.valueOf(failTimes)));
        }
    }
}
