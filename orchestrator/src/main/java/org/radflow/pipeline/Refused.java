package org.radflow.pipeline;

/**
 * A stage's refusal of an operation (reprocess, retry, enable, …) with what the person asking can do about it. The
 * HTTP layer answers it as 400, 404 or 409; the stages never know about HTTP.
 */
public final class Refused extends RuntimeException {

    public enum Kind {
        /** The request itself is wrong (400). */
        INVALID,
        /** What it names does not exist (404). */
        NOT_FOUND,
        /** Not now, in the state things are in (409). */
        CONFLICT
    }

    private final Kind kind;

    public Refused(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
