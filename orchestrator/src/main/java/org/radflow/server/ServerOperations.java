package org.radflow.server;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.radflow.Main;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.TagMatch;
import org.radflow.api.Trigger;
import org.radflow.config.RadflowConfig;
import org.radflow.http.HttpApi.ApiException;
import org.radflow.http.Operations;
import org.radflow.jobs.Job;
import org.radflow.jobs.JobJournal;
import org.radflow.jobs.JobState;
import org.radflow.modules.LoadProblem;
import org.radflow.modules.LoadedModule;
import org.radflow.routing.Priority;
import org.radflow.routing.RoutingRule;
import org.radflow.tracking.Unit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The API's view of the running server (see {@link Operations}). */
final class ServerOperations implements Operations {

    private static final Logger LOG = LoggerFactory.getLogger(ServerOperations.class);
    /** The rule name of jobs made by POST /api/studies/{uid}/reprocess. */
    static final String REPROCESS_RULE = "api-reprocess";

    private final RadflowServer s;

    ServerOperations(RadflowServer server) {
        this.s = server;
    }

    @Override
    public JsonObject health() {
        return s.health();
    }

    // ---------------------------------------------------------------------------------------- studies

    @Override
    public JsonObject studies(int limit, int offset) throws Exception {
        ReceivedStudies.Page page = s.studies.list(Math.max(1, Math.min(limit, 1000)), offset);
        List<String> uids = page.studies().stream().map(j -> j.getString("studyInstanceUid")).toList();
        Map<String, Map<JobState, Integer>> counts = s.queries.countsByStudy(uids);
        JsonArray out = new JsonArray();
        for (JsonObject st : page.studies()) {
            out.add(st.put("jobs", countsJson(counts.getOrDefault(st.getString("studyInstanceUid"), Map.of()))));
        }
        return new JsonObject().put("studies", out).put("total", page.total()).put("limit", limit).put("offset", offset);
    }

    @Override
    public JsonObject study(String uid) throws Exception {
        JsonObject st = s.studies.study(uid).orElseThrow(() -> new ApiException(404, "no study " + uid + " in the spool"));
        JsonArray jobs = new JsonArray();
        for (Job j : s.queries.search(null, null, uid, 1000)) {
            jobs.add(org.radflow.http.JobJson.summary(j)); // the same shape as GET /api/jobs
        }
        return st.put("jobs", jobs);
    }

