package org.radflow.dicom.net;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The services an SCP offers, found by request command field; negotiation asks them which SOP classes they accept. */
public final class DicomServiceRegistry {

    private final Map<Integer, DicomService> byCommandField = new TreeMap<>();

    /** Adds a service; one per command field. */
    public DicomServiceRegistry register(DicomService service) {
        DicomService earlier = byCommandField.putIfAbsent(service.commandField(), service);
        if (earlier != null) {
            throw new IllegalArgumentException("command field 0x" + Integer.toHexString(service.commandField())
                    + " is already served by " + earlier.getClass().getSimpleName());
        }
        return this;
    }

    /** The service for a request command field; null when none (the request is answered "unrecognized operation"). */
    public DicomService forCommandField(int commandField) {
        return byCommandField.get(commandField);
    }

    /** True when some service accepts presentation contexts with this abstract syntax. */
    public boolean acceptsAbstractSyntax(String sopClassUid) {
        return byCommandField.values().stream().anyMatch(s -> s.acceptsAbstractSyntax(sopClassUid));
    }

    /** The roles this node agrees to for a requestor's proposed role selection (PS3.7 D.3.3.4). */
    public RoleSelection answer(RoleSelection proposed) {
        String uid = proposed.sopClassUid();
        boolean scu = proposed.scuRole() && byCommandField.values().stream()
                .anyMatch(s -> s.acceptsAbstractSyntax(uid) && s.acceptsRequestorScuRole(uid));
        boolean scp = proposed.scpRole() && byCommandField.values().stream()
                .anyMatch(s -> s.acceptsAbstractSyntax(uid) && s.acceptsRequestorScpRole(uid));
        return new RoleSelection(uid, scu, scp);
    }

    public List<DicomService> services() {
        return List.copyOf(byCommandField.values());
    }
}
