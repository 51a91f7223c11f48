package org.radflow.moduletest;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.StructuredReport;
import com.pixelmed.dicom.TagFromName;
import org.radflow.api.AiModule;
import org.radflow.api.ModuleDescriptor;
import org.radflow.api.ModuleException;
import org.radflow.api.ModuleResult;
import org.radflow.api.Trigger;
import org.radflow.dicom.OutputUids;
import org.radflow.jobs.Job;
import org.radflow.jobs.JobState;
import org.radflow.report.PageWriter;
import org.radflow.report.ReportInput;
import org.radflow.report.SegWriter;
import org.radflow.report.SrWriter;
import org.radflow.routing.Priority;

import javax.imageio.ImageIO;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the server would send to PACS for a module's result, made offline into a folder: the Comprehensive SR, the
 * report page (Secondary Capture) and any Segmentation, written by the server's own writers; plus {@code page.png}
 * (the page as an image) and {@code sr.txt} (the SR's content tree as text), so an author sees the output without
 * a server.
 *
 * <pre>{@code
 * ReportPreview preview = ReportPreview.run(module, factory.descriptor(), files, Path.of("target/radflow-preview"));
 * // target/radflow-preview/page.png, sr.txt, sr.dcm, page.dcm (and seg.dcm when the module returns masks)
 * }</pre>
 *
 * <p>The files are one job's inputs as the server would group them: a {@link Trigger#SERIES} module's files belong
 * to one series, a {@link Trigger#INSTANCE} module's to one instance. UIDs are derived as on the server (same
 * inputs, module and version: same UIDs).
 */
public final class ReportPreview {

    private final ModuleResult result;
    private final Path directory;
    private final Path sr;
    private final Path page;
    private final Path pagePng;
    private final List<Path> segmentations;
    private final String srContent;

    private ReportPreview(ModuleResult result, Path directory, Path sr, Path page, Path pagePng, List<Path> segmentations,
                          String srContent) {
        this.result = result;
        this.directory = directory;
        this.sr = sr;
        this.page = page;
        this.pagePng = pagePng;
        this.segmentations = List.copyOf(segmentations);
        this.srContent = srContent;
    }

    /**
     * Runs the module on the files (decoded by the server's own code, {@link TestStudies#dicom(List)}) and writes the
     * report objects of its result into {@code directory}.
     *
     * @throws IllegalStateException when the module's result is not {@code COMPLETED} (the server writes no report
     *                               then); the message carries the module's reason
     */
    public static ReportPreview run(AiModule module, ModuleDescriptor descriptor, List<Path> files, Path directory)
            throws IOException, ModuleException {
        ModuleResult result = module.process(TestStudies.dicom(files), new TestJob("preview"));
        return write(descriptor, result, files, directory);
    }

    /**
     * Writes the report objects the server would make for {@code result} of a job over {@code inputFiles}.
     *
     * @throws IllegalStateException    when the result is not {@code COMPLETED}
     * @throws IllegalArgumentException when the files are not one unit of the module's trigger
     */
    public static ReportPreview write(ModuleDescriptor descriptor, ModuleResult result, List<Path> inputFiles, Path directory)
            throws IOException {
        if (result.status() != ModuleResult.Status.COMPLETED) {
            throw new IllegalStateException("module " + descriptor.id() + " returned " + result.status() + " ('"
                    + result.reason() + "'): the server writes a report only for a COMPLETED result");
        }
        if (inputFiles.isEmpty()) {
            throw new IllegalArgumentException("no input files: pass the DICOM files the module ran on");
        }
        Map<String, AttributeList> sources = new LinkedHashMap<>();
        Set<String> studies = new LinkedHashSet<>();
        Set<String> series = new LinkedHashSet<>();
        for (Path f : inputFiles) {
            AttributeList header = new AttributeList();
            try {
                header.read(f.toString(), TagFromName.PixelData); // as the server reads sources: up to Pixel Data
            } catch (DicomException e) {
                throw new IOException(f + " is not a DICOM file: " + e.getMessage(), e);
            }
            sources.put(Attribute.getSingleStringValueOrEmptyString(header, TagFromName.SOPInstanceUID), header);
            studies.add(Attribute.getSingleStringValueOrEmptyString(header, TagFromName.StudyInstanceUID));
            series.add(Attribute.getSingleStringValueOrEmptyString(header, TagFromName.SeriesInstanceUID));
        }
        Trigger trigger = descriptor.trigger();
        if (studies.size() != 1) {
            throw new IllegalArgumentException("the input files span " + studies.size() + " studies: a job covers one study");
        }
        if (trigger != Trigger.STUDY && series.size() != 1) {
            throw new IllegalArgumentException("the input files span " + series.size() + " series, but module "
                    + descriptor.id() + " is triggered per " + trigger + ": pass one series's files");
        }
        if (trigger == Trigger.INSTANCE && sources.size() != 1) {
            throw new IllegalArgumentException(sources.size() + " input files, but module " + descriptor.id()
                    + " is triggered per INSTANCE: pass one file");
        }
        String study = studies.iterator().next();
        String seriesUid = trigger == Trigger.STUDY ? null : series.iterator().next();
        String sop = trigger == Trigger.INSTANCE ? sources.keySet().iterator().next() : null;
        String unitKey = switch (trigger) {
            case INSTANCE -> "instance:" + study + "/" + seriesUid + "/" + sop;
            case SERIES -> "series:" + study + "/" + seriesUid;
            case STUDY -> "study:" + study;
        };
        Instant now = Instant.now();
        Job job = new Job("preview", unitKey, trigger, study, seriesUid, sop, descriptor.id(), descriptor.version(), "preview",
                Priority.NORMAL, List.of(), inputFiles, OutputUids.inputHash(sources.keySet()), 1, null, JobState.SUCCEEDED, 1,
                null, 1.0, null, now, now, now, now, null);
        ReportInput in = new ReportInput(job, descriptor, result, sources, sources.values().iterator().next(), now, null);

        Files.createDirectories(directory);
        clearPrevious(directory);
        try {
            Path srFile = only(new SrWriter().write(in, directory), "SR");
            Path sr = Files.move(srFile, directory.resolve("sr.dcm"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            PageWriter pages = new PageWriter();
            Path pageFile = only(pages.write(in, directory), "report page");
            Path page = Files.move(pageFile, directory.resolve("page.dcm"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Path png = directory.resolve("page.png");
            ImageIO.write(pages.render(in), "png", png.toFile());
            List<Path> segs = new ArrayList<>(new SegWriter().write(in, directory));

            AttributeList srList = new AttributeList();
            srList.read(sr.toString());
            String text = new StructuredReport(srList).toString();
            Files.writeString(directory.resolve("sr.txt"), text, StandardCharsets.UTF_8);
            return new ReportPreview(result, directory, sr, page, png, segs, text);
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("cannot write the report objects of module " + descriptor.id() + " into " + directory
                    + ": " + e.getMessage(), e);
        }
    }

    /** A previous preview's files go, so a SEG the new result no longer has is not left behind. */
    private static void clearPrevious(Path directory) throws IOException {
        try (var files = Files.list(directory)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (List.of("sr.dcm", "page.dcm", "page.png", "sr.txt").contains(name)
                        || name.startsWith("seg") && name.endsWith(".dcm")) {
                    Files.delete(f);
                }
            }
        }
    }

    private static Path only(List<Path> written, String what) {
        if (written.size() != 1) {
            throw new IllegalStateException("expected one " + what + ", the writer made " + written.size());
        }
        return written.get(0);
    }

    /** The module's result the objects were made from. */
    public ModuleResult result() {
        return result;
    }

    /** The folder holding every file below. */
    public Path directory() {
        return directory;
    }

    /** {@code sr.dcm}: the Comprehensive SR (TID 1500), as the server sends it. */
    public Path sr() {
        return sr;
    }

    /** {@code page.dcm}: the report page, a Secondary Capture any viewer shows. */
    public Path page() {
        return page;
    }

    /** {@code page.png}: the same page as a PNG image, to open without a DICOM viewer. */
    public Path pagePng() {
        return pagePng;
    }

    /** The Segmentation objects ({@code seg.dcm}, {@code seg-2.dcm}, ...); empty when the result has no masks. */
    public List<Path> segmentations() {
        return segmentations;
    }

    /** The first Segmentation, if any. */
    public Optional<Path> segmentation() {
        return segmentations.stream().findFirst();
    }

    /** The SR's content tree as text (also in {@code sr.txt}): concept names, codes and values, one item a line. */
    public String srContent() {
        return srContent;
    }

    @Override
    public String toString() {
        return "ReportPreview[" + directory + ": sr.dcm, page.dcm, page.png" + (segmentations.isEmpty() ? "" : ", "
                + segmentations.size() + " seg") + "]";
    }
}
