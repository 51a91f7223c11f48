package org.radflow.dicom;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.OtherByteAttribute;
import com.pixelmed.dicom.OtherWordAttribute;
import com.pixelmed.dicom.TagFromName;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decodes High-Throughput JPEG 2000 (HTJ2K, PS3.5 A.4.11: 1.2.840.10008.1.2.4.201/202/203) by running OpenJPEG's
 * {@code opj_decompress} (Debian package {@code libopenjp2-tools}; HTJ2K decoding needs OpenJPEG 2.5 or later), because
 * no HTJ2K decoder for Java is published on Maven Central and PixelMed has none. Each frame's codestream goes through
 * the tool to a PGM; the frames become native pixel data in an Explicit VR Little Endian file that the caller reads and
 * deletes, as {@link DcmtkTranscoder} does for JPEG-LS. Grayscale images with 8 or 16 bits allocated and colour
 * (three-component) ones with 8 (a PPM per frame; YBR_RCT/YBR_ICT become RGB); others are refused with a reason.
 */
public final class Htj2kTranscoder {

    /** Override of the tool's path (tests, or a site whose OpenJPEG is elsewhere); empty string = none. */
    public static final String PROPERTY = "radflow.opjDecompress";
    private static final long TIMEOUT_SECONDS = 60;
    private static final Pattern LIBRARY_VERSION = Pattern.compile("openjp2 library v(\\d+)\\.(\\d+)");

    private final Path tool;

    Htj2kTranscoder(Path tool) {
        this.tool = tool;
    }

    private static final class Located {
        static final Optional<Htj2kTranscoder> INSTANCE = locate(System.getProperty(PROPERTY), System.getenv("PATH"));
    }

    /**
     * The transcoder found on this machine: {@code -Dradflow.opjDecompress=PATH}, else {@code opj_decompress} on the
     * PATH; only when its OpenJPEG library is 2.5 or later (earlier ones cannot decode HTJ2K).
     */
    public static Optional<Htj2kTranscoder> installed() {
        return Located.INSTANCE;
    }

