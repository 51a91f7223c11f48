package org.radflow.testdata;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Command line front end of {@link Synth}. Exit status 0 on success, 2 on bad arguments, 1 on I/O failure. */
public final class SynthCli {
    private SynthCli() {}

    static final String USAGE = String.join(System.lineSeparator(),
            "usage: SynthCli <command> --out DIR [options]",
            "  chest --out DIR [--modality DX|CR] [--view PA|AP|LAT] [--photometric MONOCHROME1|MONOCHROME2]",
            "        [--finding none|consolidation|diffuse] [--size ROWSxCOLS] [--seed N]",
            "  mr    --out DIR [--full] [--seed N] [--dimensions COLSxROWSxSLICES] [--spacing ROW,COL,SLICE]",
            "        [--orientation axial|sagittal|coronal] [--labels FILE]",
            "        --labels writes the ground truth: FILE = uint8 [slices][rows][cols], slices in position order",
            "        (ascending along the normal = Instance Number order), 0 background, 1 anterior, 2 posterior",
            "        hippocampus; FILE.json = dimensions, spacing and the SOP Instance UIDs/files in that order",
            "  ct    --out DIR --count N [--seed N]",
            "common options: --study-uid UID  --patient-name NAME  --patient-id ID  --accession ACC  --series-number N",
            "Writes synthetic DICOM files into DIR and prints the study/series UIDs and the number of files.");

