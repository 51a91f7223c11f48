package org.radflow.dispatch;

import org.radflow.dicom.Uids;
import org.radflow.dicom.net.DicomServiceException;
import org.radflow.dicom.net.DimseCommand;
import org.radflow.dicom.net.StorageCommitment;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The storage commitment transactions this node has open, by Transaction UID. A sender registers a transaction
 * before its N-ACTION goes out; the outbox marks it settled once the objects' rows say "awaiting commitment";
 * a report (N-EVENT-REPORT, from the listener or from the sender's own association) is applied at once when the
 * transaction is settled, and kept until then when it arrives first (a PACS may answer within milliseconds,
 * before the outbox has written anything). Reports for transactions not open here (timed out, or from before a
 * restart) are refused: their objects are re-sent and re-committed by the timeout instead.
 */
public final class CommitmentTracker {

    /** Applies a report to the outbox rows of a destination. */
    @FunctionalInterface
    interface Applier {
        void apply(String destination, StorageCommitment.Report report) throws Exception;
    }

    private static final class Entry {
        final String destination;
        final Instant since;
        boolean settled;
        StorageCommitment.Report early;

        Entry(String destination, Instant since) {
            this.destination = destination;
            this.since = since;
        }
    }

    private final Map<String, Entry> open = new HashMap<>();
    private volatile Applier applier;

    void applier(Applier a) {
        this.applier = a;
    }

    /** A sender is about to request commitment under this transaction UID. */
    public synchronized void expect(String transactionUid, String destination) {
        open.put(transactionUid, new Entry(destination, Instant.now()));
    }

    /** The request did not go out (or was refused): nothing will report on it. */
    public synchronized void forget(String transactionUid) {
        open.remove(transactionUid);
    }

    /** The outbox rows of this transaction await commitment now; a report that came first is applied. */
    void settled(String transactionUid) throws Exception {
        StorageCommitment.Report early;
        String destination;
        synchronized (this) {
            Entry e = open.get(transactionUid);
            if (e == null) {
                return;
            }
            e.settled = true;
            early = e.early;
            destination = e.destination;
            if (early != null) {
                open.remove(transactionUid);
            }
        }
        if (early != null) {
            applier.apply(destination, early);
        }
    }

    /**
     * A storage commitment result arrived. Returns the destination it belongs to.
     *
     * @throws DicomServiceException (0110, processing failure) for a transaction not open here, or when the outbox
     *                               cannot record it; the PACS sees that status
     */
    public String report(StorageCommitment.Report report) throws DicomServiceException {
        Entry e;
        synchronized (this) {
            e = open.get(report.transactionUid());
            if (e == null) {
                throw new DicomServiceException(DimseCommand.STATUS_PROCESSING_FAILURE, "unknown transaction "
                        + report.transactionUid());
            }
            if (!e.settled) {
                e.early = report;
                return e.destination;
            }
            open.remove(report.transactionUid());
        }
        try {
            applier.apply(e.destination, report);
        } catch (Exception ex) {
            synchronized (this) {
                // kept open: the PACS may report again after the failure status
                open.putIfAbsent(report.transactionUid(), e);
            }
            throw new DicomServiceException(DimseCommand.STATUS_PROCESSING_FAILURE, "cannot record the result of transaction "
                    + Uids.forLog(report.transactionUid()) + ": " + ex.getMessage(), ex);
        }
        return e.destination;
    }

    /** Forgets a destination's transactions open longer than {@code timeout} (their rows are re-sent by the outbox). */
    synchronized int expire(String destination, Duration timeout) {
        Instant limit = Instant.now().minus(timeout);
        int n = 0;
        for (Iterator<Entry> it = open.values().iterator(); it.hasNext(); ) {
            Entry e = it.next();
            if (e.destination.equals(destination) && e.since.isBefore(limit)) {
                it.remove();
                n++;
            }
        }
        return n;
    }

    synchronized int openTransactions() {
        return open.size();
    }
}