    static Optional<Htj2kTranscoder> locate(String override, String path) {
        Path found = null;
        if (override != null) {
            Path p = Path.of(override.isBlank() ? "/nonexistent/opj_decompress" : override);
            found = Files.isExecutable(p) ? p : null;
        } else if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                Path p = dir.isEmpty() ? null : Path.of(dir, "opj_decompress");
                if (p != null && Files.isExecutable(p)) {
                    found = p;
                    break;
                }
            }
        }
        return found != null && decodesHtj2k(found) ? Optional.of(new Htj2kTranscoder(found)) : Optional.empty();
    }

    /** {@code opj_decompress -h} names the library it was built against: HTJ2K decoding came with OpenJPEG 2.5.0. */
    private static boolean decodesHtj2k(Path tool) {
        try {
            Process p = new ProcessBuilder(tool.toString(), "-h").redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            Matcher m = LIBRARY_VERSION.matcher(text);
            if (!m.find()) {
                return false;
            }
            int major = Integer.parseInt(m.group(1));
            int minor = Integer.parseInt(m.group(2));
            return major > 2 || major == 2 && minor >= 5;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public Path tool() {
        return tool;
    }

    /**
     * Writes {@code source} with its frames decoded to native pixel data, Explicit VR Little Endian, into a new
     * temporary file in {@code tempDir} and returns it; the caller deletes it.
     *
     * @throws IOException why it cannot: an image this decoder does not handle, the tool's own message, a frame whose
     *                     size differs from the header's
     */
    public Path decode(Path source, Path tempDir) throws IOException {
        Path work = Files.createTempDirectory(tempDir, "radflow-htj2k-");
        Path out = Files.createTempFile(tempDir, "radflow-htj2k-", ".dcm");
        boolean ok = false;
        try {
            AttributeList list = new AttributeList();
            list.read(source.toString(), TagFromName.PixelData);
            int rows = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.Rows, 0);
            int columns = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.Columns, 0);
            int samples = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.SamplesPerPixel, 1);
            int bitsAllocated = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.BitsAllocated, 16);
            if (!(samples == 1 && (bitsAllocated == 8 || bitsAllocated == 16) || samples == 3 && bitsAllocated == 8)) {
                throw new IOException("only grayscale HTJ2K images with 8 or 16 bits allocated and colour ones with 8 are decoded; "
                        + "this one has " + samples + " sample(s) per pixel and " + bitsAllocated + " bits allocated");
            }
            int frameCount = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.NumberOfFrames, 1);
            // PixelMed does not split the fragments of a transfer syntax it does not know: read them here
            List<byte[]> frames = Encapsulated.frames(Files.readAllBytes(source), frameCount);
            int frameSize = rows * columns * samples; // colour: interleaved R, G, B (Planar Configuration 0)
            short[] words = bitsAllocated == 16 ? new short[frameSize * frameCount] : null;
            byte[] bytes = bitsAllocated == 8 ? new byte[frameSize * frameCount] : null;
            for (int f = 0; f < frameCount; f++) {
                byte[] frame = frames.get(f);
                Codestream cs = Codestream.of(frame, f);
                if (cs.width != columns || cs.height != rows || cs.components != samples) {
                    throw new IOException("frame " + (f + 1) + " is " + cs.width + " x " + cs.height + " with " + cs.components
                            + " component(s); the header says " + columns + " x " + rows + " with " + samples);
                }
                Path in = work.resolve("frame-" + f + ".j2c");
                // a PGM for one component, a PPM (interleaved, the inverse colour transform applied) for three
                Path pgm = work.resolve("frame-" + f + (samples == 1 ? ".pgm" : ".ppm"));
                Files.write(in, frame);
                run(in, pgm);
                int[] values = Pgm.read(pgm, columns, rows, samples);
                // OpenJPEG writes a signed component shifted up by 2^(precision-1) to fit the PGM's unsigned range
                int shift = cs.signed ? 1 << (cs.precision - 1) : 0;
                for (int i = 0; i < frameSize; i++) {
                    int v = values[i] - shift;
                    if (words != null) {
                        words[f * frameSize + i] = (short) v;
                    } else {
                        bytes[f * frameSize + i] = (byte) v;
                    }
                }
            }
            Attribute pixels = words != null ? new OtherWordAttribute(TagFromName.PixelData) : new OtherByteAttribute(TagFromName.PixelData);
            if (words != null) {
                pixels.setValues(words);
            } else {
                pixels.setValues(bytes);
            }
            list.put(pixels);
            if (samples == 3) {
                // the codestream's multi-component transform (YBR_RCT lossless, YBR_ICT lossy) was undone by the decoder:
                // the pixels are RGB now (PS3.5 8.2.1x); YBR_FULL without one stays as it is
                String photometric = Attribute.getSingleStringValueOrEmptyString(list, TagFromName.PhotometricInterpretation);
                if (photometric.equals("YBR_RCT") || photometric.equals("YBR_ICT")) {
                    Attribute pi = new com.pixelmed.dicom.CodeStringAttribute(TagFromName.PhotometricInterpretation);
                    pi.addValue("RGB");
                    list.put(pi);
                }
                Attribute planar = new com.pixelmed.dicom.UnsignedShortAttribute(TagFromName.PlanarConfiguration);
                planar.addValue(0);
                list.put(planar);
            }
            list.removeGroupLengthAttributes();
            list.removeMetaInformationHeaderAttributes();
            FileMetaInformation.addFileMetaInformation(list, TransferSyntaxes.EXPLICIT_VR_LITTLE_ENDIAN, "RADFLOW");
            list.write(out.toString(), TransferSyntaxes.EXPLICIT_VR_LITTLE_ENDIAN, true, true);
            ok = true;
            return out;
        } catch (DicomException e) {
            throw new IOException(e.getMessage(), e);
        } finally {
            deleteTree(work);
            if (!ok) {
                Files.deleteIfExists(out);
            }
        }
    }

    private void run(Path in, Path pgm) throws IOException {
        Path log = pgm.resolveSibling(pgm.getFileName() + ".log");
        try {
            Process p = new ProcessBuilder(List.of(tool.toString(), "-quiet", "-i", in.toString(), "-o", pgm.toString()))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(tool + " took longer than " + TIMEOUT_SECONDS + " s");
            }
            if (p.exitValue() != 0 || !Files.isRegularFile(pgm)) {
                String text = Files.readString(log, StandardCharsets.UTF_8).strip();
                throw new IOException(tool + " failed (exit " + p.exitValue() + "): "
                        + LogText.escape(text.length() > 300 ? text.substring(0, 300) + "…" : text));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while " + tool + " was decoding", e);
        }
    }

    private static void deleteTree(Path dir) {
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            dir.toFile().deleteOnExit();
        }
    }

    /**
     * The frames of an encapsulated Pixel Data element (PS3.5 A.4), found as the last top-level (7FE0,0010) with undefined
     * length in an Explicit VR Little Endian data set: one frame per fragment group by the Basic Offset Table when it
     * has one, else one fragment per frame when the counts agree, else a new frame at each fragment that starts a
     * JPEG 2000 codestream (SOC marker).
     */
    static final class Encapsulated {
        private static final byte[] PIXEL_DATA = {(byte) 0xe0, 0x7f, 0x10, 0x00, 'O', 'B', 0, 0, (byte) 0xff, (byte) 0xff,
                (byte) 0xff, (byte) 0xff};

        static List<byte[]> frames(byte[] file, int frameCount) throws IOException {
            int at = lastIndexOf(file, PIXEL_DATA);
            if (at < 0) {
                throw new IOException("no encapsulated Pixel Data (7FE0,0010) with undefined length was found");
            }
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(file).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            int pos = at + PIXEL_DATA.length;
            List<Long> offsets = new java.util.ArrayList<>();
            List<byte[]> fragments = new java.util.ArrayList<>();
            List<Long> fragmentOffsets = new java.util.ArrayList<>();
            boolean first = true;
            long relative = 0;
            while (true) {
                if (pos + 8 > file.length) {
                    throw new IOException("the encapsulated Pixel Data is cut short (no sequence delimiter)");
                }
                int group = b.getShort(pos) & 0xffff;
                int element = b.getShort(pos + 2) & 0xffff;
                long length = b.getInt(pos + 4) & 0xffffffffL;
                pos += 8;
                if (group == 0xfffe && element == 0xe0dd) {
                    break;
                }
                if (group != 0xfffe || element != 0xe000 || length > file.length - pos) {
                    throw new IOException("the encapsulated Pixel Data has a damaged item at byte " + (pos - 8));
                }
                if (first) {
                    for (int i = 0; i + 4 <= length; i += 4) {
                        offsets.add(b.getInt(pos + i) & 0xffffffffL);
                    }
                    first = false;
                } else {
                    fragments.add(java.util.Arrays.copyOfRange(file, pos, pos + (int) length));
                    fragmentOffsets.add(relative);
                    relative += 8 + length;
                }
                pos += (int) length;
            }
            if (fragments.isEmpty()) {
                throw new IOException("the encapsulated Pixel Data holds no fragment");
            }
            List<Integer> starts = new java.util.ArrayList<>();
            if (offsets.size() == frameCount && frameCount > 1) {
                for (long o : offsets) {
                    int i = fragmentOffsets.indexOf(o);
                    if (i < 0) {
                        throw new IOException("the Basic Offset Table points between fragments (" + o + ")");
                    }
                    starts.add(i);
                }
            } else if (frameCount == 1) {
                starts.add(0);
            } else if (fragments.size() == frameCount) {
                for (int i = 0; i < frameCount; i++) {
                    starts.add(i);
                }
            } else {
                for (int i = 0; i < fragments.size(); i++) {
                    byte[] f = fragments.get(i);
                    if (f.length >= 2 && (f[0] & 0xff) == 0xff && (f[1] & 0xff) == 0x4f) {
                        starts.add(i);
                    }
                }
            }
            if (starts.size() != frameCount) {
                throw new IOException("cannot tell the " + frameCount + " frames apart in " + fragments.size() + " fragments");
            }
            List<byte[]> frames = new java.util.ArrayList<>();
            for (int k = 0; k < starts.size(); k++) {
                int end = k + 1 < starts.size() ? starts.get(k + 1) : fragments.size();
                java.io.ByteArrayOutputStream frame = new java.io.ByteArrayOutputStream();
                for (int i = starts.get(k); i < end; i++) {
                    frame.writeBytes(fragments.get(i));
                }
                frames.add(frame.toByteArray());
            }
            return frames;
        }

        private static int lastIndexOf(byte[] data, byte[] pattern) {
            outer:
            for (int i = data.length - pattern.length; i >= 0; i--) {
                for (int j = 0; j < pattern.length; j++) {
                    if (data[i + j] != pattern[j]) {
                        continue outer;
                    }
                }
                return i;
            }
            return -1;
        }
    }

    /** What the codestream's SIZ marker says: image size, components, and the first component's precision and sign. */
    record Codestream(int width, int height, int components, int precision, boolean signed) {
        static Codestream of(byte[] c, int frame) throws IOException {
            // SOC (FF4F), SIZ (FF51) Lsiz Rsiz Xsiz Ysiz XOsiz YOsiz XTsiz YTsiz XTOsiz YTOsiz Csiz, then Ssiz XRsiz YRsiz each
            if (c.length < 45 || (c[0] & 0xff) != 0xff || (c[1] & 0xff) != 0x4f || (c[2] & 0xff) != 0xff || (c[3] & 0xff) != 0x51) {
                throw new IOException("frame " + (frame + 1) + " is not a JPEG 2000 codestream (no SOC and SIZ markers)");
            }
            int width = int32(c, 8) - int32(c, 16);
            int height = int32(c, 12) - int32(c, 20);
            int components = ((c[40] & 0xff) << 8) | (c[41] & 0xff);
            int ssiz = c[42] & 0xff;
            return new Codestream(width, height, components, (ssiz & 0x7f) + 1, (ssiz & 0x80) != 0);
        }

        private static int int32(byte[] c, int at) {
            return ((c[at] & 0xff) << 24) | ((c[at + 1] & 0xff) << 16) | ((c[at + 2] & 0xff) << 8) | (c[at + 3] & 0xff);
        }
    }

    /**
     * A binary PGM (P5) or PPM (P6, three interleaved samples per pixel) as OpenJPEG writes it: header tokens with
     * comments, then big-endian samples when maxval > 255.
     */
    static final class Pgm {
        static int[] read(Path file, int width, int height) throws IOException {
            return read(file, width, height, 1);
        }

        static int[] read(Path file, int width, int height, int channels) throws IOException {
            byte[] d = Files.readAllBytes(file);
            int[] pos = {0};
            String magic = token(d, pos);
            int w = Integer.parseInt(token(d, pos));
            int h = Integer.parseInt(token(d, pos));
            int max = Integer.parseInt(token(d, pos));
            pos[0]++; // the single whitespace after maxval
            String expected = channels == 1 ? "P5" : "P6";
            if (!expected.equals(magic) || w != width || h != height) {
                throw new IOException("the decoder wrote " + magic + " " + w + " x " + h + ", expected " + expected + " " + width
                        + " x " + height);
            }
            int n = width * height * channels;
            int bytesPerSample = max > 255 ? 2 : 1;
            if (d.length - pos[0] < n * bytesPerSample) {
                throw new IOException("the decoder's output is short: " + (d.length - pos[0]) + " bytes for " + n + " samples");
            }
            int[] out = new int[n];
            int at = pos[0];
            for (int i = 0; i < n; i++) {
                out[i] = bytesPerSample == 2 ? ((d[at] & 0xff) << 8) | (d[at + 1] & 0xff) : d[at] & 0xff;
                at += bytesPerSample;
            }
            return out;
        }

        private static String token(byte[] d, int[] pos) throws IOException {
            int i = pos[0];
            while (true) {
                while (i < d.length && Character.isWhitespace(d[i])) {
                    i++;
                }
                if (i < d.length && d[i] == '#') {
                    while (i < d.length && d[i] != '\n') {
                        i++;
                    }
                    continue;
                }
                break;
            }
            int start = i;
            while (i < d.length && !Character.isWhitespace(d[i])) {
                i++;
            }
            if (start == i) {
                throw new IOException("the decoder's PGM header is cut short");
            }
            pos[0] = i;
            return new String(d, start, i - start, StandardCharsets.US_ASCII);
        }
    }
}
