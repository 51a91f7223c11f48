package org.radflow.dicom;

import org.radflow.api.PixelDataException;

import javax.imageio.ImageIO;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Transfer syntax UIDs RadFlow knows by name: what the listener accepts, which encodings a sender can
 * re-encode, and which ones PixelMed can decode with what is on the class path (checked before the
 * pixel data is read, so that a refusal names the syntax and says what to do).
 */
public final class TransferSyntaxes {

    public static final String IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2";
    public static final String EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1";
    public static final String DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1.99";
    public static final String EXPLICIT_VR_BIG_ENDIAN = "1.2.840.10008.1.2.2";
    public static final String JPEG_BASELINE = "1.2.840.10008.1.2.4.50";
    public static final String JPEG_EXTENDED = "1.2.840.10008.1.2.4.51";
    public static final String JPEG_LOSSLESS_NH = "1.2.840.10008.1.2.4.57";
    public static final String JPEG_LOSSLESS_SV1 = "1.2.840.10008.1.2.4.70";
    public static final String JPEG_LS_LOSSLESS = "1.2.840.10008.1.2.4.80";
    public static final String JPEG_LS_NEAR_LOSSLESS = "1.2.840.10008.1.2.4.81";
    public static final String JPEG_2000_LOSSLESS = "1.2.840.10008.1.2.4.90";
    public static final String JPEG_2000 = "1.2.840.10008.1.2.4.91";
    public static final String HTJ2K_LOSSLESS = "1.2.840.10008.1.2.4.201";
    public static final String HTJ2K_LOSSLESS_RPCL = "1.2.840.10008.1.2.4.202";
    public static final String HTJ2K = "1.2.840.10008.1.2.4.203";
    public static final String RLE_LOSSLESS = "1.2.840.10008.1.2.5";

    /** What the listener accepts by default: uncompressed, deflated and the common compressed syntaxes. Stored as received. */
    public static final List<String> LISTENER_DEFAULT = List.of(
            EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_BIG_ENDIAN, DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
            JPEG_BASELINE, JPEG_EXTENDED, JPEG_LOSSLESS_NH, JPEG_LOSSLESS_SV1, JPEG_LS_LOSSLESS, JPEG_LS_NEAR_LOSSLESS,
            JPEG_2000_LOSSLESS, JPEG_2000, HTJ2K_LOSSLESS, HTJ2K_LOSSLESS_RPCL, HTJ2K, RLE_LOSSLESS);

    private static final Set<String> UNCOMPRESSED = Set.of(
            IMPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_BIG_ENDIAN);

    private static final Map<String, String> NAMES = Map.ofEntries(
            Map.entry(IMPLICIT_VR_LITTLE_ENDIAN, "Implicit VR Little Endian"),
            Map.entry(EXPLICIT_VR_LITTLE_ENDIAN, "Explicit VR Little Endian"),
            Map.entry(DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, "Deflated Explicit VR Little Endian"),
            Map.entry(EXPLICIT_VR_BIG_ENDIAN, "Explicit VR Big Endian"),
            Map.entry(JPEG_BASELINE, "JPEG Baseline (Process 1)"),
            Map.entry(JPEG_EXTENDED, "JPEG Extended (Process 2 & 4)"),
            Map.entry(JPEG_LOSSLESS_NH, "JPEG Lossless (Process 14)"),
            Map.entry(JPEG_LOSSLESS_SV1, "JPEG Lossless (Process 14, SV1)"),
            Map.entry(RLE_LOSSLESS, "RLE Lossless"),
            Map.entry(JPEG_LS_LOSSLESS, "JPEG-LS Lossless"),
            Map.entry(JPEG_LS_NEAR_LOSSLESS, "JPEG-LS Near-Lossless"),
            Map.entry(JPEG_2000_LOSSLESS, "JPEG 2000 Lossless"),
            Map.entry(JPEG_2000, "JPEG 2000"),
            Map.entry("1.2.840.10008.1.2.4.92", "JPEG 2000 Part 2 Multi-component Lossless"),
            Map.entry("1.2.840.10008.1.2.4.93", "JPEG 2000 Part 2 Multi-component"),
            Map.entry("1.2.840.10008.1.2.4.94", "JPIP Referenced"),
            Map.entry("1.2.840.10008.1.2.4.95", "JPIP Referenced Deflate"),
            Map.entry(HTJ2K_LOSSLESS, "High-Throughput JPEG 2000 Lossless"),
            Map.entry(HTJ2K_LOSSLESS_RPCL, "High-Throughput JPEG 2000 RPCL Lossless"),
            Map.entry(HTJ2K, "High-Throughput JPEG 2000"),
            Map.entry("1.2.840.10008.1.2.4.110", "JPEG XL Lossless"),
            Map.entry("1.2.840.10008.1.2.4.111", "JPEG XL JPEG Recompression"),
            Map.entry("1.2.840.10008.1.2.4.112", "JPEG XL"));

