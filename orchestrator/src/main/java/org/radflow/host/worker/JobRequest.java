package org.radflow.host.worker;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.TransferSyntax;
import org.radflow.pixels.InputHeader;
import org.radflow.pixels.InputHeaders;
import org.radflow.pixels.InputOpener;
import org.radflow.pixels.InputSummary;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A JOB frame's payload (protocol version 2, issue 16): the job and study, then for each input file its spool path, what
 * places it in the study (study, series and SOP instance UIDs, SOP class, series and instance numbers, frames) and its
 * header — the attributes up to Pixel Data that intake already read (the server's header cache), encoded as an Explicit
 * VR Little Endian data set. The worker builds the module's input from this without opening any input file; it parses
 * an input's header only when the module reads its attributes, and opens the file only when the module asks for pixels.
 *
 * <p>An input whose header is not sent (its encoding failed, or the request already carries {@link #HEADER_BUDGET}
 * bytes of headers) is read from its file by the worker when the module first needs it; so is one whose sent header
 * cannot be parsed.
 */
public final class JobRequest {

    /** Header bytes one request carries at most (a frame holds {@link Frames#MAX_FRAME}); inputs beyond it are read by the worker. */
    static final int HEADER_BUDGET = 128 * 1024 * 1024;

    /** A decoded request: the job, its study and its inputs. */
    public record Decoded(String jobId, String studyUid, List<InputSummary> inputs) {
    }

    private JobRequest() {
    }

    /**
     * Encodes a job for the worker, each input's header from {@code headers} (the server passes intake's cache, so a
     * file already read at intake is not opened again, and its header was encoded there, not on the job's path).
     *
     * @throws IOException an input's header cannot be read (the message names the file)
     */
    public static byte[] encode(String jobId, String studyUid, List<Path> files, InputHeaders headers) throws IOException {
        return encode(jobId, studyUid, files, headers, HEADER_BUDGET);
    }

    static byte[] encode(String jobId, String studyUid, List<Path> files, InputHeaders headers, long headerBudget)
            throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(64 * 1024);
        DataOutputStream d = new DataOutputStream(b);
        Frames.writeString(d, jobId);
        Frames.writeString(d, studyUid);
        d.writeInt(files.size());
        long budget = headerBudget;
        ByteArrayOutputStream scratch = new ByteArrayOutputStream(8 * 1024);
        for (Path f : files) {
            InputHeader header = headers.header(f);
            InputSummary s = InputSummary.of(f, header);
            Frames.writeString(d, f.toString());
            Frames.writeString(d, s.studyInstanceUid());
            Frames.writeString(d, s.seriesInstanceUid());
            Frames.writeString(d, s.sopInstanceUid());
            Frames.writeString(d, s.sopClassUid());
            d.writeInt(s.seriesNumber());
            d.writeInt(s.instanceNumber());
            d.writeInt(s.frames());
            byte[] encoded = null;
            if (budget > 0) {
                encoded = headers.encoded(f); // intake's, when it read this header
                if (encoded == null) {
                    encoded = encodeHeader(header.attributes(), scratch);
                }
            }
            if (encoded == null || encoded.length > budget) {
                d.writeInt(-1); // the worker reads it from the file if the module needs it
            } else {
                budget -= encoded.length;
                Frames.writeBytes(d, encoded);
            }
        }
        d.flush();
        return b.toByteArray();
    }

    /** The header as an Explicit VR Little Endian data set (the File Meta group included), or null when it cannot be encoded. */
    static byte[] encodeHeader(AttributeList header, ByteArrayOutputStream scratch) {
        return InputHeader.encode(header, scratch); // null: sent without its header, the worker reads the file
    }

    /** Parses what {@link #encodeHeader} wrote. */
    static AttributeList decodeHeader(byte[] bytes) throws IOException {
        AttributeList list = new AttributeList();
        try (DicomInputStream in = new DicomInputStream(new ByteArrayInputStream(bytes),
                TransferSyntax.ExplicitVRLittleEndian, false)) {
            list.read(in);
        } catch (DicomException | RuntimeException e) {
            throw new IOException("cannot parse the header the host sent: " + e.getMessage(), e);
        }
        return list;
    }

    /**
     * Decodes a request; an input's header is parsed from the sent bytes when first needed, else (not sent, or not
     * parseable) read from its file through {@code opener}.
     */
    public static Decoded decode(byte[] payload, InputOpener opener) throws IOException {
        DataInputStream p = new DataInputStream(new ByteArrayInputStream(payload));
        String jobId = Frames.readString(p);
        String studyUid = Frames.readString(p);
        int n = Frames.readCount(p, Frames.MAX_FRAME, "the input list");
        List<InputSummary> inputs = new ArrayList<>(Math.min(n, 100_000));
        for (int i = 0; i < n; i++) {
            Path file = Path.of(Frames.readString(p));
            String study = Frames.readString(p);
            String series = Frames.readString(p);
            String sop = Frames.readString(p);
            String sopClass = Frames.readString(p);
            int seriesNumber = p.readInt();
            int instanceNumber = p.readInt();
            int frames = p.readInt();
            int length = p.readInt();
            if (length < -1 || length > Frames.MAX_FRAME) {
                throw new IOException("header length " + length + " of input " + i + " is outside -1.." + Frames.MAX_FRAME
                        + ": the stream is corrupt");
            }
            byte[] bytes = null;
            if (length >= 0) {
                bytes = new byte[length];
                p.readFully(bytes);
            }
            byte[] sent = bytes;
            InputSummary.HeaderSource source = () -> {
                if (sent != null) {
                    try {
                        return decodeHeader(sent);
                    } catch (IOException unparsed) {
                        System.err.println("worker: " + file + ": " + unparsed.getMessage() + "; reading it from the file");
                    }
                }
                return InputHeader.read(file, opener).attributes();
            };
            inputs.add(new InputSummary(file, study, series, sop, sopClass, seriesNumber, instanceNumber, frames, source));
        }
        return new Decoded(jobId, studyUid, inputs);
    }
}
