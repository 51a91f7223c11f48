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
            "  chest --out DIR [--modality DX|CR] [--view PA|AP|LAT] [--photometric MONOCHROME1|MONOCHROME2] [--seed N]",
            "  mr    --out DIR [--full] [--seed N]",
            "  ct    --out DIR --count N [--seed N]",
            "common options: --study-uid UID  --patient-name NAME  --patient-id ID  --accession ACC  --series-number N",
            "Writes synthetic DICOM files into DIR and prints the study/series UIDs and the number of files.");

    private static final Set<String> COMMON = Set.of("--out", "--seed", "--study-uid", "--patient-name",
            "--patient-id", "--accession", "--series-number");
    private static final Map<String, Set<String>> ALLOWED = Map.of(
            "chest", Set.of("--modality", "--view", "--photometric"),
            "mr", Set.of("--full"),
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
            if (studyUid != null && !Uids.isValid(studyUid)) {
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
                                    ChestOptions.Photometric.MONOCHROME2, "--photometric"));
                    if (seriesNumber != null) {
                        o = o.withSeriesNumber(seriesNumber);
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
                    g = Synth.brainMr(outDir, o);
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
