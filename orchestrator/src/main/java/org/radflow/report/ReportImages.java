package org.radflow.report;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.TagFromName;
import org.radflow.dicom.Part10;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * The report page of a job as a PNG, for previews: decoded from the Secondary Capture the job wrote
 * (8-bit RGB, as {@link PageWriter} makes it) and kept next to it as {@code report.png}, so it is
 * decoded once.
 */
public final class ReportImages {

    private ReportImages() {
    }

    /**
     * @param resultDir the job's result directory ({@code <results>/<job>/}); its report objects are in {@code dicom/}
     */
    public static Optional<byte[]> png(Path resultDir) throws IOException, DicomException {
        Path dicom = resultDir.resolve("dicom");
        if (!Files.isDirectory(dicom)) {
            return Optional.empty();
        }
        Path page = null;
        try (var files = Files.list(dicom)) {
            for (Path f : files.sorted().toList()) {
                if (PageWriter.SECONDARY_CAPTURE.equals(Part10.readMeta(f).sopClassUid())) {
                    page = f;
                    break;
                }
            }
        }
        if (page == null) {
            return Optional.empty();
        }
        Path cached = resultDir.resolve("report.png");
        if (Files.isRegularFile(cached) && Files.getLastModifiedTime(cached).compareTo(Files.getLastModifiedTime(page)) >= 0) {
            return Optional.of(Files.readAllBytes(cached));
        }
        byte[] png = encode(decode(page));
        Path tmp = resultDir.resolve("report.png.tmp");
        Files.write(tmp, png);
        Files.move(tmp, cached, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return Optional.of(png);
    }

    static BufferedImage decode(Path file) throws IOException, DicomException {
        AttributeList l = new AttributeList();
        l.read(file.toString());
        int rows = Attribute.getSingleIntegerValueOrDefault(l, TagFromName.Rows, 0);
        int cols = Attribute.getSingleIntegerValueOrDefault(l, TagFromName.Columns, 0);
        int samples = Attribute.getSingleIntegerValueOrDefault(l, TagFromName.SamplesPerPixel, 1);
        int planar = Attribute.getSingleIntegerValueOrDefault(l, TagFromName.PlanarConfiguration, 0);
        int bits = Attribute.getSingleIntegerValueOrDefault(l, TagFromName.BitsAllocated, 8);
        Attribute pixels = l.get(TagFromName.PixelData);
        if (pixels == null || bits != 8 || samples != 3 || rows <= 0 || cols <= 0) {
            throw new DicomException(file + ": not an 8-bit RGB report page (samples " + samples + ", bits " + bits + ")");
        }
        byte[] p = pixels.getByteValues();
        if (p.length < rows * cols * 3) {
            throw new DicomException(file + ": pixel data is shorter than " + rows + " x " + cols + " x 3");
        }
        BufferedImage img = new BufferedImage(cols, rows, BufferedImage.TYPE_INT_RGB);
        int plane = rows * cols;
        for (int y = 0; y < rows; y++) {
            for (int x = 0; x < cols; x++) {
                int i = y * cols + x;
                int r;
                int g;
                int b;
                if (planar == 0) {
                    r = p[3 * i] & 0xff;
                    g = p[3 * i + 1] & 0xff;
                    b = p[3 * i + 2] & 0xff;
                } else {
                    r = p[i] & 0xff;
                    g = p[plane + i] & 0xff;
                    b = p[2 * plane + i] & 0xff;
                }
                img.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return img;
    }

    private static byte[] encode(BufferedImage img) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!ImageIO.write(img, "png", out)) {
            throw new IOException("no PNG writer in this JVM");
        }
        return out.toByteArray();
    }
}
