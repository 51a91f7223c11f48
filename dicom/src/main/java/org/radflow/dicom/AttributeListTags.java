package org.radflow.dicom;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomDictionary;
import com.pixelmed.dicom.DicomException;
import org.radflow.api.DicomTags;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@link DicomTags} over a PixelMed attribute list: attributes by DICOM keyword (PixelMed's
 * dictionary) or by tag, {@code "(0018,0050)"} or {@code "00180050"}. Keeps PixelMed out of module-api.
 */
public final class AttributeListTags implements DicomTags {

    private static final Pattern TAG = Pattern.compile("\\(?([0-9A-Fa-f]{4}),?([0-9A-Fa-f]{4})\\)?");
    private static final ConcurrentHashMap<String, Optional<AttributeTag>> TAGS = new ConcurrentHashMap<>();

    private final AttributeList list;

    public AttributeListTags(AttributeList list) {
        this.list = list;
    }

    /** Reads a file's attributes up to (not including) Pixel Data. */
    public static AttributeListTags read(Path file) throws IOException, DicomException {
        AttributeList list = new AttributeList();
        list.read(file.toString(), com.pixelmed.dicom.TagFromName.PixelData);
        return new AttributeListTags(list);
    }

    public AttributeList attributes() {
        return list;
    }

    /** The tag for a keyword or a hex tag; empty (and so "absent") for an unknown keyword. */
    public static Optional<AttributeTag> tag(String keyword) {
        return TAGS.computeIfAbsent(keyword, k -> {
            Matcher m = TAG.matcher(k.trim());
            if (m.matches()) {
                return Optional.of(new AttributeTag(Integer.parseInt(m.group(1), 16), Integer.parseInt(m.group(2), 16)));
            }
            return Optional.ofNullable(DicomDictionary.StandardDictionary.getTagFromName(k.trim()));
        });
    }

    /** True when the keyword names a known attribute (for validating rules and selections up front). */
    public static boolean isKnown(String keyword) {
        return tag(keyword).isPresent();
    }

    @Override
    public List<String> values(String keyword) {
        Optional<AttributeTag> t = tag(keyword);
        if (t.isEmpty()) {
            return List.of();
        }
        Attribute a = list.get(t.get());
        if (a == null) {
            return List.of();
        }
        try {
            String[] v = a.getStringValues();
            return v == null ? List.of() : Arrays.stream(v).filter(s -> s != null && !s.isBlank()).map(String::trim).toList();
        } catch (DicomException e) {
            return List.of();
        }
    }
}
