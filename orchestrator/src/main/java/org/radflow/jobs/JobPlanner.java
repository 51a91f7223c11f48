package org.radflow.jobs;

import org.radflow.api.ModuleDescriptor;

import org.radflow.dicom.AttributeListTags;
import org.radflow.routing.RuleEvaluation;
import org.radflow.routing.Router;
import org.radflow.tracking.Unit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Turns complete units into journaled jobs: every rule whose trigger is the unit's kind and whose
 * conditions hold makes a job — QUEUED, or NOT_APPLICABLE with the module's own reason when its
 * selection refuses the unit, or FAILED when the module's queue is full. Runs on its own thread:
 * units arrive from the event loop, and planning reads DICOM headers and writes the journal.
 */
public final class JobPlanner implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(JobPlanner.class);

    private final JobJournal journal;
    private final Supplier<Router> router;
    private final Function<String, Integer> queueLimit;
    private final Runnable onQueued;
    private volatile java.util.function.Predicate<String> enabled = id -> true;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "radflow-planner");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param router     the current router (rules and modules can change while running)
     * @param queueLimit a module's queue limit (configuration, else its descriptor)
     * @param onQueued   called after jobs were queued (wakes the scheduler)
     */
    public JobPlanner(JobJournal journal, Supplier<Router> router, Function<String, Integer> queueLimit, Runnable onQueued) {
        this.journal = journal;
        this.router = router;
        this.queueLimit = queueLimit;
        this.onQueued = onQueued;
    }

    /** A disabled module gets no new jobs: matching units are skipped (and logged), not queued. */
    public void enabledCheck(java.util.function.Predicate<String> check) {
        this.enabled = check;
    }

    /** Queues planning of a unit; returns at once. */
    public void submit(Unit unit) {
        thread.execute(() -> {
            try {
                plan(unit);
            } catch (Exception e) {
                LOG.error("Planning {} failed: {}", unit.key(), e.toString(), e);
            }
        });
    }

    /** Plans a unit on the calling thread; returns the number of jobs journaled. */
    public int plan(Unit unit) throws Exception {
        Router r = router.get();
        if (unit.files().isEmpty() || !r.hasRulesFor(unit.kind())) {
            return 0; // e.g. the instance units of a spool rescan when no rule is per instance: no header reads
        }
        AttributeListTags tags;
        try {
            tags = AttributeListTags.read(unit.files().get(0));
        } catch (Exception e) {
            LOG.warn("Cannot read {} to route {}: {}", unit.files().get(0), unit.key(), e.toString());
            return 0;
        }
        int made = 0;
        boolean queued = false;
        for (RuleEvaluation ev : r.evaluate(tags, null, Map.of(unit.kind(), unit.files().size()))) {
            if (!ev.matched() || ev.trigger().orElse(null) != unit.kind()) {
                continue;
            }
            ModuleDescriptor module = ev.module().orElseThrow();
            if (!enabled.test(module.id())) {
                LOG.info("{} matches rule {}, but module {} is disabled: no job", unit.key(), ev.rule().name(), module.id());
                continue;
            }
            JobJournal.NewJob n = new JobJournal.NewJob(unit.key(), unit.kind(), unit.studyUid(), unit.seriesUid(), unit.sopUid(),
                    module.id(), module.version(), ev.rule().name(), ev.rule().priority(), ev.rule().destinations(),
                    unit.files(), unit.inputHash());
            Optional<Job> job;
            if (ev.moduleRefusal().isPresent()) {
                job = journal.enqueue(n, JobState.NOT_APPLICABLE, "module " + module.id() + " does not accept this "
                        + unit.kind().name().toLowerCase() + ": " + ev.moduleRefusal().get());
            } else if (full(module.id())) {
                job = journal.enqueue(n, JobState.FAILED, "module " + module.id() + " queue is full ("
                        + queueLimit.apply(module.id()) + " waiting; modules." + module.id() + ".queueLimit): retry it later");
            } else {
                job = journal.enqueue(n, JobState.QUEUED, null);
                queued |= job.isPresent();
            }
            if (job.isPresent()) {
                made++;
                Job j = job.get();
                LOG.info("Job {} {} for {} by rule {} -> module {}{}", j.id(), j.state(), unit.key(), ev.rule().name(),
                        module.id(), j.revision() > 1 ? " (revision " + j.revision() + ", supersedes " + j.supersedes() + ")" : "");
            }
        }
        if (queued) {
            onQueued.run();
        }
        return made;
    }

    private boolean full(String moduleId) throws SQLException {
        return journal.countInState(moduleId, JobState.QUEUED) >= queueLimit.apply(moduleId);
    }

    /** Waits (bounded) for units already submitted. */
    @Override
    public void close() {
        thread.shutdown();
        try {
            thread.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

}
