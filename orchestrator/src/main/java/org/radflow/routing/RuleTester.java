package org.radflow.routing;

import org.radflow.api.ModuleDescriptor;
import org.radflow.api.Trigger;
import org.radflow.dicom.AttributeListTags;
import org.radflow.routing.RuleTestReport.SeriesResult;
import org.radflow.routing.RuleTestReport.SkippedFile;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Answers "which rules and modules would these files go to, and why not the others", for
 * {@code bin/radflow rules test} and {@code POST /api/rules/test}.
 *
 * <p>Folders are walked recursively. Files without the DICOM Part 10 marker ({@code DICM} at byte
 * 128), DICOMDIRs and unreadable files are skipped with a note; nothing here throws for a bad file.
 * Instances are grouped by Series Instance UID and each series is evaluated once, on its first
 * instance (lowest Instance Number, then file name), as the server routes a series; a module's
 * minimum instance count is checked against the instances given (series, or study for
 * study-triggered rules). Every other instance is evaluated too, and a series whose instances would
 * answer a rule differently (e.g. a localizer among them, or an instance-triggered rule) gets a note
 * naming one such file.
 */
public final class RuleTester {

    /** Beyond this many files the walk stops with a note: a rule test is for samples, not archives. */
    static final int MAX_FILES = 20_000;
    static final String BASIS = "Each series is evaluated once, on its first instance (lowest Instance Number), as the server "
            + "routes it; instances that would answer differently are noted.";
    private static final String DICOMDIR = "1.2.840.10008.1.3.10";

    private RuleTester() {
    }

    /** A path the API may not read: outside the allowed folders (or, with {@code missing}, not there at all). */
    public static final class Refused extends RuntimeException {
        private final boolean missing;

        Refused(String message, boolean missing) {
            super(message);
            this.missing = missing;
        }

        /** True: the path is inside an allowed folder but does not exist (404); false: it is outside (403). */
        public boolean missing() {
            return missing;
        }
    }

    /**
     * The given paths, each confined to one of {@code roots} (for {@code POST /api/rules/test}: the spool's received
     * studies): a relative path is taken inside the first root; ".." and symbolic links are resolved before the check,
     * so neither leads out. Throws {@link Refused} naming the path and the folders allowed.
     */
    public static List<Path> confine(List<String> given, List<Path> roots) {
        List<Path> realRoots = new ArrayList<>();
        for (Path r : roots) {
            try {
                realRoots.add(r.toRealPath());
            } catch (IOException e) {
                // a root that does not exist yet (nothing received) holds nothing to read
            }
        }
        String allowed = roots.stream().map(r -> r.toAbsolutePath().normalize().toString()).toList().toString();
        List<Path> out = new ArrayList<>();
        for (String g : given) {
            Path p;
            try {
                p = Path.of(g);
            } catch (java.nio.file.InvalidPathException e) {
                throw new Refused("'" + g + "' is not a path; give files or folders under " + allowed, false);
            }
            Path base = roots.isEmpty() ? Path.of("") : roots.get(0);
            Path lexical = (p.isAbsolute() ? p : base.resolve(p)).toAbsolutePath().normalize();
            boolean inside = roots.stream().anyMatch(r -> lexical.startsWith(r.toAbsolutePath().normalize()));
            String refusal = "'" + g + "' is outside the folders the rule tester may read: "
                    + (roots.size() > 1 ? "it reads received studies and api.ruleTesterFolders, " : "it reads received studies only, under ")
                    + allowed + " (or test a received study with {\"studyInstanceUid\": \"...\"})";
            if (!inside) {
                throw new Refused(refusal, false);
            }
            Path real;
            try {
                real = lexical.toRealPath();
            } catch (IOException e) {
                throw new Refused("'" + g + "' does not exist under " + allowed, true);
            }
            if (realRoots.stream().noneMatch(real::startsWith)) {
                throw new Refused(refusal + "; it leads there through a symbolic link", false);
            }
            out.add(real);
        }
        return out;
    }

    /** Without the list of loaded modules: a missing module is reported without alternatives. */
    public static RuleTestReport test(RuleSet rules, Function<String, Optional<ModuleDescriptor>> modules, List<Path> filesOrFolders) {
        return test(new Router(rules, modules), filesOrFolders);
    }

