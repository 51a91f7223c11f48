package org.radflow.cluster;

/**
 * A cluster member as the peer endpoint needs it.
 *
 * @param nodeName its {@code server.nodeName}
 * @param endpoint its peer endpoint, "host:port"
 * @param local    whether it is this node
 * @param host     the address it joined the cluster from (peer requests must come from a member's address)
 */
public record Peer(String nodeName, String endpoint, boolean local, String host) {
}
