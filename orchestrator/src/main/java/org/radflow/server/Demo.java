package org.radflow.server;

import org.radflow.dispatch.CStoreSender;
import org.radflow.dispatch.DeliveryReport;
import org.radflow.testdata.ChestOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The newcomer's demo behind {@code make run}: writes synthetic studies, sends them to this
 * server's own DICOM listener over the network exactly as a modality would, and prints where
 * they landed.
 */
public final class Demo {

    private final RadflowServer server;
    private final PrintStream out = System.out;

    public Demo(RadflowServer server) {
        this.server = server;
    }

    public void run() {
        try {
            Path input = server.config().server().dataDir().resolve("demo-input").toAbsolutePath();
            Files.createDirectories(input);
            GeneratedSeries chest = Synth.chestRadiograph(input.resolve("chest"), ChestOptions.defaults());
            GeneratedSeries mr = Synth.brainMr(input.resolve("hippocrop"), MrOptions.defaults());
            CStoreSender sender = new CStoreSender(server.vertx(), "self", CStoreSender.Settings.of(
                    server.config().listener().aeTitle(), "127.0.0.1", server.dicomPort(), "DEMO_MODALITY"));
            for (GeneratedSeries s : List.of(chest, mr)) {
                DeliveryReport r = sender.sendBlocking(s.files());
                out.printf("%n  Sent %d %s instance(s) to %s: %d stored%n", s.files().size(), s.modality(),
                        server.config().listener().aeTitle(), r.outcomes().size() - r.failures().size());
                out.printf("    study  %s%n    series %s%n    spool  %s%n", s.studyInstanceUid(), s.seriesInstanceUid(),
                        server.config().listener().spoolDir().toAbsolutePath().resolve("incoming")
                                .resolve(s.studyInstanceUid()).resolve(s.seriesInstanceUid()));
            }
            int rules = server.config().rules().rules().size();
            out.printf("%n  %s%n", rules == 0
                    ? "No routing rules are configured, so the studies wait in the spool (see README, \"Routing rules\")."
                    : rules + " routing rule(s) are configured: jobs at " + (server.config().api().tls() == null ? "http" : "https") + "://" + server.config().api().bindAddress() + ":"
                    + server.httpPort() + "/api/jobs");
            out.printf("%n  RadFlow is running: DICOM %s on port %d, health %s://%s:%d/api/health%n",
                    server.config().listener().aeTitle(), server.dicomPort(), server.config().api().tls() == null ? "http" : "https",
                    server.config().api().bindAddress(),
                    server.httpPort());
            out.printf("  Send your own: storescu -aec %s 127.0.0.1 %d FILE.dcm   (Ctrl-C stops RadFlow)%n%n",
                    server.config().listener().aeTitle(), server.dicomPort());
        } catch (IOException | RuntimeException e) {
            out.println("  Demo failed: " + e.getMessage() + " (RadFlow keeps running)");
        }
    }
}
