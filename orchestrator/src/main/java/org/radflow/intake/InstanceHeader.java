package org.radflow.intake;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.SequenceAttribute;
import org.radflow.api.DicomTags;
import org.radflow.dicom.AttributeListTags;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An instance's header (top-level attributes up to Pixel Data) as an immutable snapshot of decoded string values,
 * read once at intake and handed on: the tracker's units and the planner's routing use it instead of reading the
 * file again. Same values as {@link AttributeListTags}: trimmed, blanks dropped, sequences absent.
 */
public final class InstanceHeader implements DicomTags {

    /** A header that could not be read: every attribute absent. */
    public static final InstanceHeader EMPTY = new InstanceHeader(Map.of());

    private static final long MAX_VALUE_BYTES = 64 * 1024;

    private final Map<AttributeTag, List<String>> values;

    private InstanceHeader(Map<AttributeTag, List<String>> values) {
        this.values = values;
    }

    /** Reads a file's header up to (not including) Pixel Data. */
    public static InstanceHeader read(Path file) throws IOException, DicomException {
        return of(AttributeListTags.read(file).attributes());
    }

    public static InstanceHeader of(AttributeList list) {
        Map<AttributeTag, List<String>> out = new HashMap<>();
        for (Map.Entry<AttributeTag, Attribute> e : list.entrySet()) {
            Attribute a = e.getValue();
            if (a instanceof SequenceAttribute || a.getVL() > MAX_VALUE_BYTES) {
                continue; // sequences are not matched by keyword; a large binary value is no routing criterion
            }
            try {
                String[] v = a.getStringValues();
                if (v != null) {
                    List<String> kept = Arrays.stream(v).filter(s -> s != null && !s.isBlank()).map(String::trim).toList();
                    if (!kept.isEmpty()) {
                        out.put(e.getKey(), kept);
                    }
                }
            } catch (DicomException ignored) {
                // an undecodable value reads as absent, as AttributeListTags reads it
            }
        }
        return new InstanceHeader(Map.copyOf(out));
    }

    @Override
    public List<String> values(String keyword) {
        Optional<AttributeTag> t = AttributeListTags.tag(keyword);
        return t.isEmpty() ? List.of() : values.getOrDefault(t.get(), List.of());
    }
}
