package org.radflow.server;

import org.radflow.api.AiModuleFactory;
import org.radflow.dispatch.CStoreSender;
import org.radflow.dispatch.DeliveryReport;
import org.radflow.jobs.Job;
import org.radflow.testdata.ChestOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Patient;
import org.radflow.testdata.Synth;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The newcomer's demo behind {@code make run}.
 *
 * <p>With Orthanc installed ({@link #prepare}): starts a real Orthanc as the demo PACS with RadFlow's auto-routing
 * script, writes a demo configuration (embedded defaults plus a destination for that PACS, one routing rule per
 * built-in module, and the modules' demo models), and after RadFlow has started sends synthetic studies to the
 * PACS as a modality would. The PACS forwards them to RadFlow, the modules run, and the reports go back into the
 * same studies in the PACS; the demo shows progress and prints where to look. Without Orthanc, or with
 * {@code new Demo(server)}, the studies go straight to RadFlow's listener.
 */
public final class Demo implements AutoCloseable {

    /** How long the demo waits for the reports before it says what is missing (RadFlow keeps running). */
    static final long WAIT_SECONDS = 240;

    private final PrintStream out = System.out;
    private final Path dataDir;
    private final DemoPacs pacs;
    private final Path configFile;
    private final Set<String> modules;
    private RadflowServer server;

    /** Direct mode: the studies go to the server's own listener. */
    public Demo(RadflowServer server) {
        this.server = server;
        this.dataDir = server.config().server().dataDir();
        this.pacs = null;
        this.configFile = null;
        this.modules = Set.of();
    }

    private Demo(Path dataDir, DemoPacs pacs, Path configFile, Set<String> modules) {
        this.dataDir = dataDir;
        this.pacs = pacs;
        this.configFile = configFile;
        this.modules = modules;
    }

    /**
     * Starts the demo PACS (when Orthanc is installed) and writes the demo configuration under
     * {@code dataDir/demo/}. RadFlow is then started with {@link #configFile()}.
     */
    public static Demo prepare(Path dataDir, String aeTitle, int dicomPort, int httpPort) throws IOException {
        Path dir = dataDir.resolve("demo").toAbsolutePath();
        Files.createDirectories(dir);
        Set<String> modules = new LinkedHashSet<>();
        ServiceLoader.load(AiModuleFactory.class, Demo.class.getClassLoader()).stream()
                .forEach(p -> {
                    try {
                        modules.add(p.get().descriptor().id());
                    } catch (RuntimeException | LinkageError e) {
                        // the registry reports broken modules at start; the demo just leaves them out
                    }
                });
        DemoPacs pacs = null;
        var orthanc = DemoPacs.executable();
        if (orthanc.isPresent()) {
            System.out.printf("%n  Starting the demo PACS (Orthanc %s) ...%n", orthanc.get());
            pacs = DemoPacs.start(orthanc.get(), dir.resolve("orthanc"), aeTitle, dicomPort);
        } else {
            System.out.printf("%n  Orthanc is not installed (apt-get install orthanc): the demo sends the studies"
                    + " straight to RadFlow and keeps the reports in its data directory.%n");
        }
        Path config = dir.resolve("radflow-demo.yaml");
        Files.writeString(config, configuration(dataDir.toAbsolutePath(), aeTitle, dicomPort, httpPort, pacs, modules));
        return new Demo(dataDir, pacs, config, modules);
    }

    /** The demo configuration: readable, so a newcomer can copy it as a start. */
    static String configuration(Path dataDir, String aeTitle, int dicomPort, int httpPort, DemoPacs pacs,
                                Set<String> modules) {
        StringBuilder y = new StringBuilder();
        y.append("# Written by `make run` (bin/radflow serve --demo). RadFlow is for research use only.\n");
        y.append("server:\n  dataDir: ").append(dataDir).append('\n');
        y.append("listener:\n  aeTitle: ").append(aeTitle).append("\n  bindAddress: 127.0.0.1\n  port: ").append(dicomPort)
                .append('\n');
        y.append("api:\n  bindAddress: 127.0.0.1\n  port: ").append(httpPort).append('\n');
        y.append("tracking:\n  seriesQuietSeconds: 3\n  studyQuietSeconds: 5\n");
        if (pacs != null && pacs.dicomWebUrl().isPresent()) {
            y.append("viewer:\n  dicomWebUrl: ").append(pacs.dicomWebUrl().get()).append('\n');
        }
        String dest = pacs == null ? "" : "    destinations: [demo-pacs]\n";
        if (pacs != null) {
            y.append("destinations:\n  demo-pacs:\n    type: dicom\n    aeTitle: ").append(DemoPacs.AE_TITLE)
                    .append("\n    host: 127.0.0.1\n    port: ").append(pacs.dicomPort()).append('\n');
        }
        StringBuilder moduleKeys = new StringBuilder();
        List<String> rules = new ArrayList<>();
        if (modules.contains("covidnet")) {
            moduleKeys.append("  covidnet:\n    config:\n      model: demo\n");
            rules.add("  - name: chest-radiographs\n    module: covidnet\n" + dest
                    + "    match:\n      Modality: [CR, DX]\n");
        }
        if (modules.contains("hippovolume")) {
            moduleKeys.append("  hippovolume:\n    config:\n      model: demo\n");
            rules.add("  - name: hippocampus-crops\n    module: hippovolume\n" + dest
                    + "    match:\n      Modality: MR\n      SeriesDescription: {regex: \".*hippocrop.*\"}\n");
        }
        if (!moduleKeys.isEmpty()) {
            y.append("modules:\n").append(moduleKeys);
        }
        y.append(rules.isEmpty() ? "rules: []\n" : "rules:\n" + String.join("", rules));
        return y.toString();
    }

    public Path configFile() {
        return configFile;
    }

    /**
     * Sends the demo studies, waits for their reports and prints where everything is. Never throws.
     *
     * @return the studies sent (empty when the demo failed)
     */
    public List<GeneratedSeries> run(RadflowServer server) {
        this.server = server;
        return run();
    }

    public List<GeneratedSeries> run() {
        try {
            Path input = dataDir.resolve("demo-input").toAbsolutePath();
            Files.createDirectories(input);
            GeneratedSeries chest = Synth.chestRadiograph(input.resolve("chest"), ChestOptions.defaults()
                    .withPatient(new Patient("Çelik^Ayşe", "DEMO-CXR-1", "19710314", "F", "054Y"))
                    .withAccessionNumber("DEMO-CXR-1")
                    // a synthetic lobar consolidation: the demo model was trained to call it "pneumonia"
                    .withFinding(ChestOptions.Finding.CONSOLIDATION));
            GeneratedSeries mr = Synth.brainMr(input.resolve("hippocrop"), MrOptions.defaults()
                    .withPatient(new Patient("Müller^Jürgen", "DEMO-MR-1", "19570602", "M", "068Y"))
                    .withAccessionNumber("DEMO-MR-1"));
            List<GeneratedSeries> studies = List.of(chest, mr);
            CStoreSender sender = pacs == null
                    ? new CStoreSender(server.vertx(), "radflow", CStoreSender.Settings.of(
                            server.config().listener().aeTitle(), "127.0.0.1", server.dicomPort(), "DEMO_MODALITY"))
                    : new CStoreSender(server.vertx(), "demo-pacs", CStoreSender.Settings.of(
                            DemoPacs.AE_TITLE, "127.0.0.1", pacs.dicomPort(), "DEMO_MODALITY"));
            String to = pacs == null ? "RadFlow (" + server.config().listener().aeTitle() + ")" : "the demo PACS ("
                    + DemoPacs.AE_TITLE + ", which forwards to RadFlow)";
            for (GeneratedSeries s : studies) {
                DeliveryReport r = sender.sendBlocking(s.files());
                out.printf("  Sent %d %s instance(s) to %s: %d stored (study %s)%n", s.files().size(), s.modality(), to,
                        r.outcomes().size() - r.failures().size(), s.studyInstanceUid());
            }
            if (server.config().rules().rules().isEmpty()) {
                out.printf("%n  No routing rules are configured, so the studies wait in the spool (README, \"Routing rules\").%n");
            } else {
                waitForResults(studies);
            }
            printWhereToLook(studies);
            return studies;
        } catch (IOException | RuntimeException e) {
            out.println("  Demo failed: " + e.getMessage() + " (RadFlow keeps running)");
            return List.of();
        }
    }

    /** The demo PACS, when Orthanc is installed. */
    public java.util.Optional<DemoPacs> pacs() {
        return java.util.Optional.ofNullable(pacs);
    }

    /** Shows job progress until each study's jobs are done and (with a PACS) their reports are in it. */
    /** A succeeded job's result summary (its reason is only the outcome), else its reason. */
    private String summary(Job j) {
        try {
            String summary = server.results() == null ? null
                    : server.results().read(j.id()).map(r -> r.getString("summary")).orElse(null);
            return summary != null && !summary.isBlank() ? summary : j.reason() == null ? "" : j.reason();
        } catch (Exception e) {
            return j.reason() == null ? "" : j.reason();
        }
    }

    private void waitForResults(List<GeneratedSeries> studies) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        Map<String, String> shown = new LinkedHashMap<>();
        out.printf("%n  Waiting for the AI results (studies are complete after a few quiet seconds) ...%n");
        while (System.nanoTime() < deadline) {
            boolean allDone = true;
            for (GeneratedSeries s : studies) {
                List<Job> jobs;
                try {
                    jobs = server.queries() == null ? List.of() : server.queries().search(null, null, s.studyInstanceUid(), 20);
                } catch (Exception e) {
                    jobs = List.of();
                }
                for (Job j : jobs) {
                    String line = String.format("    %-11s %-12s %-15s %s", s.modality(), j.moduleId(), j.state(),
                            j.state() == org.radflow.jobs.JobState.SUCCEEDED ? summary(j)
                                    : j.state().terminal() ? (j.reason() == null ? "" : j.reason())
                                    : (j.progressMessage() == null ? "" : j.progressMessage()));
                    if (!line.equals(shown.get(j.id()))) {
                        shown.put(j.id(), line);
                        out.println(line.stripTrailing());
                    }
                }
                boolean jobsDone = !jobs.isEmpty() && jobs.stream().allMatch(j -> j.state().terminal());
                boolean delivered = pacs == null || !jobs.stream().anyMatch(j -> j.state() == org.radflow.jobs.JobState.SUCCEEDED)
                        || outputsInPacs(s) >= 2;
                allDone &= jobsDone && delivered;
            }
            if (allDone) {
                return;
            }
            sleep(1000);
        }
        out.printf("  Not everything finished within %d s; RadFlow keeps going: watch the dashboard or GET /api/jobs.%n",
                WAIT_SECONDS);
    }

    private int outputsInPacs(GeneratedSeries s) {
        try {
            return (int) pacs.series(s.studyInstanceUid()).stream()
                    .filter(x -> !x.modality().equals(s.modality())).count();
        } catch (IOException e) {
            return 0;
        }
    }

    private void printWhereToLook(List<GeneratedSeries> studies) {
        String api = "http://" + server.config().api().bindAddress() + ":" + server.httpPort();
        out.printf("%n  RadFlow is running (research use only, NOT FOR DIAGNOSTIC USE):%n");
        out.printf("    dashboard     %s/ui/%n", api);
        if (server.viewerPort() > 0) {
            out.printf("    viewer (OHIF) http://%s:%d/   (the studies with their AI results)%n",
                    server.config().viewer().bindAddress(), server.viewerPort());
        }
        out.printf("    jobs (JSON)   %s/api/jobs%n", api);
        out.printf("    DICOM         %s on 127.0.0.1:%d%n", server.config().listener().aeTitle(), server.dicomPort());
        if (pacs != null) {
            out.printf("    demo PACS     %s  (Orthanc; DICOM %s on port %d)%n", pacs.explorerUrl(), DemoPacs.AE_TITLE,
                    pacs.dicomPort());
            for (GeneratedSeries s : studies) {
                try {
                    String series = pacs.series(s.studyInstanceUid()).stream()
                            .map(x -> x.modality() + (x.description().isEmpty() ? "" : " \"" + x.description() + "\""))
                            .collect(Collectors.joining(", "));
                    out.printf("    %-4s study   %s%n                  in the PACS: %s%n", s.modality(), s.studyInstanceUid(),
                            series);
                } catch (IOException e) {
                    out.printf("    %-4s study   %s%n", s.modality(), s.studyInstanceUid());
                }
            }
        } else {
            for (GeneratedSeries s : studies) {
                out.printf("    %-4s study   %s%n", s.modality(), s.studyInstanceUid());
            }
            out.printf("    reports       %s%n", server.config().server().dataDir().toAbsolutePath().resolve("results"));
        }
        if (configFile != null) {
            out.printf("    configuration %s%n", configFile);
        }
        out.printf("  Send your own: storescu -aec %s 127.0.0.1 %d FILE.dcm   (Ctrl-C stops everything)%n%n",
                server.config().listener().aeTitle(), server.dicomPort());
    }

    @Override
    public void close() {
        if (pacs != null) {
            pacs.close();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
