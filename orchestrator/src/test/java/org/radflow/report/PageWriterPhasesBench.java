package org.radflow.report;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.TransferSyntax;
import org.radflow.api.KeyImage;
import org.radflow.api.ModuleResult;
import org.radflow.testdata.ChestOptions;
import org.radflow.testdata.GeneratedSeries;
import org.radflow.testdata.Synth;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The report page's phases, one JVM, warm: render (paint the page), attributes (the Secondary Capture's data set, with
 * the page's pixels copied into Pixel Data), write (the Part 10 file), and the bare pixel copy alone. Not a test.
 * Usage: java -cp <test classpath> org.radflow.report.PageWriterPhasesBench [RUNS] [KEYSIZE]   (defaults 400, 512)
 */
public final class PageWriterPhasesBench {
    public static void main(String[] args) throws Exception {
        System.setProperty("java.awt.headless", "true");
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 400;
        int k = args.length > 1 ? Integer.parseInt(args[1]) : 512;
        Path tmp = Files.createTempDirectory("pwb");
        GeneratedSeries cxr = Synth.chestRadiograph(tmp.resolve("cxr"), ChestOptions.defaults());
        ReportInput base = PageWriterTest.input(cxr, false);
        int[] rgb = new int[k * k];
        for (int i = 0; i < rgb.length; i++) {
            int v = (i * 7 + i / k * 3) & 0xFF;
            rgb[i] = v << 16 | v << 8 | v;
        }
        ReportInput in = new ReportInput(base.job(), base.module(), ModuleResult.completed(base.result().findings(),
                List.of(new KeyImage("Chest radiograph", k, k, rgb, null)), "Summary.", Map.of()), base.sources(),
                base.first(), base.createdAt(), null);
        PageWriter w = new PageWriter();
        long[] render = new long[runs], attrs = new long[runs], write = new long[runs], copy = new long[runs];
        long[] bicubic = new long[runs], bilinear = new long[runs], noKey = new long[runs];
        ReportInput bare = new ReportInput(base.job(), base.module(), ModuleResult.completed(base.result().findings(),
                List.of(), "Summary.", Map.of()), base.sources(), base.first(), base.createdAt(), null);
        BufferedImage key = new BufferedImage(k, k, BufferedImage.TYPE_INT_RGB);
        BufferedImage canvas = new BufferedImage(1024, 1448, BufferedImage.TYPE_INT_RGB);
        Path out = Files.createDirectories(tmp.resolve("out"));
        for (int r = 0; r < runs; r++) {
            long t0 = System.nanoTime();
            BufferedImage page = w.render(in);
            long t1 = System.nanoTime();
            AttributeList list = w.attributes(in, page);
            long t2 = System.nanoTime();
            FileMetaInformation.addFileMetaInformation(list, TransferSyntax.ExplicitVRLittleEndian, "RADFLOW");
            list.write(out.resolve("sc.dcm").toFile(), TransferSyntax.ExplicitVRLittleEndian, true, true);
            long t3 = System.nanoTime();
            int[] px = ((DataBufferInt) page.getRaster().getDataBuffer()).getData();
            byte[] b = new byte[px.length * 3];
            for (int i = 0, o = 0; i < px.length; i++) {
                int p = px[i];
                b[o++] = (byte) (p >> 16);
                b[o++] = (byte) (p >> 8);
                b[o++] = (byte) p;
            }
            long t4 = System.nanoTime();
            java.awt.Graphics2D g = PageWriter.hints(canvas.createGraphics());
            g.setRenderingHint(java.awt.RenderingHints.KEY_INTERPOLATION, java.awt.RenderingHints.VALUE_INTERPOLATION_BICUBIC);
            long t5 = System.nanoTime();
            BufferedImage fresh = new BufferedImage(k, k, BufferedImage.TYPE_INT_RGB);
            int[] fd = ((DataBufferInt) fresh.getRaster().getDataBuffer()).getData();
            for (int i = 0; i < fd.length; i++) {
                fd[i] = rgb[i] & 0xFFFFFF;
            }
            g.drawImage(fresh, 10, 10, 460, 460, null);
            long t6 = System.nanoTime();
            g.setRenderingHint(java.awt.RenderingHints.KEY_INTERPOLATION, java.awt.RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(key, 10, 10, 460, 460, null);
            long t7 = System.nanoTime();
            g.dispose();
            w.render(bare);
            long t8 = System.nanoTime();
            bicubic[r] = t6 - t5; bilinear[r] = t7 - t6; noKey[r] = t8 - t7;
            render[r] = t1 - t0; attrs[r] = t2 - t1; write[r] = t3 - t2; copy[r] = t4 - t3;
        }
        System.out.printf("page %dx%d, key image %dx%d, %d runs, p50 of the last half (first 10 runs in ms: render %s)%n",
                1024, 1448, k, k, runs, Arrays.toString(Arrays.stream(render).limit(10).map(x -> x / 1_000_000).toArray()));
        for (var e : Map.of("render", render, "attributes (incl. pixel copy)", attrs, "write Part 10 file", write,
                "bare pixel copy", copy, "fresh image, drawImage bicubic", bicubic, "drawImage bilinear 512->460", bilinear,
                "render without key image", noKey).entrySet()) {
            long[] v = Arrays.copyOfRange(e.getValue(), runs / 2, runs);
            Arrays.sort(v);
            System.out.printf("  %-32s p50 %.2f ms  min %.2f ms%n", e.getKey(), v[v.length / 2] / 1e6, v[0] / 1e6);
        }
    }
}
