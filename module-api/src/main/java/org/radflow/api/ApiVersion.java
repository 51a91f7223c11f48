package org.radflow.api;

/**
 * The version of the module API. A module built against a newer major version than the server's
 * is refused; minor versions only add (default methods, new optional types).
 */
public final class ApiVersion {

    public static final int MAJOR = 0;
    public static final int MINOR = 2;

    private ApiVersion() {
    }

    public static String string() {
        return MAJOR + "." + MINOR;
    }
}
