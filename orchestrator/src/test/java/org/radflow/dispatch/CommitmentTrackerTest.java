package org.radflow.dispatch;

import org.junit.jupiter.api.Test;
import org.radflow.dicom.net.DicomServiceException;
import org.radflow.dicom.net.DimseCommand;
import org.radflow.dicom.net.StorageCommitment;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Routing of storage commitment results by Transaction UID, whatever order the report and the outbox's bookkeeping come in. */
class CommitmentTrackerTest {

    private static StorageCommitment.Report report(String tx) {
        return new StorageCommitment.Report(tx, List.of(new StorageCommitment.Reference("1.2.840.10008.5.1.4.1.1.7", "1.2.3")), List.of());
    }

    @Test
    void aReportBeforeTheOutboxSettledIsAppliedWhenItSettles() throws Exception {
        CommitmentTracker t = new CommitmentTracker();
        List<String> applied = new ArrayList<>();
        t.applier((destination, r) -> applied.add(destination + ":" + r.transactionUid()));
        t.expect("2.25.1", "pacs");
        assertEquals("pacs", t.report(report("2.25.1")));
        assertEquals(List.of(), applied, "nothing to apply to before the rows await commitment");
        t.settled("2.25.1");
        assertEquals(List.of("pacs:2.25.1"), applied);
        assertEquals(0, t.openTransactions());
    }

    @Test
    void aReportAfterSettlingIsAppliedAtOnceAndOnlyOnce() throws Exception {
        CommitmentTracker t = new CommitmentTracker();
        List<String> applied = new ArrayList<>();
        t.applier((destination, r) -> applied.add(r.transactionUid()));
        t.expect("2.25.2", "pacs");
        t.settled("2.25.2");
        t.report(report("2.25.2"));
        assertEquals(List.of("2.25.2"), applied);
        DicomServiceException again = assertThrows(DicomServiceException.class, () -> t.report(report("2.25.2")));
        assertEquals(DimseCommand.STATUS_PROCESSING_FAILURE, again.status());
        assertTrue(again.errorComment().contains("unknown transaction"), again.errorComment());
    }

    @Test
    void aReportThatCannotBeRecordedIsRefusedAndCanComeAgain() throws Exception {
        CommitmentTracker t = new CommitmentTracker();
        int[] calls = {0};
        t.applier((destination, r) -> {
            if (calls[0]++ == 0) {
                throw new SQLException("database unavailable");
            }
        });
        t.expect("2.25.3", "pacs");
        t.settled("2.25.3");
        DicomServiceException e = assertThrows(DicomServiceException.class, () -> t.report(report("2.25.3")));
        assertTrue(e.errorComment().contains("database unavailable"), e.errorComment());
        t.report(report("2.25.3"));
        assertEquals(2, calls[0]);
        assertEquals(0, t.openTransactions());
    }

    @Test
    void forgottenAndExpiredTransactionsAreNoLongerOpen() throws Exception {
        CommitmentTracker t = new CommitmentTracker();
        t.applier((d, r) -> { });
        t.expect("2.25.4", "pacs");
        t.forget("2.25.4");
        assertThrows(DicomServiceException.class, () -> t.report(report("2.25.4")));
        t.expect("2.25.5", "pacs");
        t.expect("2.25.6", "other");
        assertEquals(0, t.expire("pacs", Duration.ofMinutes(1)), "younger than the timeout");
        assertEquals(1, t.expire("pacs", Duration.ofNanos(-1)));
        assertEquals(1, t.openTransactions());
    }
}
