package org.radflow.report;

/**
 * A module's completed result that cannot be turned into report objects (a measurement naming a segment no
 * segmentation has, a segmentation that does not fit its inputs): the module's wrong output, which no retry mends.
 */
public final class UnreportableResultException extends Exception {

    public UnreportableResultException(String kind, IllegalArgumentException cause) {
        super("the module's result cannot be turned into reports (" + kind + "): " + cause.getMessage(), cause);
    }
}
