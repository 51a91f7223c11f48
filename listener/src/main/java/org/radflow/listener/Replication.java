package org.radflow.listener;

import java.io.IOException;

/**
 * Makes a received instance durable on another node before the sender is answered (a cluster's
 * {@code replicationFactor: 2}). Called on the association's thread with the instance in a flushed temporary file
 * ({@link InstanceStored#path()}), after it was checked and before it is renamed into the spool: when this throws,
 * the instance is refused with "out of resources" (A700) and nothing of it stays, so the sender keeps it and retries.
 */
@FunctionalInterface
public interface Replication {

    /** One node alone: the local copy is the only one. */
    Replication NONE = instance -> { };

    void replicate(InstanceStored instance) throws IOException;
}
