package org.radflow.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.radflow.api.ImagePlane;
import org.radflow.api.StudyInput;
import org.radflow.pixels.SpoolStudyInput;

/**
 * The platform's part of a covidnet job inside its worker, alone: {@code SpoolStudyInput.of} (the header) and the
 * plane the module asks for ({@code PlaneOptions.BRIGHTER_IS_HIGHER}), thread CPU time per study, median of the
 * measured repetitions after a warm-up. Used by bench/covidnet-job.sh with either tree's classes (the API it calls is
 * the same in both). Arguments: a study folder, warm-up, repetitions.
 */
public final class DecodeCpu {

    public static void main(String[] args) throws Exception {
        Path folder = Path.of(args[0]);
        int warmup = Integer.parseInt(args[1]);
        int reps = Integer.parseInt(args[2]);
        List<Path> files;
        try (Stream<Path> s = Files.list(folder)) {
            files = s.filter(p -> p.toString().endsWith(".dcm")).sorted().toList();
        }
        com.pixelmed.dicom.AttributeList header = new com.pixelmed.dicom.AttributeList();
        header.read(files.get(0).toString(), com.pixelmed.dicom.TagFromName.PixelData);
        String study = com.pixelmed.dicom.Attribute.getSingleStringValueOrEmptyString(header,
                com.pixelmed.dicom.TagFromName.StudyInstanceUID);
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long[] cpu = new long[reps];
        double sink = 0;
        for (int i = 0; i < warmup + reps; i++) {
            long t0 = mx.getCurrentThreadCpuTime();
            SpoolStudyInput input = SpoolStudyInput.of(study, files);
            ImagePlane plane = input.series().get(0).instances().get(0).plane(0, StudyInput.PlaneOptions.BRIGHTER_IS_HIGHER);
            sink += plane.pixels()[plane.pixels().length / 2];
            long t1 = mx.getCurrentThreadCpuTime();
            if (i >= warmup) {
                cpu[i - warmup] = t1 - t0;
            }
        }
        Arrays.sort(cpu);
        System.out.printf("decode CPU p50 %.2f ms (min %.2f, %d reps)%s%n", cpu[reps / 2] / 1e6, cpu[0] / 1e6, reps,
                sink == 12345.678 ? " " : "");
    }
}
