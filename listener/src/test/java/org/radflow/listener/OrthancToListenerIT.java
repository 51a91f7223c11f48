package org.radflow.listener;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.MrOptions;
import org.radflow.testdata.Synth;
import org.radflow.testkit.OrthancServer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A real PACS (Orthanc) pushes a study to the listener through its REST "store to modality" call. */
class OrthancToListenerIT {

    @TempDir
    Path dir;

    @Test
    void orthancSendsAStudyToTheListener() throws Exception {
        GeneratedSeries mr = Synth.brainMr(dir.resolve("in"), MrOptions.defaults());
        try (RunningListener l = new RunningListener(dir, s -> s);
             OrthancServer orthanc = new OrthancServer().withModality("RADFLOW", l.aeTitle(), "127.0.0.1", l.port()).start()) {
            List<String> ids = new ArrayList<>();
            for (Path f : mr.files()) {
                ids.add(orthanc.upload(f));
            }
            orthanc.storeToModality("RADFLOW", ids);
            l.awaitEvents(mr.files().size(), 10_000);
            assertEquals(mr.files().size(), l.spooled().size());
            assertEquals(new HashSet<>(mr.sopInstanceUids()),
                    new HashSet<>(l.events.stream().map(InstanceStored::sopInstanceUid).toList()));
            assertEquals(orthanc.aeTitle(), l.events.get(0).callingAeTitle());
        }
    }
}
