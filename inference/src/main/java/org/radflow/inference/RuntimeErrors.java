package org.radflow.inference;

/** Turns runtime exceptions (often long, multi-line native messages) into one readable line. */
final class RuntimeErrors {

    private static final int MAX_LENGTH = 600;

    private RuntimeErrors() {
    }

    static String message(Throwable t) {
        String m = t.getMessage();
        if (m == null || m.isBlank()) {
            m = t.getClass().getSimpleName();
        }
        m = m.strip().replaceAll("\\s*\\R\\s*", " | ");
        return m.length() <= MAX_LENGTH ? m : m.substring(0, MAX_LENGTH) + " ...";
    }
}
