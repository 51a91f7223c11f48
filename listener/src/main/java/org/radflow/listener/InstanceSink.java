package org.radflow.listener;

/** Receives each instance once it is durable under its final spool name, before the peer is answered. */
@FunctionalInterface
public interface InstanceSink {

    void stored(InstanceStored event);
}
