package org.radflow.pixels;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.DicomOutputStream;
import com.pixelmed.dicom.TransferSyntax;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * An input file's attributes up to Pixel Data (or Float/Double Float Pixel Data), and whether pixel data follows.
 * Read once and shared by the stages that need it (routing, the module's input, the report objects): nobody writes
 * into {@link #attributes()}.
 */
public record InputHeader(AttributeList attributes, boolean hasPixelData) {

    public InputHeader {
        Objects.requireNonNull(attributes, "attributes");
    }

    /**
     * These attributes as an Explicit VR Little Endian data set (the File Meta group included), as the worker protocol
     * carries them; null when they cannot be encoded (the worker then reads the file).
     */
    public byte[] encode() {
        return encode(attributes, new ByteArrayOutputStream(4 * 1024));
    }

    /** {@link #encode()} for any attribute list, through a reusable buffer ({@code scratch} is reset first). */
    public static byte[] encode(AttributeList attributes, ByteArrayOutputStream scratch) {
        scratch.reset();
        try {
            DicomOutputStream d = new DicomOutputStream(scratch, null, TransferSyntax.ExplicitVRLittleEndian);
            attributes.write(d);
            d.flush();
            return scratch.toByteArray();
        } catch (IOException | DicomException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Reads the header of {@code file}, stopping at the pixel data (which is not read).
     *
     * @throws IOException the file cannot be read or is not DICOM (the message names the file)
     */
    public static InputHeader read(Path file, InputOpener opener) throws IOException {
        AttributeList header = new AttributeList();
        boolean[] pixels = {false};
        try (DicomInputStream in = new DicomInputStream(opener.open(file))) {
            header.read(in, (list, tag, offset) -> {
                if (tag.getGroup() == 0x7FE0) {
                    pixels[0] = true;
                    return true;
                }
                return false;
            });
        } catch (DicomException | RuntimeException e) {
            throw new IOException(file + " is not a readable DICOM file: " + e.getMessage(), e);
        }
        return new InputHeader(header, pixels[0]);
    }
}
