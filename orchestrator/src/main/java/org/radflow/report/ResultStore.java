package org.radflow.report;

import org.radflow.jobs.Job;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.radflow.api.Concept;
import org.radflow.api.Finding;
import org.radflow.api.KeyImage;
import org.radflow.api.ModuleResult;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * Keeps each completed result on disk ({@code <dataDir>/results/<jobId>/}): {@code result.json} with
 * every finding, label maps and key images as raw files beside it. Written before the job is marked
 * SUCCEEDED, through a temporary name, so the report writer and the API always see whole results.
 */
public final class ResultStore implements ResultSink {

    private final Path root;

    public ResultStore(Path root) {
        this.root = root;
    }

    public Path directory(String jobId) {
        return root.resolve(jobId);
    }

    @Override
    public void completed(Job job, ModuleResult result) throws IOException {
        Path tmp = root.resolve(job.id() + ".tmp");
        deleteTree(tmp);
        Files.createDirectories(tmp);
        JsonArray findings = new JsonArray();
        int n = 0;
        for (Finding f : result.findings()) {
            JsonObject o = new JsonObject().put("finding", concept(f.finding()));
            if (f instanceof Finding.Classification c) {
                    JsonArray p = new JsonArray();
                    c.probabilities().forEach(cp -> p.add(new JsonObject().put("label", concept(cp.label())).put("probability", cp.probability())));
                    o.put("type", "classification").put("probabilities", p).put("predicted", concept(c.predicted()))
                            .put("evidence", new JsonArray(c.evidenceSopInstanceUids()));
            } else if (f instanceof Finding.Measurement m) {
                o.put("type", "measurement").put("quantity", concept(m.quantity())).put("value", m.value())
                        .put("unit", concept(m.unit())).put("findingSite", concept(m.findingSite()))
                        .put("findingSiteModifiers", modifiers(m.findingSiteModifiers()))
                        .put("segmentLabel", m.segment() == null ? null : m.segment().label())
                        .put("evidence", new JsonArray(m.evidenceSopInstanceUids()));
            } else if (f instanceof Finding.Segmentation s) {
                    String file = "labels-" + n + ".raw";
                    write(tmp.resolve(file), s.labels());
                    JsonArray segs = new JsonArray();
                    s.segments().forEach(g -> segs.add(new JsonObject().put("label", g.label()).put("name", g.name())
                            .put("category", concept(g.category())).put("type", concept(g.type()))
                            .put("typeModifiers", modifiers(g.typeModifiers())).put("rgb", g.rgb())));
                    o.put("type", "segmentation").put("columns", s.columns()).put("rows", s.rows()).put("slices", s.slices())
                            .put("labels", file).put("segments", segs).put("sopInstanceUids", new JsonArray(s.sopInstanceUids()));
            } else if (f instanceof Finding.Qualitative q) {
                o.put("type", "qualitative").put("concept", concept(q.concept())).put("answer", concept(q.value()))
                        .put("method", q.method()).put("comment", q.comment()).put("confidence", q.confidence())
                        .put("evidence", new JsonArray(q.evidenceSopInstanceUids()));
            }
            findings.add(o);
            n++;
        }
        JsonArray images = new JsonArray();
        int k = 0;
        for (KeyImage img : result.keyImages()) {
            String file = "key-image-" + k++ + ".rgb";
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(img.rgb().length * 4);
            b.asIntBuffer().put(img.rgb());
            write(tmp.resolve(file), b.array());
            images.add(new JsonObject().put("caption", img.caption()).put("width", img.width()).put("height", img.height())
                    .put("file", file).put("sourceSopInstanceUid", img.sourceSopInstanceUid()));
        }
        JsonObject json = new JsonObject()
                .put("jobId", job.id())
                .put("module", job.moduleId())
                .put("moduleVersion", job.moduleVersion())
                .put("plannedVersion", job.plannedModuleVersion())
                .put("run", job.run() == null ? null : job.run().toJson())
                .put("status", result.status().name())
                .put("summary", result.summary())
                .put("parameters", new JsonObject(new java.util.LinkedHashMap<>(result.parameters())))
                .put("findings", findings)
                .put("keyImages", images);
        write(tmp.resolve("result.json"), json.encodePrettily().getBytes(StandardCharsets.UTF_8));
        Path target = directory(job.id());
        deleteTree(target);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The stored result of a job, if it completed. */
    public Optional<JsonObject> read(String jobId) throws IOException {
        Path f = directory(jobId).resolve("result.json");
        return Files.exists(f) ? Optional.of(new JsonObject(Files.readString(f))) : Optional.empty();
    }

    private static JsonArray modifiers(java.util.List<Finding.Modifier> modifiers) {
        JsonArray a = new JsonArray();
        modifiers.forEach(m -> a.add(concept(m.value()).put("kind", m.kind().name().toLowerCase(java.util.Locale.ROOT))));
        return a;
    }

    private static JsonObject concept(Concept c) {
        return new JsonObject().put("scheme", c.scheme()).put("code", c.code()).put("meaning", c.meaning());
    }

    private static void write(Path file, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(java.nio.ByteBuffer.wrap(bytes));
            ch.force(false);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var s = Files.walk(p)) {
            for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}
