package org.radflow.dicom.net;

/**
 * One DIMSE request as a service handler sees it: the command set and the negotiated presentation
 * context it arrived on, plus who sent it. No PDUs.
 *
 * @param abstractSyntax the presentation context's SOP class (a C-STORE's command must name the same)
 * @param transferSyntax the encoding of the request's data set
 * @param peer           the remote address, for log lines
 */
public record DimseRequest(
        DimseCommand command,
        String abstractSyntax,
        String transferSyntax,
        String callingAeTitle,
        String calledAeTitle,
        String peer) {

    public int commandField() {
        return command.commandField();
    }

    public String sopClassUid() {
        return command.getString(DimseCommand.AFFECTED_SOP_CLASS_UID);
    }

    public String sopInstanceUid() {
        return command.getString(DimseCommand.AFFECTED_SOP_INSTANCE_UID);
    }

    public boolean hasDataSet() {
        return command.hasDataSet();
    }
}
