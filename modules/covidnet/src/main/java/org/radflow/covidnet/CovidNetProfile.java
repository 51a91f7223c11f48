package org.radflow.covidnet;

import org.radflow.api.Concept;

import java.util.ArrayList;
import java.util.List;

/**
 * Which tensors to feed and read, and what the output classes mean, in the model's output order.
 *
 * @param name          cxr4, cxr2 or custom
 * @param inputTensor   e.g. {@code input_1:0}
 * @param outputTensor  e.g. {@code norm_dense_1/Softmax:0}
 */
record CovidNetProfile(String name, String inputTensor, String outputTensor, List<Concept> classes) {

    static final List<String> NAMES = List.of("cxr4", "cxr2", "custom");

    /** The finding every classification is about: a RadFlow private code (no SNOMED concept names the task). */
    static final Concept FINDING = new Concept("99RADFLOW", "COVIDNET-001", "COVID-Net chest radiograph classification");

    // SNOMED CT: 840539006 checked against SNOMED International's COVID-19 content page (PT "COVID-19");
    // 17621005 "Normal (qualifier value)" and 233604007 "Pneumonia (disorder)" checked in public FHIR/terminology
    // sources; 10828004 "Positive (qualifier value)" and 260385009 "Negative (qualifier value)" checked in HL7's SMART
    // Health Cards lab-qualitative-result value set (SNOMED GPS).
    static final Concept NORMAL = Concept.sct("17621005", "Normal");
    static final Concept PNEUMONIA = Concept.sct("233604007", "Pneumonia");
    static final Concept COVID_19 = Concept.sct("840539006", "COVID-19");
    static final Concept NEGATIVE = Concept.sct("260385009", "Negative");
    static final Concept POSITIVE = Concept.sct("10828004", "Positive");

    CovidNetProfile {
        classes = List.copyOf(classes);
    }

    /** COVID-Net CXR4 (normal / pneumonia / COVID-19). */
    static CovidNetProfile cxr4() {
        return new CovidNetProfile("cxr4", "input_1:0", "norm_dense_1/Softmax:0", List.of(NORMAL, PNEUMONIA, COVID_19));
    }

    /** COVID-Net CXR-2 (negative / positive for COVID-19). */
    static CovidNetProfile cxr2() {
        return new CovidNetProfile("cxr2", "input_1:0", "norm_dense_2/Softmax:0", List.of(NEGATIVE, POSITIVE));
    }

    /** A site's own model: classes are labels, coded in the private scheme. */
    static CovidNetProfile custom(String inputTensor, String outputTensor, List<String> labels) {
        List<Concept> classes = new ArrayList<>();
        for (int i = 0; i < labels.size(); i++) {
            classes.add(new Concept("99RADFLOW", "COVIDNET-C" + (i + 1), labels.get(i)));
        }
        return new CovidNetProfile("custom", inputTensor, outputTensor, classes);
    }
}
