package org.radflow.dicom.net;

/**
 * One SCP/SCU role selection (PS3.7 D.3.3.4) for a SOP class. In an A-ASSOCIATE-RQ it says which roles the
 * requestor wants to take; in the A-ASSOCIATE-AC which of those the acceptor agrees to. A storage commitment
 * SCP that reports on a new association proposes {@code scuRole=false, scpRole=true}.
 */
public record RoleSelection(String sopClassUid, boolean scuRole, boolean scpRole) {
}
