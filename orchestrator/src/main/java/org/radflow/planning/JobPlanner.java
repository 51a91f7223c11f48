package org.radflow.planning;

import org.radflow.api.DicomTags;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.Trigger;
import org.radflow.intake.HeaderCache;
import org.radflow.intake.ReceivedStudies;
import org.radflow.jobs.Job;
import org.radflow.jobs.JobJournal;
import org.radflow.jobs.JobQueries;
import org.radflow.jobs.JobState;
import org.radflow.pipeline.Refused;
import org.radflow.pipeline.Threads;
import org.radflow.routing.Priority;
import org.radflow.routing.RuleEvaluation;
import org.radflow.routing.Router;
import org.radflow.tracking.Unit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Turns complete units into journaled jobs: every rule whose trigger is the unit's kind and whose
 * conditions hold makes a job — QUEUED, or NOT_APPLICABLE with the module's own reason when its
 * selection refuses the unit. Accepted work never fails for being many: above the module's queue limit the job
 * is still QUEUED in the journal (ordered by priority with aging) and a warning says the module is behind.
 * Runs on its own thread:
 * units arrive from the tracker, and planning writes the journal. Headers come from intake's
 * {@link HeaderCache} (read once per instance). An operator's reprocess is planned here too.
 */
public final class JobPlanner implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(JobPlanner.class);

    /** The rule name of jobs made by POST /api/studies/{uid}/reprocess. */
    public static final String REPROCESS_RULE = "api-reprocess";

    private final JobJournal journal;
    private final JobQueries queries;
    private final HeaderCache headers;
    private final Supplier<Router> router;
    private final Function<String, Integer> queueLimit;
    private final Runnable onQueued;
    private volatile java.util.function.Predicate<String> enabled = id -> true;
    private final ExecutorService thread = Threads.single("planner");

    /**
     * @param router     the current router (rules and modules can change while running)
     * @param queueLimit a module's queue limit (configuration, else its descriptor)
     * @param onQueued   called after jobs were queued (wakes the scheduler)
     */
    public JobPlanner(JobJournal journal, JobQueries queries, HeaderCache headers, Supplier<Router> router,
                      Function<String, Integer> queueLimit, Runnable onQueued) {
        this.journal = journal;
        this.queries = queries;
        this.headers = headers;
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
        DicomTags tags;
        try {
            tags = headers.get(unit.files().get(0));
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
                String reason = "module " + module.id() + " does not accept this " + unit.kind().name().toLowerCase() + ": "
                        + ev.moduleRefusal().get();
                String condition = ev.refusalCondition().filter(c -> !c.equals(ev.moduleRefusal().get())).orElse(null);
                job = journal.enqueue(n, JobState.NOT_APPLICABLE, reason,
                        condition == null ? reason : reason + " (condition: " + condition + ")");
            } else {
                warnIfBehind(module.id());
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

    private final Map<String, Long> lastBehindWarning = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * At most once a minute per module: a WARN when more jobs wait than its queue limit. The job is queued all the
     * same (a PACS catching up after an outage sends exactly such bursts; failing them would lose results).
     */
    private void warnIfBehind(String moduleId) throws SQLException {
        int limit = queueLimit.apply(moduleId);
        int waiting = journal.countInState(moduleId, JobState.QUEUED);
        if (waiting < limit) {
            return;
        }
        long now = System.nanoTime();
        Long last = lastBehindWarning.get(moduleId);
        if (last == null || now - last > TimeUnit.MINUTES.toNanos(1)) {
            lastBehindWarning.put(moduleId, now);
            LOG.warn("Module {} has {} jobs waiting, at or above its queue limit {} (modules.{}.queueLimit): new jobs still "
                    + "queue and run in priority order; add capacity (maxConcurrentJobs, nodes) if this persists",
                    moduleId, waiting, limit, moduleId);
        }
    }

    /**
     * An operator's request to run a module on a received study again: one job per unit of the module's trigger, by
     * the rule {@value #REPROCESS_RULE}; a unit reprocessed before with the same inputs has that job queued again.
     *
     * @param destinations where the reports go (already checked against the configuration)
     * @return per unit: the job's id, unit, state and whether an earlier job was queued again
     */
    public List<Reprocessed> reprocess(String studyUid, ModuleDescriptor d, Priority priority, List<String> destinations,
                                       ReceivedStudies studies) throws Exception {
        Map<String, List<Path>> bySeries = studies.files(studyUid);
        if (bySeries.isEmpty()) {
            throw new Refused(Refused.Kind.NOT_FOUND, "study " + studyUid
                    + " is not in the spool (never received, or removed): it cannot be processed again");
        }
        List<Unit> units = new ArrayList<>();
        Trigger trigger = d.trigger();
        switch (trigger) {
            case STUDY -> {
                List<Path> all = new ArrayList<>();
                bySeries.values().forEach(all::addAll);
                all.sort(null);
                units.add(new Unit(Trigger.STUDY, studyUid, null, null, all));
            }
            case SERIES -> bySeries.forEach((series, files) -> units.add(new Unit(Trigger.SERIES, studyUid, series, null, files)));
            case INSTANCE -> bySeries.forEach((series, files) -> files.forEach(f -> {
                String n = f.getFileName().toString();
                units.add(new Unit(Trigger.INSTANCE, studyUid, series, n.substring(0, n.length() - ".dcm".length()), List.of(f)));
            }));
            default -> throw new IllegalStateException("trigger " + trigger);
        }
        List<Reprocessed> made = new ArrayList<>();
        for (Unit u : units) {
            JobJournal.NewJob n = new JobJournal.NewJob(u.key(), u.kind(), u.studyUid(), u.seriesUid(), u.sopUid(), d.id(), d.version(),
                    REPROCESS_RULE, priority, destinations, u.files(), u.inputHash());
            Optional<Job> job = journal.enqueue(n, JobState.QUEUED, null);
            if (job.isPresent()) {
                made.add(new Reprocessed(job.get().id(), u.key(), job.get().state(), false));
            } else {
                // the same inputs were reprocessed by this module before: run that job again
                Job previous = queries.search(null, d.id(), studyUid, 10_000).stream()
                        .filter(j -> j.unitKey().equals(u.key()) && REPROCESS_RULE.equals(j.ruleName())).findFirst().orElseThrow();
                if (previous.state() != JobState.RUNNING && previous.state() != JobState.QUEUED) {
                    journal.requeue(previous.id(), "reprocess requested through the API");
                }
                made.add(new Reprocessed(previous.id(), u.key(), journal.find(previous.id()).orElseThrow().state(), true));
            }
        }
        onQueued.run();
        LOG.info("Reprocess of study {} with module {}: {} job(s)", studyUid, d.id(), made.size());
        return made;
    }

    /** One unit of a reprocess: its job and whether that job existed already (and was queued again). */
    public record Reprocessed(String jobId, String unitKey, JobState state, boolean requeued) {
    }

    /** Waits (bounded) for units already submitted. */
    @Override
    public void close() {
        Threads.shutdown(thread, 10, TimeUnit.SECONDS);
    }

}
