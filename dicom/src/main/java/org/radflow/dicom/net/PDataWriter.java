package org.radflow.dicom.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** Writes command and data messages as P-DATA-TF PDUs no larger than the peer accepts. */
public final class PDataWriter {

    private final OutputStream out;
    private final int maxPdvData;
    private final byte[] chunk;

    /** @param peerMaxPduLength the peer's maximum PDU length (0 means unlimited; we then cap at 64 KiB) */
    public PDataWriter(OutputStream out, int peerMaxPduLength) {
        this.out = out;
        int max = peerMaxPduLength <= 0 ? 65536 : Math.min(peerMaxPduLength, 1 << 20);
        this.maxPdvData = Math.max(max - 6, 64);
        this.chunk = new byte[maxPdvData];
    }

    public void writeCommand(int pcid, byte[] command) throws IOException {
        writeMessage(pcid, true, command, 0, command.length);
        out.flush();
    }

    public void writeMessage(int pcid, boolean command, byte[] b, int off, int len) throws IOException {
        do {
            int n = Math.min(len, maxPdvData);
            boolean last = n == len;
            writePdv(pcid, command, last, b, off, n);
            off += n;
            len -= n;
        } while (len > 0);
    }

    /** Streams a data set of known length from {@code in}, fragmenting at the peer's limit. */
    public void writeData(int pcid, InputStream in, long length) throws IOException {
        long remaining = length;
        do {
            int n = (int) Math.min(remaining, maxPdvData);
            Pdu.readFully(in, chunk, 0, n);
            remaining -= n;
            writePdv(pcid, false, remaining == 0, chunk, 0, n);
        } while (remaining > 0);
        out.flush();
    }

    /** One PDV in its own P-DATA-TF PDU; {@code last} marks the end of the message. */
    public void writePdv(int pcid, boolean command, boolean last, byte[] b, int off, int n) throws IOException {
        Pdu.writeHeader(out, Pdu.P_DATA_TF, n + 6);
        Pdu.writeInt(out, n + 2);
        out.write(pcid);
        out.write((command ? 1 : 0) | (last ? 2 : 0));
        out.write(b, off, n);
    }
}
