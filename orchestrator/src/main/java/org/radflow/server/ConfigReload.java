package org.radflow.server;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.radflow.config.ConfigException;
import org.radflow.config.RadflowConfig;
import org.radflow.dispatch.Sender;
import org.radflow.dispatch.Senders;
import org.radflow.pipeline.Pipeline;
import org.radflow.http.HttpApi.ApiException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code POST /api/config/reload}: re-reads the configuration file and validates it whole. An invalid
 * file changes nothing (400 with the message). A valid one is applied where that is safe while
 * running — renewed DICOM TLS files of the listener (same settings: the TLS port presents the new certificate from the
 * next handshake), rules, destinations, API tokens and open paths, scheduler policy and per-module limits,
 * timeouts and {@code enabled}, webhooks ({@code notifications}), and a drop-in module's {@code config} (checked against what the module
 * declares, then tried: the module is created once with it, in a throw-away worker or, for {@code isolation: in-process},
 * in the server; a module that does not start with it refuses the whole reload, 400 naming the module's key path and
 * its reason; then the module is loaded again with it) — and the keys that differ but only take effect
 * at a restart are listed (server, listener, API address/port/TLS, tracking, module directories, a
 * built-in module's {@code config}, delivery policy, audit).
 */
final class ConfigReload {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigReload.class);
    private static final Object LOCK = new Object();

    private final RadflowServer server;
    private final Pipeline p;

    ConfigReload(RadflowServer server, Pipeline pipeline) {
        this.server = server;
        this.p = pipeline;
    }

    JsonObject reload() {
        if (server.configFile == null) {
            throw new ApiException(409, "the server runs on its embedded defaults (started without --config): there is no file to reload");
        }
        synchronized (LOCK) {
            RadflowConfig next;
            try {
                next = RadflowConfig.load(server.configFile);
            } catch (ConfigException e) {
                LOG.warn("Configuration reload refused; the running configuration is kept: {}", e.getMessage());
                throw new ApiException(400, e.getMessage() + " (the running configuration is kept)");
            }
            RadflowConfig old = p.config();
            List<String> applied = new ArrayList<>();
            Set<String> restart = new TreeSet<>();

            if (!old.server().equals(next.server())) {
                restart.add("server");
            }
            // renewed certificate/key/CA files under the same TLS settings go into the running TLS port; any other
            // listener change needs a restart
            boolean renewListenerTls = false;
            if (!old.listener().equals(next.listener())) {
                if (tlsFilesOnly(old.listener(), next.listener()) && server.canRenewListenerTls(next.listener().tls().context())) {
                    renewListenerTls = true;
                } else {
                    restart.add("listener");
                }
            }
            RadflowConfig.Api oa = old.api();
            RadflowConfig.Api na = next.api();
            if (oa.enabled() != na.enabled()) {
                restart.add("api.enabled");
            }
            if (!oa.bindAddress().equals(na.bindAddress())) {
                restart.add("api.bindAddress");
            }
            if (oa.port() != na.port()) {
                restart.add("api.port");
            }
            if (!Objects.equals(oa.tls(), na.tls())) {
                restart.add("api.tls");
            }
            if (!oa.auth().equals(na.auth())) {
                applied.add("api.auth");
            }
            if (!old.tracking().equals(next.tracking())) {
                restart.add("tracking");
            }
            RadflowConfig.Modules om = old.modules();
            RadflowConfig.Modules nm = next.modules();
            if (!om.dir().equals(nm.dir())) {
                restart.add("modules.dir");
            }
            if (!om.modelsDir().equals(nm.modelsDir())) {
                restart.add("modules.modelsDir");
            }
            if (om.watch() != nm.watch()) {
                restart.add("modules.watch");
            }
            Set<String> ids = new TreeSet<>(om.settings().keySet());
            ids.addAll(nm.settings().keySet());
            boolean lanes = false;
            List<String> changedConfig = new ArrayList<>();
            for (String id : ids) {
                RadflowConfig.ModuleSettings a = om.settingsFor(id);
                RadflowConfig.ModuleSettings b = nm.settingsFor(id);
                if (!a.config().equals(b.config())) {
                    String invalid = p.registry() == null ? null : p.registry().checkConfig(id, b.config());
                    if (invalid != null) {
                        LOG.warn("Configuration reload refused; the running configuration is kept: {}", invalid);
                        throw new ApiException(400, server.configFile + ": " + invalid + " (the running configuration is kept)");
                    }
                    changedConfig.add(id);
                }
                if (a.isolation() != b.isolation() || !Objects.equals(a.heapMb(), b.heapMb()) || a.maxThreads() != b.maxThreads()
                        || !Objects.equals(a.cpus(), b.cpus()) || a.maxWorkerCrashes() != b.maxWorkerCrashes()) {
                    applied.add("modules." + id + ".isolation"); // the next job runs as configured now, in a new worker
                }
                if (a.enabled() != b.enabled() || !Objects.equals(a.maxConcurrentJobs(), b.maxConcurrentJobs())
                        || !Objects.equals(a.queueLimit(), b.queueLimit()) || !Objects.equals(a.timeout(), b.timeout())) {
                    applied.add("modules." + id);
                    lanes = true;
                }
            }
            // a changed module configuration must also start: the module is created with it once (in a throw-away
            // worker, or in the server for in-process modules) before anything is applied, so that a value only the
            // module itself rejects refuses the reload now instead of failing the module's next jobs
            for (String id : changedConfig) {
                RadflowConfig.ModuleSettings b = nm.settingsFor(id);
                if (!b.enabled()) {
                    continue; // switched off: created when it is switched on
                }
                String fails = p.trialConfig(id, b.config(), b.isolation());
                if (fails != null) {
                    LOG.warn("Configuration reload refused; the running configuration is kept: {}", fails);
                    throw new ApiException(400, server.configFile + ": modules." + id + ".config: " + fails
                            + ". Fix modules." + id + ".config and reload again (the running configuration is kept)");
                }
            }
            if (!om.workers().equals(nm.workers())) {
                applied.add("workers");
            }
            if (!old.scheduler().equals(next.scheduler())) {
                if (!lanes) {
                    applied.add("scheduler");
                } else if (!sameWithoutLanes(old, next)) {
                    applied.add("scheduler");
                }
            }
            if (!old.delivery().equals(next.delivery())) {
                restart.add("delivery");
            }
            if (!old.audit().equals(next.audit())) {
                restart.add("audit");
            }
            if (!old.viewer().equals(next.viewer())) {
                restart.add("viewer");
            }
            if (!old.store().equals(next.store())) {
                restart.add("store");
            }
            if (!old.cluster().equals(next.cluster())) {
                restart.add("cluster");
            }
            if (!old.rules().equals(next.rules())) {
                applied.add("rules");
            }
            if (!old.notifications().equals(next.notifications())) {
                applied.add("notifications");
            }
            Map<String, Sender> senders = null;
            if (!old.destinations().equals(next.destinations())) {
                applied.add("destinations");
                senders = changedSenders(old, next);
            }

            // the running configuration: new values where they apply live, the old ones elsewhere
            if (renewListenerTls) {
                server.renewListenerTls(next.listener().tls().context());
                applied.add("listener.tls");
            }
            RadflowConfig running = new RadflowConfig(old.server(), renewListenerTls ? next.listener() : old.listener(),
                    new RadflowConfig.Api(oa.enabled(), oa.bindAddress(), oa.port(), na.auth(), oa.tls(), na.ruleTesterFolders()),
                    next.destinations(), old.tracking(),
                    new RadflowConfig.Modules(om.dir(), om.modelsDir(), om.watch(), nm.settings(), nm.workers()),
                    next.scheduler(), next.rules(), old.delivery(), old.audit(), old.viewer(), old.store(),
                    old.cluster(), next.notifications());
            p.apply(running, senders);
            server.updateAuth(na.auth());
            for (String id : changedConfig) {
                if (p.registry() != null && p.registry().applyConfig(id, nm.settingsFor(id).config())) {
                    applied.add("modules." + id + ".config");
                } else {
                    restart.add("modules." + id + ".config");
                }
            }
            p.router().problems().forEach(p -> LOG.warn("Rule problem: {}", p));
            LOG.info("Configuration reloaded from {}: applied {}; needing a restart: {}", server.configFile,
                    applied.isEmpty() ? "nothing (no live change)" : applied, restart.isEmpty() ? "nothing" : restart);
            return new JsonObject().put("file", server.configFile.toString()).put("applied", new JsonArray(applied))
                    .put("restartRequired", new JsonArray(new ArrayList<>(restart)))
                    .put("rules", next.rules().rules().size()).put("destinations", new JsonArray(new ArrayList<>(next.destinations().keySet())));
        }
    }

    /** Whether two listener settings differ only in the contents of their TLS files (same ports, same TLS settings). */
    private static boolean tlsFilesOnly(org.radflow.listener.ListenerSettings a, org.radflow.listener.ListenerSettings b) {
        return a.tls() != null && b.tls() != null && a.tls().port() == b.tls().port() && a.tls().plainPort() == b.tls().plainPort()
                && a.tls().aeTitleCertificates().equals(b.tls().aeTitleCertificates()) && a.withTls(null).equals(b.withTls(null));
    }

    private static boolean sameWithoutLanes(RadflowConfig a, RadflowConfig b) {
        var x = a.scheduler();
        var y = b.scheduler();
        return x.maxAttempts() == y.maxAttempts() && x.initialBackoff().equals(y.initialBackoff()) && x.maxBackoff().equals(y.maxBackoff())
                && x.stuckThreadLimit() == y.stuckThreadLimit() && x.lease().equals(y.lease())
                && x.intakeHighWaterMark() == y.intakeHighWaterMark() && x.intakeLowWaterMark() == y.intakeLowWaterMark();
    }

    /** Senders for the new destinations: unchanged ones keep their sender; changed and removed ones are closed later. */
    private Map<String, Sender> changedSenders(RadflowConfig old, RadflowConfig next) {
        Map<String, Sender> fresh = Senders.create(p.vertx(), next);
        Map<String, Sender> current = p.senders();
        Map<String, Sender> out = new HashMap<>();
        List<Sender> retired = new ArrayList<>();
        for (Map.Entry<String, Sender> e : fresh.entrySet()) {
            String name = e.getKey();
            Sender running = current.get(name);
            if (running != null && Objects.equals(old.destinations().get(name), next.destinations().get(name))) {
                out.put(name, running);
                Senders.close(e.getValue());
            } else {
                out.put(name, e.getValue());
                if (running != null) {
                    retired.add(running);
                }
            }
        }
        current.forEach((name, sender) -> {
            if (!fresh.containsKey(name)) {
                retired.add(sender);
            }
        });
        // a send under way may still use a retired sender: close it once that has surely ended
        p.vertx().setTimer(10 * 60 * 1000L, t -> retired.forEach(Senders::close));
        return out;
    }
}
