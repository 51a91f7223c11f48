package org.radflow.inference;

import org.radflow.api.InferenceEngine.Backend;
import org.radflow.api.ModuleException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Where a model's files are on disk, checked before any runtime sees them, and their fingerprint
 * (newest modification time, total size, file count) that tells the cache a model was replaced.
 *
 * @param backend   the runtime that reads the files
 * @param key       the canonical path the cache is keyed by (file, directory or checkpoint prefix)
 * @param main      the file or directory handed to the runtime
 * @param meta      the {@code .meta} file of a TF1 checkpoint, else {@code null}
 * @param files     every file the model consists of
 * @param fingerprint changes whenever one of {@code files} is rewritten, added or removed
 */
record ModelFiles(Backend backend, Path key, Path main, Path meta, List<Path> files, Fingerprint fingerprint) {

    record Fingerprint(long newestModifiedMillis, long totalBytes, int fileCount) {
    }

    private static final Pattern CHECKPOINT_PATH = Pattern.compile("^model_checkpoint_path:\\s*\"(.*)\"\\s*$",
            Pattern.MULTILINE);

    /** Resolves {@code model} for {@code backend}; every problem is reported with the path and what was expected. */
    static ModelFiles resolve(Backend backend, Path model) throws ModuleException {
        if (model == null) {
            throw new ModuleException("No model path given for the " + backend + " backend");
        }
        try {
            return switch (backend) {
                case ONNX -> onnx(model);
                case TENSORFLOW_SAVED_MODEL -> savedModel(model);
                case TENSORFLOW_CHECKPOINT -> checkpoint(model);
            };
        } catch (IOException e) {
            throw ModuleException.transientFailure("Cannot read " + backend + " model " + model + ": " + e, e);
        }
    }

    private static ModelFiles onnx(Path model) throws IOException, ModuleException {
        if (Files.isDirectory(model)) {
            throw new ModuleException("ONNX model " + model + " is a directory; the ONNX backend needs an .onnx file"
                    + listing(model, ".onnx"));
        }
        requireFile(model, "ONNX model file");
        Path real = model.toRealPath();
        return of(Backend.ONNX, real, real, null, List.of(real));
    }

    private static ModelFiles savedModel(Path model) throws IOException, ModuleException {
        if (!Files.exists(model)) {
            throw new ModuleException("TensorFlow SavedModel directory not found: " + model);
        }
        if (!Files.isDirectory(model)) {
            throw new ModuleException("TensorFlow SavedModel " + model + " is a file; give the directory that holds"
                    + " saved_model.pb and variables/");
        }
        Path dir = model.toRealPath();
        Path pb = dir.resolve("saved_model.pb");
        if (!Files.isRegularFile(pb)) {
            String hint = Files.isRegularFile(dir.resolve("saved_model.pbtxt"))
                    ? " (saved_model.pbtxt, the text format, is not supported: export the binary saved_model.pb)"
                    : listing(dir, null);
            throw new ModuleException("Not a TensorFlow SavedModel directory: " + dir + " has no saved_model.pb" + hint);
        }
        List<Path> files = new ArrayList<>();
        files.add(pb);
        Path variables = dir.resolve("variables");
        if (Files.isDirectory(variables)) {
            try (Stream<Path> s = Files.list(variables)) {
                s.filter(Files::isRegularFile).sorted().forEach(files::add);
            }
        }
        return of(Backend.TENSORFLOW_SAVED_MODEL, dir, dir, null, files);
    }

