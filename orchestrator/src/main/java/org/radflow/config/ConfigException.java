package org.radflow.config;

/** A configuration problem, worded for the person fixing the file: which key, what is wrong, what to do. */
public class ConfigException extends RuntimeException {

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
