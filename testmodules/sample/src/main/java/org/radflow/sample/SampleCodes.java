package org.radflow.sample;

import org.radflow.api.Concept;
import org.radflow.api.ModelIdentity;

/** The coded concepts and model identity of the demo modules; private codes use the 99RADFLOW scheme. */
final class SampleCodes {

    static final String VERSION = "1.0.0";
    /**
     * This JAR stays a module written against module API 0.2 on purpose (text properties made with
     * {@code ConfigProperty.of}, values parsed by the module itself): loaded by every server test, it is the
     * check that 0.2 modules keep loading on a 0.3 server.
     */
    static final int API_MAJOR = 0;
    static final int API_MINOR = 2;

    static final Concept SERIES_INTENSITY = new Concept("99RADFLOW", "SAMPLE-001", "Series intensity");
    static final Concept MEAN_INTENSITY = new Concept("99RADFLOW", "SAMPLE-002", "Mean intensity");
    static final Concept SIGNAL_LEVEL = new Concept("99RADFLOW", "SAMPLE-003", "Signal level");
    static final Concept BRIGHT = new Concept("99RADFLOW", "SAMPLE-004", "Mostly bright");
    static final Concept DARK = new Concept("99RADFLOW", "SAMPLE-005", "Mostly dark");
    static final Concept BRIGHT_REGION = new Concept("99RADFLOW", "SAMPLE-006", "Bright region");
    static final Concept WAIT = new Concept("99RADFLOW", "SAMPLE-007", "Deliberate wait");
    static final Concept ELAPSED = new Concept("99RADFLOW", "SAMPLE-008", "Elapsed time");
    static final Concept ATTEMPT = new Concept("99RADFLOW", "SAMPLE-009", "Processing attempt");
    static final Concept ATTEMPTS = new Concept("99RADFLOW", "SAMPLE-010", "Number of attempts");

    static final Concept VOLUME = Concept.sct("118565006", "Volume");
    static final Concept TISSUE = Concept.sct("85756007", "Tissue");

    static final Concept NO_UNIT = Concept.ucum("1", "no units");
    static final Concept HOUNSFIELD = Concept.ucum("[hnsf'U]", "Hounsfield unit");
    static final Concept CUBIC_MM = Concept.ucum("mm3", "cubic millimeter");
    static final Concept MILLISECONDS = Concept.ucum("ms", "millisecond");

    private SampleCodes() {
    }

    static ModelIdentity demoModel(String name, String description) {
        return new ModelIdentity(name, VERSION, description, true);
    }
}
