package org.radflow.listener;

import com.pixelmed.dicom.DicomException;
import org.radflow.dicom.DataSetCheck;
import org.radflow.dicom.LogText;
import org.radflow.dicom.Part10;
import org.radflow.dicom.Uids;
import org.radflow.dicom.net.CStoreHandler;
import org.radflow.dicom.net.DataSetReceiver;
import org.radflow.dicom.net.DicomServiceException;
import org.radflow.dicom.net.DimseCommand;
import org.radflow.dicom.net.DimseRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.zip.CRC32C;

/**
 * The listener's C-STORE: each data set streams into a temporary spool file as it arrives (never
 * whole in memory), then is checked, made durable with one sync of the file (data and its write-ahead
 * {@link SpoolRecord} together), renamed to its final spool name (the folder is synced with the next batch) and
 * handed to the sink; only then is the peer answered Success. Refusals: A700 (no room, disk trouble, or the
 * {@link IntakeGate} says RadFlow is too far behind: retry later), C000
 * (malformed data set or UIDs), A900 (the data set is not the instance the command names).
 */
final class SpoolStoreHandler implements CStoreHandler {

    private static final Logger LOG = LoggerFactory.getLogger(SpoolStoreHandler.class);
    /** How much of each data set is kept in memory for the check after writing (headers are usually far smaller). */
    private static final int PREFIX_BYTES = 64 * 1024;

    private final Spool spool;
    private final InstanceSink sink;
    private final Replication replication;
    private final IntakeGate gate;

    SpoolStoreHandler(Spool spool, InstanceSink sink) {
        this(spool, sink, Replication.NONE, IntakeGate.OPEN);
    }

    SpoolStoreHandler(Spool spool, InstanceSink sink, Replication replication, IntakeGate gate) {
        this.spool = spool;
        this.sink = sink;
        this.replication = replication;
        this.gate = gate;
    }

    @Override
    public DataSetReceiver store(DimseRequest rq) throws DicomServiceException, IOException {
        if (!spool.hasRoom()) {
            throw new DicomServiceException(DimseCommand.STATUS_OUT_OF_RESOURCES, "spool free space "
                    + spool.freeSpaceBytes() / (1024 * 1024) + " MB is below listener.minFreeSpaceMb "
                    + spool.minFreeSpaceBytes() / (1024 * 1024) + " MB");
        }
        String behind = gate.refusal(); // a volatile read: the backlog is counted elsewhere, not per C-STORE
        if (behind != null) {
            // the gate warns once a minute; a burst must not write a WARN per refused instance
            throw DicomServiceException.summarized(DimseCommand.STATUS_OUT_OF_RESOURCES, behind);
        }
        Path temp = spool.newTempFile();
        // unbuffered: each PDV (up to maxPduLength) is one write, so the disk keeps pace with the network
        // and little is left to write when the last fragment arrives and the peer waits for the answer
        Incoming incoming = new Incoming(rq, temp, new FileOutputStream(temp.toFile()));
        try {
            byte[] meta = Part10.fileMetaInformation(rq.sopClassUid(), rq.sopInstanceUid(), rq.transferSyntax(),
                    rq.callingAeTitle());
            incoming.metaLength = meta.length;
            incoming.file.write(meta);
            incoming.crc.update(meta, 0, meta.length);
        } catch (IOException e) {
            throw incoming.writeFailed(e);
        }
        return incoming;
    }

    /** The data set of one C-STORE on its way to the spool. */
    private final class Incoming implements DataSetReceiver {
        final DimseRequest rq;
        final Path temp;
        final FileOutputStream file;
        final byte[] prefix = new byte[PREFIX_BYTES];
        /** Of the whole file as written, for the {@link SpoolRecord}: computed as the data streams, never by reading it back. */
        final CRC32C crc = new CRC32C();
        long size;
        long metaLength;

        Incoming(DimseRequest rq, Path temp, FileOutputStream file) {
            this.rq = rq;
            this.temp = temp;
            this.file = file;
        }

        @Override
        public void fragment(byte[] b, int off, int len) throws DicomServiceException {
            if (size < PREFIX_BYTES) {
                System.arraycopy(b, off, prefix, (int) size, (int) Math.min(len, PREFIX_BYTES - size));
            }
            try {
                file.write(b, off, len);
                crc.update(b, off, len);
            } catch (IOException e) {
                throw writeFailed(e);
            }
            size += len;
        }

