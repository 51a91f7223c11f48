package org.radflow.testdata;

import java.nio.file.Path;
import java.util.List;

/**
 * What a generator wrote. For volumes, {@code files} and {@code sopInstanceUids} are in
 * position order (ascending along the slice normal), which is not necessarily Instance Number
 * or file name order.
 */
public record GeneratedSeries(String studyInstanceUid, String seriesInstanceUid, String modality,
                              List<Path> files, List<String> sopInstanceUids) {
    public GeneratedSeries {
        files = List.copyOf(files);
        sopInstanceUids = List.copyOf(sopInstanceUids);
    }
}
