package org.radflow.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.radflow.host.worker.JobRequest;
import org.radflow.intake.HeaderCache;
import org.radflow.pixels.GeometryTolerance;
import org.radflow.pixels.InputOpener;
import org.radflow.pixels.SpoolStudyInput;
import org.radflow.testdata.CtOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.Synth;

/**
 * The JOB frame of protocol version 2 for one CT series (issue 16): the host's encoding of every input's header from
 * intake's cache, and the worker's decoding into the module's input (no header parsed, as for a no-op module).
 * Usage: JobRequestBench [SLICES] [ROUNDS]. Small slices: the headers are those of a 512x512 series.
 */
public final class JobRequestBench {

    public static void main(String[] args) throws Exception {
        int slices = args.length > 0 ? Integer.parseInt(args[0]) : 1500;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        Path dir = Files.createTempDirectory("radflow-jobrequest");
        GeneratedSeries ct = Synth.ctSeries(dir, CtOptions.defaults().withCount(slices).withSize(16, 16));
        HeaderCache cache = new HeaderCache(slices * 2);
        for (Path f : ct.files()) {
            cache.put(f, cache.read(f));
        }
        List<Double> enc = new ArrayList<>();
        List<Double> dec = new ArrayList<>();
        int bytes = 0;
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            byte[] payload = JobRequest.encode("j", ct.studyInstanceUid(), ct.files(), cache);
            long t1 = System.nanoTime();
            SpoolStudyInput in = SpoolStudyInput.fromSummaries(ct.studyInstanceUid(),
                    JobRequest.decode(payload, InputOpener.FILES).inputs(), GeometryTolerance.DEFAULT, InputOpener.FILES);
            long t2 = System.nanoTime();
            if (in.instanceCount() != slices) {
                throw new IllegalStateException("lost instances");
            }
            bytes = payload.length;
            enc.add((t1 - t0) / 1e6);
            dec.add((t2 - t1) / 1e6);
        }
        System.out.printf("%d slices, payload %d bytes; encode first %.1f ms, median of the last half %.1f ms; decode + input first %.1f ms, median %.1f ms%n",
                slices, bytes, enc.get(0), median(enc.subList(rounds / 2, rounds)), dec.get(0), median(dec.subList(rounds / 2, rounds)));
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        s.sort(null);
        return s.get(s.size() / 2);
    }
}