    /**
     * A TF1 checkpoint: {@code prefix.index}, {@code prefix.data-*} and a MetaGraphDef in {@code prefix.meta} or
     * {@code model.meta} (COVID-Net's layout). The path may also be a directory with a {@code checkpoint} file,
     * or one of the checkpoint's own files.
     */
    private static ModelFiles checkpoint(Path model) throws IOException, ModuleException {
        Path prefix = model;
        if (Files.isDirectory(model)) {
            prefix = prefixFromDirectory(model);
        } else {
            String name = model.getFileName().toString();
            int dot = name.lastIndexOf('.');
            if (dot > 0 && Files.isRegularFile(model)) {
                String ext = name.substring(dot + 1);
                if (ext.equals("index") || ext.equals("meta") || ext.startsWith("data-")) {
                    prefix = model.resolveSibling(name.substring(0, dot));
                }
            }
        }
        Path dir = prefix.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new ModuleException("TensorFlow checkpoint directory not found: " + (dir == null ? model : dir));
        }
        dir = dir.toRealPath();
        String base = prefix.getFileName().toString();
        Path index = dir.resolve(base + ".index");
        if (!Files.isRegularFile(index)) {
            throw new ModuleException("No TensorFlow checkpoint at prefix " + dir.resolve(base) + ": " + index.getFileName()
                    + " is missing (the path must be the checkpoint prefix, e.g. /models/covidnet/model-8485)"
                    + listing(dir, ".index"));
        }
        List<Path> files = new ArrayList<>();
        files.add(index);
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> p.getFileName().toString().startsWith(base + ".data-")).sorted().forEach(files::add);
        }
        if (files.size() == 1) {
            throw new ModuleException("TensorFlow checkpoint " + dir.resolve(base) + " has no data files ("
                    + base + ".data-00000-of-00001 ...)");
        }
        Path meta = dir.resolve(base + ".meta");
        if (!Files.isRegularFile(meta)) {
            meta = dir.resolve("model.meta");
        }
        if (!Files.isRegularFile(meta)) {
            List<Path> metas = list(dir, ".meta");
            if (metas.size() != 1) {
                throw new ModuleException("TensorFlow checkpoint " + dir.resolve(base) + " needs its graph: neither "
                        + base + ".meta nor model.meta exists" + (metas.isEmpty() ? "" : ", and " + metas.size()
                        + " other .meta files are ambiguous") + listing(dir, ".meta"));
            }
            meta = metas.get(0);
        }
        files.add(meta);
        return of(Backend.TENSORFLOW_CHECKPOINT, dir.resolve(base), dir.resolve(base), meta, files);
    }

    /** A directory: the {@code checkpoint} state file names the latest prefix; else a single {@code .index}. */
    private static Path prefixFromDirectory(Path dir) throws IOException, ModuleException {
        Path state = dir.resolve("checkpoint");
        if (Files.isRegularFile(state)) {
            Matcher m = CHECKPOINT_PATH.matcher(Files.readString(state, StandardCharsets.UTF_8));
            if (m.find()) {
                Path named = Path.of(m.group(1));
                return named.isAbsolute() ? named : dir.resolve(named);
            }
        }
        List<Path> indexes = list(dir, ".index");
        if (indexes.size() == 1) {
            String name = indexes.get(0).getFileName().toString();
            return dir.resolve(name.substring(0, name.length() - ".index".length()));
        }
        throw new ModuleException("TensorFlow checkpoint directory " + dir + " has " + (indexes.isEmpty() ? "no" : "several")
                + " .index files and no 'checkpoint' file naming the one to use: give the checkpoint prefix"
                + listing(dir, ".index"));
    }

    private static ModelFiles of(Backend backend, Path key, Path main, Path meta, List<Path> files) throws IOException {
        long newest = 0;
        long bytes = 0;
        for (Path f : files) {
            BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
            newest = Math.max(newest, a.lastModifiedTime().toMillis());
            bytes += a.size();
        }
        return new ModelFiles(backend, key, main, meta, List.copyOf(files), new Fingerprint(newest, bytes, files.size()));
    }

    private static void requireFile(Path p, String what) throws ModuleException {
        if (!Files.exists(p)) {
            Path dir = p.toAbsolutePath().getParent();
            throw new ModuleException(what + " not found: " + p
                    + (dir != null && Files.isDirectory(dir) ? listing(dir, null) : " (its directory does not exist either)"));
        }
        if (!Files.isRegularFile(p)) {
            throw new ModuleException(what + " " + p + " is not a regular file");
        }
        if (!Files.isReadable(p)) {
            throw new ModuleException(what + " " + p + " is not readable by this process");
        }
    }

    private static List<Path> list(Path dir, String suffix) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> suffix == null || p.getFileName().toString().endsWith(suffix)).sorted().toList();
        }
    }

    /** "; found in dir: a, b, c" — what is there, so a typo in configuration is obvious. */
    private static String listing(Path dir, String suffix) {
        try {
            List<Path> found = list(dir, suffix);
            if (found.isEmpty()) {
                return "; " + dir + " holds no " + (suffix == null ? "files" : suffix + " files");
            }
            List<String> names = found.stream().limit(20).map(p -> p.getFileName().toString()).toList();
            return "; " + dir + " holds " + String.join(", ", names) + (found.size() > 20 ? ", ..." : "");
        } catch (IOException e) {
            return "";
        }
    }
}
