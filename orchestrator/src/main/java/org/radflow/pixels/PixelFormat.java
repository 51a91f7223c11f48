package org.radflow.pixels;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.TagFromName;
import org.radflow.api.PixelDataException;

/** The Image Pixel module of an instance, checked for what RadFlow decodes. */
record PixelFormat(int rows, int columns, int samplesPerPixel, int bitsAllocated, int bitsStored, int highBit,
                   boolean signed, String photometric, int planarConfiguration, int frames) {

    static PixelFormat of(AttributeList l, String sopInstanceUid) throws PixelDataException {
        int rows = Attribute.getSingleIntegerValueOrDefault(l, TagFromName.Rows, 0);
        int columns = Attribute.getSingleIntegerValueOrDefault(l, TagFromName.Columns, 0);
        int spp = Attribute.getSingleIntegerValueOrDefault(l, TagFromName.SamplesPerPixel, 1);
        int allocated = Attribute.getSingleIntegerValueOrDefault(l, TagFromName.BitsAllocated, 0);
        int stored = Attribute.getSingleIntegerValueOrDefault(l, TagFromName.BitsStored, allocated);
        int high = Attribute.getSingleIntegerValueOrDefault(l, TagFromName.HighBit, stored - 1);
        boolean signed = Attribute.getSingleIntegerValueOrDefault(l, TagFromName.PixelRepresentation, 0) == 1;
        String photometric = Attribute.getSingleStringValueOrEmptyString(l, TagFromName.PhotometricInterpretation).trim();
        int planar = Attribute.getSingleIntegerValueOrDefault(l, TagFromName.PlanarConfiguration, 0);
        int frames = Math.max(1, Attribute.getSingleIntegerValueOrDefault(l, TagFromName.NumberOfFrames, 1));
        String where = "Instance " + sopInstanceUid + ": ";
        if (rows < 1 || columns < 1) {
            throw new PixelDataException(where + "Rows/Columns missing or zero (" + rows + " x " + columns + ")");
        }
        if (allocated != 8 && allocated != 16) {
            throw new PixelDataException(where + "Bits Allocated " + allocated + " is not supported (only 8 and 16)");
        }
        if (stored < 1 || stored > allocated || high < stored - 1 || high >= allocated) {
            throw new PixelDataException(where + "inconsistent Bits Allocated/Stored/High Bit " + allocated + "/"
                    + stored + "/" + high);
        }
        boolean grey = spp == 1 && (photometric.equals("MONOCHROME1") || photometric.equals("MONOCHROME2"));
        boolean colour = spp == 3 && (photometric.equals("RGB") || photometric.equals("YBR_FULL"));
        if (!grey && !colour) {
            throw new PixelDataException(where + "Photometric Interpretation " + photometric + " with " + spp
                    + " sample(s) per pixel is not supported (MONOCHROME1/2, RGB, YBR_FULL are)");
        }
        return new PixelFormat(rows, columns, spp, allocated, stored, high, signed, photometric, planar, frames);
    }

    int minStored() {
        return signed ? -(1 << (bitsStored - 1)) : 0;
    }

    int maxStored() {
        return signed ? (1 << (bitsStored - 1)) - 1 : (1 << bitsStored) - 1;
    }
}
