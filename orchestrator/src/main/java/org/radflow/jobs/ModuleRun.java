package org.radflow.jobs;

import io.vertx.core.json.JsonObject;

/**
 * What actually ran one attempt of a job: the module generation the attempt held (its version, generation number and
 * JAR hash, and the model its instance runs) and the module's own run time, measured around its {@code process()} call
 * alone (decoding the inputs and writing the reports are the platform's share). Recorded when the module call returns,
 * also when it threw.
 *
 * @param attempt      the job's attempt number (1 for the first run)
 * @param version      the module version of the generation that ran
 * @param generation   the registry's generation of the module's directory (0 for built-in modules)
 * @param sha256       hash of the generation's JARs; empty for built-ins
 * @param modelName    the model the module instance runs
 * @param modelVersion its version
 * @param demoModel    whether it is a demonstration model
 * @param moduleMillis the module's {@code process()} call in ms; -1 when it never returned (the worker died, a timeout)
 * @param isolation    {@code process} (a worker JVM) or {@code in-process}
 * @param node         the node it ran on
 */
public record ModuleRun(int attempt, String version, int generation, String sha256, String modelName, String modelVersion,
                        boolean demoModel, long moduleMillis, String isolation, String node) {

    public ModuleRun {
        sha256 = sha256 == null ? "" : sha256;
    }

    public JsonObject toJson() {
        return new JsonObject()
                .put("attempt", attempt)
                .put("version", version)
                .put("generation", generation)
                .put("sha256", sha256)
                .put("model", new JsonObject().put("name", modelName).put("version", modelVersion).put("demo", demoModel))
                .put("moduleMs", moduleMillis < 0 ? null : moduleMillis)
                .put("isolation", isolation)
                .put("node", node);
    }

    /** Null for null or empty text (a job that has not run its module yet). */
    public static ModuleRun fromJson(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        JsonObject o = new JsonObject(text);
        JsonObject model = o.getJsonObject("model", new JsonObject());
        Long ms = o.getLong("moduleMs");
        return new ModuleRun(o.getInteger("attempt", 0), o.getString("version"), o.getInteger("generation", 0),
                o.getString("sha256", ""), model.getString("name"), model.getString("version"), model.getBoolean("demo", false),
                ms == null ? -1 : ms, o.getString("isolation"), o.getString("node"));
    }

    /** The timeline's words for it: which module generation ran the attempt, and how long the module itself took. */
    public String describe(String moduleId) {
        return "attempt " + attempt + " ran " + moduleId + " " + version + " (generation " + generation
                + (sha256.isEmpty() ? "" : ", sha256 " + sha256.substring(0, Math.min(12, sha256.length())))
                + "; model " + modelName + " " + modelVersion + (demoModel ? ", DEMO MODEL" : "") + "; " + isolation
                + " on " + node + "): module time " + (moduleMillis < 0 ? "unknown (it did not return)" : moduleMillis + " ms");
    }
}