    private static final String ADVICE = "; configure the sender to send Explicit VR Little Endian"
            + " (or JPEG Lossless, RLE Lossless)";

    private TransferSyntaxes() {
    }

    /** Native (uncompressed, not deflated) encodings, which any peer can be sent after re-encoding. */
    public static boolean isUncompressed(String ts) {
        return UNCOMPRESSED.contains(ts);
    }

    /**
     * ImageIO finds codec jars through the thread's context class loader when it first scans for them. In a worker
     * the first decode runs under the module's class loader, which does not show the platform's jars: the codecs
     * then seemed absent (a JPEG 2000 study failed in a worker and worked in the server). Scanning once more with
     * the platform's class loader registers them whatever thread comes first.
     */
    private static final class Codecs {
        /** Read to make sure the scan below has run (once, when the class is initialised). */
        static final boolean SCANNED;

        static {
            Thread t = Thread.currentThread();
            ClassLoader previous = t.getContextClassLoader();
            t.setContextClassLoader(TransferSyntaxes.class.getClassLoader());
            try {
                ImageIO.scanForPlugins();
            } finally {
                t.setContextClassLoader(previous);
            }
            SCANNED = true;
        }

        static boolean reader(String formatName) {
            return ImageIO.getImageReadersByFormatName(formatName).hasNext();
        }
    }

    /** The PixelMed JPEG lossless reader (pixelmed_imageio.jar) registers this ImageIO format name. */
    private static final class LosslessCodec {
        static final boolean PRESENT = Codecs.reader("jpeg-lossless");
    }

    /** PixelMed asks ImageIO for a "JPEG2000" reader; jai-imageio-jpeg2000 (JJ2000) provides it. */
    private static final class Jpeg2000Codec {
        static final boolean PRESENT = Codecs.reader("JPEG2000");
    }

    /** Makes sure the codec jars on the platform's class path are registered with ImageIO (see {@link Codecs}). */
    public static void registerCodecs() {
        if (!Codecs.SCANNED) {
            throw new IllegalStateException("unreachable: the codec scan runs when Codecs is initialised");
        }
    }

    /** JPEG-LS is decoded by DCMTK's dcmdjpls when it is installed (see {@link DcmtkTranscoder}). */
    public static boolean isJpegLs(String uid) {
        return JPEG_LS_LOSSLESS.equals(uid) || JPEG_LS_NEAR_LOSSLESS.equals(uid);
    }

    /** HTJ2K is decoded by OpenJPEG's opj_decompress (2.5 or later) when it is installed (see {@link Htj2kTranscoder}). */
    public static boolean isHtj2k(String uid) {
        return HTJ2K_LOSSLESS.equals(uid) || HTJ2K_LOSSLESS_RPCL.equals(uid) || HTJ2K.equals(uid);
    }

