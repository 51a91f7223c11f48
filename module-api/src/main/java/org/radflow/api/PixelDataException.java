package org.radflow.api;

/** Pixels could not be decoded or do not form what was asked (e.g. an inconsistent volume); permanent. */
public class PixelDataException extends ModuleException {

    public PixelDataException(String message) {
        super(message);
    }

    public PixelDataException(String message, Throwable cause) {
        super(message, cause);
    }
}
