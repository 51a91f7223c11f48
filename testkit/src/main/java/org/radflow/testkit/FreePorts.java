package org.radflow.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/**
 * Free TCP ports on the loopback interface.
 *
 * <p>The port is found by binding an ephemeral port on 127.0.0.1 and closing it again, so another
 * process may take it before the caller binds it. The process starters of this kit
 * ({@link OrthancServer}, {@link Dcmtk.StoreScpBuilder}) retry with new ports when that happens.
 * Ports handed out by this JVM are remembered and not handed out twice.
 */
public final class FreePorts {

    private static final Set<Integer> HANDED_OUT = new HashSet<>();

    private FreePorts() {
    }

    /** A TCP port that was free on 127.0.0.1 a moment ago and was not returned before by this JVM. */
    public static int find() {
        for (int attempt = 0; attempt < 50; attempt++) {
            int port;
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(false);
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
                port = socket.getLocalPort();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot find a free TCP port on 127.0.0.1", e);
            }
            synchronized (HANDED_OUT) {
                if (HANDED_OUT.add(port)) {
                    return port;
                }
            }
        }
        throw new IllegalStateException("cannot find a free TCP port on 127.0.0.1 that was not handed out before");
    }

    /** Whether something accepts TCP connections on 127.0.0.1:{@code port} right now. */
    public static boolean isListening(int port) {
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
