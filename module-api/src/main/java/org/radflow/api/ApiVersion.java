package org.radflow.api;

/**
 * The version of the module API. A module built against a newer major version than the server's
 * is refused; minor versions only add (default methods, new optional types), so a module built
 * against an older minor version of the same major version keeps loading.
 *
 * <p>0.3 added typed configuration properties ({@link ConfigProperty.Type}) with typed getters on
 * {@link ModuleConfig}, checked by the host; a 0.2 module's properties are text properties.
 *
 * <p>0.4 added {@link Finding.Qualitative}, a coded evaluation without a probability.
 */
public final class ApiVersion {

    public static final int MAJOR = 0;
    public static final int MINOR = 4;

    private ApiVersion() {
    }

    public static String string() {
        return MAJOR + "." + MINOR;
    }
}
