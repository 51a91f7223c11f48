package org.radflow.host;

import org.radflow.api.JobContext;
import org.radflow.api.ModuleException;
import org.radflow.api.ModuleResult;
import org.radflow.api.StudyInput;
import org.radflow.scheduling.InputFactory;
import org.radflow.jobs.Job;
import org.radflow.scheduling.ModuleCatalog;

/**
 * Runs modules in the server's JVM: the job holds the module's current generation for its whole run (a replaced JAR
 * takes effect for the next job), and every call into the module runs with the module's class loader as the thread
 * context loader.
 */
public final class InProcessHost implements ModuleHost {

    private final ModuleCatalog catalog;
    private final InputFactory inputs;

    public InProcessHost(ModuleCatalog catalog, InputFactory inputs) {
        this.catalog = catalog;
        this.inputs = inputs;
    }

    @Override
    public ModuleResult run(Job job, JobContext context, RunRecorder recorder) throws Exception {
        try (ModuleCatalog.Handle handle = catalog.acquire(job.moduleId())) {
            Thread thread = Thread.currentThread();
            ClassLoader previous = thread.getContextClassLoader();
            thread.setContextClassLoader(handle.classLoader());
            try {
                StudyInput input = inputs.open(job);
                context.progress(0, "started");
                recorder.running(handle.descriptor().version(), handle.generation(), handle.sha256(),
                        handle.descriptor().model(), "in-process");
                long t0 = System.nanoTime();
                try {
                    return handle.module().process(input, context);
                } catch (ModuleException e) {
                    throw new ModuleFailure(ModuleFailure.reason(e), e.isTransient(), e);
                } catch (RuntimeException | LinkageError | AssertionError e) {
                    // a module bug is that job's failure; VirtualMachineErrors go to the scheduler as they are
                    throw new ModuleFailure(ModuleFailure.reason(e), false, e);
                } finally {
                    recorder.moduleTime(System.nanoTime() - t0);
                }
            } finally {
                thread.setContextClassLoader(previous);
            }
        }
    }
}
