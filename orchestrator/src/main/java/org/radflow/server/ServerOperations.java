package org.radflow.server;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.radflow.Main;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.TagMatch;
import org.radflow.config.RadflowConfig;
import org.radflow.http.HttpApi.ApiException;
import org.radflow.http.Operations;
import org.radflow.jobs.Job;
import org.radflow.jobs.JobState;
import org.radflow.modules.LoadProblem;
import org.radflow.modules.LoadedModule;
import org.radflow.routing.Priority;
import org.radflow.routing.RoutingRule;
import org.radflow.intake.StudyIndex;
import org.radflow.pipeline.Pipeline;
import org.radflow.planning.JobPlanner;
import org.radflow.routing.RuleTester;
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
    private final RadflowServer server;
    private final Pipeline p;

    ServerOperations(RadflowServer server, Pipeline pipeline) {
        this.server = server;
        this.p = pipeline;
    }

    @Override
    public JsonObject health() {
        return server.health();
    }

    @Override
    public JsonObject ready() {
        return server.ready();
    }

    // ---------------------------------------------------------------------------------------- studies

    @Override
    public JsonObject studies(int limit, int offset) throws Exception {
        StudyIndex.Page page = p.studyIndex().list(Math.max(1, Math.min(limit, 1000)), offset);
        List<String> uids = page.studies().stream().map(j -> j.getString("studyInstanceUid")).toList();
        Map<String, Map<JobState, Integer>> counts = p.queries().countsByStudy(uids);
        JsonArray out = new JsonArray();
        for (JsonObject st : page.studies()) {
            out.add(st.put("jobs", countsJson(counts.getOrDefault(st.getString("studyInstanceUid"), Map.of()))));
        }
        return new JsonObject().put("studies", out).put("total", page.total()).put("limit", limit).put("offset", offset);
    }

    @Override
    public JsonObject study(String uid) throws Exception {
        JsonObject st = p.studyIndex().study(uid).orElseThrow(() -> new ApiException(404, "no study " + uid + " in the spool"));
        JsonArray jobs = new JsonArray();
        for (Job j : p.queries().search(null, null, uid, 1000)) {
            jobs.add(org.radflow.http.JobJson.summary(j)); // the same shape as GET /api/jobs
        }
        return st.put("jobs", jobs);
    }

    /** An operator's hold on a received study: the retention sweep leaves a held study in the spool. */
    @Override
    public JsonObject retention(String uid, JsonObject body) throws Exception {
        if (!(body.getValue("hold") instanceof Boolean hold)) {
            throw new ApiException(400, "send {\"hold\": true} to keep the study in the spool whatever its age, or {\"hold\": false}");
        }
        if (!p.retention().hold(uid, hold)) {
            throw new ApiException(404, "no study " + uid + " in the spool");
        }
        long days = p.config().tracking().retention().toDays();
        return new JsonObject().put("studyInstanceUid", uid).put("hold", hold).put("retentionDays", days);
    }

    @Override
    public JsonObject reprocess(String uid, JsonObject body) throws Exception {
        String moduleId = body.getString("module");
        if (moduleId == null || moduleId.isBlank()) {
            throw new ApiException(400, "give the module: {\"module\": \"<id>\"}. Available: " + p.registry().ids());
        }
        ModuleDescriptor d = p.registry().find(moduleId).map(LoadedModule::descriptor)
                .orElseThrow(() -> new ApiException(404, "no module '" + moduleId + "'. Available: " + p.registry().ids()));
        if (!p.switches().enabled(moduleId)) {
            throw new ApiException(409, "module " + moduleId + " is disabled; enable it first (POST /api/modules/" + moduleId + "/enable)");
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
        JsonArray made = new JsonArray();
        for (JobPlanner.Reprocessed r : p.planner().reprocess(uid, d, priority, destinations, p.studies())) {
            made.add(new JsonObject().put("id", r.jobId()).put("unit", r.unitKey()).put("state", r.state().name())
                    .put("requeued", r.requeued()));
        }
        return new JsonObject().put("studyInstanceUid", uid).put("module", moduleId).put("trigger", d.trigger().name())
                .put("destinations", new JsonArray(destinations)).put("jobs", made);
    }

    /** The body's destinations, else those of the enabled rules that route to this module. */
    private List<String> destinationsFor(String moduleId, JsonObject body) {
        RadflowConfig c = p.config();
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
        Map<String, Map<JobState, Integer>> counts = p.queries().countsByModule();
        List<LoadProblem> problems = p.registry().problems();
        JsonArray out = new JsonArray();
        Set<String> listed = new LinkedHashSet<>();
        for (LoadedModule m : p.registry().modules()) {
            ModuleDescriptor d = m.descriptor();
            listed.add(d.id());
            Optional<LoadProblem> problem = problems.stream().filter(p -> d.id().equals(p.moduleId())).reduce((a, b) -> b);
            boolean enabled = p.switches().enabled(d.id());
            Optional<Job> lastFailure = p.queries().lastFailure(d.id());
            out.add(new JsonObject()
                    .put("id", d.id())
                    .put("version", d.version())
                    .put("displayName", d.displayName())
                    .put("model", new JsonObject().put("name", d.model().name()).put("version", d.model().version())
                            .put("demo", d.model().demo()))
                    .put("status", problem.isPresent() ? "failed" : enabled ? "enabled" : "disabled")
                    .put("enabled", enabled)
                    .put("enabledBy", p.switches().override(d.id()) != null ? "operator" : "configuration")
                    .put("loadError", problem.map(LoadProblem::reason).orElse(null))
                    .put("loadErrorAt", problem.map(p -> p.time().toString()).orElse(null))
                    .put("trigger", d.trigger().name().toLowerCase(java.util.Locale.ROOT))
                    .put("isolation", p.isolation(d.id()).configName())
                    .put("pausedReason", p.pausedReason(d.id()))
                    .put("workers", p.isolation(d.id()) == RadflowConfig.Isolation.PROCESS ? p.workers().status(d.id()) : null)
                    .put("source", m.source())
                    .put("generation", m.generation())
                    .put("loadedAt", m.loadedAt().toString())
                    .put("jobs", countsJson(counts.getOrDefault(d.id(), Map.of())))
                    .put("lastFailure", lastFailure.map(j -> new JsonObject().put("jobId", j.id()).put("state", j.state().name())
                            .put("reason", j.reason()).put("at", j.updatedAt().toString())).orElse(null))
                    .put("lane", new JsonObject(new LinkedHashMap<>(p.scheduler().laneStatus(d.id())))));
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
        if (p.registry().find(moduleId).isEmpty()) {
            throw new ApiException(404, "no module '" + moduleId + "'. Available: " + p.registry().ids());
        }
        p.operatorSwitch(moduleId, enabled);
        LOG.info("Module {} {} through the API", moduleId, enabled ? "enabled" : "disabled");
        return new JsonObject().put("id", moduleId).put("enabled", enabled).put("status", enabled ? "enabled" : "disabled")
                .put("note", enabled ? "new jobs are made and queued jobs start"
                        : "no new jobs are made for it and its queued jobs wait; running jobs finish. Kept across restarts.");
    }

    @Override
    public JsonObject reloadModule(String moduleId) throws Exception {
        try {
            String what = p.registry().reload(moduleId);
            LOG.info("Module {} reload through the API: {}", moduleId, what);
            return new JsonObject().put("id", moduleId).put("result", what)
                    .put("loaded", p.registry().find(moduleId).isPresent());
        } catch (java.util.NoSuchElementException e) {
            throw new ApiException(404, e.getMessage());
        }
    }

    // ---------------------------------------------------------------------------------------- rules

    @Override
    public JsonObject rules() {
        JsonArray rules = new JsonArray();
        for (RoutingRule r : p.config().rules().rules()) {
            JsonObject match = new JsonObject();
            for (TagMatch m : r.match()) {
                match.put(m.keyword(), m.condition().describe());
            }
            rules.add(new JsonObject().put("name", r.name()).put("module", r.module())
                    .put("trigger", r.trigger().map(t -> t.name().toLowerCase(java.util.Locale.ROOT)).orElse(null))
                    .put("priority", r.priority().configName()).put("destinations", new JsonArray(r.destinations()))
                    .put("enabled", r.enabled()).put("match", match));
        }
        return new JsonObject().put("rules", rules).put("problems", new JsonArray(p.router().problems()));
    }

    @Override
    public JsonObject testRules(JsonObject body) throws Exception {
        List<Path> paths = new ArrayList<>();
        String study = body.getString("studyInstanceUid");
        if (study != null) {
            if (!org.radflow.dicom.Uids.isValid(study)) {
                throw new ApiException(400, "studyInstanceUid is not a valid UID");
            }
            Path dir = p.config().listener().spoolDir().resolve("incoming").resolve(study);
            if (!Files.isDirectory(dir)) {
                throw new ApiException(404, "no study " + study + " in the spool");
            }
            paths.add(dir);
        }
        JsonArray given = body.getJsonArray("paths");
        if (given != null) {
            // the API reads received studies and the configured api.ruleTesterFolders only, never any folder the server can read
            List<String> asked = given.stream().map(String::valueOf).toList();
            List<Path> roots = new java.util.ArrayList<>();
            roots.add(p.config().listener().spoolDir().resolve("incoming"));
            roots.addAll(p.config().api().ruleTesterFolders());
            try {
                paths.addAll(RuleTester.confine(asked, roots));
            } catch (RuleTester.Refused e) {
                LOG.warn("Rule test refused: {}", org.radflow.http.HttpApi.forLog(e.getMessage()));
                throw new ApiException(e.missing() ? 404 : 403, e.getMessage());
            }
        }
        if (paths.isEmpty()) {
            throw new ApiException(400, "give studyInstanceUid (a received study) or paths (files or folders on the server)");
        }
        return RuleTester.test(p.router(), paths).toJson();
    }

    // ---------------------------------------------------------------------------------------- destinations

    @Override
    public JsonObject destinations() throws Exception {
        JsonObject status = p.outbox().status();
        Map<String, RadflowConfig.Destination> configured = p.config().destinations();
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
                    : dead > 0 ? "dead-letters" : d.getBoolean("sending", false) ? "sending" : pending > 0 ? "pending"
                    : d.getInteger("awaitingCommitment", 0) > 0 ? "committing" : "ok");
            out.put(name, d);
        }
        return out;
    }

    @Override
    public int retryDestination(String name) throws Exception {
        if (!p.config().destinations().containsKey(name)) {
            throw new ApiException(404, "no destination '" + name + "'. Configured: " + p.config().destinations().keySet());
        }
        int n = p.outbox().retryDead(name, null);
        p.outbox().wake();
        return n;
    }

    // ---------------------------------------------------------------------------------------- node

    @Override
    public JsonObject drain(boolean on) {
        p.drain(on);
        LOG.info("Node {} {} through the API", p.config().server().nodeName(), on ? "drained" : "resumed");
        return new JsonObject().put("draining", on).put("claiming", p.notClaimingBecause() == null)
                .put("notClaimingBecause", p.notClaimingBecause());
    }

    @Override
    public JsonObject notifications() {
        return p.notifier().recent();
    }

    @Override
    public JsonObject cluster() {
        String no = p.notClaimingBecause();
        return clusterView().put("draining", p.draining()).put("claiming", no == null).put("notClaimingBecause", no);
    }

    private JsonObject clusterView() {
        if (server.cluster() != null) {
            JsonObject v = server.cluster().view(p.clusterFacts());
            java.util.Set<String> ready = p.readyMembers();
            for (Object o : v.getJsonArray("members", new JsonArray())) {
                JsonObject m = (JsonObject) o;
                m.put("ready", ready.contains(m.getString("nodeName")));
            }
            return v;
        }
        RadflowConfig c = p.config();
        JsonObject self = new JsonObject()
                .put("nodeId", c.server().nodeName())
                .put("address", c.api().bindAddress() + ":" + server.httpPort())
                .put("dicomPort", server.dicomPort())
                .put("startedAt", server.startedAt.toString())
                .put("uptimeSeconds", Duration.between(server.startedAt, Instant.now()).toSeconds())
                .put("version", Main.version())
                .put("role", "standalone");
        return self.copy().put("members", new JsonArray().add(self))
                .put("note", "cluster.enabled is false: this node works alone (role standalone)");
    }

    @Override
    public JsonObject reloadConfig() throws Exception {
        return new ConfigReload(server, p).reload();
    }

    @Override
    public String metrics() throws Exception {
        return server.metrics().render(new org.radflow.metrics.Metrics.Gauges() {
            @Override
            public Map<String, Map<String, Integer>> jobs() throws Exception {
                Map<String, Map<String, Integer>> out = new java.util.TreeMap<>();
                p.registry().ids().forEach(id -> out.put(id, new LinkedHashMap<>()));
                p.queries().countsByModule().forEach((m, c) -> {
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
                JsonObject st = p.outbox().status();
                for (String d : st.fieldNames()) {
                    JsonObject o = st.getJsonObject(d);
                    out.put(d, new int[]{o.getInteger("pending", 0), o.getInteger("dead", 0)});
                }
                return out;
            }

            @Override
            public Map<String, org.radflow.metrics.Metrics.ModuleWorkers> workers() {
                Map<String, org.radflow.metrics.Metrics.ModuleWorkers> out = new java.util.TreeMap<>();
                if (p.workers() != null) {
                    p.workers().figures().forEach((m, f) -> out.put(m,
                            new org.radflow.metrics.Metrics.ModuleWorkers(f.live(), f.starts(), f.failedStarts(), f.crashes())));
                }
                return out;
            }
        });
    }

    // ---------------------------------------------------------------------------------------- job outputs

    @Override
    public JsonObject outputs(String jobId) throws Exception {
        p.resultHere(jobId); // in a cluster the job may have run on another node
        var result = p.results().read(jobId);
        if (result.isEmpty()) {
            return null;
        }
        JsonObject r = result.get();
        JsonArray objects = new JsonArray();
        Path dicom = p.results().directory(jobId).resolve("dicom");
        if (Files.isDirectory(dicom)) {
            try (var files = Files.list(dicom)) {
                for (Path f : files.sorted().toList()) {
                    var meta = org.radflow.dicom.Part10.readMeta(f);
                    objects.add(new JsonObject().put("file", f.toAbsolutePath().toString())
                            .put("sopClassUid", meta.sopClassUid()).put("sopInstanceUid", meta.sopInstanceUid()));
                }
            }
        }
        var removed = org.radflow.report.ResultRetention.removedAt(p.results().directory(jobId));
        return new JsonObject().put("summary", r.getString("summary")).put("findings", r.getJsonArray("findings"))
                .put("objects", objects).put("outputsRemovedAt", removed.map(Object::toString).orElse(null))
                .put("reportPage", objects.stream().anyMatch(o -> org.radflow.report.PageWriter.SECONDARY_CAPTURE
                        .equals(((JsonObject) o).getString("sopClassUid"))) ? "/api/jobs/" + jobId + "/report.png" : null);
    }

    @Override
    public JsonArray deliveries(String jobId) throws Exception {
        JsonArray a = new JsonArray();
        for (var it : p.outbox().items(jobId)) {
            a.add(new JsonObject().put("destination", it.destination()).put("sopInstanceUid", it.sopInstanceUid())
                    .put("state", it.state().name()).put("attempts", it.attempts()).put("lastError", it.lastError())
                    .put("sentAt", it.sentAt() == null ? null : it.sentAt().toString()));
        }
        return a;
    }

    @Override
    public Optional<byte[]> reportPng(String jobId) throws Exception {
        p.resultHere(jobId);
        return org.radflow.report.ReportImages.png(p.results().directory(jobId));
    }

    static JsonObject countsJson(Map<JobState, Integer> counts) {
        JsonObject o = new JsonObject();
        for (JobState st : JobState.values()) {
            o.put(st.name(), counts.getOrDefault(st, 0));
        }
        return o;
    }
}
