package org.radflow.dicom.net;

import java.time.Duration;
import java.util.Map;

/**
 * What one inbound association did, as the association layer saw it: who, how long, how it ended, and
 * per request command field how many requests succeeded or failed.
 *
 * @param outcome  "released", "aborted by peer", "aborted: idle for 60 s", …
 * @param requests by request command field, e.g. {@link DimseCommand#C_STORE_RQ}
 */
public record AssociationReport(
        String callingAeTitle,
        String calledAeTitle,
        String peerAddress,
        Duration duration,
        String outcome,
        Map<Integer, Requests> requests) {

    /** @param dataSetBytes data set bytes of the requests that succeeded */
    public record Requests(int succeeded, int failed, long dataSetBytes) {
    }

    public AssociationReport {
        requests = Map.copyOf(requests);
    }

    public Requests of(int commandField) {
        return requests.getOrDefault(commandField, new Requests(0, 0, 0));
    }

    /** Requests of any kind answered with a failure status. */
    public int failed() {
        return requests.values().stream().mapToInt(Requests::failed).sum();
    }
}
