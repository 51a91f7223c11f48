package org.radflow.host;

import org.radflow.api.ModuleDescriptor;
import org.radflow.config.RadflowConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;
import java.util.function.Function;

/**
 * The intra-op threads of a module's model sessions: what its descriptor asks for, but no more than this machine's
 * cores shared by the jobs its lane runs at once, so that {@code maxConcurrentJobs: 2} on two cores gives two jobs of
 * one thread each instead of four threads fighting over two cores (docs/benchmarks.md, COVID-Net pool 2).
 */
public final class InferenceThreads {

    private static final Logger LOG = LoggerFactory.getLogger(InferenceThreads.class);

    private InferenceThreads() {
    }

    /**
     * @param modules the loaded modules' descriptors (for a lane without configured concurrency)
     */
    public static int forModule(RadflowConfig config, Function<String, Optional<ModuleDescriptor>> modules, String moduleId,
                                int declared) {
        return forModule(config, modules, moduleId, declared, true);
    }

    /** As above; {@code log}: say so when the threads are capped (once per model session, not once per job). */
    public static int forModule(RadflowConfig config, Function<String, Optional<ModuleDescriptor>> modules, String moduleId,
                                int declared, boolean log) {
        Integer configured = config.modules().settingsFor(moduleId).maxConcurrentJobs();
        int jobs = configured != null ? configured
                : modules.apply(moduleId).map(d -> d.resources().maxConcurrentJobs()).orElse(1);
        int cores = Runtime.getRuntime().availableProcessors();
        int fair = Math.max(1, cores / Math.max(1, jobs));
        int threads = Math.max(1, Math.min(declared, fair));
        if (threads < declared && log) {
            LOG.info("Module {}: {} inference thread(s) per job instead of the {} it asks for ({} job(s) at once on {} cores)",
                    moduleId, threads, declared, jobs, cores);
        }
        return threads;
    }
}
