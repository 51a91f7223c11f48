package org.radflow.listener;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The listener alone in its own JVM, for {@link ListenerCrashIT} to kill with SIGKILL: fsync on (the default), bound
 * to a free loopback port, which it prints as {@code PORT <n>} once it accepts associations.
 * Arguments: the spool folder.
 */
public final class CrashTargetMain {

    private CrashTargetMain() {
    }

    public static void main(String[] args) throws Exception {
        ListenerSettings settings = ListenerSettings.defaults(Path.of(args[0])).withBindAddress("127.0.0.1").withPort(0)
                .withMinFreeSpaceBytes(0).withMaxAssociations(16).withFsync(true);
        StoreScp scp = new StoreScp(settings, e -> { }, s -> { });
        scp.start();
        System.out.println("PORT " + scp.port());
        System.out.flush();
        Thread.sleep(Duration.ofMinutes(10).toMillis());
        scp.close();
    }
}