    private static final Set<String> COMMON = Set.of("--out", "--seed", "--study-uid", "--patient-name",
            "--patient-id", "--accession", "--series-number");
    private static final Map<String, Set<String>> ALLOWED = Map.of(
            "chest", Set.of("--modality", "--view", "--photometric", "--finding", "--size"),
            "mr", Set.of("--full", "--labels", "--dimensions", "--spacing", "--orientation"),
            "ct", Set.of("--count"));
    private static final Set<String> FLAGS = Set.of("--full");

    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        if (status != 0) {
            System.exit(status);
        }
    }

    /** Runs the command; returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || List.of("-h", "--help", "help").contains(args[0])) {
            (args.length == 0 ? err : out).println(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        String command = args[0];
        try {
            if (!ALLOWED.containsKey(command)) {
                throw new UsageException("unknown command '" + command + "' (expected chest, mr or ct)");
            }
            Map<String, String> opts = parse(command, args);
            Path outDir = Path.of(required(opts, "--out"));
            long seed = opts.containsKey("--seed") ? parseLong(opts.get("--seed"), "--seed") : 1L;
            Patient patient = Patient.anonymous();
            if (opts.containsKey("--patient-name")) {
                patient = patient.withName(opts.get("--patient-name"));
            }
            if (opts.containsKey("--patient-id")) {
                patient = patient.withId(opts.get("--patient-id"));
            }
            String studyUid = opts.get("--study-uid");
            if (studyUid != null && !SynthUids.isValid(studyUid)) {
                throw new UsageException("--study-uid is not a valid UID: " + studyUid);
            }
            String accession = opts.get("--accession");
            Integer seriesNumber = opts.containsKey("--series-number")
                    ? (int) parseLong(opts.get("--series-number"), "--series-number") : null;

            GeneratedSeries g;
            switch (command) {
                case "chest" -> {
                    ChestOptions o = ChestOptions.defaults().withSeed(seed).withPatient(patient)
                            .withStudyInstanceUid(studyUid).withAccessionNumber(accession)
                            .withModality(parseEnum(ChestOptions.Modality.class, opts.get("--modality"),
                                    ChestOptions.Modality.DX, "--modality"))
                            .withView(parseEnum(ChestOptions.View.class, opts.get("--view"),
                                    ChestOptions.View.PA, "--view"))
                            .withPhotometric(parseEnum(ChestOptions.Photometric.class, opts.get("--photometric"),
                                    ChestOptions.Photometric.MONOCHROME2, "--photometric"))
                            .withFinding(parseFinding(opts.get("--finding")));
                    if (seriesNumber != null) {
                        o = o.withSeriesNumber(seriesNumber);
                    }
                    if (opts.containsKey("--size")) {
                        String[] rc = opts.get("--size").split("x", -1);
                        if (rc.length != 2) {
                            throw new UsageException("--size must be ROWSxCOLS, e.g. 1024x880: " + opts.get("--size"));
                        }
                        o = o.withSize((int) parseLong(rc[0], "--size"), (int) parseLong(rc[1], "--size"));
                    }
                    g = Synth.chestRadiograph(outDir, o);
                }
                case "mr" -> {
                    MrOptions o = (opts.containsKey("--full") ? MrOptions.fullHead() : MrOptions.defaults())
                            .withSeed(seed).withPatient(patient).withStudyInstanceUid(studyUid)
                            .withAccessionNumber(accession);
                    if (seriesNumber != null) {
                        o = o.withSeriesNumber(seriesNumber);
                    }
                    if (opts.containsKey("--dimensions")) {
                        double[] d = numbers(opts.get("--dimensions"), "x", "--dimensions", "COLSxROWSxSLICES, e.g. 35x51x32");
                        o = o.withDimensions(whole(d[0], "--dimensions"), whole(d[1], "--dimensions"),
                                whole(d[2], "--dimensions"));
                    }
                    if (opts.containsKey("--spacing")) {
                        double[] d = numbers(opts.get("--spacing"), ",", "--spacing", "ROW,COL,SLICE in mm, e.g. 0.9,0.9,1.2");
                        o = o.withSpacing(d[0], d[1], d[2]);
                    }
                    if (opts.containsKey("--orientation")) {
                        o = o.withOrientation(parseEnum(MrOptions.Orientation.class, opts.get("--orientation"),
                                MrOptions.Orientation.AXIAL, "--orientation"));
                    }
                    if (opts.containsKey("--labels")) {
                        GeneratedVolume v = Synth.brainMrWithLabels(outDir, o);
                        writeLabels(Path.of(opts.get("--labels")), v);
                        g = v.series();
                    } else {
                        g = Synth.brainMr(outDir, o);
                    }
                }
                default -> {
                    long count = parseLong(required(opts, "--count"), "--count");
                    if (count < 1 || count > 100_000) {
                        throw new UsageException("--count must be 1..100000: " + count);
                    }
                    CtOptions o = CtOptions.defaults().withSeed(seed).withPatient(patient)
                            .withStudyInstanceUid(studyUid).withAccessionNumber(accession).withCount((int) count);
                    if (seriesNumber != null) {
                        o = o.withSeriesNumber(seriesNumber);
                    }
                    g = Synth.ctSeries(outDir, o);
                }
            }
            out.println("StudyInstanceUID=" + g.studyInstanceUid());
            out.println("SeriesInstanceUID=" + g.seriesInstanceUid());
            out.println("Modality=" + g.modality());
            out.println("Files=" + g.files().size());
            out.println("Directory=" + outDir.toAbsolutePath());
            return 0;
        } catch (UsageException | IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            err.println(USAGE);
            return 2;
        } catch (IOException e) {
            err.println("error: cannot write the files: " + e);
            return 1;
        }
    }

    private static Map<String, String> parse(String command, String[] args) throws UsageException {
        Map<String, String> opts = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (!COMMON.contains(a) && !ALLOWED.get(command).contains(a)) {
                throw new UsageException("unknown option '" + a + "' for " + command);
            }
            if (opts.containsKey(a)) {
                throw new UsageException(a + " given twice");
            }
            if (FLAGS.contains(a)) {
                opts.put(a, "true");
            } else {
                if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
                    throw new UsageException(a + " needs a value");
                }
                opts.put(a, args[++i]);
            }
        }
        return opts;
    }

    private static String required(Map<String, String> opts, String name) throws UsageException {
        String v = opts.get(name);
        if (v == null) {
            throw new UsageException(name + " is required");
        }
        return v;
    }

    private static long parseLong(String v, String name) throws UsageException {
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new UsageException(name + " must be an integer: " + v);
        }
    }

    private static ChestOptions.Finding parseFinding(String v) throws UsageException {
        if (v == null) {
            return ChestOptions.Finding.NONE;
        }
        switch (v.toLowerCase(java.util.Locale.ROOT)) {
            case "none":
                return ChestOptions.Finding.NONE;
            case "consolidation":
                return ChestOptions.Finding.CONSOLIDATION;
            case "diffuse":
            case "diffuse_opacity":
                return ChestOptions.Finding.DIFFUSE_OPACITY;
            default:
                throw new UsageException("--finding must be one of none, consolidation, diffuse: " + v);
        }
    }

    private static double[] numbers(String v, String separator, String name, String expected) throws UsageException {
        String[] parts = v.split(java.util.regex.Pattern.quote(separator), -1);
        if (parts.length != 3) {
            throw new UsageException(name + " must be " + expected + ": " + v);
        }
        double[] out = new double[3];
        for (int i = 0; i < 3; i++) {
            try {
                out[i] = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new UsageException(name + " must be " + expected + ": " + v);
            }
            if (!(out[i] > 0) || Double.isInfinite(out[i])) {
                throw new UsageException(name + " values must be > 0: " + v);
            }
        }
        return out;
    }

    private static int whole(double d, String name) throws UsageException {
        if (d != Math.rint(d) || d > 4096) {
            throw new UsageException(name + " needs whole numbers up to 4096: " + d);
        }
        return (int) d;
    }

    /**
     * The ground truth next to the series: {@code file} holds the labels as bytes, slice-major
     * {@code [slices][rows][cols]}, slices in position order (ascending along the normal), which is the
     * order of {@link GeneratedSeries#files()}; {@code file.json} says how to pair them with the DICOM files.
     */
    static void writeLabels(Path file, GeneratedVolume v) throws IOException {
        byte[][][] labels = v.labels();
        int slices = labels.length;
        int rows = slices == 0 ? 0 : labels[0].length;
        int cols = rows == 0 ? 0 : labels[0][0].length;
        byte[] raw = new byte[slices * rows * cols];
        int i = 0;
        for (byte[][] slice : labels) {
            for (byte[] row : slice) {
                System.arraycopy(row, 0, raw, i, cols);
                i += cols;
            }
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            java.nio.file.Files.createDirectories(parent);
        }
        java.nio.file.Files.write(file, raw);
        StringBuilder json = new StringBuilder();
        json.append("{\n  \"format\": \"uint8 labels, slice-major [slices][rows][cols], no header\",\n")
                .append("  \"sliceOrder\": \"position along the slice normal, ascending (the order of sopInstanceUids)\",\n")
                .append("  \"labels\": {\"0\": \"background\", \"1\": \"anterior hippocampus\", ")
                .append("\"2\": \"posterior hippocampus\"},\n")
                .append("  \"slices\": ").append(slices).append(",\n")
                .append("  \"rows\": ").append(rows).append(",\n")
                .append("  \"columns\": ").append(cols).append(",\n")
                .append("  \"rowSpacingMm\": ").append(v.rowSpacingMm()).append(",\n")
                .append("  \"columnSpacingMm\": ").append(v.columnSpacingMm()).append(",\n")
                .append("  \"sliceSpacingMm\": ").append(v.sliceSpacingMm()).append(",\n")
                .append("  \"seriesInstanceUid\": \"").append(v.series().seriesInstanceUid()).append("\",\n")
                .append("  \"sopInstanceUids\": [");
        List<String> sops = v.series().sopInstanceUids();
        for (int k = 0; k < sops.size(); k++) {
            json.append(k == 0 ? "" : ", ").append('"').append(sops.get(k)).append('"');
        }
        json.append("],\n  \"files\": [");
        List<Path> files = v.series().files();
        for (int k = 0; k < files.size(); k++) {
            json.append(k == 0 ? "" : ", ").append('"').append(files.get(k).getFileName().toString()).append('"');
        }
        json.append("]\n}\n");
        java.nio.file.Files.writeString(file.resolveSibling(file.getFileName() + ".json"), json.toString());
    }

    private static <E extends Enum<E>> E parseEnum(Class<E> type, String v, E dflt, String name)
            throws UsageException {
        if (v == null) {
            return dflt;
        }
        try {
            return Enum.valueOf(type, v.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UsageException(name + " must be one of " + java.util.Arrays.toString(type.getEnumConstants())
                    + ": " + v);
        }
    }

    private static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }
}
