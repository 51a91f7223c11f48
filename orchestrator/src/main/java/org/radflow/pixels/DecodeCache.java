package org.radflow.pixels;

import org.radflow.api.PixelDataException;

/**
 * Keeps the decoded pixel data of the last file read, so that walking the frames of a multi-frame instance (or
 * asking for one plane twice) reads the file once, while a study never holds more than one decoded file.
 */
final class DecodeCache {

    private final InputOpener opener;
    private SpoolInstance instance;
    private DecodedInstance decoded;

    DecodeCache(InputOpener opener) {
        this.opener = opener;
    }

    synchronized DecodedInstance decoded(SpoolInstance wanted) throws PixelDataException {
        if (instance != wanted) {
            instance = null;
            decoded = null; // let the previous file's pixels go before reading the next one
            decoded = DecodedInstance.read(wanted.file(), wanted.sopInstanceUid(), wanted.header(), opener);
            instance = wanted;
        }
        return decoded;
    }

    synchronized void clear() {
        instance = null;
        decoded = null;
    }
}
