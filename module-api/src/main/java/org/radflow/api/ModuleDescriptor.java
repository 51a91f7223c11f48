package org.radflow.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Everything the platform needs to know about a module before running it.
 *
 * @param id         stable identifier, lower case ({@code covidnet}); routing rules and config refer to it
 * @param version    the module's version; output UIDs derive from (inputs, id, version)
 * @param apiMajor   the module API major version it was built against ({@link ApiVersion#MAJOR})
 * @param timeout    a job running longer is marked timed out and its thread abandoned
 * @param codingSchemes the module's own coding schemes ({@link CodingScheme}, API 0.5), written into its SRs
 */
public record ModuleDescriptor(
        String id,
        String version,
        String displayName,
        int apiMajor,
        int apiMinor,
        ModelIdentity model,
        Selection selection,
        Trigger trigger,
        Resources resources,
        Duration timeout,
        List<ConfigProperty> configProperties,
        List<CodingScheme> codingSchemes) {

    private static final Pattern ID = Pattern.compile("[a-z][a-z0-9-]{0,39}");

    public ModuleDescriptor {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("module id '" + id + "' must be lower case letters, digits and '-', starting with a letter");
        }
        Checks.require(version, "version");
        displayName = displayName == null || displayName.isBlank() ? id : displayName;
        if (model == null || selection == null || trigger == null || resources == null || timeout == null) {
            throw new IllegalArgumentException("module " + id + ": model, selection, trigger, resources and timeout are required");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("module " + id + ": timeout must be positive");
        }
        configProperties = List.copyOf(configProperties);
        codingSchemes = List.copyOf(codingSchemes);
        java.util.Set<String> designators = new java.util.HashSet<>();
        for (CodingScheme c : codingSchemes) {
            if (!designators.add(c.designator())) {
                throw new IllegalArgumentException("module " + id + ": coding scheme " + c.designator() + " is declared twice");
            }
        }
    }

    /** Without coding schemes of its own (the constructor before API 0.5). */
    public ModuleDescriptor(String id, String version, String displayName, int apiMajor, int apiMinor, ModelIdentity model,
                            Selection selection, Trigger trigger, Resources resources, Duration timeout,
                            List<ConfigProperty> configProperties) {
        this(id, version, displayName, apiMajor, apiMinor, model, selection, trigger, resources, timeout, configProperties,
                List.of());
    }

    /** The declared scheme with this designator, if the module declared it. */
    public java.util.Optional<CodingScheme> codingScheme(String designator) {
        return codingSchemes.stream().filter(c -> c.designator().equals(designator)).findFirst();
    }

    /** The same descriptor with another model identity (the one a configured instance runs). */
    public ModuleDescriptor withModel(ModelIdentity runningModel) {
        return new ModuleDescriptor(id, version, displayName, apiMajor, apiMinor, runningModel, selection, trigger,
                resources, timeout, configProperties, codingSchemes);
    }

    /**
     * Starts a descriptor. Pass {@code ApiVersion.MAJOR, ApiVersion.MINOR}: javac copies those
     * constants into the module's own classes, so the server sees the API version the module was
     * compiled against (and refuses a module built for a newer major version).
     */
    public static Builder builder(String id, String version, int apiMajor, int apiMinor) {
        return new Builder(id, version, apiMajor, apiMinor);
    }

    /** Fluent construction with defaults: any input, series trigger, default resources, 10 minutes. */
    public static final class Builder {
        private final String id;
        private final String version;
        private final int apiMajor;
        private final int apiMinor;
        private String displayName;
        private ModelIdentity model;
        private Selection selection = Selection.any();
        private Trigger trigger = Trigger.SERIES;
        private Resources resources = Resources.defaults();
        private Duration timeout = Duration.ofMinutes(10);
        private final List<ConfigProperty> config = new ArrayList<>();
        private final List<CodingScheme> schemes = new ArrayList<>();

        private Builder(String id, String version, int apiMajor, int apiMinor) {
            this.id = id;
            this.version = version;
            this.apiMajor = apiMajor;
            this.apiMinor = apiMinor;
        }

        public Builder displayName(String v) {
            displayName = v;
            return this;
        }

        public Builder model(ModelIdentity v) {
            model = v;
            return this;
        }

        public Builder selection(Selection v) {
            selection = v;
            return this;
        }

        public Builder trigger(Trigger v) {
            trigger = v;
            return this;
        }

        public Builder resources(Resources v) {
            resources = v;
            return this;
        }

        public Builder timeout(Duration v) {
            timeout = v;
            return this;
        }

        public Builder config(ConfigProperty p) {
            config.add(p);
            return this;
        }

        /** A coding scheme of the module's own codes, written into its SRs' Coding Scheme Identification (API 0.5). */
        public Builder codingScheme(CodingScheme c) {
            schemes.add(c);
            return this;
        }

        public ModuleDescriptor build() {
            return new ModuleDescriptor(id, version, displayName, apiMajor, apiMinor,
                    model == null ? new ModelIdentity(id, version, "", false) : model, selection, trigger, resources, timeout, config,
                    schemes);
        }
    }
}
