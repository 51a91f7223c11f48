package org.radflow.tracking;

import org.radflow.api.Trigger;
import org.radflow.dicom.OutputUids;
import org.radflow.listener.Spool;

import java.nio.file.Path;
import java.util.List;

/**
 * A unit of work that became complete: one instance, one series or one study, with its files as
 * they are in the spool at that moment (sorted by path).
 */
public record Unit(Trigger kind, String studyUid, String seriesUid, String sopUid, List<Path> files) {

    public Unit {
        files = List.copyOf(files);
    }

    public String key() {
        return switch (kind) {
            case INSTANCE -> "instance:" + studyUid + "/" + seriesUid + "/" + sopUid;
            case SERIES -> "series:" + studyUid + "/" + seriesUid;
            case STUDY -> "study:" + studyUid;
        };
    }

    public List<String> sopInstanceUids() {
        return files.stream().map(p -> {
            String n = p.getFileName().toString();
            return n.endsWith(Spool.SUFFIX) ? n.substring(0, n.length() - Spool.SUFFIX.length()) : n;
        }).toList();
    }

    public String inputHash() {
        return OutputUids.inputHash(sopInstanceUids());
    }
}
