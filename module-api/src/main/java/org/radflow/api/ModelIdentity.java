package org.radflow.api;

/**
 * Which model a module runs, for reports and audit.
 *
 * @param demo true for the small demonstration models shipped with RadFlow: every output made with
 *             one says "DEMO MODEL"
 */
public record ModelIdentity(String name, String version, String description, boolean demo) {

    public ModelIdentity {
        Checks.require(name, "name");
        Checks.require(version, "version");
        description = description == null ? "" : description;
    }
}
