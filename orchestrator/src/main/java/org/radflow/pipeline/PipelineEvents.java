package org.radflow.pipeline;

import org.radflow.dispatch.Outbox;
import org.radflow.intake.ReceivedInstance;
import org.radflow.jobs.Job;
import org.radflow.listener.AssociationSummary;

import java.util.List;

/**
 * What the stages tell observers (audit trail, metrics) as work passes through: one interface, so an observer
 * is a class of its own package and the stages never map their events into someone else's format. Each method is
 * called on the thread of the stage that saw it: an observer must be quick and must not throw (hand slow work such
 * as file or journal reads to a thread of its own).
 */
public interface PipelineEvents {

    /** An instance is durable in the spool and its header was read (intake). */
    default void instanceReceived(ReceivedInstance instance) {
    }

    /** A DICOM association ended (listener). */
    default void associationEnded(AssociationSummary summary) {
    }

    /** A job changed state, after the change was committed (journal; in commit order). */
    default void jobChanged(Job job, Job.Event event) {
    }

    /** A module call returned or threw: which generation ran the job's attempt and the module's own time (scheduler). */
    default void moduleRan(Job job, org.radflow.jobs.ModuleRun run) {
    }

    /** A report object was sent to a destination, or the attempt failed (outbox). */
    default void deliveryAttempted(Outbox.Delivery delivery) {
    }

    /** RadFlow switched a module off (its workers kept dying); an operator's enable turns it on again. */
    default void modulePaused(String moduleId, String reason) {
    }

    /** Every observer in turn; one that throws is logged and the others still hear the event. */
    static PipelineEvents all(List<PipelineEvents> observers) {
        List<PipelineEvents> list = List.copyOf(observers);
        return new PipelineEvents() {
            @Override
            public void instanceReceived(ReceivedInstance instance) {
                each(o -> o.instanceReceived(instance));
            }

            @Override
            public void associationEnded(AssociationSummary summary) {
                each(o -> o.associationEnded(summary));
            }

            @Override
            public void jobChanged(Job job, Job.Event event) {
                each(o -> o.jobChanged(job, event));
            }

            @Override
            public void moduleRan(Job job, org.radflow.jobs.ModuleRun run) {
                each(o -> o.moduleRan(job, run));
            }

            @Override
            public void deliveryAttempted(Outbox.Delivery delivery) {
                each(o -> o.deliveryAttempted(delivery));
            }

            @Override
            public void modulePaused(String moduleId, String reason) {
                each(o -> o.modulePaused(moduleId, reason));
            }

            private void each(java.util.function.Consumer<PipelineEvents> call) {
                for (PipelineEvents o : list) {
                    try {
                        call.accept(o);
                    } catch (RuntimeException e) {
                        org.slf4j.LoggerFactory.getLogger(PipelineEvents.class)
                                .warn("Observer {} failed on an event: {}", o.getClass().getSimpleName(), e.toString());
                    }
                }
            }
        };
    }
}
