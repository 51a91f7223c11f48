package org.radflow.testdata;

import static org.junit.jupiter.api.Assertions.fail;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Real tools: dicom3tools' dciodvfy, DCMTK's dcmdump, PixelMed's reader. */
final class DicomTools {
    private DicomTools() {}

    static final String DCIODVFY = "/usr/bin/dciodvfy";
    static final String DCMDUMP = "/usr/bin/dcmdump";

    /** Output lines of a command (stdout and stderr merged). */
    static List<String> run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("timed out: " + String.join(" ", command));
        }
        return out.lines().toList();
    }

    /** Runs dciodvfy; fails with its whole output if any line starts with "Error". Returns the warnings. */
    static List<String> assertValid(Path file) throws IOException, InterruptedException {
        List<String> lines = run(DCIODVFY, file.toString());
        List<String> warnings = new ArrayList<>();
        boolean error = false;
        for (String l : lines) {
            if (l.startsWith("Error")) {
                error = true;
            } else if (l.startsWith("Warning")) {
                warnings.add(l);
            }
        }
        if (error) {
            fail("dciodvfy reports errors for " + file + ":\n" + String.join("\n", lines));
        }
        return warnings;
    }

    static AttributeList read(Path file) throws IOException, DicomException {
        AttributeList list = new AttributeList();
        list.read(file.toString());
        return list;
    }

    static String string(AttributeList list, int group, int element) {
        return Attribute.getSingleStringValueOrEmptyString(list, new AttributeTag(group, element));
    }

    static int integer(AttributeList list, int group, int element) {
        return Attribute.getSingleIntegerValueOrDefault(list, new AttributeTag(group, element), Integer.MIN_VALUE);
    }

    static double[] doubles(AttributeList list, int group, int element) {
        return Attribute.getDoubleValues(list, new AttributeTag(group, element));
    }

    static short[] pixels(AttributeList list) throws DicomException {
        return list.getPixelData().getShortValues();
    }
}
