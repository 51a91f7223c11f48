package org.radflow.report;

import java.nio.file.Path;
import java.util.List;

/** Makes one kind of output object (SR, report page, SEG) of a completed job as DICOM Part 10 files. */
public interface ReportObjectWriter {

    /** Short name for logs: {@code "sr"}, {@code "sc"}, {@code "seg"}. */
    String kind();

    /**
     * Writes the objects into {@code directory} (which exists) and returns the files; an empty list
     * when the result has nothing of this kind (e.g. no segmentation).
     */
    List<Path> write(ReportInput input, Path directory) throws Exception;
}