    @Override
    public JsonObject reprocess(String uid, JsonObject body) throws Exception {
        String moduleId = body.getString("module");
        if (moduleId == null || moduleId.isBlank()) {
            throw new ApiException(400, "give the module: {\"module\": \"<id>\"}. Available: " + s.registry.ids());
        }
        ModuleDescriptor d = s.registry.find(moduleId).map(LoadedModule::descriptor)
                .orElseThrow(() -> new ApiException(404, "no module '" + moduleId + "'. Available: " + s.registry.ids()));
        if (!s.switches.enabled(moduleId)) {
            throw new ApiException(409, "module " + moduleId + " is disabled; enable it first (POST /api/modules/" + moduleId + "/enable)");
        }
        Map<String, List<Path>> bySeries = s.studies.files(uid);
        if (bySeries.isEmpty()) {
            throw new ApiException(404, "study " + uid + " is not in the spool (never received, or removed): it cannot be processed again");
        }
        List<String> destinations = destinationsFor(moduleId, body);
        Priority priority = Priority.NORMAL;
        if (body.getString("priority") != null) {
            try {
                priority = Priority.valueOf(body.getString("priority").toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new ApiException(400, "priority '" + body.getString("priority") + "' is not one of stat, high, normal, low");
            }
        }
        List<Unit> units = new ArrayList<>();
        Trigger trigger = d.trigger();
        switch (trigger) {
            case STUDY -> {
                List<Path> all = new ArrayList<>();
                bySeries.values().forEach(all::addAll);
                all.sort(null);
                units.add(new Unit(Trigger.STUDY, uid, null, null, all));
            }
            case SERIES -> bySeries.forEach((series, files) -> units.add(new Unit(Trigger.SERIES, uid, series, null, files)));
            case INSTANCE -> bySeries.forEach((series, files) -> files.forEach(f -> {
                String n = f.getFileName().toString();
                units.add(new Unit(Trigger.INSTANCE, uid, series, n.substring(0, n.length() - ".dcm".length()), List.of(f)));
            }));
            default -> throw new IllegalStateException("trigger " + trigger);
        }
        JsonArray made = new JsonArray();
        for (Unit u : units) {
            JobJournal.NewJob n = new JobJournal.NewJob(u.key(), u.kind(), u.studyUid(), u.seriesUid(), u.sopUid(), d.id(), d.version(),
                    REPROCESS_RULE, priority, destinations, u.files(), u.inputHash());
            Optional<Job> job = s.journal.enqueue(n, JobState.QUEUED, null);
            if (job.isPresent()) {
                made.add(new JsonObject().put("id", job.get().id()).put("unit", u.key()).put("state", job.get().state().name())
                        .put("requeued", false));
            } else {
                // the same inputs were reprocessed by this module before: run that job again
                Job previous = s.queries.search(null, d.id(), uid, 10_000).stream()
                        .filter(j -> j.unitKey().equals(u.key()) && REPROCESS_RULE.equals(j.ruleName())).findFirst().orElseThrow();
                if (previous.state() != JobState.RUNNING && previous.state() != JobState.QUEUED) {
                    s.journal.requeue(previous.id(), "reprocess requested through the API");
                }
                made.add(new JsonObject().put("id", previous.id()).put("unit", u.key())
                        .put("state", s.journal.find(previous.id()).orElseThrow().state().name()).put("requeued", true));
            }
        }
        s.scheduler.wake();
        LOG.info("Reprocess of study {} with module {}: {} job(s)", uid, moduleId, made.size());
        return new JsonObject().put("studyInstanceUid", uid).put("module", moduleId).put("trigger", trigger.name())
                .put("destinations", new JsonArray(destinations)).put("jobs", made);
    }

    /** The body's destinations, else those of the enabled rules that route to this module. */
    private List<String> destinationsFor(String moduleId, JsonObject body) {
        RadflowConfig c = s.config;
        JsonArray given = body.getJsonArray("destinations");
        if (given != null) {
            List<String> out = new ArrayList<>();
            for (Object o : given) {
                String d = String.valueOf(o);
                if (!c.destinations().containsKey(d)) {
                    throw new ApiException(400, "no destination '" + d + "'. Configured: " + c.destinations().keySet());
                }
                out.add(d);
            }
            return out;
        }
        Set<String> out = new LinkedHashSet<>();
        for (RoutingRule r : c.rules().rules()) {
            if (r.enabled() && r.module().equals(moduleId)) {
                out.addAll(r.destinations());
            }
        }
        return List.copyOf(out);
    }

    // ---------------------------------------------------------------------------------------- modules

    @Override
    public JsonArray modules() throws Exception {
        Map<String, Map<JobState, Integer>> counts = s.queries.countsByModule();
        List<LoadProblem> problems = s.registry.problems();
        JsonArray out = new JsonArray();
        Set<String> listed = new LinkedHashSet<>();
        for (LoadedModule m : s.registry.modules()) {
            ModuleDescriptor d = m.descriptor();
            listed.add(d.id());
            Optional<LoadProblem> problem = problems.stream().filter(p -> d.id().equals(p.moduleId())).reduce((a, b) -> b);
            boolean enabled = s.switches.enabled(d.id());
            Optional<Job> lastFailure = s.queries.lastFailure(d.id());
            out.add(new JsonObject()
                    .put("id", d.id())
                    .put("version", d.version())
                    .put("displayName", d.displayName())
                    .put("model", new JsonObject().put("name", d.model().name()).put("version", d.model().version())
                            .put("demo", d.model().demo()))
                    .put("status", problem.isPresent() ? "failed" : enabled ? "enabled" : "disabled")
                    .put("enabled", enabled)
                    .put("enabledBy", s.switches.override(d.id()) != null ? "operator" : "configuration")
                    .put("loadError", problem.map(LoadProblem::reason).orElse(null))
                    .put("loadErrorAt", problem.map(p -> p.time().toString()).orElse(null))
                    .put("trigger", d.trigger().name().toLowerCase(java.util.Locale.ROOT))
                    .put("source", m.source())
                    .put("generation", m.generation())
                    .put("loadedAt", m.loadedAt().toString())
                    .put("jobs", countsJson(counts.getOrDefault(d.id(), Map.of())))
                    .put("lastFailure", lastFailure.map(j -> new JsonObject().put("jobId", j.id()).put("state", j.state().name())
                            .put("reason", j.reason()).put("at", j.updatedAt().toString())).orElse(null))
                    .put("lane", new JsonObject(new LinkedHashMap<>(s.scheduler.laneStatus(d.id())))));
        }
        for (LoadProblem p : problems) {
            if (p.moduleId() != null && listed.contains(p.moduleId())) {
                continue;
            }
            out.add(new JsonObject().put("id", p.moduleId()).put("status", "failed").put("enabled", false).put("source", p.source())
                    .put("loadError", p.reason()).put("loadErrorAt", p.time().toString()).put("at", p.time().toString()));
        }
        return out;
    }

    @Override
    public JsonObject setModuleEnabled(String moduleId, boolean enabled) throws Exception {
        if (s.registry.find(moduleId).isEmpty()) {
            throw new ApiException(404, "no module '" + moduleId + "'. Available: " + s.registry.ids());
        }
        s.switches.set(moduleId, enabled);
        s.scheduler.wake();
        LOG.info("Module {} {} through the API", moduleId, enabled ? "enabled" : "disabled");
        return new JsonObject().put("id", moduleId).put("enabled", enabled).put("status", enabled ? "enabled" : "disabled")
                .put("note", enabled ? "new jobs are made and queued jobs start"
                        : "no new jobs are made for it and its queued jobs wait; running jobs finish. Kept across restarts.");
    }

    @Override
    public JsonObject reloadModule(String moduleId) throws Exception {
        try {
            String what = s.registry.reload(moduleId);
            LOG.info("Module {} reload through the API: {}", moduleId, what);
            return new JsonObject().put("id", moduleId).put("result", what)
                    .put("loaded", s.registry.find(moduleId).isPresent());
        } catch (java.util.NoSuchElementException e) {
            throw new ApiException(404, e.getMessage());
        }
    }

    // ---------------------------------------------------------------------------------------- rules

    @Override
    public JsonObject rules() {
        JsonArray rules = new JsonArray();
        for (RoutingRule r : s.config.rules().rules()) {
            JsonObject match = new JsonObject();
            for (TagMatch m : r.match()) {
                match.put(m.keyword(), m.condition().describe());
            }
            rules.add(new JsonObject().put("name", r.name()).put("module", r.module())
                    .put("trigger", r.trigger().map(t -> t.name().toLowerCase(java.util.Locale.ROOT)).orElse(null))
                    .put("priority", r.priority().configName()).put("destinations", new JsonArray(r.destinations()))
                    .put("enabled", r.enabled()).put("match", match));
        }
        return new JsonObject().put("rules", rules).put("problems", new JsonArray(s.router().problems()));
    }

    @Override
    public JsonObject testRules(JsonObject body) throws Exception {
        return s.testRules(body);
    }

    // ---------------------------------------------------------------------------------------- destinations

    @Override
    public JsonObject destinations() throws Exception {
        JsonObject status = s.outbox.status();
        Map<String, RadflowConfig.Destination> configured = s.config.destinations();
        JsonObject out = new JsonObject();
        for (String name : status.fieldNames()) {
            JsonObject d = status.getJsonObject(name).copy();
            RadflowConfig.Destination c = configured.get(name);
            if (c instanceof RadflowConfig.DicomDestination dd) {
                d.put("type", "dicom").put("target", dd.settings().calledAeTitle() + "@" + dd.settings().host() + ":" + dd.settings().port());
            } else if (c instanceof RadflowConfig.DicomWebDestination w) {
                d.put("type", "dicomweb").put("target", w.settings().url());
            }
            int pending = d.getInteger("pending", 0);
            int dead = d.getInteger("dead", 0);
            d.put("backlog", pending);
            d.put("status", c == null ? "unconfigured" : d.getString("lastError") != null ? "failing"
                    : dead > 0 ? "dead-letters" : d.getBoolean("sending", false) ? "sending" : pending > 0 ? "pending" : "ok");
            out.put(name, d);
        }
        return out;
    }

    @Override
    public int retryDestination(String name) throws Exception {
        if (!s.config.destinations().containsKey(name)) {
            throw new ApiException(404, "no destination '" + name + "'. Configured: " + s.config.destinations().keySet());
        }
        int n = s.outbox.retryDead(name, null);
        s.outbox.wake();
        return n;
    }

    // ---------------------------------------------------------------------------------------- node

    @Override
    public JsonObject cluster() {
        RadflowConfig c = s.config;
        JsonObject self = new JsonObject()
                .put("nodeId", c.server().nodeName())
                .put("address", c.api().bindAddress() + ":" + s.httpPort())
                .put("dicomPort", s.dicomPort())
                .put("startedAt", s.startedAt.toString())
                .put("uptimeSeconds", Duration.between(s.startedAt, Instant.now()).toSeconds())
                .put("version", Main.version())
                .put("role", "standalone");
        return self.copy().put("members", new JsonArray().add(self))
                .put("note", "clustering is not implemented yet: this node works alone (role standalone)");
    }

    @Override
    public JsonObject reloadConfig() throws Exception {
        return new ConfigReload(s).reload();
    }

    @Override
    public String metrics() throws Exception {
        return s.metrics.render(new org.radflow.metrics.Metrics.Gauges() {
            @Override
            public Map<String, Map<String, Integer>> jobs() throws Exception {
                Map<String, Map<String, Integer>> out = new java.util.TreeMap<>();
                s.registry.ids().forEach(id -> out.put(id, new LinkedHashMap<>()));
                s.queries.countsByModule().forEach((m, c) -> {
                    Map<String, Integer> byState = out.computeIfAbsent(m, k -> new LinkedHashMap<>());
                    c.forEach((st, n) -> byState.put(st.name(), n));
                });
                for (Map<String, Integer> byState : out.values()) {
                    for (JobState st : JobState.values()) {
                        byState.putIfAbsent(st.name(), 0);
                    }
                }
                return out;
            }

            @Override
            public Map<String, int[]> outbox() throws Exception {
                Map<String, int[]> out = new java.util.TreeMap<>();
                JsonObject st = s.outbox.status();
                for (String d : st.fieldNames()) {
                    JsonObject o = st.getJsonObject(d);
                    out.put(d, new int[]{o.getInteger("pending", 0), o.getInteger("dead", 0)});
                }
                return out;
            }
        });
    }

    // ---------------------------------------------------------------------------------------- job outputs

    @Override
    public JsonObject outputs(String jobId) throws Exception {
        var result = s.results.read(jobId);
        if (result.isEmpty()) {
            return null;
        }
        JsonObject r = result.get();
        JsonArray objects = new JsonArray();
        Path dicom = s.results.directory(jobId).resolve("dicom");
        if (Files.isDirectory(dicom)) {
            try (var files = Files.list(dicom)) {
                for (Path f : files.sorted().toList()) {
                    var meta = org.radflow.dicom.Part10.readMeta(f);
                    objects.add(new JsonObject().put("file", f.toAbsolutePath().toString())
                            .put("sopClassUid", meta.sopClassUid()).put("sopInstanceUid", meta.sopInstanceUid()));
                }
            }
        }
        return new JsonObject().put("summary", r.getString("summary")).put("findings", r.getJsonArray("findings"))
                .put("objects", objects)
                .put("reportPage", objects.stream().anyMatch(o -> org.radflow.report.PageWriter.SECONDARY_CAPTURE
                        .equals(((JsonObject) o).getString("sopClassUid"))) ? "/api/jobs/" + jobId + "/report.png" : null);
    }

    @Override
    public JsonArray deliveries(String jobId) throws Exception {
        JsonArray a = new JsonArray();
        for (var it : s.outbox.items(jobId)) {
            a.add(new JsonObject().put("destination", it.destination()).put("sopInstanceUid", it.sopInstanceUid())
                    .put("state", it.state().name()).put("attempts", it.attempts()).put("lastError", it.lastError())
                    .put("sentAt", it.sentAt() == null ? null : it.sentAt().toString()));
        }
        return a;
    }

    @Override
    public Optional<byte[]> reportPng(String jobId) throws Exception {
        return org.radflow.report.ReportImages.png(s.results.directory(jobId));
    }

    static JsonObject countsJson(Map<JobState, Integer> counts) {
        JsonObject o = new JsonObject();
        for (JobState st : JobState.values()) {
            o.put(st.name(), counts.getOrDefault(st, 0));
        }
        return o;
    }
}
