package org.radflow.listener;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Everything the DICOM listener needs, already validated by the configuration loader.
 *
 * @param allowedCallingAeTitles empty: any calling AE title may associate
 * @param checkCalledAeTitle     refuse associations addressed to another AE title than ours
 * @param fsync                  flush each instance to the disk before acknowledging it (the durable default)
 * @param minFreeSpaceBytes      below this free space in the spool, C-STORE answers A700 (out of resources)
 */
public record ListenerSettings(
        String aeTitle,
        String bindAddress,
        int port,
        int maxAssociations,
        Set<String> allowedCallingAeTitles,
        boolean checkCalledAeTitle,
        int maxPduLength,
        Duration idleTimeout,
        List<String> transferSyntaxes,
        Path spoolDir,
        boolean fsync,
        long minFreeSpaceBytes) {

    public ListenerSettings {
        allowedCallingAeTitles = Set.copyOf(allowedCallingAeTitles);
        transferSyntaxes = List.copyOf(transferSyntaxes);
    }

    public static ListenerSettings defaults(Path spoolDir) {
        return new ListenerSettings("RADFLOW", "0.0.0.0", 11112, 32, Set.of(), true, 131072, Duration.ofSeconds(60),
                org.radflow.dicom.TransferSyntaxes.LISTENER_DEFAULT, spoolDir, true, 1024L * 1024 * 1024);
    }

    public ListenerSettings withPort(int port) {
        return new ListenerSettings(aeTitle, bindAddress, port, maxAssociations, allowedCallingAeTitles, checkCalledAeTitle,
                maxPduLength, idleTimeout, transferSyntaxes, spoolDir, fsync, minFreeSpaceBytes);
    }

    public ListenerSettings withBindAddress(String bindAddress) {
        return new ListenerSettings(aeTitle, bindAddress, port, maxAssociations, allowedCallingAeTitles, checkCalledAeTitle,
                maxPduLength, idleTimeout, transferSyntaxes, spoolDir, fsync, minFreeSpaceBytes);
    }

    public ListenerSettings withFsync(boolean fsync) {
        return new ListenerSettings(aeTitle, bindAddress, port, maxAssociations, allowedCallingAeTitles, checkCalledAeTitle,
                maxPduLength, idleTimeout, transferSyntaxes, spoolDir, fsync, minFreeSpaceBytes);
    }

    public ListenerSettings withMinFreeSpaceBytes(long bytes) {
        return new ListenerSettings(aeTitle, bindAddress, port, maxAssociations, allowedCallingAeTitles, checkCalledAeTitle,
                maxPduLength, idleTimeout, transferSyntaxes, spoolDir, fsync, bytes);
    }

    public ListenerSettings withAllowedCallingAeTitles(Set<String> allowed) {
        return new ListenerSettings(aeTitle, bindAddress, port, maxAssociations, allowed, checkCalledAeTitle,
                maxPduLength, idleTimeout, transferSyntaxes, spoolDir, fsync, minFreeSpaceBytes);
    }

    public ListenerSettings withMaxAssociations(int max) {
        return new ListenerSettings(aeTitle, bindAddress, port, max, allowedCallingAeTitles, checkCalledAeTitle,
                maxPduLength, idleTimeout, transferSyntaxes, spoolDir, fsync, minFreeSpaceBytes);
    }
}