        /** Disk trouble while writing: the rest of the data set is read and dropped, then "out of resources" answered. */
        DicomServiceException writeFailed(IOException e) {
            LOG.error("Writing {} to the spool failed: {}", temp, e.toString());
            abandon();
            return new DicomServiceException(DimseCommand.STATUS_OUT_OF_RESOURCES, "spool write failed: " + e.getMessage(), e);
        }

        @Override
        public int complete() throws DicomServiceException {
            try {
                commit();
            } catch (IOException e) {
                LOG.error("Storing instance {} failed: {}", Uids.forLog(rq.sopInstanceUid()), e.toString());
                abandon();
                throw new DicomServiceException(DimseCommand.STATUS_OUT_OF_RESOURCES, "spool write failed: " + e.getMessage(), e);
            }
            return DimseCommand.STATUS_SUCCESS;
        }

        /**
         * Checks the received data set, makes it durable with one sync ({@link Spool#seal}) and renames it into the spool;
         * refuses it with a status and reason otherwise.
         */
        private void commit() throws IOException, DicomServiceException {
            String sopInstance = rq.sopInstanceUid();
            Part10.Header header;
            try {
                try (PrefixedFileStream in = new PrefixedFileStream(prefix, (int) Math.min(size, PREFIX_BYTES), temp,
                        metaLength, size)) {
                    header = DataSetCheck.verify(in, rq.transferSyntax());
                }
            } catch (DicomException | IOException | RuntimeException e) {
                throw refuse(DimseCommand.STATUS_CANNOT_UNDERSTAND, "malformed data set: " + e.getMessage());
            }
            if (!sopInstance.equals(header.sopInstanceUid())) {
                throw refuse(DimseCommand.STATUS_DATA_SET_DOES_NOT_MATCH_SOP_CLASS, "SOP Instance UID in the data set "
                        + Uids.forLog(header.sopInstanceUid()) + " differs from the command's");
            }
            String studyProblem = Uids.problem(header.studyInstanceUid());
            if (studyProblem != null) {
                throw refuse(DimseCommand.STATUS_CANNOT_UNDERSTAND, "Study Instance UID "
                        + Uids.forLog(header.studyInstanceUid()) + " is " + studyProblem);
            }
            String seriesProblem = Uids.problem(header.seriesInstanceUid());
            if (seriesProblem != null) {
                throw refuse(DimseCommand.STATUS_CANNOT_UNDERSTAND, "Series Instance UID "
                        + Uids.forLog(header.seriesInstanceUid()) + " is " + seriesProblem);
            }
            long fileSize = metaLength + size;
            spool.seal(temp, file.getChannel(), new SpoolRecord(fileSize, (int) crc.getValue(), header.studyInstanceUid(),
                    header.seriesInstanceUid(), sopInstance));
            file.close();
            try {
                replication.replicate(new InstanceStored(header.studyInstanceUid(), header.seriesInstanceUid(), sopInstance,
                        rq.sopClassUid(), header.modality(), rq.transferSyntax(), rq.callingAeTitle(), temp, fileSize, Instant.now()));
            } catch (IOException | RuntimeException e) {
                LOG.warn("Instance {} refused: no second copy ({})", Uids.forLog(sopInstance), LogText.escape(e.getMessage()));
                throw refuse(DimseCommand.STATUS_OUT_OF_RESOURCES, "cannot keep a second copy on another cluster node: " + e.getMessage());
            }
            Path target = spool.commitRecorded(temp, header.studyInstanceUid(), header.seriesInstanceUid(), sopInstance);
            sink.stored(new InstanceStored(header.studyInstanceUid(), header.seriesInstanceUid(), sopInstance,
                    rq.sopClassUid(), header.modality(), rq.transferSyntax(), rq.callingAeTitle(), target, fileSize,
                    Instant.now()));
        }

        private DicomServiceException refuse(int status, String reason) {
            abandon();
            return new DicomServiceException(status, reason);
        }

        /** Nothing of a refused or interrupted transfer stays in the spool. */
        @Override
        public void abandon() {
            try {
                file.close();
            } catch (IOException ignored) {
                // the file is deleted next
            }
            try {
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                LOG.warn("Could not delete partial file {}: {}", temp, e.toString());
            }
        }
    }
}
