package org.radflow.report;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.TransferSyntax;
import org.radflow.api.Finding;
import org.radflow.api.KeyImage;
import org.radflow.api.ModuleResult;
import org.radflow.testdata.ChestOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.Synth;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the report stage's time goes, one JVM, warm (docs/benchmarks.md, "Sustained throughput"). Not a test.
 * <p>Part 1, a COVID-Net-shaped result (its findings without the test's segmentation, one KEYSIZE² key image: a page of
 * 1,448 rows, as COVID-Net's are): the thread CPU and wall time of each writer of a job's reports (SR, the report page,
 * SEG) and of {@link ResultStore#completed}; then the page's phases: render, attributes (the Secondary Capture's data
 * set, the page's pixels copied into Pixel Data), the Part 10 write, and the key image's {@code drawImage} alone, bicubic
 * (what the page uses) and bilinear.
 * <p>Part 2, PageWriterTest's chest page (a segmentation legend above the key image: content that fits 1,448 rows, a
 * footer that does not, 1,500 rows): render, and render without its key image.
 * <p>p50 of the second half of RUNS. Usage: {@code java -cp <test classpath> org.radflow.report.PageWriterPhasesBench
 * [RUNS] [KEYSIZE]} (defaults 300, 512); the classpath: {@code mvn -B -q -o -Dohif.skip=true -pl orchestrator -am
 * test-compile dependency:build-classpath -Dmdep.outputFile=target/pwb.cp -Dmdep.includeScope=test}, then
 * {@code orchestrator/target/test-classes:orchestrator/target/classes:$(cat orchestrator/target/pwb.cp)}.
 */
public final class PageWriterPhasesBench {
    public static void main(String[] args) throws Exception {
        System.setProperty("java.awt.headless", "true");
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 300;
        int k = args.length > 1 ? Integer.parseInt(args[1]) : 512;
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Path tmp = Files.createTempDirectory("pwb");
        GeneratedSeries cxr = Synth.chestRadiograph(tmp.resolve("cxr"), ChestOptions.defaults());
        ReportInput base = PageWriterTest.input(cxr, false);
        int[] rgb = new int[k * k];
        for (int i = 0; i < rgb.length; i++) {
            int v = (i * 7 + i / k * 3) & 0xFF;
            rgb[i] = v << 16 | v << 8 | v;
        }
        List<KeyImage> key = List.of(new KeyImage("Chest radiograph; outlined: the square region COVID-Net reads", k, k,
                rgb, null));
        List<Finding> noMasks = base.result().findings().stream().filter(f -> !(f instanceof Finding.Segmentation)).toList();
        ReportInput covid = with(base, noMasks, key);
        ReportInput tall = with(base, base.result().findings(), key);
        ReportInput tallBare = with(base, base.result().findings(), List.of());

        Map<String, long[]> cpu = new LinkedHashMap<>();
        Map<String, long[]> wall = new LinkedHashMap<>();
        ReportObjectWriter[] writers = {new SrWriter(x -> null), new PageWriter(), new SegWriter()};
        String[] writerNames = {"SR write", "report page write", "SEG write (no masks)"};
        ResultStore store = new ResultStore(tmp.resolve("results"));
        PageWriter pages = new PageWriter();
        BufferedImage canvas = new BufferedImage(PageWriter.WIDTH, PageWriter.MIN_HEIGHT, BufferedImage.TYPE_INT_RGB);
        BufferedImage keyImage = new BufferedImage(k, k, BufferedImage.TYPE_INT_RGB);
        System.arraycopy(rgb, 0, ((DataBufferInt) keyImage.getRaster().getDataBuffer()).getData(), 0, rgb.length);
        Path out = Files.createDirectories(tmp.resolve("out"));
        int covidRows = 0;
        int tallRows = 0;
        for (int r = 0; r < runs; r++) {
            Path dir = Files.createDirectories(tmp.resolve("job-" + r));
            for (int i = 0; i < writers.length; i++) {
                int w = i;
                time(threads, cpu, wall, writerNames[i], r, runs, () -> writers[w].write(covid, dir));
            }
            time(threads, cpu, wall, "ResultStore.completed", r, runs, () -> store.completed(covid.job(), covid.result()));
            BufferedImage[] page = new BufferedImage[1];
            AttributeList[] list = new AttributeList[1];
            time(threads, cpu, wall, "  page: render", r, runs, () -> page[0] = pages.render(covid));
            time(threads, cpu, wall, "  page: attributes", r, runs, () -> list[0] = pages.attributes(covid, page[0]));
            time(threads, cpu, wall, "  page: Part 10 write", r, runs, () -> {
                FileMetaInformation.addFileMetaInformation(list[0], TransferSyntax.ExplicitVRLittleEndian, "RADFLOW");
                list[0].write(out.resolve("sc.dcm").toFile(), TransferSyntax.ExplicitVRLittleEndian, true, true);
            });
            for (Object interpolation : List.of(RenderingHints.VALUE_INTERPOLATION_BICUBIC,
                    RenderingHints.VALUE_INTERPOLATION_BILINEAR)) {
                Graphics2D g = PageWriter.hints(canvas.createGraphics());
                g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, interpolation);
                time(threads, cpu, wall, "  page: key image drawImage " + interpolation.toString().replaceAll(".*(cubic|linear).*",
                        "bi$1"), r, runs, () -> g.drawImage(keyImage, 10, 10, 460, 460, null));
                g.dispose();
            }
            BufferedImage[] t = new BufferedImage[1];
            time(threads, cpu, wall, "chest test page: render", r, runs, () -> t[0] = pages.render(tall));
            time(threads, cpu, wall, "chest test page: render, no key image", r, runs, () -> pages.render(tallBare));
            covidRows = page[0].getHeight();
            tallRows = t[0].getHeight();
        }
        System.out.printf("%d runs, p50 of the last %d; key image %dx%d; COVID-Net-shaped page %d rows, chest test page %d rows%n",
                runs, runs - runs / 2, k, k, covidRows, tallRows);
        for (String name : cpu.keySet()) {
            System.out.printf("  %-44s thread CPU p50 %6.2f ms   wall p50 %6.2f ms%n", name, p50(cpu.get(name)), p50(wall.get(name)));
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    private static void time(ThreadMXBean threads, Map<String, long[]> cpu, Map<String, long[]> wall, String name, int r,
                             int runs, Step step) throws Exception {
        long c0 = threads.getCurrentThreadCpuTime();
        long w0 = System.nanoTime();
        step.run();
        wall.computeIfAbsent(name, n -> new long[runs])[r] = System.nanoTime() - w0;
        cpu.computeIfAbsent(name, n -> new long[runs])[r] = threads.getCurrentThreadCpuTime() - c0;
    }

    private static double p50(long[] all) {
        long[] v = Arrays.copyOfRange(all, all.length / 2, all.length);
        Arrays.sort(v);
        return v[v.length / 2] / 1e6;
    }

    private static ReportInput with(ReportInput base, List<Finding> findings, List<KeyImage> keyImages) {
        return new ReportInput(base.job(), base.module(), ModuleResult.completed(findings, keyImages, "Summary.", Map.of()),
                base.sources(), base.first(), base.createdAt(), null);
    }
}
