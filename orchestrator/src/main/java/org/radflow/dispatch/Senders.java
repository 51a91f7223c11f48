package org.radflow.dispatch;

import io.vertx.core.Vertx;
import org.radflow.config.RadflowConfig;

import java.util.LinkedHashMap;
import java.util.Map;

/** A sender per configured destination: C-STORE for {@code type: dicom}, STOW-RS for {@code type: dicomweb}. */
public final class Senders {

    private Senders() {
    }

    public static Map<String, Sender> create(Vertx vertx, RadflowConfig config) {
        Map<String, Sender> out = new LinkedHashMap<>();
        config.destinations().forEach((name, d) -> {
            if (d instanceof RadflowConfig.DicomDestination c) {
                out.put(name, new CStoreSender(vertx, name, c.settings()));
            } else if (d instanceof RadflowConfig.DicomWebDestination w) {
                out.put(name, new StowRsSender(vertx, name, w.settings()));
            }
        });
        return out;
    }

    /** Releases what a sender holds (a STOW-RS sender's HTTP client). */
    public static void close(Sender sender) {
        if (sender instanceof StowRsSender w) {
            w.close();
        }
    }
}
