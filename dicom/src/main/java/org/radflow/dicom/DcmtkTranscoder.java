package org.radflow.dicom;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Decodes pixel data by running one of DCMTK's decompressors (Debian package {@code dcmtk}): {@code dcmdjpls} for JPEG-LS
 * (lossless and near-lossless; it wraps CharLS), because no maintained JPEG-LS decoder for Java is published on Maven
 * Central and PixelMed has none; {@code dcmdjpeg} for 12-bit JPEG Extended (process 4; IJG's 12-bit library), which
 * neither PixelMed nor the JDK's JPEG reader decodes. The file is re-encoded to Explicit VR Little Endian in a temporary
 * file that the caller reads and deletes. About 60 ms per file on this project's machines (a process start); see
 * docs/conformance.md.
 */
public final class DcmtkTranscoder {

    /** Override of dcmdjpls's path (tests, or a site whose DCMTK is not on the PATH); empty string = none. */
    public static final String JPEG_LS_PROPERTY = "radflow.dcmdjpls";
    /** Override of dcmdjpeg's path; empty string = none. */
    public static final String JPEG_PROPERTY = "radflow.dcmdjpeg";
    private static final long TIMEOUT_SECONDS = 60;

    private final Path tool;

    DcmtkTranscoder(Path tool) {
        this.tool = tool;
    }

    private static final class Located {
        static final Optional<DcmtkTranscoder> JPEG_LS = locate("dcmdjpls", System.getProperty(JPEG_LS_PROPERTY), System.getenv("PATH"));
        static final Optional<DcmtkTranscoder> JPEG = locate("dcmdjpeg", System.getProperty(JPEG_PROPERTY), System.getenv("PATH"));
    }

    /** The JPEG-LS decoder found on this machine: {@code -Dradflow.dcmdjpls=PATH}, else {@code dcmdjpls} on the PATH. */
    public static Optional<DcmtkTranscoder> jpegLs() {
        return Located.JPEG_LS;
    }

    /** The JPEG (12-bit extended) decoder found on this machine: {@code -Dradflow.dcmdjpeg=PATH}, else {@code dcmdjpeg} on the PATH. */
    public static Optional<DcmtkTranscoder> jpeg() {
        return Located.JPEG;
    }

    static Optional<DcmtkTranscoder> locate(String name, String override, String path) {
        if (override != null) {
            Path p = Path.of(override.isBlank() ? "/nonexistent/" + name : override);
            return Files.isExecutable(p) ? Optional.of(new DcmtkTranscoder(p)) : Optional.empty();
        }
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return Optional.of(new DcmtkTranscoder(p));
            }
        }
        return Optional.empty();
    }

    public Path tool() {
        return tool;
    }

    /**
     * Writes {@code source} decoded to Explicit VR Little Endian into a new temporary file in {@code tempDir} and
     * returns it; the caller deletes it.
     *
     * @throws IOException naming the tool's own message when it fails or takes longer than a minute
     */
    public Path decode(Path source, Path tempDir) throws IOException {
        Path out = Files.createTempFile(tempDir, "radflow-dcmtk-", ".dcm");
        Path log = Files.createTempFile(tempDir, "radflow-dcmtk-", ".log");
        boolean ok = false;
        try {
            Process p = new ProcessBuilder(List.of(tool.toString(), "--write-xfer-little",
                    source.toString(), out.toString()))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(tool + " took longer than " + TIMEOUT_SECONDS + " s");
            }
            if (p.exitValue() != 0) {
                String text = Files.readString(log, StandardCharsets.UTF_8).strip();
                throw new IOException(tool + " failed (exit " + p.exitValue() + "): "
                        + LogText.escape(text.length() > 300 ? text.substring(0, 300) + "…" : text));
            }
            ok = true;
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while " + tool + " was decoding " + source, e);
        } finally {
            Files.deleteIfExists(log);
            if (!ok) {
                Files.deleteIfExists(out);
            }
        }
    }
}
