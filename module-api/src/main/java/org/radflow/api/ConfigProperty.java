package org.radflow.api;

/**
 * A key a module accepts in its configuration scope {@code modules.<id>.*}. Keys the descriptor
 * does not declare are refused at start-up, naming the key.
 *
 * @param defaultValue null when the key is required
 * @param secret       never logged or shown by the API
 */
public record ConfigProperty(String name, String description, String defaultValue, boolean secret) {

    public ConfigProperty {
        ModelIdentity.require(name, "name");
        description = description == null ? "" : description;
    }

    public static ConfigProperty of(String name, String description, String defaultValue) {
        return new ConfigProperty(name, description, defaultValue, false);
    }
}
