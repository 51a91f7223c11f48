package org.radflow.pixels;

import java.util.Map;
import javax.imageio.ImageIO;
import org.radflow.api.PixelDataException;

/**
 * Which transfer syntaxes RadFlow can decode with PixelMed and what is on the class path, checked before the
 * pixel data is read so that the refusal names the syntax and says what to do.
 */
final class TransferSyntaxes {
    private TransferSyntaxes() {}

    static final String IMPLICIT_LE = "1.2.840.10008.1.2";
    static final String EXPLICIT_LE = "1.2.840.10008.1.2.1";
    static final String DEFLATED_LE = "1.2.840.10008.1.2.1.99";
    static final String EXPLICIT_BE = "1.2.840.10008.1.2.2";
    static final String JPEG_BASELINE = "1.2.840.10008.1.2.4.50";
    static final String JPEG_EXTENDED = "1.2.840.10008.1.2.4.51";
    static final String JPEG_LOSSLESS_14 = "1.2.840.10008.1.2.4.57";
    static final String JPEG_LOSSLESS_SV1 = "1.2.840.10008.1.2.4.70";
    static final String RLE = "1.2.840.10008.1.2.5";

    private static final Map<String, String> NAMES = Map.ofEntries(
            Map.entry(IMPLICIT_LE, "Implicit VR Little Endian"),
            Map.entry(EXPLICIT_LE, "Explicit VR Little Endian"),
            Map.entry(DEFLATED_LE, "Deflated Explicit VR Little Endian"),
            Map.entry(EXPLICIT_BE, "Explicit VR Big Endian"),
            Map.entry(JPEG_BASELINE, "JPEG Baseline (Process 1)"),
            Map.entry(JPEG_EXTENDED, "JPEG Extended (Process 2 & 4)"),
            Map.entry(JPEG_LOSSLESS_14, "JPEG Lossless (Process 14)"),
            Map.entry(JPEG_LOSSLESS_SV1, "JPEG Lossless (Process 14, SV1)"),
            Map.entry(RLE, "RLE Lossless"),
            Map.entry("1.2.840.10008.1.2.4.80", "JPEG-LS Lossless"),
            Map.entry("1.2.840.10008.1.2.4.81", "JPEG-LS Near-Lossless"),
            Map.entry("1.2.840.10008.1.2.4.90", "JPEG 2000 Lossless"),
            Map.entry("1.2.840.10008.1.2.4.91", "JPEG 2000"),
            Map.entry("1.2.840.10008.1.2.4.92", "JPEG 2000 Part 2 Multi-component Lossless"),
            Map.entry("1.2.840.10008.1.2.4.93", "JPEG 2000 Part 2 Multi-component"),
            Map.entry("1.2.840.10008.1.2.4.94", "JPIP Referenced"),
            Map.entry("1.2.840.10008.1.2.4.95", "JPIP Referenced Deflate"),
            Map.entry("1.2.840.10008.1.2.4.201", "High-Throughput JPEG 2000 Lossless"),
            Map.entry("1.2.840.10008.1.2.4.202", "High-Throughput JPEG 2000 RPCL Lossless"),
            Map.entry("1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000"),
            Map.entry("1.2.840.10008.1.2.4.110", "JPEG XL Lossless"),
            Map.entry("1.2.840.10008.1.2.4.111", "JPEG XL JPEG Recompression"),
            Map.entry("1.2.840.10008.1.2.4.112", "JPEG XL"));

    private static final String ADVICE = "; configure the sender to send Explicit VR Little Endian"
            + " (or JPEG Lossless, RLE Lossless)";

    /** The PixelMed JPEG lossless reader (pixelmed_imageio.jar) registers this ImageIO format name. */
    private static final class LosslessCodec {
        static final boolean PRESENT = ImageIO.getImageReadersByFormatName("jpeg-lossless").hasNext();
    }

    static String describe(String uid) {
        String name = NAMES.get(uid);
        return name == null ? uid : name + " (" + uid + ")";
    }

    /**
     * Throws unless PixelMed can decode pixel data in this transfer syntax with what is on the class path.
     *
     * @param bitsStored of the image, because JPEG Extended is decodable for 8-bit data only
     */
    static void checkDecodable(String uid, int bitsStored, String sopInstanceUid) throws PixelDataException {
        String prefix = "Instance " + sopInstanceUid + ": transfer syntax " + describe(uid) + " cannot be decoded by RadFlow";
        switch (uid) {
            case IMPLICIT_LE, EXPLICIT_LE, DEFLATED_LE, EXPLICIT_BE, JPEG_BASELINE, RLE -> { }
            case JPEG_EXTENDED -> {
                if (bitsStored > 8) {
                    throw new PixelDataException(prefix + " for " + bitsStored
                            + "-bit data (no 12-bit extended JPEG decoder in PixelMed or the JDK)" + ADVICE);
                }
            }
            case JPEG_LOSSLESS_14, JPEG_LOSSLESS_SV1 -> {
                if (!LosslessCodec.PRESENT) {
                    throw new PixelDataException(prefix + ": the JPEG lossless codec (pixelmed_imageio.jar, Debian"
                            + " package libpixelmed-imageio-java) is not on the server's class path");
                }
            }
            default -> {
                if (NAMES.containsKey(uid)) {
                    throw new PixelDataException(prefix + " (PixelMed has no decoder for it)" + ADVICE);
                }
                throw new PixelDataException(prefix + " (unknown or private transfer syntax)" + ADVICE);
            }
        }
    }
}