    /**
     * Whether pixel data in this syntax can be decoded on this machine whatever the image's bit depth: what the
     * listener prefers when a peer proposes several syntaxes for one presentation context. JPEG Extended counts only
     * with DCMTK's dcmdjpeg (12-bit images need it; 8-bit ones PixelMed decodes).
     */
    public static boolean isDecodable(String uid) {
        return switch (uid) {
            case IMPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
                    EXPLICIT_VR_BIG_ENDIAN, JPEG_BASELINE, RLE_LOSSLESS -> true;
            case JPEG_EXTENDED -> DcmtkTranscoder.jpeg().isPresent();
            case JPEG_LOSSLESS_NH, JPEG_LOSSLESS_SV1 -> LosslessCodec.PRESENT;
            case JPEG_2000_LOSSLESS, JPEG_2000 -> Jpeg2000Codec.PRESENT;
            case JPEG_LS_LOSSLESS, JPEG_LS_NEAR_LOSSLESS -> DcmtkTranscoder.jpegLs().isPresent();
            case HTJ2K_LOSSLESS, HTJ2K_LOSSLESS_RPCL, HTJ2K -> Htj2kTranscoder.installed().isPresent();
            default -> false;
        };
    }

    /** The syntax's name and UID, e.g. {@code "JPEG 2000 Lossless (1.2.840.10008.1.2.4.90)"}; the bare UID when unknown. */
    public static String describe(String uid) {
        String name = NAMES.get(uid);
        return name == null ? uid : name + " (" + uid + ")";
    }

    /**
     * Throws unless PixelMed can decode pixel data in this transfer syntax with what is on the class path.
     *
     * @param bitsStored of the image, because 12-bit JPEG Extended needs DCMTK's dcmdjpeg
     */
    public static void checkDecodable(String uid, int bitsStored, String sopInstanceUid) throws PixelDataException {
        registerCodecs();
        String prefix = "Instance " + sopInstanceUid + ": transfer syntax " + describe(uid) + " cannot be decoded by RadFlow";
        switch (uid) {
            case IMPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_BIG_ENDIAN,
                    JPEG_BASELINE, RLE_LOSSLESS -> { }
            case JPEG_EXTENDED -> {
                if (bitsStored > 8 && DcmtkTranscoder.jpeg().isEmpty()) {
                    throw new PixelDataException(prefix + " for " + bitsStored + "-bit data: 12-bit JPEG Extended is decoded by "
                            + "DCMTK's dcmdjpeg, which is not installed (Debian package dcmtk; or set -D"
                            + DcmtkTranscoder.JPEG_PROPERTY + "=PATH)" + ADVICE);
                }
            }
            case JPEG_LOSSLESS_NH, JPEG_LOSSLESS_SV1 -> {
                if (!LosslessCodec.PRESENT) {
                    throw new PixelDataException(prefix + ": the JPEG lossless codec (pixelmed_imageio.jar, Debian"
                            + " package libpixelmed-imageio-java) is not on the server's class path");
                }
            }
            case JPEG_2000_LOSSLESS, JPEG_2000 -> {
                if (!Jpeg2000Codec.PRESENT) {
                    throw new PixelDataException(prefix + ": the JPEG 2000 codec (jai-imageio-jpeg2000.jar) is not on the"
                            + " server's class path" + ADVICE);
                }
            }
            case JPEG_LS_LOSSLESS, JPEG_LS_NEAR_LOSSLESS -> {
                if (DcmtkTranscoder.jpegLs().isEmpty()) {
                    throw new PixelDataException(prefix + ": JPEG-LS is decoded by DCMTK's dcmdjpls, which is not"
                            + " installed (Debian package dcmtk; or set -D" + DcmtkTranscoder.JPEG_LS_PROPERTY + "=PATH)" + ADVICE);
                }
            }
            case HTJ2K_LOSSLESS, HTJ2K_LOSSLESS_RPCL, HTJ2K -> {
                if (Htj2kTranscoder.installed().isEmpty()) {
                    throw new PixelDataException(prefix + ": HTJ2K is decoded by OpenJPEG's opj_decompress (2.5 or later), which"
                            + " is not installed (Debian package libopenjp2-tools; or set -D" + Htj2kTranscoder.PROPERTY + "=PATH)"
                            + ADVICE);
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