    public static RuleTestReport test(Router router, List<Path> filesOrFolders) {
        List<SkippedFile> skipped = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        Set<Path> files = new LinkedHashSet<>();
        for (Path p : filesOrFolders) {
            collect(p, files, skipped);
        }
        List<Path> todo = new ArrayList<>(files);
        if (todo.size() > MAX_FILES) {
            notes.add("only the first " + MAX_FILES + " of " + todo.size() + " files were examined");
            todo = todo.subList(0, MAX_FILES);
        }

        Map<String, SeriesUnit> series = new LinkedHashMap<>();
        Map<String, Integer> studyCounts = new HashMap<>();
        for (Path f : todo) {
            Optional<String> notDicom = notPart10(f);
            if (notDicom.isPresent()) {
                skipped.add(new SkippedFile(f, notDicom.get()));
                continue;
            }
            AttributeListTags tags;
            try {
                tags = AttributeListTags.read(f);
            } catch (Exception | StackOverflowError e) {
                skipped.add(new SkippedFile(f, "unreadable DICOM: " + message(e)));
                continue;
            }
            String sop = tags.get("SOPClassUID").or(() -> tags.get("MediaStorageSOPClassUID")).orElse(null);
            if (DICOMDIR.equals(sop)) {
                skipped.add(new SkippedFile(f, "a DICOMDIR (media directory), not an image; its files are examined when they are in the folder"));
                continue;
            }
            String study = tags.get("StudyInstanceUID").orElse("");
            String key = tags.get("SeriesInstanceUID").orElse("file " + f);
            List<RuleEvaluation> evaluations = router.evaluate(tags, sop);
            series.computeIfAbsent(key, k -> new SeriesUnit(study)).add(f, tags, sop, evaluations);
            studyCounts.merge(study, 1, Integer::sum);
        }

        List<SeriesResult> results = new ArrayList<>();
        for (Map.Entry<String, SeriesUnit> e : series.entrySet()) {
            results.add(e.getValue().result(router, e.getKey(), studyCounts.get(e.getValue().study)));
        }
        List<String> ruleNames = router.rules().rules().stream().map(RoutingRule::name).toList();
        return new RuleTestReport(ruleNames, todo.size(), BASIS, results, skipped, notes);
    }

    private static void collect(Path p, Set<Path> files, List<SkippedFile> skipped) {
        if (Files.isRegularFile(p)) {
            files.add(p.toAbsolutePath().normalize());
            return;
        }
        if (!Files.isDirectory(p)) {
            skipped.add(new SkippedFile(p, Files.exists(p) ? "neither a file nor a folder" : "does not exist"));
            return;
        }
        List<Path> found = new ArrayList<>();
        try {
            Files.walkFileTree(p, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (attrs.isRegularFile()) {
                        found.add(file.toAbsolutePath().normalize());
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    skipped.add(new SkippedFile(file, "cannot read: " + message(e)));
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            skipped.add(new SkippedFile(p, "cannot list the folder: " + message(e)));
        }
        found.sort(Comparator.naturalOrder());
        files.addAll(found);
    }

    /** Empty for a DICOM Part 10 file, else why not. */
    private static Optional<String> notPart10(Path f) {
        byte[] head = new byte[132];
        int n = 0;
        try (InputStream in = Files.newInputStream(f)) {
            while (n < head.length) {
                int r = in.read(head, n, head.length - n);
                if (r < 0) {
                    break;
                }
                n += r;
            }
        } catch (IOException e) {
            return Optional.of("cannot read: " + message(e));
        }
        if (n < head.length || head[128] != 'D' || head[129] != 'I' || head[130] != 'C' || head[131] != 'M') {
            return Optional.of("not a DICOM file (no 'DICM' marker at byte 128)");
        }
        return Optional.empty();
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m.strip());
    }

    /** The instances of one series seen so far. */
    private static final class SeriesUnit {
        private final String study;
        private final List<Instance> instances = new ArrayList<>();
        private Instance first;
        private AttributeListTags firstTags;

        SeriesUnit(String study) {
            this.study = study;
        }

        void add(Path file, AttributeListTags tags, String sop, List<RuleEvaluation> evaluations) {
            Instance i = new Instance(file, tags.number("InstanceNumber").orElse(Double.MAX_VALUE), sop, evaluations);
            instances.add(i);
            if (first == null || ORDER.compare(i, first) < 0) {
                first = i;
                firstTags = tags;
            }
        }

        SeriesResult result(Router router, String seriesKey, int studyInstances) {
            Map<Trigger, Integer> counts = Map.of(Trigger.SERIES, instances.size(), Trigger.STUDY, studyInstances);
            List<RuleEvaluation> evaluations = router.evaluate(firstTags, first.sop, counts);
            List<String> notes = new ArrayList<>();
            List<RoutingRule> rules = router.rules().rules();
            for (int r = 0; r < rules.size(); r++) {
                String expected = signature(first.evaluations.get(r));
                int differing = 0;
                Instance example = null;
                for (Instance i : instances) {
                    if (!signature(i.evaluations.get(r)).equals(expected)) {
                        differing++;
                        example = example == null ? i : example;
                    }
                }
                if (example != null) {
                    notes.add("rule '" + rules.get(r).name() + "': " + differing + " of " + instances.size()
                            + " instances answer differently, e.g. " + example.file.getFileName() + ": "
                            + example.evaluations.get(r).describe());
                }
            }
            if (!seriesKey.equals(firstTags.get("SeriesInstanceUID").orElse(null))) {
                notes.add("no Series Instance UID: this file is evaluated on its own");
            }
            return new SeriesResult(study.isEmpty() ? null : study, firstTags.get("SeriesInstanceUID").orElse(null),
                    firstTags.get("Modality").orElse(null), firstTags.get("SeriesDescription").orElse(null), first.sop,
                    instances.size(), studyInstances, first.file, evaluations, notes);
        }

        /** What matters for a job: outcome, and whether the module would refuse it. */
        private static String signature(RuleEvaluation e) {
            return e.outcome() + "/" + e.moduleRefusal().isPresent();
        }
    }

    private static final Comparator<Instance> ORDER = Comparator.comparingDouble((Instance i) -> i.instanceNumber)
            .thenComparing(i -> i.file);

    private record Instance(Path file, double instanceNumber, String sop, List<RuleEvaluation> evaluations) {
    }
}
