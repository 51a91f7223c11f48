package org.radflow.dicom.net;

import java.io.IOException;

/**
 * An association request refused (A-ASSOCIATE-RJ): read from the peer by a requestor, or raised by an
 * acceptor's checks with the reason a person reads, then sent as result, source and reason.
 */
public class AssociationRejectedException extends IOException {

    private final int result;
    private final int source;
    private final int reason;

    public AssociationRejectedException(int result, int source, int reason) {
        super("association rejected (" + (result == Pdu.RJ_TRANSIENT ? "transient" : "permanent") + ", source " + source
                + ", reason " + reason + describe(source, reason) + ")");
        this.result = result;
        this.source = source;
        this.reason = reason;
    }

    /** A rejection decided here; {@code why} is logged, the peer sees only the three codes. */
    public AssociationRejectedException(int result, int source, int reason, String why) {
        super(why);
        this.result = result;
        this.source = source;
        this.reason = reason;
    }

    private static String describe(int source, int reason) {
        if (source == Pdu.RJ_SOURCE_USER) {
            return switch (reason) {
                case Pdu.RJ_USER_APPLICATION_CONTEXT_NOT_SUPPORTED -> ": application context not supported";
                case Pdu.RJ_USER_CALLING_AE_NOT_RECOGNIZED -> ": calling AE title not recognized";
                case Pdu.RJ_USER_CALLED_AE_NOT_RECOGNIZED -> ": called AE title not recognized";
                default -> ": no reason given";
            };
        }
        if (source == Pdu.RJ_SOURCE_PROVIDER_PRESENTATION) {
            return reason == Pdu.RJ_PRESENTATION_LOCAL_LIMIT_EXCEEDED ? ": local limit exceeded" : ": temporary congestion";
        }
        return reason == Pdu.RJ_ACSE_PROTOCOL_VERSION_NOT_SUPPORTED ? ": protocol version not supported" : "";
    }

    public boolean isTransient() {
        return result == Pdu.RJ_TRANSIENT;
    }

    public int result() {
        return result;
    }

    public int source() {
        return source;
    }

    public int reason() {
        return reason;
    }
}
